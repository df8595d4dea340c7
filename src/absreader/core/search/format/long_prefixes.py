"""Stored document sets of five-letter prefixes (``.absq``), derived from a segment.

The build stores, per segment, the documents of every 3- and 4-letter prefix
shared by several terms (``.absp``, :mod:`~absreader.core.search.format.prefixes`).
A longer prefix begins fewer terms, but ``inter``, ``gener`` or ``effic`` still
begin hundreds a segment, most of them seen once or twice, and OR-ing them on
the keystroke that types the fifth letter walks Whoosh's term index in Python:
about 2 ms a field and segment, 60 ms for ``inter`` at a million papers. This
file holds the same kind of sets, written by the same
:class:`~absreader.core.search.format.prefixes.PrefixSetWriter`, for the
5-letter prefixes shared by at least ``MIN_TERMS`` terms.

A segment's writer makes it as it writes the terms (``write.TermsWriter`` feeds
a second :class:`PrefixSetWriter`); :func:`write_for` makes the same bytes from
a written segment. A segment without it answers as before (the terms are
OR-ed), and :func:`backfill` writes it for the segments that lack it (see
:mod:`absreader.core.search.sidecars`).
"""

from __future__ import annotations

from pathlib import Path

from whoosh.filedb.filestore import FileStorage

from absreader.core.search.format.prefixes import PREFIX_FIELDS, PrefixSetWriter
from absreader.core.search.format.segments import SegmentData

LONG_EXT = ".absq"
#: Prefix lengths this file holds sets for.
LONG_LENGTHS = (5,)


def path_of(folder: Path | str, seg: SegmentData) -> Path:
    """Where the segment's long-prefix file lives."""
    return Path(folder) / seg.segment.make_filename(LONG_EXT)


def write_for(storage: FileStorage, seg: SegmentData) -> None:
    """Write one segment's ``.absq`` file (aside, then renamed into place)."""
    shortest = min(LONG_LENGTHS)
    writer = PrefixSetWriter(seg.doc_count_all, LONG_LENGTHS)
    for field in sorted(PREFIX_FIELDS):
        for _, term, info in seg.iter_terms(field):
            if len(term) < shortest:
                continue
            df, low, high = info.doc_frequency(), info.min_id(), info.max_id()
            if df <= 2 and low is not None and high is not None:
                writer.add(field, term, (low, high) if df == 2 else (low,))
            else:
                writer.add(field, term, seg.postings(info.extent())[0])
    writer.write(storage, seg.segment, LONG_EXT)

