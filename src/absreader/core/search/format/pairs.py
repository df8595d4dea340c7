"""Stored document sets of frequent adjacent word pairs: what makes ``"large language"`` cheap.

A two-word phrase is checked against every candidate (every paper holding
both words) to give an exact total; for two common words that is most of a
segment, read position by position. So a segment can carry a ``.absw`` file:
for every text field with consecutive positions (title, abstract, note) and
every pair of terms ``(a, b)`` whose candidate set in the segment (documents
holding both) has at least ``least`` documents (a thousandth of the
segment: :func:`min_candidates`), the documents where
``b`` follows ``a``; a pair that never occurs is simply absent. The rule is
written in the file, so a search knows when the file answers:

* both words have at least ``least`` documents (the file lists those
  terms) and their candidates are at least that many: the stored set, or
  nothing, is the exact answer;
* otherwise the candidates are few and positions are checked, as without the
  file.

Documents whose positions cannot be trusted to be consecutive (fields longer
than 16-bit positions) are left out of the sets and listed, and a search checks
them by position. Each stored set carries a CRC, and the file names the
segment's document count and postings size: a damaged or foreign file answers
nothing, and the search falls back to positions (it never fails because of it).

The sets are derived from a segment's stored positions (:func:`derive`), so
an index built before them gains them without a rebuild (:func:`backfill`,
``absreader reindex --phrases``), and a finished segment gets them at the end
of its build (:func:`write_for_segment`). The derivation lays each field's
frequent terms out as one token array (a slot per position, documents end to
end) with C-level maps, then groups each term's followers.
"""

from __future__ import annotations

import marshal
import os
import struct
import zlib
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterator
from itertools import accumulate, chain, compress, repeat
from operator import add, call, lshift, sub
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.filedb.filestore import FileStorage

from absreader.core.search.format.schema import MAX_POSITION
from absreader.core.search.format.segments import SegmentData, _pread, open_storage, read_toc
from absreader.core.search.format.terms import bits_of

PAIRS_EXT = ".absw"
PAIRS_MAGIC = b"ABQ1"
#: Text fields whose positions run 0, 1, 2... in each document (author names have gaps).
PAIR_FIELDS = ("title", "abstract", "note")
#: Segments smaller than this get no file: checking positions there is cheap.
MIN_DOCS = 20_000
#: A pair is stored when its candidates reach this share of the segment (1/1000) and
#: at least ``MIN_CANDIDATES``. Checking a pair by position costs a decode of both
#: words' positions, however few the candidates (``"specialist models"``: ~30 ms a
#: 100k segment for 220 candidates), so the share is small.
CANDIDATE_SHARE = 1000
MIN_CANDIDATES = 64
_BITMAP, _IDS = 0, 1
#: Sets at least 1/16 of the segment are stored as bitmaps (two bytes a document otherwise).
_BITMAP_SHARE = 16
_SHIFT = 24  # follower << _SHIFT | document, while grouping (documents < 2**24 a segment)


def large_enough(segment: W3Segment) -> bool:
    """Whether ``segment`` gets a pair file (``MIN_DOCS`` papers or more)."""
    return segment.doc_count_all() >= MIN_DOCS


def min_candidates(doc_count: int) -> int:
    """The candidate count from which a segment of ``doc_count`` documents stores a pair."""
    return max(MIN_CANDIDATES, doc_count // CANDIDATE_SHARE)


# -- deriving ------------------------------------------------------------------------------


def derive(seg: SegmentData, field: str, least: int) -> tuple[list[str], list[int], dict]:
    """``(terms, irregular documents, {(a, b): document ids})`` for one field of a segment.

    ``terms`` are the field's terms in at least ``least`` documents, in order;
    pairs are indexes into it, and every pair of them that occurs and whose
    candidates reach ``least`` is in the dict.
    """
    n = seg.doc_count_all
    lens = seg.lens.get(field)
    if lens is None or n >= 1 << _SHIFT:
        return [], [], {}
    irregular = [d for d, length in enumerate(lens) if length > MAX_POSITION]
    if irregular:
        lens = array("I", lens)
        for d in irregular:
            lens[d] = 0
    # Slot of (document d, position p): layout[d] + p; one empty slot after each document.
    layout = array("Q", [0])
    layout.extend(accumulate(map(add, lens, repeat(1))))
    if layout[-1] < 1 << 32:
        layout = array("I", layout)  # half the memory for every slot array below
    terms: list[str] = []
    extents = []
    for _, term, info in seg.iter_terms(field):
        if info.doc_frequency() >= least:
            terms.append(term)
            extents.append(info.extent())
    count = len(terms)
    if count == 0:
        return [], irregular, {}
    none = count
    tokens = array("H" if count < 0xFFFF else "I", [none]) * (layout[-1] + 1)
    rows = []
    masks = []
    skip = bits_of(irregular, n) if irregular else 0
    for t, extent in enumerate(extents):
        ids, slots, docs = _occurrences(seg, extent, layout, skip)
        try:
            deque(map(tokens.__setitem__, slots, repeat(t)), maxlen=0)
        except IndexError as exc:
            raise ValueError("a position past the field") from exc
        rows.append((slots, docs))
        masks.append(bits_of(ids, n))
    following = tokens[1:]

    def nexts_of(slots: array) -> array:
        return array(tokens.typecode, map(following.__getitem__, slots))

    return terms, irregular, group_pairs(rows, masks, least, nexts_of)


def group_pairs(
    rows: list[tuple[array, array]],
    masks: list[int],
    least: int,
    nexts_of: Callable[[array], array] | None = None,
) -> dict[tuple[int, int], array]:
    """``{(a, b): documents}`` of the pairs whose candidates reach ``least``.

    ``rows[a]`` holds, for every occurrence of term ``a``, the term that follows
    it (``len(rows)``: none; or its slot, turned into that by ``nexts_of``) and
    its document; ``masks[a]`` holds the term's documents. Each row is emptied
    as it is done.
    """
    count = len(rows)
    none = count
    sink = deque(maxlen=0).append  # followers not stored
    pairs: dict[tuple[int, int], array] = {}
    for a, (first, docs) in enumerate(rows):
        nexts = nexts_of(first) if nexts_of is not None else first
        mask_a = masks[a]
        chosen = [b for b in set(nexts) if b != none and (mask_a & masks[b]).bit_count() >= least]
        rows[a] = ((), ())  # done with this row
        if not chosen:
            continue
        # Each occurrence's document appended to its follower's list, in C.
        lists = {b: array("I") for b in chosen}
        appends = [sink] * (count + 1)
        for b, held in lists.items():
            appends[b] = held.append
        deque(map(call, map(appends.__getitem__, nexts), docs), maxlen=0)
        for b, held in lists.items():
            pairs[(a, b)] = held  # a document once per occurrence, in two ascending runs
    return pairs


def _ones(blob: bytes) -> list[int]:
    """Every set bit of ``blob`` (little-endian), ascending: its non-zero bytes, expanded in C."""
    nonzero = list(compress(range(len(blob)), blob))
    values = bytes(map(blob.__getitem__, nonzero))
    starts = chain.from_iterable(
        map(repeat, map(lshift, nonzero, repeat(3)), values.translate(_POP))
    )
    return list(map(add, starts, chain.from_iterable(map(_OFFSETS.__getitem__, values))))


_POP = bytes(bin(i).count("1") for i in range(256))
_OFFSETS = tuple(tuple(j for j in range(8) if i >> j & 1) for i in range(256))


def _occurrences(
    seg: SegmentData, extent: Any, layout: array, skip: int
) -> tuple[array, array, array]:
    """A term's ``(ids, slot of every occurrence, document of every occurrence)``.

    Single occurrences come first (at their first position), then the others,
    each part in document order. Occurrences in the ``skip`` documents
    (irregular ones) are left out.
    """
    ids, tfs, firsts, blob, plens = seg.packed_postings(extent)
    docs: Any = ids
    if skip:
        keep = [not (skip >> d) & 1 for d in ids]
        if tfs is not None:  # drop their bitmaps too (a bitmap's bits are its positions)
            ends = accumulate(plens)
            blob = b"".join(
                blob[e - ln : e] for e, ln, k in zip(ends, plens, keep, strict=True) if k
            )
            plens = array("H", compress(plens, keep))
            tfs = array("H", compress(tfs, keep))
        firsts = array("H", compress(firsts, keep))
        docs = array("I", compress(ids, keep))
    base = array(layout.typecode, map(add, map(layout.__getitem__, docs), firsts))
    if tfs is None:  # every posting a single occurrence at its first position
        return ids, base, docs
    single = bytes(map((1).__eq__, tfs))
    several = single.translate(_FLIP)
    slots = array(layout.typecode, compress(base, single))
    out_docs = array("I", compress(docs, single))
    if any(several):
        # The bitmaps of postings with several occurrences, back to back; bit g of
        # them belongs to the posting whose bytes hold it, at its first position
        # + (g - 8 * the posting's first byte there).
        ends = accumulate(plens)
        starts = map(sub, ends, plens)
        lens = array("H", compress(plens, several))
        blob = b"".join(
            map(blob.__getitem__, compress(map(slice, starts, accumulate(plens)), several))
        )
        counts = array("H", compress(tfs, several))
        byte_starts = map(sub, accumulate(lens), lens)
        adjust = map(sub, compress(base, several), map(lshift, byte_starts, repeat(3)))
        bits = _ones(blob)
        if len(bits) != sum(counts):
            raise ValueError("positions do not match term frequencies")
        slots.extend(map(add, chain.from_iterable(map(repeat, adjust, counts)), bits))
        out_docs.extend(chain.from_iterable(map(repeat, compress(docs, several), counts)))
    return ids, slots, out_docs


_FLIP = bytes.maketrans(b"\x00\x01", b"\x01\x00")


# -- writing ---------------------------------------------------------------------------------


def write_pairs(storage: FileStorage, seg: SegmentData) -> int:
    """Derive and write a segment's ``.absw`` file; the number of pairs stored."""
    n = seg.doc_count_all
    least = min_candidates(n)
    derived = {field: derive(seg, field, least) for field in PAIR_FIELDS}
    return write_derived(storage, seg.segment, n, least, derived)


def write_derived(
    storage: FileStorage,
    segment: W3Segment,
    n: int,
    least: int,
    derived: dict[str, tuple[list[str], list[int], dict]],
) -> int:
    """Write the ``.absw`` file of ``derive``'s answers by field; the number of pairs stored.

    A build derives them from its own term streams (``pair_streams.py``), a
    backfill from the stored positions; the same answers give the same bytes.
    """
    fields: dict[str, Any] = {}
    blob = bytearray()
    stored = 0
    for field in PAIR_FIELDS:
        # Popped, so the lists are held here only, as they always were: marshal flags an
        # object held more than once, and a flag more would change the file's bytes.
        terms, irregular, pairs = derived.pop(field, ([], [], {}))
        if not terms:
            continue
        width = len(terms)
        codes = array("Q")
        offsets = array("Q")
        sizes = array("I")
        kinds = array("B")
        crcs = array("I")
        for (a, b), ids in sorted(pairs.items()):
            data, kind = _encode(ids, n)
            codes.append(a * width + b)
            offsets.append(len(blob))
            sizes.append(len(data))
            kinds.append(kind)
            crcs.append(zlib.crc32(data))
            blob += data
        stored += len(codes)
        fields[field] = {
            "least": least,
            "terms": terms,
            "irregular": array("I", irregular).tobytes(),
            "codes": codes.tobytes(),
            "offsets": offsets.tobytes(),
            "sizes": sizes.tobytes(),
            "kinds": kinds.tobytes(),
            "crcs": crcs.tobytes(),
        }
    header = {
        "v": 1,
        "docs": n,
        "postings": _postings_size(storage, segment),
        "fields": fields,
    }
    index = marshal.dumps(header)
    name = segment.make_filename(PAIRS_EXT)
    folder = Path(storage.folder)
    temp = folder / f".{name}.{os.getpid()}.tmp"  # a dot: Whoosh's file cleaning skips it
    try:
        with open(temp, "wb") as f:
            f.write(PAIRS_MAGIC + struct.pack("<Q", len(index)) + index + bytes(blob))
        os.replace(temp, folder / name)
    finally:
        temp.unlink(missing_ok=True)
    return stored


def _encode(ids: array, n: int) -> tuple[bytes, int]:
    """A pair's documents (ascending, maybe repeated) as stored: a bitmap or gaps, zlib'd."""
    if len(ids) * _BITMAP_SHARE >= n:
        return zlib.compress(bits_of(ids, n).to_bytes((n >> 3) + 1, "little"), 1), _BITMAP
    ids = array("I", dict.fromkeys(sorted(ids)))  # two ascending runs: a linear merge
    gaps = array("I", ids[:1])
    gaps.extend(map(sub, ids[1:], ids[:-1]))
    if gaps and max(gaps) < 0x10000:
        gaps = array("H", gaps)
    return zlib.compress(bytes([gaps.itemsize]) + gaps.tobytes(), 1), _IDS


def _postings_size(storage: FileStorage, segment: W3Segment) -> int:
    try:
        return (Path(storage.folder) / segment.make_filename(W3Codec.POSTS_EXT)).stat().st_size
    except OSError:
        return -1


def write_for_segment(storage: FileStorage, segment: W3Segment | None) -> None:
    """The build's hook: give a finished segment its pair sets when it is large enough.

    Never fails the build: a segment without the file searches by positions.
    """
    if segment is None or not large_enough(segment):
        return
    try:
        seg = SegmentData(storage, segment, eager=False)
    except Exception:  # noqa: BLE001 - the build reports a bad segment itself
        return
    try:
        write_pairs(storage, seg)
    except Exception:  # noqa: BLE001 - no pair file is a slower phrase, never a failed build
        pass
    finally:
        seg.close()


def backfill(folder: Path) -> int:
    """Write the pair files a generation's large segments lack; how many were written."""
    last = (0, 0, 0)
    for last in backfill_steps(folder):  # noqa: B007 - the last step holds the count
        pass
    return last[2]


def backfill_steps(folder: Path) -> Iterator[tuple[int, int, int]]:
    """:func:`backfill`, yielding ``(segments looked at, segments in all, files written)``."""
    storage = open_storage(folder)
    segments = [s for s in read_toc(storage).segments if large_enough(s)]
    written = 0
    yield 0, len(segments), 0
    for number, segment in enumerate(segments, 1):
        existing = PairSets.open(storage, segment)
        if existing is not None:
            existing.close()
        else:
            seg = SegmentData(storage, segment, eager=False)
            try:
                write_pairs(storage, seg)
                written += 1
            finally:
                seg.close()
        yield number, len(segments), written


# -- reading ---------------------------------------------------------------------------------


class FieldPairs:
    """One field's stored pairs in one segment."""

    def __init__(self, entry: dict) -> None:
        #: The candidate count from which a pair is stored (fewer: check by position).
        self.least: int = entry["least"]
        self.terms: dict[str, int] = {t: i for i, t in enumerate(entry["terms"])}
        self.width = len(entry["terms"])
        self.codes = _array("Q", entry["codes"])
        self.offsets = _array("Q", entry["offsets"])
        self.sizes = _array("I", entry["sizes"])
        self.kinds = _array("B", entry["kinds"])
        self.crcs = _array("I", entry["crcs"])
        self.irregular = _array("I", entry["irregular"])
        n = len(self.codes)
        if not (len(self.offsets) == len(self.sizes) == len(self.kinds) == len(self.crcs) == n):
            raise ValueError("pair tables of different lengths")


def _array(code: str, data: bytes) -> array:
    out = array(code)
    out.frombytes(data)
    return out


class PairSets:
    """A segment's stored pair sets, read on demand."""

    def __init__(self, path: Path, doc_count: int, postings: int) -> None:
        self.doc_count = doc_count
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        try:
            head = self._file.read(12)
            if head[:4] != PAIRS_MAGIC:
                raise ValueError("not a pair file")
            (size,) = struct.unpack("<Q", head[4:])
            if size > os.fstat(self._file.fileno()).st_size:
                raise ValueError("pair file cut short")
            data = marshal.loads(self._file.read(size))
            if data["v"] != 1 or data["docs"] != doc_count or data["postings"] != postings:
                raise ValueError("the pair file belongs to another segment")
            self.fields = {f: FieldPairs(e) for f, e in data["fields"].items()}
            self._base = 12 + size
            self._irregular: dict[str, int] = {}
        except BaseException:
            self._file.close()
            raise

    @classmethod
    def open(cls, storage: FileStorage, segment: W3Segment) -> PairSets | None:
        """The segment's pair sets, or None when it has none (or they do not read)."""
        path = Path(storage.folder) / segment.make_filename(PAIRS_EXT)
        try:
            return cls(path, segment.doc_count_all(), _postings_size(storage, segment))
        except Exception:  # noqa: BLE001 - whatever is wrong with it, positions answer instead
            return None

    def covers(self, field: str, first: str, second: str, candidates: int) -> bool:
        """Whether the file holds the answer for ``first second`` (given its candidate count)."""
        pairs = self.fields.get(field)
        return (
            pairs is not None
            and candidates >= pairs.least
            and first in pairs.terms
            and second in pairs.terms
        )

    def get(self, field: str, first: str, second: str) -> int | None:
        """Documents where ``second`` follows ``first`` (call :meth:`covers` first).

        0 when the pair never occurs; None when its set does not read (damaged).
        """
        pairs = self.fields[field]
        code = pairs.terms[first] * pairs.width + pairs.terms[second]
        j = bisect_left(pairs.codes, code)
        if j >= len(pairs.codes) or pairs.codes[j] != code:
            return 0
        size = pairs.sizes[j]
        try:
            data = _pread(self._file, size, self._base + pairs.offsets[j])
        except (OSError, ValueError):
            return None
        if len(data) != size or zlib.crc32(data) != pairs.crcs[j]:
            return None
        try:
            return self._decode(zlib.decompress(data), pairs.kinds[j])
        except (zlib.error, ValueError, IndexError):
            return None

    def _decode(self, raw: bytes, kind: int) -> int | None:
        n = self.doc_count
        if kind == _BITMAP:
            mask = int.from_bytes(raw, "little")
            return mask if mask.bit_length() <= n else None
        if not raw or raw[0] not in (2, 4):
            return None
        ids = list(accumulate(_array("H" if raw[0] == 2 else "I", raw[1:])))
        if ids and ids[-1] >= n:
            return None
        return bits_of(ids, n)

    def irregular(self, field: str) -> int:
        """Documents of the field left out of the sets (checked by positions)."""
        mask = self._irregular.get(field)
        if mask is None:
            ids = self.fields[field].irregular
            mask = self._irregular[field] = bits_of(ids, self.doc_count) if ids else 0
        return mask

    def close(self) -> None:
        """Release the file."""
        self._file.close()
