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

import heapq
import io
import marshal
import mmap
import os
import pickle
import struct
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
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
    encode_positions,
)

INDEX_NAME = "MAIN"
CODEC = W3Codec()
MAGIC = b"W3Bl"
BLOCK = 256
SIDECAR_EXT = ".absr"
_TERMINFO = struct.Struct("!BfIBBfII")
_INT = struct.Struct("!i")
_COMPRESS_OVER = 2048


class SegmentCorrupt(Exception):
    """A segment's files are missing or do not decode."""


_PICKLE = pickle.HIGHEST_PROTOCOL  # W3 readers unpickle any protocol; 2 bloats bytes


def _write_postings(
    postfile: Any,
    ids: Sequence[int],
    tfs: Sequence[int] | None,
    values: Sequence[bytes] | None,
    doclens: Sequence[int] | None,
) -> bytes:
    """Write one posting list as W3 blocks; return its W3 term-info bytes.

    ``tfs`` are the weights (term frequencies; None means all 1), ``doclens``
    the field length of every document in the segment (None for keywords).
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
        bids = ids[b0 : b0 + BLOCK]
        count = len(bids)
        if count == 1:
            deltas: Any = (bids[0],)
        else:
            deltas = (bids[0], *map(sub, bids[1:], bids[:-1]))
        if tfs is None:
            weights: Any = None
            bmax = 1
            total_weight += count
        else:
            btfs = tfs[b0 : b0 + BLOCK]
            bmax = max(btfs)
            total_weight += sum(btfs)
            if bmax == 1:
                weights = None
            elif min(btfs) == bmax:
                weights = float(bmax)
            else:
                weights = tuple(btfs)
        vals = None if values is None else tuple(values[b0 : b0 + BLOCK])
        if doclens is not None:
            if count == 1:
                bmin_len = bmax_len = doclens[bids[0]]
            else:
                blens = list(map(doclens.__getitem__, bids))
                bmin_len, bmax_len = min(blens), max(blens)
            min_len = bmin_len if min_len is None or bmin_len < min_len else min_len
            max_len = bmax_len if bmax_len > max_len else max_len
        else:
            bmin_len, bmax_len = None, 0
        if bmax > max_weight:
            max_weight = bmax
        data = dumps((deltas, weights, vals), _PICKLE)
        comp = 0
        if len(data) > _COMPRESS_OVER:
            comp = 1
            data = zlib.compress(data, 1)
        info = dumps(
            (count, bids[-1], float(bmax), comp, length_to_byte(bmin_len), length_to_byte(bmax_len)),
            _PICKLE,
        )
        size = len(info) + len(data)
        write(_INT.pack(-size if b0 + BLOCK >= n else size) + info + data)
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
                    post = pool[term] = (array("I"), array("I"), [])
                post[0].append(docnum)
                post[1].append(len(plist))
                post[2].append(encode_positions(plist))
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
        tindex = OrderedHashWriter(segment.create_file(self.storage, W3Codec.TERMS_EXT))
        fieldmap: dict[str, int] = {}
        tindex.extras["fieldmap"] = fieldmap
        postfile = segment.create_file(self.storage, W3Codec.POSTS_EXT)
        for fieldname in sorted(f for f, terms in self._pool.items() if terms):
            fid = fieldmap[fieldname] = len(fieldmap)
            prefix = pack_ushort(fid)
            terms = self._pool[fieldname]
            doclens = self._lens.get(fieldname)
            for term in sorted(terms):
                post = terms[term]
                if isinstance(post, array):
                    info = _write_postings(postfile, post, None, None, None)
                else:
                    info = _write_postings(postfile, post[0], post[1], post[2], doclens)
                tindex.add(prefix + term.encode("utf-8"), info)
        tindex.close()
        postfile.close()
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
        self.keys, self.lens = _read_sidecar(storage, segment)
        try:
            self.terms = CODEC.terms_reader(storage, segment)
            path = Path(storage.folder) / segment.make_filename(W3Codec.POSTS_EXT)
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                self._post = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        except (OSError, ValueError, KeyError, struct.error, EOFError) as exc:
            raise SegmentCorrupt(f"segment {segment.segment_id()}: {exc}") from exc
        self._key_docs: dict[str, int] | None = None

    def close(self) -> None:
        """Release the files (the object must not be used afterwards)."""
        try:
            self.terms.close()
        except (OSError, ValueError):
            pass
        if isinstance(self._post, mmap.mmap):
            self._post.close()

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
        if fieldname is None:
            items = self.terms.items()
        else:
            items = self.terms.items_from(fieldname, b"")
        for (field, btext), info in items:
            if fieldname is not None and field != fieldname:
                break
            yield field, btext.decode("utf-8"), info

    def postings(
        self, extent: tuple[int, int], values: bool = False
    ) -> tuple[array, array | None, list[bytes] | None]:
        """Decode a whole posting list: ids, weights (None = all 1.0), and values."""
        offset, length = extent
        if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves it unpacked
            length = length[0]
        raw = self._post[offset : offset + length]
        return decode_blocks(raw, values)


def decode_blocks(raw: bytes, want_values: bool) -> tuple[array, array | None, list | None]:
    """Parse W3 posting blocks into flat arrays."""
    if raw[:4] != MAGIC:
        raise SegmentCorrupt("posting list has no header")
    f = io.BytesIO(raw)
    f.seek(4)
    ids = array("I")
    weights: array | None = None
    values: list | None = [] if want_values else None
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
            if bweights is not None and weights is None:
                weights = array("f", [1.0]) * len(ids)
            if weights is not None:
                if bweights is None:
                    weights.extend([1.0] * count)
                elif isinstance(bweights, float):
                    weights.extend([bweights] * count)
                else:
                    weights.extend(bweights)
            ids.extend(accumulate(bids))
            if values is not None and bvalues is not None:
                values.extend(bvalues)
            if last:
                break
    except (struct.error, pickle.UnpicklingError, zlib.error, EOFError, ValueError) as exc:
        raise SegmentCorrupt(f"posting list does not decode: {exc}") from exc
    return ids, weights, values


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

    tindex = OrderedHashWriter(segment.create_file(storage, W3Codec.TERMS_EXT))
    fieldmap: dict[str, int] = {}
    tindex.extras["fieldmap"] = fieldmap
    postfile = segment.create_file(storage, W3Codec.POSTS_EXT)
    merged = heapq.merge(*(stream(i, d) for i, d in enumerate(datas)))
    current: tuple[str, str] | None = None
    parts: list[tuple[int, Any]] = []

    def flush() -> None:
        assert current is not None
        field, term = current
        positional = field in TEXT_FIELDS
        ids = array("I")
        tfs: list[float] | None = [] if positional else None
        values: list[bytes] | None = [] if positional else None
        for i, info in parts:
            pids, pweights, pvalues = datas[i].postings(info.extent(), positional)
            dmap = docmaps[i]
            if isinstance(dmap, int):
                ids.extend(d + dmap for d in pids)
                keep = None
            else:
                keep = [j for j, d in enumerate(pids) if d in dmap]
                ids.extend(dmap[pids[j]] for j in keep)
            if positional:
                w = pweights if pweights is not None else [1.0] * len(pids)
                if keep is None:
                    tfs.extend(w)
                    values.extend(pvalues)
                else:
                    tfs.extend(w[j] for j in keep)
                    values.extend(pvalues[j] for j in keep)
        if not ids:
            return
        if field not in fieldmap:
            fieldmap[field] = len(fieldmap)
        info = _write_postings(postfile, ids, tfs, values, lens.get(field) if positional else None)
        tindex.add(pack_ushort(fieldmap[field]) + term.encode("utf-8"), info)

    for field, term, i, info in merged:
        if (field, term) != current:
            if current is not None:
                flush()
            current = (field, term)
            parts = []
        parts.append((i, info))
    if current is not None:
        flush()
    tindex.close()
    postfile.close()
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
