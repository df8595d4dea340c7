"""What the paper list shows: a reading list narrowed by a query, or a fixed list.

A :class:`Results` knows its total and its first page of papers; the list widget
asks it for further pages (in a worker thread) only when they scroll into view,
so a library of 100,000 papers never sits in a widget at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from absreader.core.catalog import Catalog, ListSpec
from absreader.core.models import Paper

PAGE_SIZE = 200


@dataclass(frozen=True)
class SearchRequest:
    """One search the user asked for; ``generation`` tells stale answers apart."""

    generation: int
    query: str
    spec: ListSpec
    as_you_type: bool = True
    select_key: str | None = None
    focus_list: bool = False


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

    @property
    def is_search(self) -> bool:
        return self.fixed_keys is None

    def fetch(self, catalog: Catalog, offset: int, limit: int = PAGE_SIZE) -> list[Paper]:
        """Papers ``offset`` .. ``offset + limit`` of this list (runs in a worker thread)."""
        if self.fixed_keys is not None:
            return catalog.papers(self.fixed_keys[offset : offset + limit])
        page = catalog.page(
            self.query, self.spec, limit=limit, offset=offset, as_you_type=self.as_you_type
        )
        return catalog.papers(page.keys)


def run_search(catalog: Catalog, request: SearchRequest, limit: int = PAGE_SIZE) -> Results:
    """Run ``request`` against the catalog: its first page, total and hints."""
    page = catalog.page(
        request.query, request.spec, limit=limit, offset=0, as_you_type=request.as_you_type
    )
    papers = catalog.papers(page.keys)
    return Results(
        query=request.query,
        spec=request.spec,
        total=max(page.total, len(papers)),
        library_total=page.library_total,
        first=papers,
        suggestion=page.suggestion,
        notice=page.notice,
        elapsed_ms=page.elapsed_ms,
        as_you_type=request.as_you_type,
        first_keys=list(page.keys),
    )


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
