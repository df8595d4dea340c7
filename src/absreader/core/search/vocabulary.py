"""The index's own vocabulary: real words with document counts.

Prefix completion, ``word~`` and "did you mean" all work on unstemmed,
accent-folded words (``retrieval``, not the stem ``retriev``), so a suggestion
is always a word someone wrote. The vocabulary is counted while indexing and
saved beside the segments; incremental updates append to a small delta file
that is folded in when it grows.

Beside each word the file keeps how many of its first letters its stem
shares (``models`` -> ``model``: 5), so the stems a typed prefix reaches
without beginning with it (``models`` -> ``model``) are found without
stemming every word the prefix begins (thousands for three letters).
"""

from __future__ import annotations

import bisect
import heapq
import marshal
import os
import shutil
import struct
import sys
import tempfile
from array import array
from collections import Counter
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

from whoosh.automata.fsa import find_all_matches
from whoosh.automata.lev import levenshtein_automaton

from absreader.core.search.format.schema import stem_of, stem_uncached

VOCAB_FILE = "vocab.bin"
DELTA_FILE = "vocab.delta"
#: Ends the vocabulary file when the stem-shared lengths follow the lists.
_SHARED_MAGIC = b"VSH1"
_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"
#: Compact the delta into the main file past this many lines.
_DELTA_LIMIT = 20_000


class Vocabulary:
    """Words and how many papers use them; sorted for prefix lookups.

    A loaded vocabulary stays two parallel lists (sorted words, counts) and is
    looked up by bisection; the word -> count dict is only built when counts
    are added. That keeps the first as-you-type search of a session quick.
    """

    def __init__(self, counts: dict[str, int] | None = None) -> None:
        self._dict: dict[str, int] | None = dict(counts or {})
        self._words: list[str] | None = None
        self._counts: list[int] | None = None
        #: Per sorted word, how many leading letters its stem shares with it (capped at 255).
        self._shared: bytes | None = None
        self._prefix_cache: dict[tuple[str, int], list[str]] = {}
        self._outside_cache: dict[str, list[str]] = {}

    # -- persistence ---------------------------------------------------------------------

    @classmethod
    def load(cls, folder: Path) -> Vocabulary:
        """Read the vocabulary saved in ``folder`` (empty when there is none)."""
        vocab = cls()
        try:
            data = (folder / VOCAB_FILE).read_bytes()
            words, values = marshal.loads(data)  # what follows the lists is ignored
            if len(words) == len(values):
                vocab._dict, vocab._words, vocab._counts = None, list(words), list(values)
                # After the lists (older versions read those only): the shared lengths.
                if data[-4:] == _SHARED_MAGIC:
                    (size,) = struct.unpack("<Q", data[-12:-4])
                    if size == len(words) and len(data) >= size + 12:
                        vocab._shared = data[-12 - size : -12]
        except (OSError, ValueError, EOFError, TypeError):
            pass
        try:
            delta = (folder / DELTA_FILE).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            delta = ""
        if delta:
            added: Counter[str] = Counter()
            for line in delta.splitlines():
                word, _, count = line.partition(" ")
                if word and count.isdigit():
                    added[word] += int(count)
            if vocab._dict is None:
                vocab._merge(added)
            else:
                vocab.add(added)
        return vocab

    def _merge(self, added: Counter[str]) -> None:
        """Fold counts into the loaded lists, keeping them sorted (no word -> count dict).

        A first build appends each committed segment's new words to the delta,
        and the reader reloads it then: this keeps that reload linear and cheap.
        """
        words, counts = self._words or [], self._counts or []
        new: list[str] = []
        for word, count in added.items():
            i = bisect.bisect_left(words, word)
            if i < len(words) and words[i] == word:
                counts[i] += count
            else:
                new.append(word)
        if new:
            new.sort()
            combined = words + new
            order = sorted(range(len(combined)), key=combined.__getitem__)
            all_counts = counts + [added[w] for w in new]
            self._words = [combined[i] for i in order]
            self._counts = [all_counts[i] for i in order]
            if self._shared is not None:
                shared = self._shared + bytes(map(_shared_with_stem, new))
                self._shared = bytes(shared[i] for i in order)
        self._prefix_cache.clear()
        self._outside_cache.clear()

    @staticmethod
    def build_progress(folder: Path, counts: dict[str, int], written: list[int]) -> None:
        """Make a first build's words so far searchable (called after each committed segment).

        ``written`` is ``[words in the last full save, words in the delta since]``
        (start with ``[0, 0]``). The whole vocabulary is saved when it has doubled
        since the last save; otherwise only the words new since then are appended
        to the delta (Counter order is first-seen order), so the writes stay linear.
        Their counts are those so far; the build's final save makes them exact.
        """
        saved, appended = written
        if not saved or len(counts) >= 2 * saved:
            Vocabulary(dict(counts)).save(folder)
            written[:] = [len(counts), len(counts)]
            return
        fresh = dict(islice(counts.items(), appended, None))
        if fresh:
            with open(folder / DELTA_FILE, "a", encoding="utf-8") as f:
                f.write("".join(f"{w} {c}\n" for w, c in fresh.items()))
            written[1] = len(counts)

    def save(self, folder: Path) -> None:
        """Write the whole vocabulary (atomically) and drop the delta."""
        words, counts = self._lists()
        if self._shared is None or len(self._shared) != len(words):
            self._shared = bytes(map(_shared_with_stem, words))
        tmp = folder / f"{VOCAB_FILE}.tmp"
        trailer = self._shared + struct.pack("<Q", len(self._shared)) + _SHARED_MAGIC
        tmp.write_bytes(marshal.dumps((words, counts)) + trailer)
        os.replace(tmp, folder / VOCAB_FILE)
        (folder / DELTA_FILE).unlink(missing_ok=True)

    @staticmethod
    def write_sorted(folder: Path, items: Iterable[tuple[str, int]]) -> int:
        """Save a vocabulary from ``(word, count)`` in sorted order, as a stream; the word count.

        The file is the one :meth:`save` writes (it loads the same), made without
        holding the words: each word's marshal bytes go to a scratch file as it
        comes, and only the counts (4 bytes a word) and the stem-shared lengths
        (1 byte) are kept until the end. A parallel build's parent saves the
        merged run files so (``word_runs.py``).
        """
        counts = array("I")
        shared = bytearray()
        dumps = marshal.dumps
        tmp = folder / f"{VOCAB_FILE}.tmp"
        with tempfile.TemporaryFile(dir=folder) as words_part:
            chunk: list[bytes] = []
            for word, count in items:
                chunk.append(dumps(word))
                counts.append(count)
                shared.append(_shared_with_stem(word, cached=False))
                if len(chunk) >= 8192:
                    words_part.write(b"".join(chunk))
                    chunk.clear()
            words_part.write(b"".join(chunk))
            n = len(counts)
            with open(tmp, "wb") as out:
                # marshal's format: a small tuple of two lists, each "[" and a 4-byte length.
                out.write(b")\x02[" + struct.pack("<i", n))
                words_part.seek(0)
                shutil.copyfileobj(words_part, out)
                out.write(b"[" + struct.pack("<i", n))
                out.write(_marshal_ints(counts))
                out.write(bytes(shared) + struct.pack("<Q", n) + _SHARED_MAGIC)
        os.replace(tmp, folder / VOCAB_FILE)
        (folder / DELTA_FILE).unlink(missing_ok=True)
        return n

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

    @property
    def counts(self) -> dict[str, int]:
        """Word -> number of papers (built on first use)."""
        if self._dict is None:
            self._dict = dict(zip(self._words or (), self._counts or (), strict=True))
        return self._dict

    def _lists(self) -> tuple[list[str], list[int]]:
        if self._words is None or self._counts is None:
            mine = self.counts
            self._words = sorted(mine)
            self._counts = [mine[w] for w in self._words]
        return self._words, self._counts

    def add(self, counts: Counter[str] | dict[str, int]) -> None:
        """Add document counts."""
        mine = self.counts
        for word, count in counts.items():
            mine[word] = mine.get(word, 0) + count
        self._words = self._counts = None
        self._shared = None
        self._prefix_cache.clear()
        self._outside_cache.clear()

    def count(self, word: str) -> int:
        """Papers using ``word`` (0 for unknown words)."""
        if self._dict is not None:
            return self._dict.get(word, 0)
        words, counts = self._lists()
        i = bisect.bisect_left(words, word)
        return counts[i] if i < len(words) and words[i] == word else 0

    def __len__(self) -> int:
        return len(self._dict) if self._dict is not None else len(self._words or ())

    def sorted_words(self) -> list[str]:
        """Every word, sorted."""
        return self._lists()[0]

    def shared_lengths(self) -> bytes | None:
        """Per word of :meth:`sorted_words`, how many leading letters its stem shares (None: unknown)."""
        words = self._lists()[0]
        return self._shared if self._shared is not None and len(self._shared) == len(words) else None

    # -- lookups -------------------------------------------------------------------------------

    def expand_prefix(self, prefix: str, limit: int) -> list[str]:
        """The ``limit`` most used words starting with ``prefix`` (most used first)."""
        key = (prefix, limit)
        cached = self._prefix_cache.get(key)
        if cached is not None:
            return cached
        words, counts = self._lists()
        lo = bisect.bisect_left(words, prefix)
        hi = bisect.bisect_left(words, prefix + "\U0010ffff", lo)
        best = heapq.nlargest(limit, range(lo, hi), key=counts.__getitem__)
        found = [words[i] for i in best]
        if len(self._prefix_cache) > 512:
            self._prefix_cache.clear()
        self._prefix_cache[key] = found
        return found

    def with_prefix(self, prefix: str) -> list[str]:
        """Every word starting with ``prefix`` (uncapped, in sorted order)."""
        words, _ = self._lists()
        lo = bisect.bisect_left(words, prefix)
        hi = bisect.bisect_left(words, prefix + "\U0010ffff", lo)
        return words[lo:hi]

    def stems_outside(self, prefix: str) -> list[str]:
        """Stems of the words beginning ``prefix`` that do not begin with it (cached).

        ``model`` for ``models``, ``gener`` for ``genera``: the terms a prefix
        search must add to the index terms beginning with the prefix.
        """
        cached = self._outside_cache.get(prefix)
        if cached is not None:
            return cached
        words, _ = self._lists()
        lo = bisect.bisect_left(words, prefix)
        hi = bisect.bisect_left(words, prefix + "\U0010ffff", lo)
        shared, need = self._shared, len(prefix)
        if shared is not None:
            candidates = [words[i] for i in range(lo, hi) if shared[i] < need]
        else:  # a vocabulary saved without them, or grown since it was loaded
            candidates = words[lo:hi]
        found = list(dict.fromkeys(t for t in map(stem_of, candidates) if not t.startswith(prefix)))
        if len(self._outside_cache) > 512:
            self._outside_cache.clear()
        self._outside_cache[prefix] = found
        return found

    def within(self, word: str, distance: int, limit: int) -> list[str]:
        """Known words within ``distance`` edits of ``word`` (most used first).

        Distance 1 counts a swap of two neighbouring letters as one edit; distance
        2 uses a Levenshtein automaton over the sorted words and keeps the first
        letter (misspellings rarely start wrong, and it keeps this fast).
        """
        count = self.count
        found = {w for w in edits1(word) if count(w)}
        if distance >= 2 and len(word) >= 4:
            words = self.sorted_words()

            def lookup(text: str) -> str | None:
                i = bisect.bisect_left(words, text)
                return words[i] if i < len(words) else None

            dfa = levenshtein_automaton(word, 2, prefix=1).to_dfa()
            found.update(find_all_matches(dfa, lookup))
        found.discard(word)
        return heapq.nlargest(limit, found, key=count)

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


def _shared_with_stem(word: str, cached: bool = True) -> int:
    """How many leading letters ``word`` and its stem have in common (at most 255).

    ``cached`` False does not keep the stem (one pass over distinct words gains nothing
    from the cache, which would grow to its limit).
    """
    stem = stem_of(word) if cached else stem_uncached(word)
    n = min(len(word), len(stem), 255)
    i = 0
    while i < n and word[i] == stem[i]:
        i += 1
    return i


def _marshal_ints(values: array) -> bytes:
    """``values`` (unsigned, below 2**31) as marshal writes a list's ints: ``i`` and 4 bytes each."""
    if values.itemsize != 4:
        raise ValueError("4-byte counts expected")
    if sys.byteorder == "big":
        values = array(values.typecode, values)  # a copy to swap, the caller's left alone
        values.byteswap()
    raw = values.tobytes()
    out = bytearray(5 * len(values))
    out[0::5] = b"i" * len(values)
    for lane in range(4):
        out[1 + lane :: 5] = raw[lane::4]
    return bytes(out)


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
