"""The derived per-segment files searches read, and writing those an index lacks.

Four files are made from a finished segment alone: the stored term
frequencies (``.abst``, :mod:`~absreader.core.search.format.frequencies`) and
the five-letter prefix sets (``.absq``,
:mod:`~absreader.core.search.format.long_prefixes`), which a segment's writer
now makes as it writes (the same bytes; the functions here are for segments
written before), the best documents of busy 3-5 letter prefixes (``.absk``,
:mod:`~absreader.core.search.format.prefix_tops`; it also reads the
generation's vocabulary, to parse each prefix as a search does) and,
for segments of at least ``pairs.MIN_DOCS`` papers, the documents of frequent
adjacent word pairs (``.absw``, :mod:`~absreader.core.search.format.pairs`;
a parallel build's workers write theirs from the analysed words as they finish, the rest come from
here, and a merge in the reader's process leaves them to the child). A
segment without them answers the same, only slower, so an index built before
them (a finished 1M index) needs no rebuild: a full build writes them for its
segments (in the build's process; the prefix tops excepted, see
:data:`LATER`), and the reader, once its start-up sync is
done, starts a low-priority child process that writes whatever the live
generation still lacks (:func:`start_backfill`; new segments of small
updates too). The reader's open snapshot looks for a missing file again
every 30 seconds. By hand: ``python -m absreader.core.search.sidecars
INDEX_FOLDER`` (a generation's folder, ``cache/index/gNNNNNN``).

At a million papers the first two take about 210 MB beside a 3.2 GB index
and about 65 CPU-seconds to write for every segment; the pair files 325 MB
and 400-500 CPU-seconds; the prefix tops 360 MB and about 450 CPU-seconds.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from whoosh.codec.whoosh3 import W3Segment
from whoosh.filedb.filestore import FileStorage

from absreader.core.search import prefix_terms
from absreader.core.search.format import frequencies, long_prefixes, pairs, prefix_tops
from absreader.core.search.format.segments import (
    SegmentCorrupt,
    SegmentData,
    open_storage,
    read_toc,
)


def _every(segment: W3Segment) -> bool:
    return True


#: Each kind of derived file: its extension, what writes one for a segment
#: (``write(storage, segment_data)``) and which segments get one. Another kind is one
#: more line here.
KINDS: tuple[
    tuple[str, Callable[[FileStorage, SegmentData], object], Callable[[W3Segment], bool]], ...
] = (
    (frequencies.FREQ_EXT, frequencies.write_for, _every),
    (long_prefixes.LONG_EXT, long_prefixes.write_for, _every),
    (prefix_tops.TOPS_EXT, prefix_terms.write_for, _every),
    (pairs.PAIRS_EXT, pairs.write_pairs, pairs.large_enough),
)
EXTENSIONS = tuple(ext for ext, _, _ in KINDS)
#: Kinds a full build does not derive before its generation goes live: searches are as
#: exact without them, and at a million papers they take minutes (the prefix tops about
#: 450 CPU-s), so the reader's low-priority child writes them after its sync
#: (:func:`start_backfill`), as for an older index or the segments of updates.
LATER = frozenset({prefix_tops.TOPS_EXT})


def _lacking(folder: Path, segment: W3Segment, later: bool = True) -> list[tuple[str, Callable[..., object]]]:
    """The kinds ``segment`` should have and has no file of (``later``: those of :data:`LATER` too)."""
    return [
        (ext, write)
        for ext, write, gets_one in KINDS
        if (later or ext not in LATER)
        and gets_one(segment)
        and not (folder / segment.make_filename(ext)).exists()
    ]


def missing(folder: Path) -> bool:
    """Whether some segment of the generation in ``folder`` lacks a derived file it should have."""
    try:
        segments = read_toc(open_storage(folder)).segments
    except Exception:  # noqa: BLE001 - no index, or a damaged one: nothing to add here
        return False
    return any(_lacking(folder, s) for s in segments)


def backfill(folder: Path, later: bool = True) -> int:
    """Write every derived file the generation's segments lack; the most written of one kind.

    Each segment lacking some file is opened once for all of them. A segment that
    does not decode, or a file that cannot be written, is skipped: the files only
    save time. ``later`` False leaves the kinds of :data:`LATER` (a full build).
    """
    storage = open_storage(folder)
    written = dict.fromkeys(EXTENSIONS, 0)
    for segment in read_toc(storage).segments:
        lacking = _lacking(folder, segment, later)
        if not lacking:
            continue
        try:
            seg = SegmentData(storage, segment, eager=False)
        except SegmentCorrupt:
            continue  # searching reports it; without the files it answers as before
        try:
            for ext, write in lacking:
                try:
                    write(storage, seg)
                    written[ext] += 1
                except (SegmentCorrupt, OSError, KeyError, ValueError):
                    continue  # a full disk, a damaged list: the segment answers without it
        finally:
            seg.close()
    return max(written.values())


def start_backfill(folder: Path) -> subprocess.Popen[bytes] | None:
    """Write what ``folder`` lacks in a child process at low priority (None: nothing lacks).

    The child takes no lock: each file is written aside and renamed into
    place, so a reader sees a whole file or none, and a file for a segment a
    later commit dropped is deleted with that segment's other files.
    """
    if not missing(folder):
        return None
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "absreader.core.search.sidecars", str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_lower_priority if os.name == "posix" else None,  # noqa: PLW1509
        )
    except OSError:
        return None  # the files only save time


def _lower_priority() -> None:
    with contextlib.suppress(OSError):
        os.nice(10)


def main(argv: list[str] | None = None) -> int:
    """``python -m absreader.core.search.sidecars INDEX_FOLDER``: write what it lacks."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: python -m absreader.core.search.sidecars INDEX_FOLDER", file=sys.stderr)
        return 2
    try:
        written = backfill(Path(args[0]))
    except (OSError, SegmentCorrupt, ValueError) as exc:
        print(f"{args[0]}: {exc}", file=sys.stderr)
        return 1
    print(f"{written} segment(s) given their derived files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
