"""The index's own vocabulary: real words with document counts.

Prefix completion, ``word~`` and "did you mean" all work on unstemmed,
accent-folded words (``retrieval``, not the stem ``retriev``), so a suggestion
is always a word someone wrote. The vocabulary is counted while indexing and
saved beside the segments; incremental updates append to a small delta file
that is folded in when it grows.
"""

from __future__ import annotations

import bisect
import heapq
import marshal
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from whoosh.automata.fsa import find_all_matches
from whoosh.automata.lev import levenshtein_automaton

VOCAB_FILE = "vocab.bin"
DELTA_FILE = "vocab.delta"
_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"
#: Compact the delta into the main file past this many lines.
_DELTA_LIMIT = 20_000


class Vocabulary:
    """Words and how many papers use them; sorted for prefix lookups."""

    def __init__(self, counts: dict[str, int] | None = None) -> None:
        self.counts: dict[str, int] = counts or {}
        self._sorted: list[str] | None = None
        self._prefix_cache: dict[tuple[str, int], list[str]] = {}

    # -- persistence ---------------------------------------------------------------------

    @classmethod
    def load(cls, folder: Path) -> Vocabulary:
        """Read the vocabulary saved in ``folder`` (empty when there is none)."""
        counts: dict[str, int] = {}
        words: list[str] | None = None
        try:
            data = (folder / VOCAB_FILE).read_bytes()
            words, values = marshal.loads(data)
            counts = dict(zip(words, values, strict=True))
        except (OSError, ValueError, EOFError, TypeError):
            words = None
        vocab = cls(counts)
        vocab._sorted = words
        try:
            delta = (folder / DELTA_FILE).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            delta = ""
        if delta:
            added = Counter()
            for line in delta.splitlines():
                word, _, count = line.partition(" ")
                if word and count.isdigit():
                    added[word] += int(count)
            vocab.add(added)
        return vocab

    def save(self, folder: Path) -> None:
        """Write the whole vocabulary (atomically) and drop the delta."""
        words = self.sorted_words()
        data = marshal.dumps((words, [self.counts[w] for w in words]))
        tmp = folder / f"{VOCAB_FILE}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, folder / VOCAB_FILE)
        (folder / DELTA_FILE).unlink(missing_ok=True)

    @staticmethod
    def append_delta(folder: Path, counts: Counter[str]) -> bool:
        """Record counts of newly indexed papers; True when the delta should be compacted."""
        if not counts:
            return False
        path = folder / DELTA_FILE
        with open(path, "a", encoding="utf-8") as f:
            f.write("".join(f"{w} {c}\n" for w, c in counts.items()))
        return path.stat().st_size > _DELTA_LIMIT * 12

    # -- contents ----------------------------------------------------------------------------

    def add(self, counts: Counter[str] | dict[str, int]) -> None:
        """Add document counts (new words invalidate the sorted list)."""
        mine = self.counts
        new = False
        for word, count in counts.items():
            old = mine.get(word)
            if old is None:
                new = True
                mine[word] = count
            else:
                mine[word] = old + count
        if new:
            self._sorted = None
        self._prefix_cache.clear()

    def count(self, word: str) -> int:
        """Papers using ``word`` (0 for unknown words)."""
        return self.counts.get(word, 0)

    def __len__(self) -> int:
        return len(self.counts)

    def sorted_words(self) -> list[str]:
        """Every word, sorted."""
        if self._sorted is None:
            self._sorted = sorted(self.counts)
        return self._sorted

    # -- lookups -------------------------------------------------------------------------------

    def expand_prefix(self, prefix: str, limit: int) -> list[str]:
        """The ``limit`` most used words starting with ``prefix`` (most used first)."""
        key = (prefix, limit)
        cached = self._prefix_cache.get(key)
        if cached is not None:
            return cached
        words = self.sorted_words()
        lo = bisect.bisect_left(words, prefix)
        hi = bisect.bisect_left(words, prefix + "\U0010ffff", lo)
        span = words[lo:hi]
        if len(span) > limit:
            span = heapq.nlargest(limit, span, key=self.counts.__getitem__)
        else:
            span.sort(key=self.counts.__getitem__, reverse=True)
        if len(self._prefix_cache) > 512:
            self._prefix_cache.clear()
        self._prefix_cache[key] = span
        return span

    def within(self, word: str, distance: int, limit: int) -> list[str]:
        """Known words within ``distance`` edits of ``word`` (most used first).

        Distance 1 counts a swap of two neighbouring letters as one edit; distance
        2 uses a Levenshtein automaton over the sorted words and keeps the first
        letter (misspellings rarely start wrong, and it keeps this fast).
        """
        found = {w for w in edits1(word) if w in self.counts}
        if distance >= 2 and len(word) >= 4:
            words = self.sorted_words()

            def lookup(text: str) -> str | None:
                i = bisect.bisect_left(words, text)
                return words[i] if i < len(words) else None

            dfa = levenshtein_automaton(word, 2, prefix=1).to_dfa()
            found.update(find_all_matches(dfa, lookup))
        found.discard(word)
        return heapq.nlargest(limit, found, key=self.counts.__getitem__)

    def correct(self, word: str) -> str | None:
        """A likelier spelling of ``word``, or None when it looks right.

        A word used by three or more papers is taken as meant. Otherwise the
        most used word one edit away wins, then two edits away; it must be used
        much more than the typed word.
        """
        if len(word) < 3 or not word.isalpha():
            return None
        own = self.count(word)
        if own >= 3:
            return None
        for distance in (1, 2):
            if distance == 2 and len(word) < 5:
                break
            for candidate in self.within(word, distance, 5):
                if self.count(candidate) >= max(2, 10 * own) and candidate.isalpha():
                    return candidate
        return None


def edits1(word: str) -> set[str]:
    """Every string one deletion, swap, replacement or insertion away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out.update(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1)
    out.update(a + c + b[1:] for a, b in splits if b for c in _LETTERS)
    out.update(a + c + b for a, b in splits for c in _LETTERS)
    return out


def count_words(surfaces: Iterable[set[str]]) -> Counter[str]:
    """Document counts from each paper's set of words."""
    counts: Counter[str] = Counter()
    for surface in surfaces:
        counts.update(surface)
    return counts
