"""How the detail pane follows the list's cursor, with the query's terms highlighted.

A mixin for :class:`~absreader.ui.screens.main.MainScreen`: the list moves at
once, the detail pane (which needs a relayout) follows at most every
``DETAIL_DELAY`` while a key repeats and always ends on the paper under the
cursor; highlight spans come from the index in a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.worker import get_current_worker

from absreader.core.models import Paper
from absreader.ui.widgets.paper_list import PaperList

if TYPE_CHECKING:
    from absreader.ui.screens.main import MainScreen

DETAIL_DELAY = 0.08


class DetailFollower:
    """Mixin: keep the detail pane on the paper under the cursor."""

    def on_paper_list_highlighted(self: MainScreen, event: PaperList.Highlighted) -> None:
        # The list moves at once; the detail pane (a relayout) follows at most
        # every DETAIL_DELAY while j is held down, and always ends on the last paper.
        paper = event.paper
        if paper is not None:
            self.app.remember(selected=paper.key)
        self._detail_next = paper
        if self._detail_timer is None:
            self.flush_detail()
            self._detail_timer = self.set_timer(DETAIL_DELAY, self._detail_tick)
        else:
            self._detail_dirty = True

    def _detail_tick(self: MainScreen) -> None:
        self._detail_timer = None
        if self._detail_dirty:
            self.flush_detail()
            self._detail_timer = self.set_timer(DETAIL_DELAY, self._detail_tick)

    @property
    def detail_pending(self: MainScreen) -> bool:
        """Whether the detail pane is behind the cursor (while keys repeat)."""
        return self._detail_dirty

    def flush_detail(self: MainScreen) -> None:
        """Show the paper under the cursor in the detail pane now."""
        self._detail_dirty = False
        paper = self._detail_next
        query = self.highlight_query
        spans = None
        if paper and self._spans and self._spans[:2] == (paper.key, query):
            spans = self._spans[2]
        detail = self.detail
        if paper is None or paper != detail.paper or dict(spans or {}) != detail.spans:
            detail.show(paper, spans)  # (the same paper again, e.g. while typing: no relayout)
        if paper and query and spans is None:
            self._load_highlights(paper, query)
        self.update_bindings()

    @property
    def highlight_query(self: MainScreen) -> str:
        """The words to highlight: the typed query and a saved search's query."""
        parts = []
        if self.results and self.results.is_search and self.results.searched:
            if self.spec.kind == "saved" and self.lists:
                parts += [s.query for s in self.lists.saved if s.name == self.spec.name]
            parts.append(self.results.query)
        return " ".join(p for p in parts if p.strip())

    @work(
        thread=True,
        exclusive=True,
        group="highlight",
        exit_on_error=False,
        description="Highlighting",
    )
    def _load_highlights(self: MainScreen, paper: Paper, query: str) -> None:
        spans = self.app.catalog.highlights(paper, query, as_you_type=True)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._highlights_loaded, paper, query, spans)

    def _highlights_loaded(self: MainScreen, paper: Paper, query: str, spans: dict) -> None:
        self._spans = (paper.key, query, spans)
        shown = self.detail.paper
        if shown is not None and shown.key == paper.key and query == self.highlight_query:
            self.detail.show(shown, spans)

    def on_paper_list_opened(self: MainScreen, event: PaperList.Opened) -> None:
        if self.has_class("-narrow"):
            self.add_class("-detail-open")
        self.set_focus(self.detail)
        if not event.paper.read:
            self.change_paper(event.paper, "Marking read", lambda c, k: c.set_read(k, True))
