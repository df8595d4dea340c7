"""Whoosh segments written, merged and read in bulk.

Whoosh's own writer pushes every posting through several Python calls and an
external sort; at 100,000 abstracts that alone costs more than the whole
indexing budget. Papers arrive in document order, so each posting list is
already sorted: :class:`SegmentBuilder` keeps them in arrays and writes whole
blocks in Whoosh's own ``W3`` format, :func:`merge_segments` concatenates
segments block list by block list, and :class:`SegmentData` decodes a posting
list in a handful of C calls instead of walking it one posting at a time.

The files are an ordinary Whoosh index (``whoosh.index.open_dir`` reads them and
Whoosh's searcher returns the same documents); beside each segment sits a small
``.absr`` sidecar with the keys and exact field lengths.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import marshal
import mmap
import os
import pickle
import struct
import sys
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, compress
from operator import sub
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from absreader.core.index_schema import (
    KEYWORD_FIELDS,
    TEXT_FIELDS,
    AnalysedDoc,
    PackedValues,
    position_bitmap,
)

INDEX_NAME = "MAIN"
CODEC = W3Codec()
MAGIC = b"W3Bl"
BLOCK = 1024
_SMALL = 24
SIDECAR_EXT = ".absr"
EXTRAS_EXT = ".absx"
EXTRAS_MAGIC = b"ABX1"
CHAMPIONS = 256
B = 0.75
K1 = 1.2
_TERMINFO = struct.Struct("!BfIBBfII")
_INT = struct.Struct("!i")


class SegmentCorrupt(Exception):
    """A segment's files are missing or do not decode."""


_PICKLE = pickle.HIGHEST_PROTOCOL  # W3 readers unpickle any protocol; 2 bloats bytes
_BIG_ENDIAN = sys.byteorder == "big"
_ONES = array("H", [1])


def _deltas(ids: array) -> array:
    """W3 block ids: the first id, then the gaps (16-bit when they all fit)."""
    gaps = list(map(sub, ids[1:], ids[:-1])) if len(ids) > 1 else []
    gaps.insert(0, ids[0])
    return array("H" if max(gaps) < 0x10000 else "I", gaps)


def _write_postings(
    postfile: Any,
    ids: array,
    tfs: array | None,
    firsts: array | None,
    bitmaps: list[bytes] | None,
    doclens: Sequence[int] | None,
) -> bytes:
    """Write one posting list as W3 blocks; return its W3 term-info bytes.

    ``tfs`` are the term frequencies (the weights; None means all 1). Text
    fields also pass every posting's first position and relative position
    bitmap (see :func:`~absreader.core.index_schema.position_bitmap`) and
    ``doclens``, the field length of every document in the segment.
    """
    start = postfile.tell()
    write = postfile.write
    write(MAGIC)
    n = len(ids)
    total_weight = 0
    max_weight = 1
    min_len: int | None = None
    max_len = 0
    dumps = pickle.dumps
    for b0 in range(0, n, BLOCK):
        b1 = b0 + BLOCK
        bids = ids[b0:b1]
        count = len(bids)
        vals: Any = None
        if tfs is None:
            weights: Any = None
            bmax = 1
            total = count
        else:
            btfs = tfs[b0:b1]
            bmax = max(btfs)
            total = sum(btfs)
            weights = None if bmax == 1 else float(bmax) if min(btfs) == bmax else btfs
        if firsts is not None and bitmaps is not None:
            bfirsts = firsts[b0:b1]
            bmaps = bitmaps[b0:b1]
            if count < _SMALL:
                vals = tuple(
                    f.to_bytes(2, "little") + m for f, m in zip(bfirsts, bmaps, strict=True)
                )
            else:
                if _BIG_ENDIAN:
                    bfirsts.byteswap()
                if bmax == 1:
                    vals = PackedValues(bfirsts.tobytes(), b"", None)
                else:
                    vals = PackedValues(
                        bfirsts.tobytes(), b"".join(bmaps), array("H", map(len, bmaps))
                    )
        total_weight += total
        if doclens is not None:
            blens = list(map(doclens.__getitem__, bids))
            bmin_len, bmax_len = min(blens), max(blens)
            min_len = bmin_len if min_len is None or bmin_len < min_len else min_len
            max_len = bmax_len if bmax_len > max_len else max_len
        else:
            bmin_len, bmax_len = None, 0
        if bmax > max_weight:
            max_weight = bmax
        if count < _SMALL:
            # Short lists: plain tuples pickle smaller than arrays and a class.
            if isinstance(weights, array):
                weights = tuple(weights)
            data = dumps((tuple(_deltas(bids)), weights, vals), _PICKLE)
        else:
            data = dumps((_deltas(bids), weights, vals), _PICKLE)
        info = dumps(
            (count, bids[-1], float(bmax), 0, length_to_byte(bmin_len), length_to_byte(bmax_len)),
            _PICKLE,
        )
        size = len(info) + len(data)
        write(_INT.pack(-size if b1 >= n else size) + info + data)
    length = postfile.tell() - start
    head = _TERMINFO.pack(
        0,
        total_weight,
        n,
        0 if min_len is None else length_to_byte(min_len),
        length_to_byte(max_len),
        max_weight,
        ids[0],
        ids[-1],
    )
    return head + pack_long(start) + pack_int(length)


def _write_sidecar(storage: FileStorage, segment: W3Segment, keys: list[str], lens: dict) -> None:
    data = {"v": 1, "keys": keys, "lens": {f: a.tobytes() for f, a in lens.items()}}
    with storage.create_file(segment.make_filename(SIDECAR_EXT)) as f:
        f.write(marshal.dumps(data))


def _read_sidecar(storage: FileStorage, segment: W3Segment) -> tuple[list[str], dict]:
    path = Path(storage.folder) / segment.make_filename(SIDECAR_EXT)
    try:
        data = marshal.loads(path.read_bytes())
        lens = {}
        for field, raw in data["lens"].items():
            a = array("I")
            a.frombytes(raw)
            lens[field] = a
        keys = data["keys"]
    except (OSError, ValueError, EOFError, KeyError, TypeError) as exc:
        raise SegmentCorrupt(f"segment {segment.segment_id()}: {exc}") from exc
    if len(keys) != segment.doc_count_all():
        raise SegmentCorrupt(f"segment {segment.segment_id()}: sidecar does not match")
    return keys, lens


def bitmap_threshold(doc_count: int) -> int:
    """Terms in at least this many documents get a stored bitmap and champion list."""
    return max(512, doc_count // 48)


def ids_bitmap(ids: Iterable[int], doc_count: int) -> bytes:
    """A bit per document (little-endian), set for the given ids."""
    bits = bytearray((doc_count >> 3) + 1)
    for d in ids:
        bits[d >> 3] |= _BIT[d & 7]
    return bytes(bits)


_BIT = (1, 2, 4, 8, 16, 32, 64, 128)


class _TermsWriter:
    """Writes a segment's term index, postings and the ``.absx`` extras.

    Terms must arrive in (field, term) order. Frequent terms also get a bitmap
    of their documents and a champion list (their best documents by BM25
    impact), which let a search over 100,000 papers skip decoding and scoring
    posting lists that cover most of the collection.
    """

    def __init__(
        self, storage: FileStorage, segment: W3Segment, doc_count: int, lens: dict[str, array]
    ) -> None:
        self.storage = storage
        self.segment = segment
        self.doc_count = doc_count
        self.lens = lens
        self.threshold = bitmap_threshold(doc_count)
        self.avg = {f: (sum(a) / doc_count) or 1.0 for f, a in lens.items() if doc_count}
        self.tindex = OrderedHashWriter(segment.create_file(storage, W3Codec.TERMS_EXT))
        self.fieldmap: dict[str, int] = {}
        self.tindex.extras["fieldmap"] = self.fieldmap
        self.postfile = segment.create_file(storage, W3Codec.POSTS_EXT)
        self.extras: dict[str, tuple[int, int, int, int]] = {}
        self.blob = bytearray()

    def add(
        self,
        field: str,
        term: str,
        ids: array,
        tfs: array | None = None,
        firsts: array | None = None,
        bitmaps: list[bytes] | None = None,
    ) -> None:
        """Write one term's postings (ids ascending; positional data for text fields)."""
        fid = self.fieldmap.get(field)
        if fid is None:
            fid = self.fieldmap[field] = len(self.fieldmap)
        doclens = self.lens.get(field) if firsts is not None else None
        info = _write_postings(self.postfile, ids, tfs, firsts, bitmaps, doclens)
        self.tindex.add(pack_ushort(fid) + term.encode("utf-8"), info)
        if len(ids) >= self.threshold:
            bitmap = ids_bitmap(ids, self.doc_count)
            champions = b""
            if doclens is not None:
                champions = self._champions(ids, tfs, doclens, self.avg.get(field, 1.0))
            offset = len(self.blob)
            self.blob += bitmap
            self.blob += champions
            self.extras[f"{field}\x00{term}"] = (
                offset,
                len(bitmap),
                offset + len(bitmap),
                len(champions),
            )

    @staticmethod
    def _champions(ids: array, tfs: array | None, doclens: Sequence[int], avg: float) -> bytes:
        k = K1 * B / avg
        k0 = K1 * (1 - B)
        if tfs is None:
            # One occurrence everywhere: the shortest documents score best.
            best = heapq.nsmallest(CHAMPIONS, ids, key=doclens.__getitem__)
        else:
            impact = [t / (t + k0 + k * doclens[d]) for d, t in zip(ids, tfs, strict=True)]
            best = [
                ids[j] for j in heapq.nlargest(CHAMPIONS, range(len(ids)), key=impact.__getitem__)
            ]
        return array("I", best).tobytes()

    def close(self) -> None:
        """Finish the term index, the postings and the extras file."""
        self.tindex.close()
        self.postfile.close()
        orders = {}
        for field in ("title", "abstract"):
            lens = self.lens.get(field)
            if lens is None:
                continue
            order = array("I", sorted(range(len(lens)), key=lens.__getitem__))
            offset = len(self.blob)
            self.blob += order.tobytes()
            orders[field] = (offset, len(order) * 4)
        index = marshal.dumps({"v": 1, "terms": self.extras, "order": orders})
        with self.storage.create_file(self.segment.make_filename(EXTRAS_EXT)) as f:
            f.write(EXTRAS_MAGIC + struct.pack("<Q", len(index)) + index + bytes(self.blob))


class SegmentBuilder:
    """Accumulates analysed papers in memory and writes them as one W3 segment."""

    def __init__(self, storage: FileStorage, schema: Schema) -> None:
        self.storage = storage
        self.schema = schema
        self.segment = CODEC.new_segment(storage, INDEX_NAME)
        self._perdoc = CODEC.per_document_writer(storage, self.segment)
        # term -> (doc ids, term frequencies, encoded positions); keywords: ids only
        self._pool: dict[str, dict[str, Any]] = {f: {} for f in TEXT_FIELDS}
        self._pool.update({f: {} for f in KEYWORD_FIELDS})
        self._lens = {f: array("I") for f in TEXT_FIELDS}
        self._keys: list[str] = []
        self.postings = 0

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, doc: AnalysedDoc) -> None:
        """Add one analysed paper as the next document of this segment."""
        docnum = len(self._keys)
        self._keys.append(doc.key)
        perdoc = self._perdoc
        schema = self.schema
        perdoc.start_doc(docnum)
        count = 0
        for field in TEXT_FIELDS:
            terms = doc.positions.get(field)
            length = doc.lengths.get(field, 0)
            self._lens[field].append(length)
            if not terms:
                continue
            pool = self._pool[field]
            get = pool.get
            for term, plist in terms.items():
                post = get(term)
                if post is None:
                    post = pool[term] = (array("I"), array("H"), array("H"), [])
                post[0].append(docnum)
                tf = len(plist)
                first, bitmap = position_bitmap(plist)
                post[1].append(tf if tf < 0xFFFF else 0xFFFF)
                post[2].append(first)
                post[3].append(bitmap)
            count += len(terms)
            perdoc.add_field(field, schema[field], None, length)
        for field, terms in doc.keywords.items():
            pool = self._pool[field]
            for term in terms:
                post = pool.get(term)
                if post is None:
                    post = pool[term] = array("I")
                post.append(docnum)
            count += len(terms)
        perdoc.add_field("key", schema["key"], doc.key, 0)
        perdoc.finish_doc()
        self.postings += count

    def finish(self) -> W3Segment | None:
        """Write the segment's files; return the segment (None if no documents)."""
        if not self._keys:
            self.cancel()
            return None
        self._perdoc.close()
        _cleanup_temp(self.storage)
        segment = self.segment
        segment.set_doc_count(len(self._keys))
        writer = _TermsWriter(self.storage, segment, len(self._keys), self._lens)
        for fieldname in sorted(f for f, terms in self._pool.items() if terms):
            terms = self._pool[fieldname]
            for term in sorted(terms):
                post = terms[term]
                if isinstance(post, array):
                    writer.add(fieldname, term, post)
                else:
                    writer.add(fieldname, term, *post)
        writer.close()
        _write_sidecar(self.storage, segment, self._keys, self._lens)
        self._pool.clear()
        return segment

    def cancel(self) -> None:
        """Drop the documents added so far (files already written are left for cleanup)."""
        if not self._perdoc.is_closed:
            self._perdoc.close()
        _cleanup_temp(self.storage)
        self._pool.clear()


def _cleanup_temp(storage: FileStorage) -> None:
    # The W3 per-document writer buffers columns in "<index>.tmp" beside the index.
    temp = Path(storage.folder) / f"{INDEX_NAME}.tmp"
    if temp.is_dir():
        for child in temp.iterdir():
            child.unlink(missing_ok=True)
        temp.rmdir()


class SegmentData:
    """One segment opened for bulk reading: term lookups, whole posting lists, keys."""

    def __init__(self, storage: FileStorage, segment: W3Segment) -> None:
        self.segment = segment
        self.doc_count_all = segment.doc_count_all()
        self.deleted = frozenset(segment.deleted_docs())
        self._storage = storage
        self._keys: list[str] | None = None
        self._lens: dict[str, array] | None = None
        try:
            self.terms = CODEC.terms_reader(storage, segment)
            path = Path(storage.folder) / segment.make_filename(W3Codec.POSTS_EXT)
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                self._post = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        except (OSError, ValueError, KeyError, struct.error, EOFError) as exc:
            raise SegmentCorrupt(f"segment {segment.segment_id()}: {exc}") from exc
        self._key_docs: dict[str, int] | None = None
        self._extras: dict[str, tuple[int, int, int, int]] = {}
        self._orders: dict[str, tuple[int, int]] = {}
        self._xblob: Any = b""
        self._read_extras(storage)

    @property
    def keys(self) -> list[str]:
        """The key of every document, by local docnum (loaded on first use)."""
        if self._keys is None:
            self._keys, self._lens = _read_sidecar(self._storage, self.segment)
        return self._keys

    @property
    def lens(self) -> dict[str, array]:
        """Exact field lengths of every document, per text field."""
        if self._lens is None:
            self._keys, self._lens = _read_sidecar(self._storage, self.segment)
        return self._lens

    def find_key(self, key: str) -> list[int]:
        """Live docnums holding ``key`` (a term lookup: no sidecar needed)."""
        stats = self.term_stats("key", key)
        if stats is None:
            return []
        ids = self.postings(stats[1])[0]
        return [d for d in ids if d not in self.deleted]

    def terms_with_prefix(self, fieldname: str, prefix: str, limit: int) -> list[str]:
        """Terms of a field starting with ``prefix`` (at most ``limit``)."""
        out: list[str] = []
        raw = prefix.encode("utf-8")
        try:
            for field, btext in self.terms.terms_from(fieldname, raw):
                if field != fieldname or not btext.startswith(raw):
                    break
                out.append(btext.decode("utf-8"))
                if len(out) >= limit:
                    break
        except (KeyError, ValueError, UnicodeDecodeError):
            pass
        return out

    def _read_extras(self, storage: FileStorage) -> None:
        path = Path(storage.folder) / self.segment.make_filename(EXTRAS_EXT)
        try:
            with open(path, "rb") as f:
                head = f.read(12)
                if head[:4] != EXTRAS_MAGIC:
                    raise SegmentCorrupt(f"segment {self.segment.segment_id()}: bad extras")
                (size,) = struct.unpack("<Q", head[4:])
                index = marshal.loads(f.read(size))
                self._xbase = 12 + size
                total = os.fstat(f.fileno()).st_size
                if total > self._xbase:
                    self._xblob = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            self._extras = index["terms"]
            self._orders = index["order"]
        except (OSError, ValueError, EOFError, KeyError, TypeError, struct.error) as exc:
            raise SegmentCorrupt(f"segment {self.segment.segment_id()}: {exc}") from exc

    def _xslice(self, offset: int, length: int) -> bytes:
        start = self._xbase + offset
        return self._xblob[start : start + length]

    def bitmap(self, field: str, term: str) -> int | None:
        """The stored document bitmap of a frequent term (None when not stored)."""
        entry = self._extras.get(f"{field}\x00{term}")
        if entry is None:
            return None
        return int.from_bytes(self._xslice(entry[0], entry[1]), "little")

    def champions(self, field: str, term: str) -> array | None:
        """A frequent term's best documents by BM25 impact (None when not stored)."""
        entry = self._extras.get(f"{field}\x00{term}")
        if entry is None or not entry[3]:
            return None
        out = array("I")
        out.frombytes(self._xslice(entry[2], entry[3]))
        return out

    def length_order(self, field: str) -> array:
        """Every document, shortest ``field`` first."""
        entry = self._orders.get(field)
        out = array("I")
        if entry is not None:
            out.frombytes(self._xslice(*entry))
        return out

    def close(self) -> None:
        """Release the files (the object must not be used afterwards)."""
        with contextlib.suppress(OSError, ValueError):
            self.terms.close()
        if isinstance(self._post, mmap.mmap):
            self._post.close()
        if isinstance(self._xblob, mmap.mmap):
            self._xblob.close()

    def key_docnum(self, key: str) -> int | None:
        """The live document number holding ``key`` in this segment, if any."""
        if self._key_docs is None:
            self._key_docs = {k: i for i, k in enumerate(self.keys) if i not in self.deleted}
        return self._key_docs.get(key)

    def term_stats(self, fieldname: str, term: str) -> tuple[int, tuple[int, int]] | None:
        """``(doc frequency, (offset, length))`` of a term, or None when absent."""
        try:
            info = self.terms.term_info(fieldname, term.encode("utf-8"))
        except Exception:  # TermNotFound, or a field this segment never saw
            return None
        return info.doc_frequency(), info.extent()

    def iter_terms(self, fieldname: str | None = None) -> Iterator[tuple[str, str, Any]]:
        """Every ``(field, term, term info)`` in key order (optionally one field)."""
        items = self.terms.items() if fieldname is None else self.terms.items_from(fieldname, b"")
        for (field, btext), info in items:
            if fieldname is not None and field != fieldname:
                break
            yield field, btext.decode("utf-8"), info

    def postings(self, extent: tuple[int, int], values: bool = False) -> Postings:
        """Decode a whole posting list (positional data only when ``values``)."""
        offset, length = extent
        if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves it unpacked
            length = length[0]
        return decode_blocks(self._post[offset : offset + length], values)


#: ``(ids, tfs or None when all 1, first positions, relative position bitmaps)``;
#: the last two are None unless positions were asked for.
Postings = tuple[array, "array | None", "array | None", "list[bytes] | None"]


def decode_blocks(raw: bytes, want_positions: bool) -> Postings:
    """Parse W3 posting blocks into flat arrays."""
    if raw[:4] != MAGIC:
        raise SegmentCorrupt("posting list has no header")
    f = io.BytesIO(raw)
    f.seek(4)
    ids = array("I")
    tfs: array | None = None
    firsts = array("H") if want_positions else None
    bitmaps: list[bytes] | None = [] if want_positions else None
    load, loads = pickle.load, pickle.loads
    try:
        while True:
            (size,) = _INT.unpack(f.read(4))
            last = size < 0
            size = abs(size)
            start = f.tell()
            info = load(f)
            data = f.read(size - (f.tell() - start))
            if info[3]:
                data = zlib.decompress(data)
            bids, bweights, bvalues = loads(data)
            count = info[0]
            if bweights is not None and tfs is None:
                tfs = _ONES * len(ids)
            if tfs is not None:
                if bweights is None:
                    tfs.extend(_ONES * count)
                elif isinstance(bweights, float):
                    tfs.extend(array("H", [int(bweights)]) * count)
                else:
                    tfs.extend(bweights)
            ids.extend(accumulate(bids))
            if firsts is not None and bitmaps is not None and bvalues is not None:
                if isinstance(bvalues, PackedValues):
                    if _BIG_ENDIAN:
                        block = array("H")
                        block.frombytes(bvalues.firsts)
                        block.byteswap()
                        firsts.extend(block)
                    else:
                        firsts.frombytes(bvalues.firsts)
                    bitmaps.extend(bvalues.bitmaps())
                else:
                    firsts.extend(int.from_bytes(v[:2], "little") for v in bvalues)
                    bitmaps.extend(v[2:] for v in bvalues)
            if last:
                break
    except (struct.error, pickle.UnpicklingError, EOFError, ValueError, AttributeError) as exc:
        raise SegmentCorrupt(f"posting list does not decode: {exc}") from exc
    except (zlib.error, TypeError, IndexError) as exc:
        raise SegmentCorrupt(f"posting list does not decode: {exc}") from exc
    return ids, tfs, firsts, bitmaps


def merge_segments(
    storage: FileStorage, schema: Schema, segments: Sequence[W3Segment]
) -> W3Segment | None:
    """Merge segments (dropping deleted documents) into one new segment."""
    datas = [SegmentData(storage, s) for s in segments]
    try:
        return _merge(storage, schema, datas)
    finally:
        for data in datas:
            data.close()


def _merge(storage: FileStorage, schema: Schema, datas: list[SegmentData]) -> W3Segment | None:
    segment = CODEC.new_segment(storage, INDEX_NAME)
    perdoc = CODEC.per_document_writer(storage, segment)
    keys: list[str] = []
    lens = {f: array("I") for f in TEXT_FIELDS}
    docmaps: list[Any] = []
    for data in datas:
        base = len(keys)
        if data.deleted:
            docmap = {}
            for old in range(data.doc_count_all):
                if old not in data.deleted:
                    docmap[old] = len(keys)
                    keys.append(data.keys[old])
                    for field in TEXT_FIELDS:
                        lens[field].append(data.lens[field][old])
            docmaps.append(docmap)
        else:
            keys.extend(data.keys)
            for field in TEXT_FIELDS:
                lens[field].extend(data.lens[field])
            docmaps.append(base)
    for docnum, key in enumerate(keys):
        perdoc.start_doc(docnum)
        for field in TEXT_FIELDS:
            if lens[field][docnum]:
                perdoc.add_field(field, schema[field], None, lens[field][docnum])
        perdoc.add_field("key", schema["key"], key, 0)
        perdoc.finish_doc()
    perdoc.close()
    _cleanup_temp(storage)
    if not keys:
        return None
    segment.set_doc_count(len(keys))

    def stream(i: int, data: SegmentData) -> Iterator[tuple[str, str, int, Any]]:
        for field, term, info in data.iter_terms():
            yield field, term, i, info

    writer = _TermsWriter(storage, segment, len(keys), lens)
    merged = heapq.merge(*(stream(i, d) for i, d in enumerate(datas)))
    current: tuple[str, str] | None = None
    parts: list[tuple[int, Any]] = []

    def flush() -> None:
        assert current is not None
        field, term = current
        positional = field in TEXT_FIELDS
        ids = array("I")
        tfs = array("H")
        firsts = array("H")
        bitmaps: list[bytes] = []
        for i, info in parts:
            pids, ptfs, pfirsts, pmaps = datas[i].postings(info.extent(), positional)
            counts = ptfs if ptfs is not None else _ONES * len(pids)
            dmap = docmaps[i]
            if isinstance(dmap, int):
                ids.extend(map(dmap.__add__, pids) if dmap else pids)
                tfs.extend(counts)
                if positional:
                    firsts.extend(pfirsts)
                    bitmaps.extend(pmaps)
                continue
            keep = [d in dmap for d in pids]
            ids.extend(dmap[d] for d in compress(pids, keep))
            tfs.extend(compress(counts, keep))
            if positional:
                firsts.extend(compress(pfirsts, keep))
                bitmaps.extend(compress(pmaps, keep))
        if not ids:
            return
        if positional:
            writer.add(field, term, ids, tfs, firsts, bitmaps)
        else:
            writer.add(field, term, ids)

    for field, term, i, info in merged:
        if (field, term) != current:
            if current is not None:
                flush()
            current = (field, term)
            parts = []
        parts.append((i, info))
    if current is not None:
        flush()
    writer.close()
    _write_sidecar(storage, segment, keys, lens)
    return segment


def open_storage(folder: Path, create: bool = False) -> FileStorage:
    """A Whoosh file storage on ``folder`` (created when asked)."""
    storage = FileStorage(str(folder))
    if create:
        storage.create()
    return storage


def latest_generation(storage: FileStorage) -> int:
    """The newest table-of-contents generation in the storage (-1 when none)."""
    return whoosh_index.TOC._latest_generation(storage, INDEX_NAME)


def read_toc(storage: FileStorage, generation: int | None = None) -> whoosh_index.TOC:
    """Read a table of contents (the schema and the segment list)."""
    return whoosh_index.TOC.read(storage, INDEX_NAME, gen=generation)


def write_toc(
    storage: FileStorage, schema: Schema, segments: Iterable[W3Segment], generation: int
) -> None:
    """Commit a new generation atomically, then delete files no generation needs."""
    segments = list(segments)
    whoosh_index.TOC(schema, segments, generation).write(storage, INDEX_NAME)
    whoosh_index.clean_files(storage, INDEX_NAME, generation, segments)


def quantised_length(length: int) -> int:
    """The field length Whoosh's BM25F sees (lengths are stored as one byte)."""
    return byte_to_length(length_to_byte(length))
