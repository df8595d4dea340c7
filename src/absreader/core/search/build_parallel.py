"""A full index build on several cores: worker processes each index a run of the library.

A one-process build analyses every paper, writes segments of ``SEGMENT_SIZE``
papers (each searchable as soon as it is committed) and finally merges them
in runs of at most ``MERGE_CAP``, each merged segment getting its "more like
this" signatures. The same work splits cleanly
by run: here the library is cut by row id into a first run of
``FIRST_SEGMENT`` papers (searchable within seconds, as in a one-process
build) and then runs of ``MERGE_CAP`` papers. Each run is indexed by a
spawned worker that reads its papers from the library itself (no papers go
through a pipe) and writes one segment into a private folder inside the build,
spilling its postings to disk every ``SEGMENT_SIZE`` papers instead of writing
and merging small segments (``format/spill.py``: every posting is encoded
once); the parent moves that segment into the build, commits
it (searches of a partial build see it) and notes the file of the run's word
counts, which the vocabulary is merged from as a stream (``word_runs.py``). The index gets as many segments as a one-process build, cut at
other places, with the same documents in the same order.

Memory: each worker holds the postings of at most ``SEGMENT_SIZE`` papers
while it reads, then streams its spilled runs into the segment's writer (about
the peak of a one-process build's ``MERGE_CAP`` merge). Only one worker at
a time writes its segment, so two runs ending together do not peak together;
a worker exits after each run, so its memory goes back to the system. The
parent holds no counts of the whole library's words: each worker writes its
run's word counts to a sorted file, and the vocabulary is merged from those
as a stream (``word_runs.py``), so the parent's memory does not grow with the
library either.
Stopping the build (closing the generator, Ctrl-C) terminates the workers at
once; the caller removes the unfinished build folder.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from absreader.core.search.types import IndexProgress

#: Environment variable: how many worker processes a large build uses (1: one process).
WORKERS_ENV = "ABSREADER_INDEX_WORKERS"
#: At most this many workers by default (each may hold a MERGE_CAP merge, ~430 MB).
MAX_WORKERS = 2
#: A full build of at least this many papers runs in workers (fewer: one process, which
#: spares the workers' start-up and writes segments small builds search as soon).
PARALLEL_FROM = 20_000

_progress: Any = None  # the parent's shared counter of papers analysed, in a worker
_finishing: Any = None  # held by the worker writing its segment (its memory peak), in a worker


@dataclass(frozen=True)
class Run:
    """Papers ``after < id <= until`` (``until`` None: to the end), indexed by one worker."""

    number: int
    after: int
    until: int | None
    papers: int


@dataclass(frozen=True)
class BuildPlan:
    """How a build is split: the library file, the runs, segment size, workers."""

    library_file: Path
    runs: tuple[Run, ...]
    segment_size: int
    workers: int


def default_workers() -> int:
    """Workers for a large build: ``ABSREADER_INDEX_WORKERS``, else the usable CPUs (at most 2)."""
    value = os.environ.get(WORKERS_ENV, "").strip()
    if value.isdigit() and int(value) >= 1:
        return int(value)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cpus))


def plan_runs(
    nth_id: Callable[[int], int | None],
    total: int,
    *,
    first: int,
    cap: int,
) -> list[Run]:
    """Cut ``total`` papers into a first run of ``first`` and runs of ``cap``.

    ``nth_id(n)`` is the row id of the n-th paper (``Library.nth_id``). The last
    run is open-ended, so papers added while the build runs are not lost.
    """
    sizes = [min(first, total)]
    while sum(sizes) < total:
        sizes.append(min(cap, total - sum(sizes)))
    runs: list[Run] = []
    after, seen = 0, 0
    for number, size in enumerate(sizes):
        seen += size
        last = number == len(sizes) - 1
        until = None if last else nth_id(seen)
        if until is None and not last:
            last = True  # the library shrank meanwhile: this run takes the rest
        runs.append(Run(number, after, None if last else until, size))
        if last:
            break
        after = until  # type: ignore[assignment]
    return runs


def build_runs(
    folder: Path,
    plan: BuildPlan,
    total: int,
    word_files: list[Path],
    commit: Callable[[list[Any], int], None],
) -> Iterator[IndexProgress]:
    """Index ``plan``'s runs in worker processes into the build at ``folder``.

    Each finished run's segment is passed to ``commit(segments, papers_done)``
    with every segment finished so far, in run order (the caller writes the
    table of contents). The files of each finished run's word counts (documents
    per surface word, ``word_runs.py``) are appended to ``word_files`` first.
    Yields progress about twice a second.
    """
    ctx = multiprocessing.get_context("spawn")  # never fork a process that may run threads
    counter = ctx.Value("q", 0)
    # One worker at a time writes its segment (a worker's memory peak); the others keep
    # reading and spilling meanwhile, so the peaks of runs that end together do not add up.
    finishing = ctx.Lock()
    pool = ctx.Pool(
        min(plan.workers, len(plan.runs)),
        initializer=_init_worker,
        initargs=(counter, finishing),
        maxtasksperchild=1,
    )
    segments: dict[int, Any] = {}
    done = 0
    try:
        pending = [
            pool.apply_async(
                _index_run, (str(folder), str(plan.library_file), run, plan.segment_size)
            )
            for run in plan.runs
        ]
        yield IndexProgress(0, total, "indexing")
        while pending:
            pending[0].wait(0.5)
            still = []
            for result in pending:
                if not result.ready():
                    still.append(result)
                    continue
                number, segment, words, papers = result.get()  # a worker's error re-raised here
                if words is not None:
                    word_files.append(Path(words))
                done += papers
                if segment is not None:
                    _adopt(folder, number, segment)
                    segments[number] = segment
                commit([segments[n] for n in sorted(segments)], done)
            pending = still
            with counter.get_lock():
                analysed = counter.value
            yield IndexProgress(min(analysed, max(total, done)), max(total, done), "indexing")
        pool.close()
        pool.join()
    except BaseException:
        pool.terminate()
        pool.join()
        raise


def _private(folder: Path, number: int) -> Path:
    """Where the worker of run ``number`` writes its segments, inside the build."""
    return folder / f"run-{number:05d}.tmp"


def _adopt(folder: Path, number: int, segment: Any) -> None:
    """Move a finished run's segment files from its private folder into the build."""
    private = _private(folder, number)
    prefix = segment.segment_id() + "."
    for path in private.iterdir():
        if path.name.startswith(prefix):
            os.replace(path, folder / path.name)
    shutil.rmtree(private, ignore_errors=True)


def _init_worker(counter: Any, finishing: Any = None) -> None:
    global _progress, _finishing
    _progress = counter
    _finishing = finishing
    # Ctrl-C reaches the whole process group: the parent stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _count(papers: int) -> None:
    if _progress is not None:
        with _progress.get_lock():
            _progress.value += papers


def _index_run(folder: str, library_file: str, run: Run, segment_size: int) -> tuple:
    """In a worker: index one run into one segment; move its files into ``folder``.

    The cyclic garbage collector is off meanwhile: what a run allocates (papers,
    analysed papers, the pool's arrays and lists) holds no reference cycles, and
    each of the collector's full passes walked the whole pool (31 passes, 5.2 of
    205 CPU-s of a 100k run). It runs by hand every ``segment_size`` papers, so
    any cycle still goes soon.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _index_run_collecting(folder, library_file, run, segment_size)
    finally:
        if enabled:
            gc.enable()


def _index_run_collecting(folder: str, library_file: str, run: Run, segment_size: int) -> tuple:
    """:func:`_index_run`'s work, with the collector off."""
    from absreader.core.library import Library
    from absreader.core.search.format.schema import SCHEMA, analyse
    from absreader.core.search.format.segments import open_storage
    from absreader.core.search.format.write import SegmentBuilder
    from absreader.core.search.word_runs import run_file, write_run

    build = Path(folder)
    private = _private(build, run.number)
    shutil.rmtree(private, ignore_errors=True)
    private.mkdir()
    storage = open_storage(private, create=True)
    counts: Counter[str] = Counter()
    # One segment for the whole run, its postings spilled to disk every segment_size
    # papers (see format/spill.py): each posting is W3-encoded once, and the memory
    # held is that of segment_size papers plus the final write.
    # It also keeps the papers' term sequences, so the segment's phrase pair sets (.absw)
    # are written without reading its positions back (format/pair_streams.py).
    builder = SegmentBuilder(
        storage, SCHEMA, None, signatures=True, spill_every=segment_size, pairs=True
    )
    done = unreported = 0
    collect_at = segment_size
    library = Library.open(Path(library_file), create=False)
    try:
        for paper in library.iter_papers(after=run.after, until=run.until):
            doc = analyse(paper)
            counts.update(doc.surface)
            builder.add(doc)
            done += 1
            if done >= collect_at:  # the collector is off (see _index_run)
                gc.collect()
                collect_at += segment_size
            unreported += 1
            if unreported >= 500:
                _count(unreported)
                unreported = 0
    except BaseException:
        builder.cancel()
        raise
    finally:
        library.close()
    _count(unreported)
    words: str | None = None
    if counts:
        path = run_file(build, run.number)
        write_run(path, counts)
        words = str(path)
    del counts
    if _finishing is not None:
        with _finishing:
            final = builder.finish()
            _pairs_if_missing(storage, final)
    else:
        final = builder.finish()
        _pairs_if_missing(storage, final)
    if final is None:
        shutil.rmtree(private, ignore_errors=True)
        return run.number, None, words, done
    # The files stay in the private folder: the parent moves them into the build just
    # before it commits them. (Moved here, a commit of another run's segment meanwhile
    # would delete them as files no generation needs.)
    return run.number, final, words, done


def _pairs_if_missing(storage: Any, segment: Any) -> None:
    """Derive the segment's pair sets from its positions if its builder wrote none."""
    from absreader.core.search.format.pairs import PAIRS_EXT, write_for_segment

    if segment is not None and not (Path(storage.folder) / segment.make_filename(PAIRS_EXT)).exists():
        write_for_segment(storage, segment)
