"""The library and its search index, kept in step: the part of the catalog that indexes.

Every write commits to the library first; the index then catches up from the
library's change counter (``seq``), so a crash between the two only ever leaves
the index behind, and the next sync repairs it. One lock (``search/lock.py``)
guards every change to the index; searching takes none. ``Catalog`` builds on
this class and adds selection, personal data and feeds.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, TypeVar

from absreader.core.library import Library
from absreader.core.search.lock import IndexLock
from absreader.core.search.state import current_name, quick_state, read_meta
from absreader.core.search.types import IndexProgress, IndexUnavailable, SearchResult
from absreader.paths import Paths

if TYPE_CHECKING:
    from absreader.core.search.build_parallel import BuildPlan
    from absreader.core.search.index import SearchIndex

# Above this many changed papers (or a fifth of the library) a sync rebuilds instead.
REBUILD_MIN_CHANGED = 2000
#: A search first takes in at most this many papers the index is behind on (a
#: command's bookmark, tag or note; ~0.3 s to apply); more is left to a full sync.
CATCH_UP_MAX = 200

T = TypeVar("T")


class IndexedLibrary:
    """A library and the search index derived from it."""

    def __init__(self, paths: Paths, library: Library) -> None:
        self.paths = paths
        self.library = library
        self._index: SearchIndex | None = None
        self._index_lock = threading.Lock()
        #: The library's ``seq`` the index was last seen to have taken in (see catch_up_index).
        self._caught_up = -1
        self._too_far: tuple[int, int] | None = None
        #: How many changed papers a search catches up on first; None: any number (the
        #: command line, where a search may take the time a full sync needs).
        self.catch_up_limit: int | None = CATCH_UP_MAX
        #: One line for the user about the index (rebuilt, moved aside...); shown once.
        self.notice: str | None = None
        #: Segments the last ``add_phrase_pairs`` gave a pair file.
        self.phrase_pairs_written = 0

    @property
    def index(self) -> SearchIndex:
        """The search index, loaded on first use (Whoosh stays out of the reader's start-up)."""
        if self._index is None:
            with self._index_lock:
                if self._index is None:
                    from absreader.core.search.index import SearchIndex

                    self._clear_index_path()
                    self._index = SearchIndex(self.paths.index_dir)
        return self._index

    def _clear_index_path(self) -> None:
        """Something that is not a folder where the index belongs is moved aside (with a notice)."""
        folder = self.paths.index_dir
        if folder.is_dir() or not (folder.exists() or folder.is_symlink()):
            return
        aside = folder.with_name(f"{folder.name}.not-a-folder.{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(folder, aside)
        except OSError as exc:
            self.notice = f"{folder} is not a folder and could not be moved aside ({exc.strerror})"
            return
        self.notice = f"{folder} was not a folder; moved it to {aside.name} and rebuilt the index"

    def update_index(self, *, in_child: bool = False, rebuild: bool = False) -> Iterator[IndexProgress]:
        """``sync_index`` (or ``rebuild_index``); with ``in_child``, a full build runs in a
        child process (the reader's way: its memory and keystroke latency stay flat),
        while a small catch-up stays in this process."""
        if in_child and (rebuild or self.needs_full_build()):
            yield from self.build_in_subprocess(rebuild=rebuild)
        elif rebuild:
            yield from self.rebuild_index()
        else:
            yield from self.sync_index()
        if in_child:
            # Derived files an older index or small updates lack: written by a low-priority
            # child, never with this process's CPU (searches find them as they appear).
            self.index.start_sidecars()

    def searchable_mark(self) -> object:
        """Changes as a first build's segments become searchable (None otherwise)."""
        return self.index.searchable_mark()

    def index_state(self, *, quick: bool = False) -> str:
        """The index's state; ``quick`` reads only its marker files (no Whoosh import)."""
        if quick and self._index is None:
            return quick_state(self.paths.index_dir)
        return self.index.state()

    def add_phrase_pairs(self) -> Iterator[IndexProgress]:
        """Give an index built before the stored word pairs its pair files (no rebuild).

        ``phrase_pairs_written`` says how many segments got one.
        """
        index = self.index
        yield from index.add_phrase_pairs()
        self.phrase_pairs_written = index.pairs_written

    def index_matches_library(self) -> bool:
        """True when the index holds exactly the library's papers."""
        return self.index.doc_count() == self.library.count()

    def sync_index(self) -> Iterator[IndexProgress]:
        """Build the index if it is missing or broken, else apply the library's changes.

        One process at a time: a second reader starting on an empty cache waits
        here while the first builds, then finds the index built and only
        catches up. An index that cannot be written (disk full, read-only
        cache) leaves a notice instead of failing the command; the library
        already holds every change.
        """
        with self._sync_lock():
            try:
                yield from self._sync()
            except OSError as exc:
                self.notice = (
                    f"could not update the search index ({exc.strerror or exc}); "
                    "searches may miss recent changes until it is rebuilt"
                )

    def _sync(self) -> Iterator[IndexProgress]:
        state = self.index.state()
        if state != "ok":
            if state in ("incomplete", "corrupt", "outdated"):
                self.notice = f"search index was {state}; rebuilt it from the library"
            yield from self._rebuild()
            return
        before = self.library.count()  # papers are never deleted: counts only grow
        since = self.index.synced_seq
        current = self.library.current_seq()
        if current > since and self.library.count_changed_since(since) > max(
            REBUILD_MIN_CHANGED, before // 5
        ):
            # Many changes (a big import): a fresh build beside the live index is
            # faster than updating document by document, and search keeps working.
            yield from self._rebuild()
            return
        if current > since:
            changed = self.library.changed_since(since)
            deleted = self.library.deleted_since(since)
            try:
                yield from self.index.update(changed, deleted, current)
            except IndexUnavailable as exc:
                self.notice = f"search index was {exc.state}; rebuilt it from the library"
                yield from self._rebuild()
                return
        indexed = self.index.doc_count()
        if not before <= indexed <= self.library.count():
            # Unreadable (counts as 0) or lost papers: the index is not what it claims.
            self.notice = "search index did not match the library; rebuilt it from the library"
            yield from self._rebuild()

    def needs_full_build(self) -> bool:
        """Would ``sync_index()`` build the whole index (none yet, broken, or many changes)?"""
        if self.index_state(quick=True) != "ok" or self.index.state() != "ok":
            return True
        since, current = self.index.synced_seq, self.library.current_seq()
        return current > since and self.library.count_changed_since(since) > max(
            REBUILD_MIN_CHANGED, self.library.count() // 5
        )

    def build_in_subprocess(self, *, rebuild: bool = False) -> Iterator[IndexProgress]:
        """``sync_index()`` (or with ``rebuild``, ``rebuild_index()``) in a child process.

        For the reader: a first build or a rebuild of a large library holds
        hundreds of MB and both cores for minutes; in a child (at lower
        priority) the reader's memory and keystroke latency stay flat, and it
        searches the build's committed segments meanwhile. Yields progress;
        closing the generator stops the child cleanly. Raises IndexUnavailable
        if the child fails. Afterwards this catalog's index reopens the new one.
        """
        from absreader.core.search.build_job import run_in_subprocess

        for event in run_in_subprocess(self.paths, rebuild=rebuild):
            if isinstance(event, IndexProgress):
                yield event
            else:
                if event.get("notice"):
                    self.notice = str(event["notice"])
                if self._index is not None:
                    self._index.close()  # the next search opens the new generation

    def rebuild_index(self) -> Iterator[IndexProgress]:
        """Rebuild the whole index from the library (beside the live one, then swapped in)."""
        with self._sync_lock():
            yield from self._rebuild()

    def _rebuild(self) -> Iterator[IndexProgress]:
        seq = self.library.current_seq()
        total = self.library.count()
        yield from self.index.build(
            self.library.iter_papers(), total, seq, unique=True, plan=self._build_plan(total)
        )

    def _build_plan(self, total: int) -> BuildPlan | None:
        """Worker processes for a build of ``PARALLEL_FROM`` papers or more (None: one process).

        Below a merged segment's size too: a worker writes its run as one segment,
        its postings spilled to disk, where a one-process build writes segments of
        ``SEGMENT_SIZE`` and merges them again at the end (at 100,000 papers, 213
        CPU-s against about 125).
        """
        from absreader.core.search import build_parallel, generations, index
        from absreader.core.search.build_parallel import BuildPlan, default_workers, plan_runs

        workers = default_workers()
        cap = generations.MERGE_CAP
        if workers < 2 or total < build_parallel.PARALLEL_FROM:
            return None
        ids = self.library.row_ids()
        runs = plan_runs(
            lambda n: ids[n - 1] if 0 < n <= len(ids) else None,
            total,
            first=index.FIRST_SEGMENT,
            cap=cap,
        )
        return BuildPlan(self.paths.library_file, tuple(runs), index.SEGMENT_SIZE, workers)

    def _sync_lock(self, wait: bool = True) -> AbstractContextManager[bool]:
        """Hold the index's one lock (True), or yield False at once if ``wait`` is off and
        another process or thread holds it (see ``index_lock``)."""
        folder = self.paths.index_dir
        return IndexLock.for_path(folder.parent / f"{folder.name}.lock").hold(wait)

    def search(
        self,
        query: str,
        *,
        limit: int = 50,
        offset: int = 0,
        as_you_type: bool = False,
        restrict: frozenset[str] | None = None,
    ) -> SearchResult:
        """Search the index; a damaged or missing one is rebuilt from the library first."""

        def run() -> SearchResult:
            return self.index.search(
                query, limit=limit, offset=offset, as_you_type=as_you_type, restrict=restrict
            )

        return self._with_index(run)

    def matching(
        self, query: str, *, as_you_type: bool = False, restrict: frozenset[str] | None = None
    ) -> list[str]:
        """Every key ``query`` finds, unranked (``SearchIndex.matching``)."""
        return self._with_index(
            lambda: self.index.matching(query, as_you_type=as_you_type, restrict=restrict)
        )

    def catch_up_index(self) -> None:
        """Take in the library's changes the index does not have yet, before a search.

        A process that has not opened the index (a command: ``bookmark``, ``tag``,
        ``read``, ``note``...) commits its change and leaves the index behind,
        so it never loads Whoosh; the next search, in whichever process, applies
        it here first, so ``tag:x`` or ``is:bookmarked`` find it at once. When
        nothing changed this costs one read of the library's change counter.
        Papers beyond ``catch_up_limit`` (another process's import, which syncs
        when it ends) are left to a full sync, and so is an index another
        process or thread is updating right now (it takes the change in).
        """
        current = self.library.current_seq()
        if current == self._caught_up:
            return
        name = current_name(self.paths.index_dir)
        meta = read_meta(self.paths.index_dir / name) if name else None
        if not meta or not meta.get("complete"):
            return  # no usable index: the search rebuilds it from the library
        since = int(meta.get("seq", 0))
        if since < current:
            limit = self.catch_up_limit
            if limit is not None:
                if self._too_far == (current, since):
                    return  # counted already: not worth a count(*) per keystroke
                if self.library.count_changed_since(since) > limit:
                    self._too_far = (current, since)
                    return
            with self._sync_lock(wait=False) as locked:
                if not locked:
                    return
                try:
                    for _ in self._sync():
                        pass
                except (OSError, IndexUnavailable):
                    return  # the search itself reports (or repairs) an unusable index
        self._caught_up = current

    def _with_index(self, run: Callable[[], T]) -> T:
        """``run()``, the index caught up first; if the index cannot answer, rebuild it
        (once, under the lock) and retry."""
        self.catch_up_index()
        try:
            return run()
        except IndexUnavailable:
            pass
        with self._sync_lock():
            try:
                return run()  # another thread or process may have repaired it meanwhile
            except IndexUnavailable as exc:
                if exc.state != "missing":
                    self.notice = f"search index was {exc.state}; rebuilt it from the library"
                for _ in self._rebuild():
                    pass
        return run()

    def _changed(self, result: T) -> T:
        """Every write comes through here after its transaction: bring the index up to date.

        Only when this process has the index open (the reader): a command that
        changes a paper and exits leaves the index behind and never loads
        Whoosh (~130 ms of CPU); the next search catches up (``catch_up_index``).
        Cheap for a few papers. A missing or broken index is left for the next
        search to rebuild, and if another process or thread holds the index
        lock (building or updating), that one or the next sync takes this
        change in: a write never waits on a build.
        """
        if self._index is None:
            return result
        if self.index_state(quick=True) != "ok" or self.index.state() != "ok":
            return result  # no usable index: the next search or sync builds it from the library
        with self._sync_lock(wait=False) as locked:
            if locked:
                try:
                    for _ in self._sync():
                        pass
                except (OSError, IndexUnavailable):
                    pass  # the change is in the library; the next sync brings the index up
        return result

    def close_index(self) -> None:
        """Release the index's open files."""
        if self._index is not None:
            self._index.close()
