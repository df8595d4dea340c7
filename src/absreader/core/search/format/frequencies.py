"""Term frequencies of a segment's frequent terms, apart from their positions (``.abst``).

Ranking a term needs its frequency in each candidate document. The posting
list holds the frequencies between the document numbers and the positions, in
pickled W3 blocks, so reading them decodes the whole list, positions and all:
about 100 ns a posting, 10 ms for ``model`` in a 100,000-paper segment, per
segment and per term of every as-you-type prefix. The frequent terms (those
with a stored bitmap in ``.absx``) are the long lists, and their membership
is already in that bitmap; so this sidecar keeps, for each of them in a text
field, only the documents where the term occurs more than once and those
counts (every other document of the bitmap has frequency 1): a couple of
``array.frombytes`` calls instead of a decode.

A segment's writer makes the file as it writes the posting lists
(:class:`FrequencyWriter`, fed by ``write.TermsWriter``); :func:`write_for`
makes the same bytes from a written segment. A segment without it still ranks
(the posting list is decoded, as before), and
:func:`backfill` writes it for the segments of an index that lack it (see
:mod:`absreader.core.search.sidecars`: an index built before it, such as a
finished 1M index, needs no rebuild).
"""

from __future__ import annotations

import marshal
import os
import struct
import sys
from array import array
from itertools import compress, repeat
from operator import gt
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import W3Segment
from whoosh.filedb.filestore import FileStorage

from absreader.core.search.format.schema import TEXT_FIELDS
from absreader.core.search.format.segments import SegmentData, _pread

FREQ_EXT = ".abst"
FREQ_MAGIC = b"ABT1"
#: Frequencies stored one byte each (``B``) when the term's highest fits, else two (``H``).
_NARROW, _WIDE = 0, 1


def path_of(folder: Path | str, segment: W3Segment) -> Path:
    """Where the segment's frequencies file lives."""
    return Path(folder) / segment.make_filename(FREQ_EXT)


def write_for(storage: FileStorage, seg: SegmentData) -> None:
    """Write the frequencies file of one segment (atomically: a reader sees all of it or none)."""
    writer = FrequencyWriter()
    for key in seg.stored_terms():
        field, _, term = key.partition("\x00")
        if field not in TEXT_FIELDS:
            continue
        stats = seg.term_stats(field, term)
        if stats is None:
            continue
        ids, tfs, _, _ = seg.postings(stats[1])
        writer.add(field, term, ids, tfs)
    writer.write(storage, seg.segment)


class FrequencyWriter:
    """Collects a segment's stored frequencies, from its posting lists or as the build writes them.

    The build calls :meth:`add` for every term it gives a bitmap (its posting
    lists are in memory then), so a new segment gets its file without reading
    its postings back; :func:`write_for` does the same from a written segment.
    Both give the same bytes: terms are written in key order whatever order they came in.
    """

    def __init__(self) -> None:
        self._terms: dict[str, tuple[bytes, int, int]] = {}

    def add(self, field: str, term: str, ids: array, tfs: array | None) -> None:
        """One stored (frequent) term of a text field: documents and frequencies (None: all 1)."""
        key = f"{field}\x00{term}"
        if tfs is None or max(tfs, default=1) == 1:
            self._terms[key] = (b"", 0, _NARROW)
            return
        several = list(map(gt, tfs, repeat(1)))
        many = array("I", compress(ids, several))
        counts = array("H", compress(tfs, several))
        kind = _NARROW if not counts or max(counts) < 256 else _WIDE
        if sys.byteorder == "big":
            many.byteswap()
            if kind == _WIDE:
                counts.byteswap()
        packed = array("B", counts).tobytes() if kind == _NARROW else counts.tobytes()
        self._terms[key] = (many.tobytes() + packed, len(many), kind)

    def write(self, storage: FileStorage, segment: W3Segment) -> None:
        """Write the segment's file (aside, then renamed into place)."""
        index: dict[str, tuple[int, int, int]] = {}
        blob = bytearray()
        for key in sorted(self._terms):
            data, _, kind = self._terms[key]
            # The count made afresh: marshal flags objects held more than once, so an int
            # also held in self._terms would change the bytes.
            index[key] = (len(blob), len(data) // (5 if kind == _NARROW else 6), kind)
            blob += data
        head = marshal.dumps({"v": 1, "terms": index})
        final = path_of(storage.folder, segment)
        tmp = final.with_name(f"{final.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            f.write(FREQ_MAGIC + struct.pack("<Q", len(head)) + head + bytes(blob))
        os.replace(tmp, final)


class StoredFrequencies:
    """One segment's frequencies file, read a term at a time."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        try:
            head = self._file.read(12)
            if head[:4] != FREQ_MAGIC:
                raise ValueError("not a frequencies file")
            (size,) = struct.unpack("<Q", head[4:])
            data = marshal.loads(self._file.read(size))
            self._terms: dict[str, tuple[int, int, int]] = data["terms"]
            self._base = 12 + size
        except BaseException:
            self._file.close()
            raise

    @classmethod
    def open(cls, folder: Path | str, segment: W3Segment) -> StoredFrequencies | None:
        """The segment's stored frequencies, or None when it has none (or they do not read)."""
        try:
            return cls(path_of(folder, segment))
        except (OSError, ValueError, EOFError, KeyError, TypeError, struct.error):
            return None

    def get(self, field: str, term: str) -> tuple[array, Any] | None:
        """``(documents with the term more than once, their counts)``; None when not stored.

        Also None when the file does not hold what its index says (damaged): the
        ranking then decodes the term's posting list, as without the file.
        """
        entry = self._terms.get(f"{field}\x00{term}")
        if entry is None:
            return None
        try:
            offset, count, kind = entry
            width = 1 if kind == _NARROW else 2
            data = _pread(self._file, count * (4 + width), self._base + offset)
        except (ValueError, TypeError, OSError):
            return None
        if len(data) != count * (4 + width):
            return None  # cut short: the caller decodes the posting list instead
        ids = array("I")
        ids.frombytes(data[: 4 * count])
        if kind == _NARROW:
            tfs: Any = data[4 * count :]
        else:
            tfs = array("H")
            tfs.frombytes(data[4 * count :])
        if sys.byteorder == "big":
            ids.byteswap()
            if kind == _WIDE:
                tfs.byteswap()
        return ids, tfs

    def close(self) -> None:
        """Release the file."""
        self._file.close()

