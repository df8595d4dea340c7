"""Posting lists in Whoosh's W3 block format, written whole from arrays.

Whoosh's own writer pushes every posting through several Python calls; a
segment's writer (``write.py``) has each term's postings in hand, sorted, and
writes them here as whole W3 blocks: the ids as gaps, the weights, and for text
fields each posting's first position and position bitmap. The bytes are those
Whoosh's W3 reader decodes (``segments.py`` reads them back).
"""

from __future__ import annotations

import pickle
import sys
from array import array
from collections.abc import Sequence
from operator import sub
from typing import Any

from whoosh.system import pack_int, pack_long
from whoosh.util.numeric import length_to_byte

from absreader.core.search.format.schema import PackedValues
from absreader.core.search.format.segments import _INT, _TERMINFO, BLOCK, MAGIC

_PICKLE = pickle.HIGHEST_PROTOCOL  # W3 readers unpickle any protocol; 2 bloats bytes
_BIG_ENDIAN = sys.byteorder == "big"
#: Blocks shorter than this are written as plain tuples (smaller than arrays).
_SMALL = 24


def _deltas(ids: array) -> array:
    """W3 block ids: the first id, then the gaps (16-bit when they all fit)."""
    gaps = list(map(sub, ids[1:], ids[:-1])) if len(ids) > 1 else []
    gaps.insert(0, ids[0])
    return array("H" if max(gaps) < 0x10000 else "I", gaps)


def write_postings(
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
    bitmap (see :func:`~absreader.core.search.format.schema.position_bitmap`) and
    ``doclens``, the field length of every document in the segment.
    """
    start = postfile.tell()
    write = postfile.write
    n = len(ids)
    if n == 1:
        return write_single(postfile, start, ids[0], tfs, firsts, bitmaps, doclens)
    write(MAGIC)
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


def write_single(
    postfile: Any,
    start: int,
    doc: int,
    tfs: array | None,
    firsts: array | None,
    bitmaps: list[bytes] | None,
    doclens: Sequence[int] | None,
) -> bytes:
    """:func:`write_postings` for a term in one document (the long tail of rare words)."""
    tf = 1 if tfs is None else tfs[0]
    vals = None
    if firsts is not None and bitmaps is not None:
        vals = (firsts[0].to_bytes(2, "little") + bitmaps[0],)
    data = pickle.dumps(((doc,), None if tf == 1 else float(tf), vals), _PICKLE)
    length = doclens[doc] if doclens is not None else None
    lbyte = length_to_byte(length)
    info = pickle.dumps((1, doc, float(tf), 0, lbyte, length_to_byte(length or 0)), _PICKLE)
    postfile.write(MAGIC + _INT.pack(-(len(info) + len(data))) + info + data)
    head = _TERMINFO.pack(0, tf, 1, lbyte if length is not None else 0, lbyte, tf, doc, doc)
    return head + pack_long(start) + pack_int(postfile.tell() - start)
