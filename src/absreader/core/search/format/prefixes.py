"""Precomputed prefix document sets: which papers hold a term beginning with ``mod``.

While typing, the last word is a prefix that must match: ``mod`` matches
every paper with any term of the field beginning with it (``model``,
``modul``, ``modern``...), hundreds of terms a segment for three or four
letters. OR-ing their postings on every keystroke is what made as-you-type
search grow with the collection. So each segment gets a ``.absp`` file: for
every text field and every 3- and 4-letter prefix shared by at least
:data:`MIN_TERMS` terms, the union of their documents, as a bitmap when it is
large and as sorted document numbers when it is not.

The writer is fed by the segment writer (``TermsWriter``) as terms stream
past in order, so a prefix's terms arrive together and cost one pass. An
index without the files (written by an older version) still answers: the
evaluator then ORs the terms itself (:func:`scan_union`), as it does for
longer prefixes, which have few terms. :func:`backfill` writes the files for
an existing index's segments.

The query side is :class:`PrefixTerms`: a Whoosh ``Prefix`` that matches
without adding to a score (what Whoosh's own searcher does with it too).
"""

from __future__ import annotations

import marshal
import os
import struct
from array import array
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.matching import NullMatcher

from absreader.core.search.format.segments import SegmentData, _pread, bitmap_threshold
from absreader.core.search.format.terms import bits_of

PREFIX_EXT = ".absp"
PREFIX_MAGIC = b"ABP1"
#: Prefix lengths with stored sets (longer prefixes have few terms; shorter ones match all).
PREFIX_LENGTHS = (3, 4)
#: Fields a typed word's prefix is matched in (``note`` is small and changes often).
PREFIX_FIELDS = frozenset({"title", "abstract", "author"})
#: Prefixes shared by fewer terms are cheap to OR at query time, so not stored.
MIN_TERMS = 6
_BITMAP, _IDS = 0, 1


class PrefixTerms(wq.Prefix):
    """Every term of ``fieldname`` beginning with ``text``: it matches, it scores nothing.

    Whoosh's ``Prefix`` scores its single term in full when only one matches;
    this one always gives 0, like the ``Term(boost=0)`` branches it replaces.
    """

    def __init__(self, fieldname: str, text: str) -> None:
        super().__init__(fieldname, text, boost=0.0)

    def matcher(self, searcher: Any, context: Any = None) -> Any:  # Whoosh's own searcher
        reader = searcher.reader()
        terms = [wq.Term(self.fieldname, t, boost=0.0) for t in reader.expand_prefix(self.fieldname, self.text)]
        if not terms:
            return NullMatcher()
        return wq.Or(terms).matcher(searcher, context)


class PrefixSetWriter:
    """Collects the prefix sets of one segment as its terms are written, in order."""

    def __init__(self, doc_count: int, lengths: tuple[int, ...] = PREFIX_LENGTHS) -> None:
        self.doc_count = doc_count
        self.lengths = lengths
        self.threshold = bitmap_threshold(doc_count)
        self.index: dict[str, tuple[int, int, int]] = {}
        self.blob = bytearray()
        # Per prefix length: [key, term count, ids] of the prefix being collected.
        self._open: dict[int, list[Any]] = {}
        self._seen: set[str] = set()

    def add(self, field: str, term: str, ids: Any) -> None:
        """One term's documents (terms must come in (field, term) order)."""
        if field not in PREFIX_FIELDS:
            return
        for n in self.lengths:
            if len(term) < n:
                continue
            key = f"{field}\x00{term[:n]}"
            group = self._open.get(n)
            if group is None or group[0] != key:
                self._close(n)
                group = self._open[n] = [key, 0, array("I")]
            group[1] += 1
            group[2].extend(ids)

    def _close(self, n: int) -> None:
        group = self._open.pop(n, None)
        if group is None:
            return
        key, terms, ids = group
        if key in self._seen:  # terms out of order: never store a partial union
            self.index.pop(key, None)
            return
        self._seen.add(key)
        if terms < MIN_TERMS:
            return
        if len(ids) >= self.threshold:
            data = bits_of(ids, self.doc_count).to_bytes((self.doc_count >> 3) + 1, "little")
            kind = _BITMAP
        else:
            data = array("I", sorted(set(ids))).tobytes()
            kind = _IDS
        self.index[key] = (len(self.blob), len(data), kind)
        self.blob += data

    def write(self, storage: FileStorage, segment: W3Segment, ext: str = PREFIX_EXT) -> None:
        """Write the segment's ``.absp`` file (or another extension's, made aside then renamed)."""
        for n in list(self._open):
            self._close(n)
        index = marshal.dumps({"v": 1, "lengths": self.lengths, "sets": self.index})
        data = PREFIX_MAGIC + struct.pack("<Q", len(index)) + index + bytes(self.blob)
        if ext == PREFIX_EXT:
            with storage.create_file(segment.make_filename(ext)) as f:
                f.write(data)
            return
        final = Path(storage.folder) / segment.make_filename(ext)
        tmp = final.with_name(f"{final.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, final)


class PrefixSets:
    """A segment's stored prefix sets, read on demand (None when it has no file)."""

    def __init__(self, path: Path, doc_count: int) -> None:
        self.doc_count = doc_count
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        try:
            head = self._file.read(12)
            if head[:4] != PREFIX_MAGIC:
                raise ValueError("not a prefix file")
            (size,) = struct.unpack("<Q", head[4:])
            data = marshal.loads(self._file.read(size))
            self._sets: dict[str, tuple[int, int, int]] = data["sets"]
            self.lengths = tuple(data["lengths"])
            self._base = 12 + size
        except BaseException:
            self._file.close()
            raise

    @classmethod
    def open(cls, storage: FileStorage, seg: SegmentData, ext: str = PREFIX_EXT) -> PrefixSets | None:
        """The segment's prefix sets, or None when it has none (or they do not read)."""
        path = Path(storage.folder) / seg.segment.make_filename(ext)
        try:
            return cls(path, seg.doc_count_all)
        except (OSError, ValueError, EOFError, KeyError, TypeError, struct.error):
            return None

    def get(self, field: str, prefix: str) -> int | None:
        """The bitmap of documents with a term of ``field`` beginning ``prefix`` (None: not stored)."""
        entry = self._sets.get(f"{field}\x00{prefix}")
        if entry is None:
            return None
        offset, length, kind = entry
        data = _pread(self._file, length, self._base + offset)
        if len(data) != length:
            return None
        if kind == _BITMAP:
            return int.from_bytes(data, "little")
        ids = array("I")
        ids.frombytes(data)
        return bits_of(ids, self.doc_count)

    def close(self) -> None:
        """Release the file."""
        self._file.close()


def scan_union(seg: SegmentData, field: str, prefix: str) -> int:
    """The documents with a term of ``field`` beginning ``prefix``, from the terms themselves."""
    raw = prefix.encode("utf-8")
    out = 0
    ids = array("I")
    try:
        for (name, btext), info in seg.terms.items_from(field, raw):
            if name != field or not btext.startswith(raw):
                break
            df = info.doc_frequency()
            low, high = info.min_id(), info.max_id()
            if df <= 2 and low is not None and high is not None:
                # Most terms of a prefix are rare: the term info names their first and
                # last documents, so their postings are not read.
                ids.append(low)
                if df == 2:
                    ids.append(high)
                continue
            stored = seg.bitmap(field, btext.decode("utf-8"))
            if stored is not None:
                out |= stored
            else:
                ids.extend(seg.postings(info.extent())[0])
    except (KeyError, ValueError, UnicodeDecodeError):
        pass
    return out | bits_of(ids, seg.doc_count_all) if ids else out


def backfill(folder: Path) -> int:
    """Write the prefix files an index's segments lack (an index built before them); the count."""
    from absreader.core.search.format.segments import open_storage, read_toc

    storage = open_storage(folder)
    written = 0
    for segment in read_toc(storage).segments:
        if (Path(folder) / segment.make_filename(PREFIX_EXT)).exists():
            continue
        seg = SegmentData(storage, segment, eager=False)
        try:
            writer = PrefixSetWriter(seg.doc_count_all)
            for field in sorted(PREFIX_FIELDS):
                for _, term, info in seg.iter_terms(field):
                    writer.add(field, term, seg.postings(info.extent())[0])
            writer.write(storage, segment)
            written += 1
        finally:
            seg.close()
    return written
