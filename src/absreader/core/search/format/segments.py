"""Reading segments in bulk, and the layout every segment shares.

A segment is an ordinary Whoosh ``W3`` segment (``whoosh.index.open_dir`` reads
it and Whoosh's searcher agrees with absreader's), written by
:mod:`absreader.core.search.format.write` with whole arrays per block, plus three
sidecars: ``.absr`` (keys and exact field lengths), ``.absx`` (bitmaps and
champion lists of frequent terms, documents ordered by length) and ``.absm``
("more like this" signatures). :class:`SegmentData` decodes a whole posting
list in a handful of C calls instead of walking it one posting at a time.
"""

from __future__ import annotations

import contextlib
import io
import marshal
import os
import pickle
import struct
import sys
import threading
import zlib
from array import array
from collections.abc import Iterable, Iterator
from itertools import accumulate, repeat
from operator import and_, rshift
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.util.numeric import byte_to_length, length_to_byte

from absreader.core.search.format.schema import PackedValues

INDEX_NAME = "MAIN"
CODEC = W3Codec()
MAGIC = b"W3Bl"
BLOCK = 1024
SIDECAR_EXT = ".absr"
EXTRAS_EXT = ".absx"
SIGNATURES_EXT = ".absm"
EXTRAS_MAGIC = b"ABX1"
CHAMPIONS = 256
B = 0.75
K1 = 1.2
_TERMINFO = struct.Struct("!BfIBBfII")
_INT = struct.Struct("!i")


def _pread(handle: Any, length: int, offset: int) -> bytes:
    """Read ``length`` bytes at ``offset`` without moving a shared file position."""
    if hasattr(os, "pread"):
        return os.pread(handle.fileno(), length, offset)
    with _SEEK_LOCK:  # pragma: no cover - Windows
        handle.seek(offset)
        return handle.read(length)


_SEEK_LOCK = threading.Lock()


class SegmentCorrupt(Exception):
    """A segment's files are missing or do not decode."""


_BIG_ENDIAN = sys.byteorder == "big"
ONES = array("H", [1])


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


class SegmentData:
    """One segment opened for bulk reading: term lookups, whole posting lists, keys."""

    def __init__(self, storage: FileStorage, segment: W3Segment, eager: bool = True) -> None:
        self.segment = segment
        self.doc_count_all = segment.doc_count_all()
        self.deleted = frozenset(segment.deleted_docs())
        self._storage = storage
        self._keys: list[str] | None = None
        self._lens: dict[str, array] | None = None
        self._signatures: dict[str, Any] | None = None
        try:
            self.terms = CODEC.terms_reader(storage, segment)
            # Plain reads, not mmap: pages touched by a search would count as the
            # reader's resident memory for as long as it runs.
            path = Path(storage.folder) / segment.make_filename(W3Codec.POSTS_EXT)
            self._post = open(path, "rb")  # noqa: SIM115 - closed in close()
        except (OSError, ValueError, KeyError, struct.error, EOFError) as exc:
            raise SegmentCorrupt(f"segment {segment.segment_id()}: {exc}") from exc
        self._key_docs: dict[str, int] | None = None
        self._extras: dict[str, tuple[int, int, int, int]] = {}
        self._orders: dict[str, tuple[int, int]] = {}
        self._order_cache: dict[str, array] = {}
        self._walk_cache: dict[tuple[str, int, int], tuple[array, array, bytes]] = {}
        self._xfile: Any = None
        self._read_extras(storage)
        if eager:  # searching: read now, as a later commit may delete the file
            self._keys, self._lens = _read_sidecar(storage, segment)

    def refresh(self, segment: W3Segment) -> None:
        """Take a newer commit's view of this segment (its deletions may have changed)."""
        self.segment = segment
        self.deleted = frozenset(segment.deleted_docs())
        self._key_docs = None

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

    def signature(self, docnum: int) -> list[tuple[str, float]]:
        """A document's most telling (stemmed) words and their weights, for "more like this".

        Empty for documents written without one (a build's partial segments).
        """
        if self._signatures is None:
            path = Path(self._storage.folder) / self.segment.make_filename(SIGNATURES_EXT)
            try:
                data = marshal.loads(path.read_bytes())
                if data:
                    for name, code in (("count", "B"), ("which", "I"), ("weight", "f")):
                        packed = array(code)
                        packed.frombytes(data[name])
                        data[name] = packed
            except (OSError, ValueError, EOFError, TypeError, KeyError) as exc:
                raise SegmentCorrupt(f"segment {self.segment.segment_id()}: {exc}") from exc
            self._signatures = data
        data = self._signatures
        if not data or not 0 <= docnum < len(data["count"]):
            return []
        size, terms = data["size"], data["terms"]
        base = docnum * size
        return [
            (terms[data["which"][base + k]], float(data["weight"][base + k]))
            for k in range(data["count"][docnum])
        ]

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
            f = self._xfile = open(path, "rb")  # noqa: SIM115 - closed in close()
            head = f.read(12)
            if head[:4] != EXTRAS_MAGIC:
                raise SegmentCorrupt(f"segment {self.segment.segment_id()}: bad extras")
            (size,) = struct.unpack("<Q", head[4:])
            index = marshal.loads(f.read(size))
            self._xbase = 12 + size
            self._extras = index["terms"]
            self._orders = index["order"]
        except (OSError, ValueError, EOFError, KeyError, TypeError, struct.error) as exc:
            raise SegmentCorrupt(f"segment {self.segment.segment_id()}: {exc}") from exc

    def _xslice(self, offset: int, length: int) -> bytes:
        data = _pread(self._xfile, length, self._xbase + offset)
        if len(data) != length:
            raise SegmentCorrupt(f"segment {self.segment.segment_id()}: extras cut short")
        return data

    def lacks_field(self, field: str) -> bool:
        """True when the segment records field lengths and none for ``field`` (no document has it)."""
        lengths = getattr(self.segment, "_fieldlengths", None)
        return bool(lengths) and not lengths.get(field, 0)

    def stored_terms(self) -> list[str]:
        """``field\x00term`` of every term with a stored bitmap (the frequent ones)."""
        return list(self._extras)

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
        """Every document, shortest ``field`` first (read once, then kept: 4 bytes a document)."""
        out = self._order_cache.get(field)
        if out is None:
            entry = self._orders.get(field)
            out = array("I")
            if entry is not None:
                out.frombytes(self._xslice(*entry))
            self._order_cache[field] = out
        return out

    def length_walk(self, field: str, chunk: int, size: int) -> tuple[array, array, bytes]:
        """Chunk ``chunk`` (of ``size`` documents) of :meth:`length_order`, with each document's
        bitmap byte and bit beside it (kept; chunks are made as a walk reaches them).

        A walk over the order tests a document with ``mask_bytes[byte] & bit``
        in C-level maps, with no byte per document made for each mask.
        """
        key = (field, chunk, size)
        walk = self._walk_cache.get(key)
        if walk is None:
            order = self.length_order(field)[chunk * size : (chunk + 1) * size]
            code = "H" if self.doc_count_all < 1 << 19 else "I"
            at_byte = array(code, map(rshift, order, repeat(3)))
            walk = (order, at_byte, bytes(map(_BIT.__getitem__, map(and_, order, repeat(7)))))
            self._walk_cache[key] = walk
        return walk

    def close(self) -> None:
        """Release the files (the object must not be used afterwards)."""
        with contextlib.suppress(OSError, ValueError):
            self.terms.close()
        for handle in (self._post, self._xfile):
            if handle is not None:
                handle.close()

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

    def term_record(self, fieldname: str, term: str) -> tuple[int, Any, float, int] | None:
        """``(doc frequency, extent, highest tf, shortest field length)`` of a term, or None.

        The last two come from the term info every segment writes (Whoosh's
        ``max_weight`` and ``min_length``, the one-byte length decoded): with
        them a term's best possible BM25 score in this segment is known
        without reading its postings (see :mod:`absreader.core.search.bounds`).
        """
        try:
            info = self.terms.term_info(fieldname, term.encode("utf-8"))
        except Exception:  # TermNotFound, or a field this segment never saw
            return None
        return info.doc_frequency(), info.extent(), float(info.max_weight()), int(info.min_length())

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
        raw = _pread(self._post, length, offset)
        if len(raw) != length:
            raise SegmentCorrupt(f"segment {self.segment.segment_id()}: postings cut short")
        return decode_blocks(raw, values)

    def packed_postings(self, extent: tuple[int, int]) -> Packed:
        """Decode a whole posting list with its positions packed (see :func:`decode_packed`)."""
        offset, length = extent
        if isinstance(length, tuple):
            length = length[0]
        raw = _pread(self._post, length, offset)
        if len(raw) != length:
            raise SegmentCorrupt(f"segment {self.segment.segment_id()}: postings cut short")
        return decode_packed(raw)


#: ``(ids, tfs or None when all 1, first positions, relative position bitmaps)``;
#: the last two are None unless positions were asked for.
Postings = tuple[array, "array | None", "array | None", "list[bytes] | None"]


#: What a damaged posting list raises while it is parsed.
_UNDECODABLE = (
    struct.error, pickle.UnpicklingError, EOFError, ValueError, AttributeError,
    zlib.error, TypeError, IndexError, OverflowError,
)  # fmt: skip


def _blocks(raw: bytes) -> Iterator[tuple[int, Any, Any, Any]]:
    """Each W3 posting block's ``(count, id deltas, weights, values)``."""
    if raw[:4] != MAGIC:
        raise SegmentCorrupt("posting list has no header")
    f = io.BytesIO(raw)
    f.seek(4)
    load, loads = pickle.load, pickle.loads
    while True:
        (size,) = _INT.unpack(f.read(4))
        start = f.tell()
        info = load(f)
        data = f.read(abs(size) - (f.tell() - start))
        if info[3]:
            data = zlib.decompress(data)
        bids, bweights, bvalues = loads(data)
        yield info[0], bids, bweights, bvalues
        if size < 0:
            return


def _with_tfs(tfs: array | None, done: int, bweights: Any, count: int) -> array | None:
    """``tfs`` with a block's weights added (made, all ones so far, at the first weight)."""
    if bweights is not None and tfs is None:
        tfs = ONES * done
    if tfs is not None:
        if bweights is None:
            tfs.extend(ONES * count)
        elif isinstance(bweights, float):
            tfs.extend(array("H", [int(bweights)]) * count)
        else:
            tfs.extend(bweights)
    return tfs


def _add_firsts(firsts: array, values: PackedValues) -> None:
    """A packed block's first positions (stored little-endian)."""
    if _BIG_ENDIAN:
        block = array("H")
        block.frombytes(values.firsts)
        block.byteswap()
        firsts.extend(block)
    else:
        firsts.frombytes(values.firsts)


def decode_blocks(raw: bytes, want_positions: bool) -> Postings:
    """Parse W3 posting blocks into flat arrays."""
    ids = array("I")
    tfs: array | None = None
    firsts = array("H") if want_positions else None
    bitmaps: list[bytes] | None = [] if want_positions else None
    try:
        for count, bids, bweights, bvalues in _blocks(raw):
            tfs = _with_tfs(tfs, len(ids), bweights, count)
            ids.extend(accumulate(bids))
            if firsts is not None and bitmaps is not None and bvalues is not None:
                if isinstance(bvalues, PackedValues):
                    _add_firsts(firsts, bvalues)
                    bitmaps.extend(bvalues.bitmaps())
                else:
                    firsts.extend(int.from_bytes(v[:2], "little") for v in bvalues)
                    bitmaps.extend(v[2:] for v in bvalues)
    except _UNDECODABLE as exc:
        raise SegmentCorrupt(f"posting list does not decode: {exc}") from exc
    return ids, tfs, firsts, bitmaps


#: ``(ids, tfs or None when all 1, first positions, bitmaps back to back, their lengths)``.
Packed = tuple[array, "array | None", array, bytes, array]


def decode_packed(raw: bytes) -> Packed:
    """Parse W3 posting blocks keeping the position bitmaps as one blob.

    Splitting every posting's bitmap into its own ``bytes`` is most of the cost
    of reading positions; a phrase needs the bitmaps of a few postings only
    (most are settled by their first positions), so they stay packed and
    posting ``k``'s bitmap is ``blob[end_k - lens[k]:end_k]``.
    """
    ids = array("I")
    tfs: array | None = None
    firsts = array("H")
    lens = array("H")
    pieces: list[bytes] = []
    try:
        for count, bids, bweights, bvalues in _blocks(raw):
            tfs = _with_tfs(tfs, len(ids), bweights, count)
            ids.extend(accumulate(bids))
            if isinstance(bvalues, PackedValues):
                _add_firsts(firsts, bvalues)
                if bvalues.lens is None:
                    pieces.append(b"\x01" * count)
                    lens.extend(ONES * count)
                else:
                    pieces.append(bvalues.blob)
                    lens.extend(bvalues.lens)
            elif bvalues is not None:
                firsts.extend(int.from_bytes(v[:2], "little") for v in bvalues)
                pieces.extend(v[2:] for v in bvalues)
                lens.extend(len(v) - 2 for v in bvalues)
            else:
                raise SegmentCorrupt("posting list has no positions")
    except _UNDECODABLE as exc:
        raise SegmentCorrupt(f"posting list does not decode: {exc}") from exc
    return ids, tfs, firsts, b"".join(pieces), lens


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
