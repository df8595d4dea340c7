"""The reader's main screen: search bar, reading lists, result list and detail pane.

This module owns the layout, the keys and the search-as-you-type flow; what the
paper keys do (bookmark, tag, note...) lives in :mod:`.paper_actions`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input
from textual.worker import Worker, get_current_worker

from absreader.core.catalog import Lists, ListSpec
from absreader.core.models import Paper
from absreader.ui.results import PAGE_SIZE, Results, SearchRequest, run_search
from absreader.ui.screens.detail_flow import DetailFollower
from absreader.ui.screens.paper_actions import PAPER_ACTIONS, PaperActions
from absreader.ui.text import safe
from absreader.ui.widgets.bars import SearchBar, StatusLine
from absreader.ui.widgets.detail import DetailPane
from absreader.ui.widgets.paper_list import PaperList
from absreader.ui.widgets.sidebar import ListSidebar

#: Typing pauses this long before a search runs; the first key after a pause searches at once.
SEARCH_DELAY = 0.07
NARROW_WIDTH = 100


class MainScreen(DetailFollower, PaperActions, Screen[None]):
    """Search, browse and read; every key here is a binding with an id."""

    BINDINGS = [
        # Priority, so keys typed right after "/" already reach the search bar.
        Binding(
            "slash",
            "search",
            "Search",
            tooltip="Type a search (Esc clears it)",
            id="search",
            priority=True,
        ),
        Binding(
            "ctrl+d",
            "accept_suggestion",
            "Did you mean",
            tooltip="Search for the suggested spelling",
            id="accept_suggestion",
            priority=True,
        ),
        # Keys that move the focus are priority bindings too: a key typed right
        # after them must already go to the pane they moved to.
        Binding(
            "enter",
            "submit_search",
            "First result",
            tooltip="Enter in the search bar: go to the first result",
            id="submit_search",
            priority=True,
        ),
        Binding(
            "escape",
            "back",
            "Back",
            tooltip="Back: clear the search, close the paper",
            id="back",
            priority=True,
        ),
        Binding(
            "tab",
            "next_pane",
            "Next pane",
            show=False,
            tooltip="Focus the next pane",
            id="next_pane",
            priority=True,
        ),
        Binding(
            "shift+tab",
            "previous_pane",
            "Previous pane",
            show=False,
            tooltip="Focus the previous pane",
            id="previous_pane",
            priority=True,
        ),
        Binding("l", "lists", "Lists", tooltip="Show the reading lists", id="lists"),
        Binding(
            "b", "bookmark", "Bookmark", tooltip="Bookmark the paper (again: remove)", id="bookmark"
        ),
        Binding("t", "tag", "Tags", tooltip="Add or remove tags", id="tag"),
        Binding(
            "r", "toggle_read", "Read", tooltip="Mark the paper read / unread", id="toggle_read"
        ),
        Binding("n", "note", "Note", tooltip="Write a note on the paper", id="note"),
        Binding(
            "o",
            "open_browser",
            "Browser",
            tooltip="Open the arXiv page in the browser",
            id="open_browser",
        ),
        Binding(
            "y", "copy_id", "Copy id", tooltip="Copy the arXiv id to the clipboard", id="copy_id"
        ),
        Binding(
            "Y",
            "copy_bibtex",
            "BibTeX",
            tooltip="Copy a BibTeX entry to the clipboard",
            id="copy_bibtex",
        ),
        Binding(
            "m",
            "more_like_this",
            "More like",
            tooltip="Show papers like this one",
            id="more_like_this",
        ),
        Binding(
            "s",
            "save_search",
            "Save search",
            tooltip="Save the search as a reading list",
            id="save_search",
        ),
    ]

    @dataclass
    class ResultsReady(Message):
        """A search finished (it may be stale by the time it arrives)."""

        request: SearchRequest
        results: Results

    def __init__(self) -> None:
        super().__init__(id="main")
        self.spec = ListSpec()
        self.results: Results | None = None
        self.lists: Lists | None = None
        self.searches_run = 0
        self.results_shown_at: float | None = None
        self._binding_state: tuple[bool, bool] | None = None
        self._detail_timer: Timer | None = None
        self._detail_next: Paper | None = None
        self._detail_dirty = False
        self._generation = 0
        self._requested_query: str | None = None
        self._timer: Timer | None = None
        self._last_search_at = 0.0
        self._lists_loading = False
        self._pending_select: str | None = None
        self._stack: list[tuple[Results, str | None]] = []
        self._spans: tuple[str, str, dict[str, list[tuple[int, int]]]] | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield SearchBar(id="search-bar")
        with Horizontal(id="body"):
            yield ListSidebar(id="sidebar")
            yield PaperList(id="papers")
            yield DetailPane(id="detail")
        yield StatusLine(id="status", show_timings=self.app.show_timings)
        yield Footer(id="footer")

    @property
    def search_input(self) -> Input:
        return self.query_one("#search", Input)

    @property
    def paper_list(self) -> PaperList:
        return self.query_one(PaperList)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    @property
    def sidebar(self) -> ListSidebar:
        return self.query_one(ListSidebar)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def current_paper(self) -> Paper | None:
        """The paper the paper keys act on: the one under the list's cursor."""
        return self.paper_list.current

    def on_mount(self) -> None:
        state = self.app.state
        self.spec = state.spec
        self.search_input.value = state.query
        self._requested_query = state.query
        self.query_one("#search-bar", SearchBar).show_suggestion(None, "")
        self.sidebar.border_title = "Lists"
        self.paper_list.border_title = "Papers"
        self.detail.border_title = "Paper"
        self.paper_list.focus()
        self._apply_width(self.size.width)

    def start(self) -> None:
        """Show the first results (after the first run, if any); the lists load after them.

        The sidebar counts wait for the first page to be painted: they are not
        what a person looks at first, and the first page must not queue behind them.
        """
        self.flush_search(select_key=self.app.state.selected)

    def library_grew(self, *, force: bool = False) -> None:
        """The library changed under the list (an import committed a batch): follow it.

        The counts always refresh; the list is searched again keeping the
        cursor's paper, unless that would move the reader (typing, reading a
        "more like this" list, or scrolled past the first page).
        """
        self.refresh_lists()
        if self.results is None or self.search_pending:
            return
        if not force and (
            self._stack or not self.results.is_search or self.paper_list.cursor >= PAGE_SIZE
        ):
            self.update_status()
            return
        current = self.current_paper
        key = current.key if current else self.app.state.selected
        self.flush_search(select_key=key)

    def on_resize(self, event: events.Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        narrow = 0 < width < NARROW_WIDTH
        self.set_class(narrow, "-narrow")
        if not narrow:
            self.remove_class("-detail-open", "-sidebar-open")

    # ------------------------------------------------------------------ searching

    @property
    def search_pending(self) -> bool:
        """Whether a typed query is still waiting for its debounce timer."""
        return self._timer is not None

    @on(Input.Changed, "#search")
    def _query_changed(self, event: Input.Changed) -> None:
        if event.value == self._requested_query and not self.search_pending:
            return
        if self._timer is None and time.monotonic() - self._last_search_at >= SEARCH_DELAY:
            self.flush_search()  # the first key after a pause: no waiting
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SEARCH_DELAY, self._debounced)

    def _debounced(self) -> None:
        self._timer = None
        self.flush_search()

    def flush_search(
        self, *, focus_list: bool = False, select_key: str | None = None, as_you_type: bool = True
    ) -> None:
        """Search now for what the search bar holds, in the current list."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._generation += 1
        self._last_search_at = time.monotonic()
        query = self.search_input.value
        self._requested_query = query
        self._stack.clear()
        request = SearchRequest(
            self._generation,
            query,
            self.spec,
            as_you_type,
            select_key,
            focus_list,
            indexing=bool(self.app.jobs.running),
        )
        self.searches_run += 1
        self._search(request)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False, description="Search")
    def _search(self, request: SearchRequest) -> None:
        results = run_search(self.app.catalog, request)
        if not get_current_worker().is_cancelled:
            self.post_message(self.ResultsReady(request, results))

    @on(ResultsReady)
    def _results_ready(self, event: ResultsReady) -> None:
        if event.request.generation != self._generation:
            return  # a newer search is on its way
        self.show_results(event.results, select_key=event.request.select_key)
        self.app.remember(spec=self.spec, query=event.request.query)
        if self.lists is None and not self._lists_loading:
            self.call_after_refresh(self.refresh_lists)  # after the first page is painted
            self._lists_loading = True
        self.app.first_results_shown()
        if event.request.focus_list:
            self.set_focus(self.paper_list)

    def show_results(
        self, results: Results, *, select_key: str | None = None, select_index: int = 0
    ) -> None:
        """Put ``results`` in the list and update the status line and hints."""
        self.results = results
        self.results_shown_at = time.perf_counter()
        catalog = self.app.catalog
        self.paper_list.empty_message = (
            "No papers match. Esc clears the search."
            if results.query
            else "No papers in this list."
        )
        self.paper_list.show(
            results.total,
            results.first,
            lambda offset, limit: results.fetch(catalog, offset, limit),
            select_key=select_key,
            select_index=select_index,
        )
        key = self.app.get_key_display(self._binding("accept_suggestion"))
        self.query_one("#search-bar", SearchBar).show_suggestion(results.suggestion, key)
        self.update_status()
        self.update_bindings()

    def _binding(self, binding_id: str) -> Binding:
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.id == binding_id:
                keys = self.app.key_overrides.get(binding_id)
                return Binding(keys.split(",")[0], binding.action) if keys else binding
        raise KeyError(binding_id)

    def update_status(self) -> None:
        results = self.results
        if results is None:
            return
        if results.is_search:
            where = results.spec.label
            if results.query:
                # (Not searchable yet: said here too, the notice may be squeezed by a job.)
                where += " · search" if results.searched else " · indexing: not searched yet"
            self.status.set_counts(results.total, results.library_total, results.elapsed_ms, where)
        else:
            where = f"like: {results.title[:60]} (esc returns)"
            self.status.set_counts(results.total, results.library_total, None, where)
        self.status.set_notice(results.notice)
        title = Text(safe(results.spec.label if results.is_search else "More like this"))
        if results.query:
            title.append(f" · {safe(results.query)[:40]}")
        self.paper_list.border_title = title

    def action_search(self) -> None:
        self.remove_class("-sidebar-open")
        # At once, not deferred: keys typed right after "/" must land in the input.
        self.set_focus(self.search_input)

    def action_accept_suggestion(self) -> None:
        if self.results and self.results.suggestion:
            self.search_input.value = self.results.suggestion
            self.search_input.cursor_position = len(self.search_input.value)
            self.flush_search()

    def action_submit_search(self) -> None:
        """Enter in the search bar: the results for exactly what was typed, first one selected."""
        query = self.search_input.value
        current = self.results
        if (
            self.search_pending
            or current is None
            or not current.is_search
            or current.query != query
            or current.spec != self.spec
        ):
            # Run it here (a search takes milliseconds): a key pressed right after
            # Enter must act on these results, not on the list from before.
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            self._generation += 1
            self._requested_query = query
            self._stack.clear()
            request = SearchRequest(
                self._generation, query, self.spec, indexing=bool(self.app.jobs.running)
            )
            try:
                results = run_search(self.app.catalog, request)
            except Exception as exc:  # noqa: BLE001 - shown as one readable line
                self.app.notify(f"Search failed: {exc}", severity="error")
                return
            self.show_results(results)
            self.app.remember(spec=self.spec, query=query)
        self.set_focus(self.paper_list)
        self.paper_list.cursor = 0

    # ------------------------------------------------------------------ reading lists

    @work(
        thread=True, exclusive=True, group="lists", exit_on_error=False, description="Reading lists"
    )
    def refresh_lists(self) -> None:
        """Reload the sidebar counts (after any change to tags, bookmarks or read state)."""
        lists = self.app.catalog.lists()
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._lists_loaded, lists)

    def _lists_loaded(self, lists: Lists) -> None:
        self.lists = lists
        self.sidebar.set_lists(lists, self.spec)
        if not self.sidebar.has_list(self.spec):
            self.show_list(ListSpec())

    def show_list(self, spec: ListSpec) -> None:
        """Switch to reading list ``spec`` (the query stays and narrows it)."""
        self.spec = spec
        self.sidebar.mark(spec)
        self.remove_class("-sidebar-open", "-detail-open")
        self.flush_search(focus_list=True)

    @on(ListSidebar.Chosen)
    def _list_chosen(self, event: ListSidebar.Chosen) -> None:
        self.show_list(event.spec)

    # ------------------------------------------------------------------ moving around

    def action_back(self) -> None:
        """Esc: close what is open, clear the search, or leave "more like this"."""
        focused = self.focused
        if self.has_class("-sidebar-open"):
            self.remove_class("-sidebar-open")
            self.set_focus(self.paper_list)
        elif focused is self.search_input:
            if self.search_input.value:
                self.search_input.value = ""
                self.flush_search()
            self.set_focus(self.paper_list)
        elif self.has_class("-detail-open") or focused is self.detail or focused is self.sidebar:
            self.remove_class("-detail-open")
            self.set_focus(self.paper_list)
        elif self._stack:
            results, key = self._stack.pop()
            self.show_results(results, select_key=key)
        elif self.search_input.value:
            self.search_input.value = ""
            self.flush_search(focus_list=True)

    def push_results(self, results: Results) -> None:
        """Show ``results`` (more like this) until Esc returns to the list before."""
        if self.results is not None:
            current = self.paper_list.current
            self._stack.append((self.results, current.key if current else None))
        self.remove_class("-detail-open")
        self.show_results(results)
        self.set_focus(self.paper_list)

    def action_next_pane(self) -> None:
        self.focus_next()

    def action_previous_pane(self) -> None:
        self.focus_previous()

    def action_lists(self) -> None:
        if self.has_class("-narrow"):
            self.remove_class("-detail-open")
            self.toggle_class("-sidebar-open")
            if not self.has_class("-sidebar-open"):
                self.set_focus(self.paper_list)
                return
        elif self.focused is self.sidebar:
            self.set_focus(self.paper_list)
            return
        self.set_focus(self.sidebar)

    def update_bindings(self) -> None:
        """Refresh the footer only when what it offers changed (it is costly to redraw)."""
        state = (self.current_paper is not None, bool(self.results and self.results.suggestion))
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.app.report_worker(event.worker, event.state)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in PAPER_ACTIONS:
            if self.focused is self.search_input:
                return False
            return True if self.current_paper is not None else None
        if action == "search" and self.focused is self.search_input:
            return False  # let the input have its "/"
        if action == "submit_search":
            return self.focused is self.search_input
        if action == "accept_suggestion":
            return bool(self.results and self.results.suggestion)
        return not (action in ("save_search", "lists") and self.focused is self.search_input)
