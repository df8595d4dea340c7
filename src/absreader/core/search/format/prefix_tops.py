"""Each short prefix's best documents in a segment, with a bound on the rest (``.absk``).

While typing, a last word of three to five letters (``dif``) matches every
paper with a word it begins, and ranks by the most used words it begins
(``different``, ``diffusion``...; see ``QueryBuilder.prefix_word``). At a
million papers that is ~400,000 matches in 11 segments, and each segment
holds part of the page, so each one scored its candidates (champions,
shortest abstracts and titles): ~7k (document, term) pairs a segment, the
bulk of a keystroke's CPU.

This file stores, for every prefix of :data:`LENGTHS` letters that matches at
least :data:`MIN_MATCHES` documents of the segment, the scoring terms its
query has (parsed with the generation's vocabulary, exactly as a search
parses it), the :data:`KEEP` documents of highest *stored score* ``S`` (the
query's BM25F with the segment's own document frequencies and average
lengths, rounded up) and ``theta``, the highest ``S`` of every other
document. A search turns ``S`` into a bound on the real score (the ratio of
the real idf to the stored one, and of the average lengths; see
:mod:`absreader.core.search.prefix_tops`): it scores the stored documents
exactly and, when the bound on the others stays under the page's last
score, has ranked what scoring every match would have. Otherwise it ranks
as before.

Derived from the finished segment and the generation's ``vocab.bin``, never
by the build's writer (see :mod:`absreader.core.search.sidecars`). Each
entry carries a CRC, and the file names the segment's document count and
postings size: a damaged or foreign file, or a damaged entry, is not used.
"""

from __future__ import annotations

import marshal
import math
import os
import struct
import sys
import zlib
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable
from itertools import compress, repeat
from operator import add, ge, mul, truediv
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.filedb.filestore import FileStorage

from absreader.core.search.format.prefixes import PREFIX_FIELDS
from absreader.core.search.format.schema import TEXT_FIELDS
from absreader.core.search.format.segments import K1, B, SegmentData, _pread, quantised_length

TOPS_EXT = ".absk"
TOPS_MAGIC = b"ABK1"
#: Prefix lengths with stored best documents (shorter ones rank nothing while typing).
LENGTHS = (3, 4, 5)
#: Prefixes whose terms hold fewer documents are scored whole at search time
#: (``evaluate.EXACT_LIMIT``), so none is stored for them.
MIN_MATCHES = 1500
#: Best documents kept per prefix: two pages of the reader's 200.
KEEP = 400
#: Stored scores are raised by this share before rounding to 32 bits, so they stay bounds.
_ROUND_UP = 1e-6
#: Terms in at most this many documents of a segment have their documents stored too
#: (a search scores them apart: their idf over the whole index is the least certain).
RARE = 32
#: Decoded terms kept while deriving (postings), as the prefixes of one word come together.
_CACHE_POSTINGS = 3_000_000
#: Entries kept decoded per file (a keystroke asks its prefix's entry up to three times).
_RECENT = 8
#: The idf the stored scores use (that of the reader's default search).
IDF = "probabilistic"

#: ``(field, term, boost)``: a scoring term of a prefix's query.
Term = tuple[str, str, float]


def path_of(folder: Path | str, segment: W3Segment) -> Path:
    """Where the segment's prefix-tops file lives."""
    return Path(folder) / segment.make_filename(TOPS_EXT)


def _postings_size(folder: Path | str, segment: W3Segment) -> int:
    try:
        return (Path(folder) / segment.make_filename(W3Codec.POSTS_EXT)).stat().st_size
    except OSError:
        return -1


def idf(n: int, df: int) -> float:
    """Robertson's idf, what :data:`IDF` names (as ``Snapshot.idf`` computes it)."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def averages(seg: SegmentData) -> dict[str, float]:
    """The segment's average length of each text field (what its stored scores use)."""
    lengths = getattr(seg.segment, "_fieldlengths", {}) or {}
    n = seg.doc_count_all or 1
    return {f: (lengths.get(f, 0) / n) or 1.0 for f in TEXT_FIELDS}


def busy_prefixes(seg: SegmentData, vocab: Any = None) -> list[str]:
    """Prefixes of :data:`LENGTHS` letters that may match :data:`MIN_MATCHES` documents.

    Those whose terms hold that many postings, and (with ``vocab``) those of
    known words whose stem does not begin with the prefix and is that common
    (``ining`` -> ``in`` for ``inin``, ``uses`` -> ``us`` for ``use``).
    """
    sums: dict[str, int] = {}
    common: set[str] = set()
    for field in sorted(PREFIX_FIELDS):
        for _, term, info in seg.iter_terms(field):
            df = info.doc_frequency()
            if df >= MIN_MATCHES:
                common.add(term)
            for n in LENGTHS:
                if len(term) >= n:
                    key = term[:n]
                    sums[key] = sums.get(key, 0) + df
    found = {p for p, total in sums.items() if total >= MIN_MATCHES}
    shared = vocab.shared_lengths() if vocab is not None else None
    if shared is not None and common:
        from absreader.core.search.format.schema import stem_of

        longest = max(LENGTHS)
        for word, same in zip(vocab.sorted_words(), shared, strict=True):
            if same < longest and len(word) > same and stem_of(word) in common:
                found.update(word[:n] for n in LENGTHS if same < n <= len(word))
    return sorted(found)


#: How a prefix typed as the last word is searched: its scoring ``(field, term, boost)``.
TermsOf = Callable[[str], list[Term]]


class _Contributions:
    """Per term of a segment, every posting's stored score (kept while deriving)."""

    def __init__(self, seg: SegmentData) -> None:
        self.seg = seg
        self.n = seg.doc_count_all
        self.avg = averages(seg)
        self._cache: OrderedDict[Term, tuple[Any, array, Any, int] | None] = OrderedDict()
        self._norms: dict[str, tuple[array, array]] = {}
        self._held = 0

    def get(self, field: str, term: str, boost: float) -> tuple[Any, array, Any, int] | None:
        """``(documents, their stored scores, term frequencies or None, df)``; None: absent."""
        key = (field, term, boost)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        found = self._compute(field, term, boost)
        self._cache[key] = found
        if found is not None:
            self._held += len(found[0])
        while self._held > _CACHE_POSTINGS and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            if old is not None:
                self._held -= len(old[0])
        return found

    def _per_doc(self, field: str, lens: Any) -> tuple[array, array]:
        """Every document's ``norm`` in ``field`` and ``1 / (1 + norm)`` (made once a field)."""
        kept = self._norms.get(field)
        if kept is None:
            avg = self.avg.get(field, 1.0)
            table = {n: K1 * ((1 - B) + B * quantised_length(n) / avg) for n in set(lens)}
            norms = array("d", map(table.__getitem__, lens))
            kept = self._norms[field] = (norms, array("d", (1 / (1 + x) for x in norms)))
        return kept

    def _compute(self, field: str, term: str, boost: float) -> tuple[Any, array, Any, int] | None:
        seg = self.seg
        if seg.lacks_field(field):
            return None
        stats = seg.term_stats(field, term)
        lens = seg.lens.get(field)
        if stats is None or lens is None:
            return None
        df, extent = stats
        ids, tfs, _, _ = seg.postings(extent)
        c = idf(self.n, df) * boost * (K1 + 1)
        norms, ones = self._per_doc(field, lens)
        if tfs is None:
            vals = array("d", map(mul, map(ones.__getitem__, ids), repeat(c)))
        else:  # c * tf / (tf + norm), in C-level maps
            vals = array("d", map(truediv, map(mul, tfs, repeat(c)), map(add, tfs, map(norms.__getitem__, ids))))
        return ids, vals, tfs, df


#: ``(scoring terms, their df here (0: absent), best documents, their stored scores, theta,
#: stored documents (the best and those of rare terms), and per stored document its
#: ``(term index, tf)`` pairs as ``starts``, ``which``, ``tfs``)``.
Entry = tuple[list[Term], list[int], array, array, float, array, array, array, array]


def derive(seg: SegmentData, vocab: Any, terms_of: TermsOf) -> dict[str, Entry]:
    """Per busy prefix: its scoring terms, best documents, their stored scores, ``theta``,
    and what exact scoring of the stored documents needs (each term's df here, the term
    frequencies of every stored document; the documents of rare terms are stored too)."""
    scores = _Contributions(seg)
    n = seg.doc_count_all
    out: dict[str, Entry] = {}
    for prefix in busy_prefixes(seg, vocab):
        terms = terms_of(prefix)
        found = [scores.get(*t) for t in terms]
        columns = [c for c in found if c is not None]
        if not columns:
            continue
        acc = [0.0] * n
        touched: set[int] = set()
        for ids, vals, _, _ in columns:
            touched.update(ids)
            for d, v in zip(ids, vals, strict=True):
                acc[d] += v
        docs = list(touched)
        if len(docs) > KEEP:
            # A lower bound on the (KEEP + 1)-th score: the (KEEP + 1)-th of each term's
            # best documents, summed in full. Only documents at or above it are sorted.
            best: set[int] = set()
            for ids, vals, _, _ in columns:
                if len(ids) <= KEEP + 1:
                    best.update(ids)
                else:
                    # The documents at or above the column's (KEEP + 1)-th value (a C sort of floats).
                    low = sorted(vals, reverse=True)[KEEP]
                    best.update(compress(ids, map(ge, vals, repeat(low))))
            sample = sorted(map(acc.__getitem__, best), reverse=True)
            if len(sample) > KEEP:
                low = sample[KEEP]
                docs = list(compress(docs, map(ge, map(acc.__getitem__, docs), repeat(low))))
        docs.sort()  # ties: the lower document first
        docs.sort(key=acc.__getitem__, reverse=True)
        theta = acc[docs[KEEP]] if len(docs) > KEEP else 0.0
        kept = docs[:KEEP]
        stored = dict.fromkeys(kept)
        for c in columns:
            if c[3] <= RARE:
                stored.update(dict.fromkeys(c[0]))
        held: dict[int, list[tuple[int, int]]] = {d: [] for d in stored}
        wanted = sorted(stored)
        for j, c in enumerate(found):
            if c is None:
                continue
            ids, _, tfs, _ = c
            at = 0
            for d in wanted:
                at = bisect_left(ids, d, at)
                if at < len(ids) and ids[at] == d:
                    held[d].append((j, 1 if tfs is None else min(int(tfs[at]), 0xFFFF)))
        starts, which, freqs = array("I", [0]), array("H"), array("H")
        for d in stored:
            for j, tf in held[d]:
                which.append(j)
                freqs.append(tf)
            starts.append(len(which))
        out[prefix] = (
            terms,
            [0 if c is None else c[3] for c in found],
            array("I", kept),
            array("f", [acc[d] * (1 + _ROUND_UP) for d in kept]),
            theta * (1 + _ROUND_UP),
            array("I", stored),
            starts,
            which,
            freqs,
        )
    return out


def write_for(storage: FileStorage, seg: SegmentData, vocab: Any, terms_of: TermsOf | None) -> None:
    """Write one segment's ``.absk`` file (aside, then renamed into place).

    ``vocab`` is the generation's vocabulary and ``terms_of`` parses a prefix
    as a search would (:mod:`absreader.core.search.prefix_terms` gives both);
    without them no prefix is stored.
    """
    folder = Path(storage.folder)
    entries = derive(seg, vocab, terms_of) if terms_of is not None else {}
    index: dict[str, tuple[int, int, int]] = {}
    blob = bytearray()
    for prefix, (terms, dfs, ids, values, theta, *arrays) in entries.items():
        if sys.byteorder == "big":
            for a in (ids, values, *arrays):
                a.byteswap()
        raw = tuple(a.tobytes() for a in (ids, values, *arrays))
        data = marshal.dumps((terms, dfs, theta, *raw), 2)  # no refs: the same bytes every time
        index[prefix] = (len(blob), len(data), zlib.crc32(data))
        blob += data
    head = marshal.dumps(
        {
            "v": 2,
            "docs": seg.doc_count_all,
            "postings": _postings_size(folder, seg.segment),
            "k1": K1,
            "b": B,
            "idf": IDF,
            "avg": averages(seg),
            "entries": index,
        }
    )
    final = path_of(folder, seg.segment)
    tmp = final.with_name(f"{final.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(TOPS_MAGIC + struct.pack("<Q", len(head)) + head + bytes(blob))
    os.replace(tmp, final)


class PrefixTops:
    """One segment's ``.absk`` file, read a prefix at a time."""

    def __init__(self, path: Path, doc_count: int, postings: int) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        try:
            head = self._file.read(12)
            if head[:4] != TOPS_MAGIC:
                raise ValueError("not a prefix-tops file")
            (size,) = struct.unpack("<Q", head[4:])
            data = marshal.loads(self._file.read(size))
            if data["v"] != 2 or data["docs"] != doc_count or data["postings"] != postings:
                raise ValueError("another segment's file")
            self.doc_count = doc_count
            self.k1: float = data["k1"]
            self.b: float = data["b"]
            self.idf: str = data["idf"]
            self.avg: dict[str, float] = data["avg"]
            self._entries: dict[str, tuple[int, int, int]] = data["entries"]
            self._base = 12 + size
            #: What searches keep of entries read (see ``prefix_tops._entry``).
            self.memo: dict[str, Any] = {}
            self._recent: dict[str, Entry | None] = {}  # the last entries read (keystrokes repeat)
        except BaseException:
            self._file.close()
            raise

    @classmethod
    def open(cls, folder: Path | str, segment: W3Segment) -> PrefixTops | None:
        """The segment's file, or None when it has none (or it is damaged or foreign)."""
        try:
            return cls(path_of(folder, segment), segment.doc_count_all(), _postings_size(folder, segment))
        except (OSError, ValueError, EOFError, KeyError, TypeError, struct.error):
            return None

    def get(self, prefix: str) -> Entry | None:
        """The prefix's entry (see :data:`Entry`; ``ids``... as arrays); None when not stored.

        Also None when the entry does not read back as written (its CRC) or does not hold
        together (lengths, document numbers, term indexes).
        """
        if prefix in self._recent:
            return self._recent[prefix]
        found = self._read(prefix)
        self._recent[prefix] = found
        if len(self._recent) > _RECENT:
            self._recent.pop(next(iter(self._recent)))
        return found

    def _read(self, prefix: str) -> Entry | None:
        entry = self._entries.get(prefix)
        if entry is None:
            return None
        try:
            offset, length, crc = entry
            data = _pread(self._file, length, self._base + offset)
            if len(data) != length or zlib.crc32(data) != crc:
                return None
            terms, dfs, theta, *raw = marshal.loads(data)
            arrays = []
            for code, blob in zip("IfIIHH", raw, strict=True):
                a = array(code)
                a.frombytes(blob)
                if sys.byteorder == "big":
                    a.byteswap()
                arrays.append(a)
        except (ValueError, TypeError, OSError, EOFError):
            return None
        ids, values, stored, starts, which, freqs = arrays
        n = self.doc_count
        if (
            len(ids) != len(values)
            or len(dfs) != len(terms)
            or len(starts) != len(stored) + 1
            or len(which) != len(freqs)
            or (starts and starts[-1] != len(which))
            or (ids and max(ids) >= n)
            or (stored and max(stored) >= n)
            or (which and max(which) >= len(terms))
        ):
            return None
        return ([tuple(t) for t in terms], list(dfs), ids, values, float(theta), stored, starts, which, freqs)

    def close(self) -> None:
        """Release the file."""
        self._file.close()
