"""The catalog: the library (store of record) and the search index, kept in step.

The CLI and the reader both talk to this one facade. Every change to a paper
goes to the library first, in a transaction; the index then catches up from
the library's change counter (``seq``), so a crash between the two only ever
leaves the index behind, and the next sync repairs it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from absreader.core.library import Library, LibraryError, NotFound, check_tag, normalise_tag
from absreader.core.models import ImportReport, Paper, SavedSearch, TagInfo
from absreader.core.search.lock import IndexLock
from absreader.core.search.state import quick_state
from absreader.core.search.types import IndexProgress, IndexUnavailable, SearchResult
from absreader.core.selection import (
    LIST_KINDS,
    SORT_LABELS,
    SORTS,
    Filters,
    Lists,
    ListSpec,
    Page,
    combine_queries,
    parse_years,
)
from absreader.paths import Paths, sample_data_dir

if TYPE_CHECKING:
    from absreader.core.feeds.events import FetchOptions, FetchProgress, FetchReport
    from absreader.core.feeds.spec import SourceSpec
    from absreader.core.feeds.state import FeedStore
    from absreader.core.importer import ImportOptions, ImportProgress
    from absreader.core.search.index import SearchIndex

# Above this many changed papers (or a fifth of the library) a sync rebuilds instead.
REBUILD_MIN_CHANGED = 2000
#: Library meta entry: "started" while the first run's sample import runs, then "done".
FIRST_RUN = "first_run"

T = TypeVar("T")
#: The whole library, the list every selection starts from by default.
ALL = ListSpec()


class Catalog:
    """Library plus index, for the CLI and the reader."""

    def __init__(self, paths: Paths, library: Library) -> None:
        self.paths = paths
        self.library = library
        self._index: SearchIndex | None = None
        self._index_lock = threading.Lock()
        self.notice: str | None = None
        self._restrict_cache: tuple[tuple[Filters, int], frozenset[str]] | None = None
        self._feeds: FeedStore | None = None

    @classmethod
    def open(cls, paths: Paths) -> Catalog:
        """Open the library (creating it if needed); the index is opened lazily."""
        return cls(paths, Library.open(paths.library_file))

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

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        if self._feeds is not None:
            self._feeds.close()
        self.library.close()

    # ---------------------------------------------------------------- importing and indexing

    def is_empty(self) -> bool:
        return self.library.count() == 0

    def sample_files(self) -> list[Path]:
        """The bundled sample data, imported on the reader's first run."""
        return sorted(p for p in sample_data_dir().iterdir() if p.is_file())

    def import_paths(
        self, paths: Sequence[Path], options: ImportOptions | None = None, *, index: bool = True
    ) -> Iterator[ImportProgress | ImportReport | IndexProgress]:
        """Import files into the library, then bring the index up to date."""
        from absreader.core.importer import ImportOptions, import_files  # parsers load on demand

        options = options or ImportOptions()
        if not options.dry_run and self.library.get_meta(FIRST_RUN) is None:
            # The user is filling the library: a reader opened meanwhile must not
            # take the still-empty library for a first run and add the samples.
            self.library.set_meta(FIRST_RUN, "done")
        yield from import_files(self.library, paths, options)
        if index and not options.dry_run:
            yield from self.sync_index()

    def needs_first_run(self) -> bool:
        """True on the very first start (empty library), and after a first run cut short."""
        state = self.library.get_meta(FIRST_RUN)
        return state == "started" or (state is None and self.is_empty())

    def first_run(
        self, files: Sequence[Path] | None = None, *, index_in_child: bool = False
    ) -> Iterator[ImportProgress | ImportReport | IndexProgress]:
        """Import the sample data (or ``files``) on the first start, then build the index.

        The run is marked started before and done after the import, so a first
        run killed part-way is simply run again at the next start (importing a
        file twice is harmless: its records merge into themselves). The reader
        builds the index in a child process (``index_in_child``), so its own
        memory and keystrokes stay flat.
        """
        self.library.set_meta(FIRST_RUN, "started")
        from absreader.core.importer import import_files

        yield from import_files(self.library, self.sample_files() if files is None else files)
        self.library.set_meta(FIRST_RUN, "done")
        yield from self.update_index(in_child=index_in_child)

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

    def index_state(self, *, quick: bool = False) -> str:
        """The index's state; ``quick`` reads only its marker files (no Whoosh import)."""
        if quick and self._index is None:
            return quick_state(self.paths.index_dir)
        return self.index.state()

    def index_matches_library(self) -> bool:
        """True when the index holds exactly the library's papers."""
        return self.index.doc_count() == self.library.count()

    def paper_count(self) -> int:
        """How many papers the library holds."""
        return self.library.count()

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
        yield from self.index.build(
            self.library.iter_papers(), self.library.count(), seq, unique=True
        )

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

    def _with_index(self, run: Callable[[], T]) -> T:
        """``run()``; if the index cannot answer, rebuild it (once, under the lock) and retry."""
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

    # ---------------------------------------------------------------- reading

    def paper(self, key: str) -> Paper:
        return self.library.require(key)

    def papers(self, keys: Sequence[str]) -> list[Paper]:
        return self.library.get_many(keys)

    def lists(self) -> Lists:
        everything, unread, bookmarked = self.library.list_counts()
        return Lists(
            all=everything,
            unread=unread,
            bookmarked=bookmarked,
            tags=self.library.tags(),
            saved=self.library.saved_searches(),
            new=self.feeds.count_new(),
            new_by_feed=self.feeds.new_by_feed(),
        )

    def select(
        self,
        spec: ListSpec | Filters = ALL,
        query: str = "",
        *,
        limit: int | None = 100,
        offset: int = 0,
        as_you_type: bool = False,
        sort: str | None = None,
    ) -> Page:
        """The one way from a list (or filters) plus a query to papers, for the reader,
        the CLI and export alike: a page of keys in order, with the totals to show.

        ``sort`` is one of ``SORTS``; None means relevance for a search and newest
        first for a list. ``limit=None`` returns every key. A saved search that no
        longer exists selects nothing.
        """
        start = time.perf_counter()
        if sort is not None and sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r} (one of {', '.join(SORTS)})")
        filters = Filters.of(spec)
        total_library = self.library.count()
        text = query.strip()
        saved_query = ""
        if filters.saved is not None:
            try:
                saved_query = self.library.get_search(filters.saved).query
            except NotFound:
                return Page([], 0, total_library, text, None, None, _ms(start))
        combined = combine_queries(saved_query, text)
        if filters.new:
            return self._select_new(filters, combined, limit, offset, as_you_type, sort, start)
        if not combined:
            order = "newest" if sort in (None, "relevance") else sort
            kwargs = filters.library_filters()
            keys = self.library.list_keys(limit=limit, offset=offset, order=order, **kwargs)
            full = limit is not None and len(keys) == limit
            total = self.library.count_keys(**kwargs) if (filters.narrows or offset or full) else len(keys)
            return Page(keys, total, total_library, "", None, None, _ms(start))
        restrict = self._restrict_keys(filters) if filters.narrows else None
        if limit is None or sort not in (None, "relevance"):
            result, keys = None, []
            while True:
                result = self.search(
                    combined, limit=500, offset=len(keys), as_you_type=as_you_type, restrict=restrict
                )
                keys.extend(h.key for h in result.hits)
                if not result.hits or len(keys) >= result.total:
                    break
            if sort not in (None, "relevance"):
                keys = self.library.order_keys(keys, sort)
            keys = keys[offset:] if limit is None else keys[offset : offset + limit]
        else:
            result = self.search(
                combined, limit=limit, offset=offset, as_you_type=as_you_type, restrict=restrict
            )
            keys = [h.key for h in result.hits]
        return Page(
            keys, result.total, total_library, text, result.suggestion, result.notice, _ms(start),
            result.strict_total, result.status,
        )  # fmt: skip

    def facets(self, spec: ListSpec | Filters = ALL) -> dict:
        """The top categories and the years of a list, with counts (from the library's
        indexes, not a scan): ``{"categories": [(cat, n)...], "years": [(year, n)...]}``."""
        filters = Filters.of(spec)
        if filters.saved is not None:
            return {"categories": [], "years": []}
        return self.library.facets(**filters.library_filters())

    def page(
        self,
        query: str = "",
        spec: ListSpec | Filters = ALL,
        *,
        limit: int = 100,
        offset: int = 0,
        as_you_type: bool = False,
        sort: str | None = None,
    ) -> Page:
        """A page of the list ``spec``, narrowed by ``query`` (``select``, query first)."""
        return self.select(
            spec, query, limit=limit, offset=offset, as_you_type=as_you_type, sort=sort
        )

    def _restrict_keys(self, filters: Filters) -> frozenset[str]:
        """The keys of a reading list, cached until the library changes (one per keystroke otherwise)."""
        stamp = (filters, self.library.current_seq())
        cached = self._restrict_cache
        if cached is not None and cached[0] == stamp:
            return cached[1]
        keys = frozenset(self.library.list_keys(ordered=False, **filters.library_filters()))
        self._restrict_cache = (stamp, keys)
        return keys

    def highlights(
        self, paper: Paper, query: str, *, as_you_type: bool = False
    ) -> dict[str, list[tuple[int, int]]]:
        """Spans of the query's terms in the paper's title and abstract."""
        if not query.strip():
            return {}
        return self.index.highlights(paper, query, as_you_type=as_you_type)

    def similar(self, key: str, limit: int = 10) -> list[Paper]:
        paper = self.paper(key)
        hits = self._with_index(lambda: self.index.more_like(paper, limit))
        return self.papers([h.key for h in hits])

    # ---------------------------------------------------------------- feeds (issue 14)
    # Fetching goes through the same path as importing: Library.upsert, then sync_index.
    # The feed tables' SQL lives in core/feeds/state.py, the fetching in core/feeds/.

    @property
    def feeds(self) -> FeedStore:
        """Subscriptions, feed state and the "New" list (opened on first use)."""
        if self._feeds is None:
            from absreader.core.feeds.state import FeedStore

            self._feeds = FeedStore(self.library.path)
        return self._feeds

    def fetch(
        self, specs: Sequence[SourceSpec] | None = None, options: FetchOptions | None = None
    ) -> Iterator[FetchProgress | FetchReport | IndexProgress]:
        """Fetch ``specs`` (default: every subscription), then bring the index up to date.

        A generator like :meth:`import_paths`: progress after every committed
        page, a report per source, index progress after each source that changed
        the library (so its papers are searchable at once).
        """
        from absreader.core.feeds.config import load_fetch_config
        from absreader.core.feeds.runner import FetchReport, run_fetch
        from absreader.core.feeds.spec import parse_source

        config = load_fetch_config(self.paths.config_file)
        if specs is None:
            specs = [parse_source(f.source) for f in self.feeds.subscriptions()]
        if self.library.get_meta(FIRST_RUN) is None:
            self.library.set_meta(FIRST_RUN, "done")  # as for an import: no sample papers later
        for event in run_fetch(self.library, self.feeds, specs, config, options):
            yield event
            if isinstance(event, FetchReport) and event.changed:
                yield from self.sync_index()

    def mark_new_seen(self) -> None:
        """The user has seen the New list: from now on it holds the next fetches (and the last)."""
        self.feeds.mark_seen()

    def _select_new(
        self, filters: Filters, combined: str, limit: int | None, offset: int,
        as_you_type: bool, sort: str | None, start: float,
    ) -> Page:
        """``select`` for the "New" list: the fetched keys, narrowed like any list."""
        total_library = self.library.count()
        new = frozenset(self.feeds.new_keys(ordered=False))
        if filters.narrows:
            new &= self._restrict_keys(replace(filters, new=False))
        if not combined:
            order = "newest" if sort in (None, "relevance") else sort
            keys = self.library.order_keys(list(new), order)
            page = keys[offset:] if limit is None else keys[offset : offset + limit]
            return Page(page, len(keys), total_library, "", None, None, _ms(start))
        result = self.search(combined, limit=100_000, as_you_type=as_you_type, restrict=new)
        keys = [h.key for h in result.hits]
        if sort not in (None, "relevance"):
            keys = self.library.order_keys(keys, sort)
        page = keys[offset:] if limit is None else keys[offset : offset + limit]
        return Page(
            page, result.total, total_library, combined, result.suggestion, result.notice,
            _ms(start), result.strict_total, result.status,
        )  # fmt: skip

    def tags(self) -> list[TagInfo]:
        """Every reading list with its paper and unread counts."""
        return self.library.tags()

    def saved_searches(self) -> list[SavedSearch]:
        return self.library.saved_searches()

    def get_search(self, name: str) -> SavedSearch:
        """One saved search; NotFound if there is none by that name."""
        return self.library.get_search(name)

    def iter_papers(self) -> Iterator[Paper]:
        """Every paper in the order it entered the library (for backups)."""
        return self.library.iter_papers()

    def stats(self) -> dict:
        """The library's counts plus the index's state (for `absreader stats`)."""
        return {**self.library.stats(), "index": self.index_state(quick=True)}

    def has_tag(self, name: str) -> bool:
        norm = normalise_tag(name)
        return any(normalise_tag(t.name) == norm for t in self.library.tags())

    # ---------------------------------------------------------------- what changed

    def current_seq(self) -> int:
        """The library's change counter (every committed write, by any process, raises it)."""
        return self.library.current_seq()

    def changed_keys_since(self, seq: int) -> list[str]:
        """Keys of papers changed after ``seq``: what an open reader redraws."""
        return self.library.changed_keys_since(seq)

    def data_version(self) -> int:
        """Changes whenever another connection (another process) commits to the library."""
        return self.library.data_version()

    # ---------------------------------------------------------------- changes: one path

    def _changed(self, result: T) -> T:
        """Every write comes through here after its transaction: bring the index up to date.

        Cheap for a few papers. A missing or broken index is left for the next
        search to rebuild, and if another process or thread holds the index
        lock (building or updating), that one or the next sync takes this
        change in: a write never waits on a build.
        """
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

    def set_bookmarked(self, key: str, on: bool = True) -> Paper:
        return self._changed(self.library.set_bookmarked(key, on))

    def set_read(self, key: str, read: bool = True) -> Paper:
        return self._changed(self.library.set_read(key, read))

    def set_note(self, key: str, text: str) -> Paper:
        return self._changed(self.library.set_note(key, text))

    def add_tags(self, key: str, names: Sequence[str]) -> Paper:
        return self._changed(self.library.add_tags(key, names))

    def remove_tags(self, key: str, names: Sequence[str]) -> Paper:
        return self._changed(self.library.remove_tags(key, names))

    def delete_papers(self, keys: Sequence[str]) -> int:
        """Delete papers and their personal data (``restore_deleted`` undoes it)."""
        return self._changed(self.library.delete_papers(keys))

    def restore_deleted(self) -> list[str]:
        """Undo the most recent deletion; returns the keys restored."""
        return self._changed(self.library.restore_deleted())

    def edit_paper(self, key: str, **fields: object) -> Paper:
        """Correct a paper's ``title``, ``authors`` or ``year``."""
        return self._changed(self.library.edit_paper(key, **fields))  # type: ignore[arg-type]

    def create_tag(self, name: str) -> TagInfo:
        return self.library.create_tag(name)

    def rename_tag(self, old: str, new: str) -> int:
        """Rename a reading list (merging into an existing one of that name); papers touched."""
        return self._changed(self.library.rename_tag(old, new))

    def merge_tags(self, source: str, target: str) -> int:
        return self._changed(self.library.merge_tags(source, target))

    def delete_tag(self, name: str) -> int:
        """Delete a reading list; its papers stay. Returns papers untagged."""
        return self._changed(self.library.delete_tag(name))

    def save_search(self, name: str, query: str) -> SavedSearch:
        return self.library.save_search(name, query)

    def delete_search(self, name: str) -> None:
        self.library.delete_search(name)

    # ================================================================ reader facade (ui branch)
    # Thin wrappers so ``absreader.ui`` never reaches into ``catalog.library`` or
    # ``catalog.index``. Each only forwards; move the bodies freely when the
    # library and index are restructured, the names are what the reader uses.

    def changed_papers(self, seq: int, limit: int = 500) -> list[Paper] | None:
        """Papers changed after ``seq``; None when more than ``limit`` did (reload instead)."""
        keys = self.changed_keys_since(seq)
        return None if len(keys) > limit else self.papers(keys)

    def indexed_count(self) -> int:
        """How many papers the search index holds (0 while none is built)."""
        return self.index.doc_count()

    def list_query(self, spec: ListSpec, query: str = "") -> str:
        """The query a list plus typed words search for (a saved search's query grouped in)."""
        saved = ""
        if spec.kind == "saved":
            try:
                saved = self.library.get_search(spec.name).query
            except NotFound:
                saved = ""
        return combine_queries(saved, query)

    def saved_search_counts(self) -> dict[str, int]:
        """How many papers each saved search finds, by name."""
        return {
            saved.name: self.select(ListSpec("saved", saved.name), limit=1).total
            for saved in self.library.saved_searches()
        }

    def bibtex_entry(self, paper: Paper) -> tuple[str, str]:
        """A BibTeX entry for ``paper``: its citation key and the entry's text."""
        from absreader.core.export import citation_key, to_bibtex_entry

        key = citation_key(paper, set())
        return key, to_bibtex_entry(paper, key)

    # ============================================================ end of reader facade


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


__all__ = [
    "ALL",
    "LIST_KINDS",
    "Catalog",
    "Filters",
    "IndexProgress",
    "IndexUnavailable",
    "LibraryError",
    "ListSpec",
    "Lists",
    "NotFound",
    "Page",
    "SORTS",
    "SORT_LABELS",
    "check_tag",
    "parse_years",
    "combine_queries",
]
