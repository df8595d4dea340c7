"""What the paper list shows: a reading list narrowed by a query, or a fixed list.

A :class:`Results` knows its total and its first page of papers; the list widget
asks it for further pages (in a worker thread) only when they scroll into view,
so a library of 100,000 papers never sits in a widget at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from absreader.core.catalog import Catalog, Filters, ListSpec
from absreader.core.models import Paper
from absreader.ui.facets import FacetChoice

PAGE_SIZE = 200
NOT_INDEXED = "Indexing has not reached any papers yet: search starts soon; showing the list."


@dataclass(frozen=True)
class SearchRequest:
    """One search the user asked for; ``generation`` tells stale answers apart."""

    generation: int
    query: str
    spec: ListSpec
    as_you_type: bool = True
    select_key: str | None = None
    focus_list: bool = False
    #: A job (import, indexing) is running: the index may not be searchable yet.
    indexing: bool = False
    #: The order (one of the catalog's SORTS); None: relevance for a search, newest for a list.
    sort: str | None = None
    #: The categories and years chosen in the sidebar's facets.
    facets: FacetChoice = FacetChoice()


@dataclass
class Results:
    """A list of papers that can be paged: a search over a reading list, or fixed keys."""

    query: str
    spec: ListSpec
    total: int
    library_total: int
    first: list[Paper]
    suggestion: str | None = None
    notice: str | None = None
    elapsed_ms: float = 0.0
    as_you_type: bool = True
    fixed_keys: list[str] | None = None
    title: str = ""
    first_keys: list[str] = field(default_factory=list)
    #: False when the query could not be searched yet (no index so far): the list is shown.
    searched: bool = True
    #: The library's change counter just before the search (what the results include).
    seq: int = 0
    #: "12 have all words · 188 have some" when the search went on past the papers with all.
    status: str | None = None
    sort: str | None = None
    facets: FacetChoice = field(default_factory=FacetChoice)

    @property
    def is_search(self) -> bool:
        return self.fixed_keys is None

    @property
    def shown(self) -> tuple[str, Filters]:
        """The query and filters this list was selected with (as searched)."""
        if self.searched:
            return self.query, self.facets.applied(Filters.of(self.spec))
        return "", self.facets.applied(Filters.of(_unsearched(self.spec)))

    def all_keys(self, catalog: Catalog) -> list[str]:
        """Every key of this list, in its order (for bulk actions; runs in a worker)."""
        if self.fixed_keys is not None:
            return list(self.fixed_keys)
        query, filters = self.shown
        return catalog.select(filters, query, limit=None, sort=self.sort,
                              as_you_type=self.as_you_type).keys  # fmt: skip

    def fetch(self, catalog: Catalog, offset: int, limit: int = PAGE_SIZE) -> list[Paper]:
        """Papers ``offset`` .. ``offset + limit`` of this list (runs in a worker thread)."""
        if self.fixed_keys is not None:
            return catalog.papers(self.fixed_keys[offset : offset + limit])
        query, filters = self.shown
        page = catalog.page(query, filters, limit=limit, offset=offset,
                            as_you_type=self.as_you_type, sort=self.sort)  # fmt: skip
        return catalog.papers(page.keys)


def run_search(catalog: Catalog, request: SearchRequest, limit: int = PAGE_SIZE) -> Results:
    """Run ``request`` against the catalog: its first page, total and hints.

    While a job runs and nothing is indexed yet, a query cannot be searched
    (and must not start a second build): the reading list is shown instead,
    with a notice saying so.
    """
    searched = True
    notice = None
    spec = request.spec
    query = request.query
    seq = catalog.current_seq()
    needs_index = bool(query.strip()) or spec.kind == "saved"
    if request.indexing and needs_index and catalog.indexed_count() == 0:
        searched = False
        query, spec = "", _unsearched(spec)
        notice = NOT_INDEXED
    filters = request.facets.applied(Filters.of(spec))
    page = catalog.page(query, filters, limit=limit, offset=0, as_you_type=request.as_you_type,
                        sort=request.sort)  # fmt: skip
    papers = catalog.papers(page.keys)
    return Results(
        query=request.query,
        spec=request.spec,
        total=max(page.total, len(papers)),
        library_total=page.library_total,
        first=papers,
        suggestion=page.suggestion,
        notice=notice or page.notice,
        elapsed_ms=page.elapsed_ms,
        as_you_type=request.as_you_type,
        first_keys=list(page.keys),
        searched=searched,
        seq=seq,
        status=page.status,
        sort=request.sort,
        facets=request.facets,
    )


def _unsearched(spec: ListSpec) -> ListSpec:
    """The list to show for ``spec`` when its query cannot be searched (a saved search: All)."""
    return ListSpec() if spec.kind == "saved" else spec


def similar_results(catalog: Catalog, paper: Paper, library_total: int, limit: int = 50) -> Results:
    """The papers most like ``paper``, as a fixed list."""
    papers = [p for p in catalog.similar(paper.key, limit) if p.key != paper.key]
    keys = [p.key for p in papers]
    return Results(
        query="",
        spec=ListSpec(),
        total=len(papers),
        library_total=library_total,
        first=papers,
        fixed_keys=keys,
        title=paper.display_title,
        first_keys=keys,
    )
