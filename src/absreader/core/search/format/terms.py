"""One term of one segment, decoded lazily, and the bitmap helpers matching uses.

A bitmap is a Python ``int`` with bit ``d`` set for document ``d``: AND, OR,
NOT and counting (``int.bit_count``) run in C however many documents match.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable
from itertools import accumulate, compress, repeat
from operator import lshift, sub
from typing import Any

from absreader.core.search.format.schema import bitmap_positions
from absreader.core.search.format.segments import SegmentData, ids_bitmap


def iter_bits(mask: int) -> list[int]:
    """The positions of the set bits of ``mask``, ascending.

    The mask is written out in binary (one C call) and reversed so that
    character ``d`` is document ``d``; a sparse mask's ones are found by a
    regular expression (a C-level scan, one match object per document), a
    dense one's by ``compress`` over a byte per document (no object per miss).
    """
    if not mask:
        return []
    text = format(mask, "b")[::-1].encode("ascii")
    if mask.bit_count() * _DENSE > len(text):
        return list(compress(range(len(text)), text.translate(_TO_BYTE)))
    return [match.start() for match in _ONE.finditer(text)]


#: Above one set bit in this many, :func:`iter_bits` takes the dense path.
_DENSE = 5
_ONE = re.compile(b"1")


def bits_of(docs: Iterable[int], doc_count: int) -> int:
    """A bitmap with the given documents set."""
    if not isinstance(docs, (list, tuple, array)) or len(docs) > 1024:
        flags = bytearray(doc_count)
        deque(map(flags.__setitem__, docs, repeat(1)), maxlen=0)
        text = flags.translate(_TO_CHAR)
        text.reverse()
        return int(text, 2) if text else 0
    return int.from_bytes(ids_bitmap(docs, doc_count), "little")


_TO_BYTE = bytes.maketrans(b"01", b"\x00\x01")
_TO_CHAR = bytes.maketrans(b"\x00\x01", b"01")


def byte_per_doc(mask: int, doc_count: int) -> bytes:
    """``mask`` as one byte (0 or 1) per document: indexable from C-level ``map``."""
    return format(mask, "b").zfill(doc_count)[::-1].encode("ascii").translate(_TO_BYTE)


class SegTerm:
    """One term in one segment: postings, bitmap and term frequencies, decoded lazily."""

    __slots__ = (
        "seg",
        "field",
        "term",
        "df",
        "extent",
        "_ids",
        "_tfs",
        "_mask",
        "_mask_bytes",
        "_firsts",
        "_bitmaps",
        "_aligned",
        "_packed",
        "_lens",
        "max_tf",
        "min_length",
        "champions",
        "frequencies",
    )

    def __init__(
        self,
        seg: SegmentData,
        field: str,
        term: str,
        df: int,
        extent: Any,
        max_tf: float = 0.0,
        min_length: int = 0,
    ) -> None:
        self.seg = seg
        self.field = field
        self.term = term
        self.df = df
        self.extent = extent
        #: The highest term frequency and the shortest (quantised) field length among
        #: the documents holding the term; ``max_tf`` 0 when unknown.
        self.max_tf = max_tf
        self.min_length = min_length
        #: The term's best documents here (stored or computed), once a search needed them.
        self.champions: Any = None
        #: ``(ids, tfs)`` scoring reads frequencies from (see ``Snapshot.frequencies``).
        self.frequencies: tuple[Any, Any] | None = None
        self._ids: Any = None
        self._tfs: Any = None
        self._mask: int | None = None
        self._mask_bytes: bytes | None = None
        self._firsts: Any = None
        self._bitmaps: Any = None
        self._aligned: list[int] | None = None
        self._packed: tuple[Any, Any, bytes, Any] | None = None
        self._lens: Any = None

    def _decode(self, positions: bool = False) -> None:
        ids, tfs, firsts, bitmaps = self.seg.postings(self.extent, positions)
        self._ids, self._tfs = ids, tfs
        if positions:
            self._firsts, self._bitmaps = firsts, bitmaps

    @property
    def ids(self) -> Any:
        """Document numbers, ascending."""
        if self._ids is None:
            self._decode()
        return self._ids

    @property
    def tfs(self) -> Any:
        """Term frequencies (None when every one is 1)."""
        if self._ids is None:
            self._decode()
        return self._tfs

    @property
    def mask(self) -> int:
        """Bitmap of the documents containing the term."""
        if self._mask is None:
            stored = self.seg.bitmap(self.field, self.term)
            self._mask = stored if stored is not None else bits_of(self.ids, self.seg.doc_count_all)
        return self._mask

    def mask_bytes(self) -> bytes:
        """:attr:`mask` as little-endian bytes (bit ``d & 7`` of byte ``d >> 3``), kept."""
        if self._mask_bytes is None:
            self._mask_bytes = self.mask.to_bytes((self.seg.doc_count_all >> 3) + 1, "little")
        return self._mask_bytes

    def aligned(self) -> list[int]:
        """Every posting's position bitmap as an absolute ``int`` (phrase matching)."""
        if self._aligned is None:
            _, firsts, bitmaps = self.positional()
            self._aligned = list(
                map(lshift, map(int.from_bytes, bitmaps, repeat("little")), firsts)
            )
        return self._aligned

    def positional(self) -> tuple[Any, Any, Any]:
        """``(ids, first positions, relative position bitmaps)``, decoded on first use."""
        if self._bitmaps is None:
            _, firsts, blob, ends = self.packed()
            lens = self._packed_lens
            starts = map(sub, ends, lens)
            self._bitmaps = list(map(blob.__getitem__, map(slice, starts, ends)))
        return self._ids, self._firsts, self._bitmaps

    def packed(self) -> tuple[Any, Any, bytes, Any]:
        """``(tfs, first positions, bitmaps back to back, their end offsets)``, decoded on first use.

        Posting ``k``'s relative position bitmap is ``blob[ends[k] - lens[k]:ends[k]]``
        (:meth:`bitmap_at`); nothing is split per posting until asked for.
        """
        if self._packed is None:
            ids, tfs, firsts, blob, lens = self.seg.packed_postings(self.extent)
            self._ids, self._tfs, self._firsts = ids, tfs, firsts
            self._packed = (tfs, firsts, blob, array("I", accumulate(lens)))
            self._lens = lens
        return self._packed

    @property
    def _packed_lens(self) -> Any:
        self.packed()
        return self._lens

    def bitmap_at(self, k: int) -> bytes:
        """The relative position bitmap of posting ``k`` (by index in :attr:`ids`)."""
        _, _, blob, ends = self.packed()
        end = ends[k]
        return blob[end - self._lens[k] : end]

    def positions_of(self, doc: int) -> list[int]:
        """Positions of the term in ``doc`` (empty when absent)."""
        ids, firsts, bitmaps = self.positional()
        j = bisect_left(ids, doc)
        if j >= len(ids) or ids[j] != doc:
            return []
        return bitmap_positions(firsts[j], bitmaps[j])

    def cost(self) -> int:
        """Rough memory held, in postings (for the cache budget)."""
        cost = self.df
        if self._firsts is not None:
            cost += 2 * self.df
        if self._packed is not None:
            cost += len(self._packed[2]) // 6 + self.df
        if self._bitmaps is not None:
            cost += 8 * self.df
        if self._mask_bytes is not None:
            cost += self.seg.doc_count_all // 48
        if self._aligned is not None:
            cost += 8 * self.df
        if self.champions is not None:
            cost += len(self.champions)
        if self.frequencies is not None and self.frequencies[0] is not self._ids:
            cost += len(self.frequencies[0])
        return cost
