"""The catalog: the library (store of record) and the search index, kept in step.

The CLI and the reader both talk to this one facade. Every change to a paper
goes to the library first, in a transaction; the index then catches up from
the library's change counter (``seq``), so a crash between the two only ever
leaves the index behind, and the next sync repairs it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from absreader.core.indexed import IndexedLibrary
from absreader.core.library import Library, LibraryError, NotFound, check_tag, normalise_tag
from absreader.core.library.bulk import TagsChanged
from absreader.core.models import ImportReport, Paper, SavedSearch, TagInfo
from absreader.core.search.types import IndexProgress, IndexUnavailable
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

#: Library meta entry: "started" while the first run's sample import runs, then "done".
FIRST_RUN = "first_run"
#: Hits asked for first when every key is wanted unranked (the reader's page: its ranking is kept).
FIRST_PAGE = 200

T = TypeVar("T")
#: The whole library, the list every selection starts from by default.
ALL = ListSpec()


class Catalog(IndexedLibrary):
    """Library plus index, for the CLI and the reader: the one door to both."""

    def __init__(self, paths: Paths, library: Library) -> None:
        super().__init__(paths, library)
        self._restrict_cache: tuple[tuple[Filters, int], frozenset[str]] | None = None
        self._feeds: FeedStore | None = None

    @classmethod
    def open(cls, paths: Paths) -> Catalog:
        """Open the library (creating it if needed); the index is opened lazily."""
        return cls(paths, Library.open(paths.library_file))

    def close(self) -> None:
        self.close_index()
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

    def paper_count(self) -> int:
        """How many papers the library holds."""
        return self.library.count()

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
        ordered: bool = True,
    ) -> Page:
        """The one way from a list (or filters) plus a query to papers, for the reader,
        the CLI and export alike: a page of keys in order, with the totals to show.

        ``sort`` is one of ``SORTS``; None means relevance for a search and newest
        first for a list. ``limit=None`` returns every key; with ``ordered`` off, in
        no particular order (a search's keys are then never ranked). A saved search
        that no longer exists selects nothing.
        """
        start = time.perf_counter()
        if sort is not None and sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r} (one of {', '.join(SORTS)})")
        filters = Filters.of(spec)
        total_library = self.library.count()
        text = query.strip()
        saved_query = self._saved_query(filters.saved) if filters.saved is not None else ""
        if saved_query is None:  # a saved search that no longer exists selects nothing
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
            # The first page gives the totals, the suggestion and the notices. When only
            # those are used (facets, a field order), it is as deep as the reader's page,
            # so the ranking that page made (kept) answers instead of a deeper one.
            ranked = ordered and sort in (None, "relevance")
            first = 500 if ranked else FIRST_PAGE
            result = self.search(combined, limit=first, as_you_type=as_you_type, restrict=restrict)
            if sort not in (None, "relevance") or not ordered:
                # Ordered by a field, or not at all: the matching set, never ranked.
                keys = self.matching(combined, as_you_type=as_you_type, restrict=restrict)
                if sort not in (None, "relevance"):
                    keys = self.library.order_keys(keys, sort)
            elif result.total > len(result.hits):
                # Every hit by relevance: ranked once, to the whole depth.
                whole = self.search(
                    combined, limit=result.total, as_you_type=as_you_type, restrict=restrict
                )
                keys = [h.key for h in whole.hits]
            else:
                keys = [h.key for h in result.hits]
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

    def facets(
        self, spec: ListSpec | Filters = ALL, query: str = "", *, top: int = 12,
        as_you_type: bool = False,
    ) -> dict:
        """The top categories and the years of a list narrowed by ``query``, with counts (from
        the library's indexes, not a scan): ``{"categories": [(cat, n)...], "years": [(year, n)...]}``.

        Categories are counted over the papers every filter but the categories keeps,
        years over those every filter but the years keeps, so the counts say what
        choosing one more would add (the choices of a kind are OR'ed, the kinds AND'ed).
        A query (or a saved search, or the New list) first finds its papers in the index.
        """
        filters = Filters.of(spec)
        keys = None
        if query.strip() or filters.saved is not None or filters.new:
            base = replace(filters, categories=(), years=())
            keys = self.select(base, query, limit=None, as_you_type=as_you_type, ordered=False).keys
        return self.library.facets(keys=keys, top=top, **filters.library_filters())

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

    # ---------------------------------------------------------------- changes: one path

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

    # Many papers in one transaction each; every one returns exactly what changed (for undo).
    # With ``sync=False`` the index is left behind: call ``index_after_bulk`` after (the reader
    # does, in a worker, once the screen shows the change).

    def set_read_many(self, keys: Sequence[str], read: bool = True, *, sync: bool = True) -> list[str]:
        """Mark these papers read (or unread); the keys whose state changed."""
        changed = self.library.set_flag_many(keys, "read", read)
        return self._changed(changed) if sync else changed

    def set_bookmarked_many(
        self, keys: Sequence[str], on: bool = True, *, sync: bool = True
    ) -> list[str]:
        """Bookmark (or unbookmark) these papers; the keys whose state changed."""
        changed = self.library.set_flag_many(keys, "bookmarked", on)
        return self._changed(changed) if sync else changed

    def change_tags_many(
        self, keys: Sequence[str], add: Sequence[str] = (), remove: Sequence[str] = (),
        *, sync: bool = True,
    ) -> TagsChanged:
        """Put these papers on the ``add`` lists, off the ``remove`` lists; what changed."""
        done = self.library.change_tags_many(keys, add, remove)
        return self._changed(done) if sync else done

    def undo_tags(self, done: TagsChanged, *, sync: bool = True) -> TagsChanged:
        """Reverse a ``change_tags_many``: exactly its papers, and drop the lists it created."""
        undone = TagsChanged()
        for name, keys in done.added.items():
            undone.removed.update(self.library.change_tags_many(keys, remove=[name]).removed)
        for name, keys in done.removed.items():
            undone.added.update(self.library.change_tags_many(keys, add=[name]).added)
        self.library.drop_empty_tags(done.created)
        return self._changed(undone) if sync else undone

    def index_after_bulk(self) -> None:
        """Bring the index up to date after bulk changes made with ``sync=False``, the way the
        reader's start-up sync does: a full rebuild (many papers changed) in a child process,
        a catch-up of fewer papers here."""
        for _ in self.update_index(in_child=True):
            pass

    def unread_among(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` are unread (one query)."""
        return self.library.unread_among(keys)

    def export_to(
        self, keys: Sequence[str], path: Path, fmt: str | None = None, *, title: str | None = None
    ) -> int:
        """Write the papers ``keys`` to the file ``path`` (format from its suffix unless given);
        how many were written. ExportError (nothing written) for a refused or unwritable path."""
        from absreader.core.export import write_export
        from absreader.core.export_file import ExportError, format_for, refusal, write_file

        fmt = fmt or format_for(path)
        if fmt is None:
            raise ExportError(f"{path}: say the format by the suffix (.bib, .ris, .json, .csv, .md)")
        problem = refusal(path, self.paths)
        if problem:
            raise ExportError(problem)

        def papers() -> Iterator[Paper]:
            for start in range(0, len(keys), 500):
                yield from self.papers(keys[start : start + 500])

        return write_file(path, lambda out: write_export(papers(), fmt, out, title=title))

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
        saved = self._saved_query(spec.name) if spec.kind == "saved" else ""
        return combine_queries(saved or "", query)

    def _saved_query(self, name: str) -> str | None:
        """A saved search's query, or None if there is none by that name."""
        try:
            return self.library.get_search(name).query
        except NotFound:
            return None

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
    "TagsChanged",
    "check_tag",
    "parse_years",
    "combine_queries",
]
