"""The catalog: the library (store of record) and the search index, kept in step.

The CLI and the reader both talk to this one facade. Every change to a paper
goes to the library first, in a transaction; the index then catches up from
the library's change counter (``seq``), so a crash between the two only ever
leaves the index behind, and the next sync repairs it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from absreader.core.index_types import IndexProgress, IndexUnavailable, SearchResult
from absreader.core.library import Library, NotFound
from absreader.core.library import LibraryError as LibraryError  # re-exported for the reader
from absreader.core.models import ImportReport, Paper, SavedSearch, TagInfo
from absreader.paths import Paths, sample_data_dir

if TYPE_CHECKING:
    from absreader.core.importer import ImportOptions, ImportProgress
    from absreader.core.index import SearchIndex

try:  # POSIX; elsewhere two processes may both build a missing index (harmless, slower)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

LIST_KINDS = ("all", "unread", "bookmarked", "tag", "saved")
# Above this many changed papers (or a fifth of the library) a sync rebuilds instead.
REBUILD_MIN_CHANGED = 2000
#: Library meta entry: "started" while the first run's sample import runs, then "done".
FIRST_RUN = "first_run"
#: Held (in the cache dir) while one process checks and builds or updates the index.
SYNC_LOCK = "sync.lock"

T = TypeVar("T")


@dataclass(frozen=True)
class ListSpec:
    """Which reading list is shown: all, unread, bookmarked, a tag or a saved search."""

    kind: str = "all"
    name: str = ""

    @property
    def label(self) -> str:
        if self.kind in ("tag", "saved"):
            return self.name
        return self.kind.capitalize()


@dataclass(frozen=True)
class Page:
    """One page of a list or a search: keys in order, and what to tell the user."""

    keys: list[str]
    total: int
    library_total: int
    query: str = ""
    suggestion: str | None = None
    notice: str | None = None
    elapsed_ms: float = 0.0


@dataclass(frozen=True)
class Lists:
    """The sidebar's contents with counts."""

    all: int
    unread: int
    bookmarked: int
    tags: list[TagInfo] = field(default_factory=list)
    saved: list[SavedSearch] = field(default_factory=list)


class Catalog:
    """Library plus index, for the CLI and the reader."""

    def __init__(self, paths: Paths, library: Library) -> None:
        self.paths = paths
        self.library = library
        self._index: SearchIndex | None = None
        self._index_lock = threading.Lock()
        self.notice: str | None = None
        self._restrict_cache: tuple[tuple[ListSpec, int], frozenset[str]] | None = None

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
                    from absreader.core.index import SearchIndex

                    self._index = SearchIndex(self.paths.index_dir)
        return self._index

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
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
        self, files: Sequence[Path] | None = None
    ) -> Iterator[ImportProgress | ImportReport | IndexProgress]:
        """Import the sample data (or ``files``) on the first start, then build the index.

        The run is marked started before and done after the import, so a first
        run killed part-way is simply run again at the next start (importing a
        file twice is harmless: its records merge into themselves).
        """
        self.library.set_meta(FIRST_RUN, "started")
        from absreader.core.importer import import_files

        yield from import_files(self.library, self.sample_files() if files is None else files)
        self.library.set_meta(FIRST_RUN, "done")
        yield from self.sync_index()

    def index_state(self) -> str:
        return self.index.state()

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

    def rebuild_index(self) -> Iterator[IndexProgress]:
        """Rebuild the whole index from the library (beside the live one, then swapped in)."""
        with self._sync_lock():
            yield from self._rebuild()

    def _rebuild(self) -> Iterator[IndexProgress]:
        seq = self.library.current_seq()
        yield from self.index.build(self.library.iter_papers(), self.library.count(), seq)

    @contextmanager
    def _sync_lock(self, wait: bool = True) -> Iterator[bool]:
        """Hold the cache's sync lock (True), or yield False at once if ``wait`` is off and it is taken.

        Without a lock (no ``fcntl``, or a cache that cannot be written) this
        goes ahead unguarded: the index keeps its own lock around writes.
        """
        try:
            self.paths.cache_dir.mkdir(parents=True, exist_ok=True)
            handle = open(self.paths.cache_dir / SYNC_LOCK, "a+b")  # noqa: SIM115 - closed below
        except OSError:
            yield True
            return
        with handle:
            if fcntl is None:  # pragma: no cover - not POSIX
                yield True
                return
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

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
        )

    def _list_filters(self, spec: ListSpec) -> dict:
        if spec.kind == "unread":
            return {"unread": True}
        if spec.kind == "bookmarked":
            return {"bookmarked": True}
        if spec.kind == "tag":
            return {"tags": [spec.name]}
        return {}

    def page(
        self,
        query: str = "",
        spec: ListSpec = ListSpec(),
        *,
        limit: int = 100,
        offset: int = 0,
        as_you_type: bool = False,
    ) -> Page:
        """A page of the list ``spec``, narrowed by ``query`` when there is one."""
        start = time.perf_counter()
        total_library = self.library.count()
        text = query.strip()
        saved_query = ""
        if spec.kind == "saved":
            try:
                saved_query = self.library.get_search(spec.name).query
            except NotFound:
                saved_query = ""
        if not text and not saved_query:
            filters = self._list_filters(spec)
            keys = self.library.list_keys(limit=limit, offset=offset, **filters)
            total = (
                self.library.count_keys(**filters)
                if (filters or offset or len(keys) == limit)
                else len(keys)
            )
            return Page(keys, total, total_library, "", None, None, _ms(start))
        restrict = None
        filters = self._list_filters(spec)
        if filters:
            restrict = self._restrict_keys(spec, filters)
        combined = text
        if saved_query:
            combined = f"({saved_query}) ({text})" if text else saved_query
        result = self.search(
            combined, limit=limit, offset=offset, as_you_type=as_you_type, restrict=restrict
        )
        return Page(
            [h.key for h in result.hits],
            result.total,
            total_library,
            text,
            result.suggestion,
            result.notice,
            _ms(start),
        )

    def _restrict_keys(self, spec: ListSpec, filters: dict) -> frozenset[str]:
        """The keys of a reading list, cached until the library changes (one per keystroke otherwise)."""
        stamp = (spec, self.library.current_seq())
        cached = self._restrict_cache
        if cached is not None and cached[0] == stamp:
            return cached[1]
        keys = frozenset(self.library.list_keys(ordered=False, **filters))
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

    # ---------------------------------------------------------------- personal data

    def _after_change(self, paper: Paper) -> Paper:
        """Bring the index up to date after a personal-data change (cheap: one paper).

        A missing or broken index is left for the next search to rebuild, and
        if another process is building or updating it, that one (or the next
        sync) takes this change in: a bookmark never waits on a full build.
        """
        if self.index.state() != "ok":
            return paper
        with self._sync_lock(wait=False) as locked:
            if locked:
                try:
                    for _ in self._sync():
                        pass
                except (OSError, IndexUnavailable):
                    pass  # the change is in the library; the next sync brings the index up
        return paper

    def set_bookmarked(self, key: str, on: bool = True) -> Paper:
        return self._after_change(self.library.set_bookmarked(key, on))

    def set_read(self, key: str, read: bool = True) -> Paper:
        return self._after_change(self.library.set_read(key, read))

    def set_note(self, key: str, text: str) -> Paper:
        return self._after_change(self.library.set_note(key, text))

    def add_tags(self, key: str, names: Sequence[str]) -> Paper:
        return self._after_change(self.library.add_tags(key, names))

    def remove_tags(self, key: str, names: Sequence[str]) -> Paper:
        return self._after_change(self.library.remove_tags(key, names))

    def save_search(self, name: str, query: str) -> SavedSearch:
        return self.library.save_search(name, query)

    # ================================================================ reader facade (ui branch)
    # Thin wrappers so ``absreader.ui`` never reaches into ``catalog.library`` or
    # ``catalog.index``. Each only forwards; move the bodies freely when the
    # library and index are restructured, the names are what the reader uses.

    def change_counter(self) -> int:
        """The library's change counter: any committed write (any process) raises it."""
        return self.library.current_seq()

    def changed_papers(self, seq: int, limit: int = 500) -> list[Paper] | None:
        """Papers changed after ``seq``; None when more than ``limit`` did (reload instead)."""
        if self.library.count_changed_since(seq) > limit:
            return None
        return list(self.library.changed_since(seq))

    def paper_count(self) -> int:
        """How many papers the library holds."""
        return self.library.count()

    def indexed_count(self) -> int:
        """How many papers the search index holds (0 while none is built)."""
        return self.index.doc_count()

    def list_query(self, spec: ListSpec, query: str = "") -> str:
        """The query a list plus typed words search for (a saved search's query grouped in)."""
        text = query.strip()
        saved = ""
        if spec.kind == "saved":
            try:
                saved = self.library.get_search(spec.name).query
            except NotFound:
                saved = ""
        if saved and text:
            return f"({saved}) ({text})"
        return saved or text

    def saved_search_counts(self) -> dict[str, int]:
        """How many papers each saved search finds, by name."""
        counts: dict[str, int] = {}
        for saved in self.library.saved_searches():
            counts[saved.name] = self.page("", ListSpec("saved", saved.name), limit=1).total
        return counts

    def bibtex_entry(self, paper: Paper) -> tuple[str, str]:
        """A BibTeX entry for ``paper``: its citation key and the entry's text."""
        from absreader.core.export import citation_key, to_bibtex_entry

        key = citation_key(paper, set())
        return key, to_bibtex_entry(paper, key)

    # ============================================================ end of reader facade


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0
