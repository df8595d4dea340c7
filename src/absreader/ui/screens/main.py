"""The reader's main screen: search bar, reading panes, status line and footer.

This module owns the layout, the search-as-you-type flow, Esc, the reading
lists and following the library. Every worker's answer arrives as a message
(:class:`MainScreen.SearchFinished`, :class:`MainScreen.ListsLoaded`, the
panes' ``PaperChanged``, the watcher's ``LibraryWatch.Changed``); only the
handlers touch widgets. The paper keys live in
:class:`~absreader.ui.widgets.reading.ReadingPanes`; the triage keys (facets,
next unread, mark all read, the selection's bulk changes, export) are this
screen's bindings, handed to the :class:`~absreader.ui.triage.Triage` it holds.
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

from absreader.core.catalog import SORT_LABELS, SORTS, Lists, ListSpec
from absreader.core.models import Paper
from absreader.ui.results import PAGE_SIZE, Results, SearchRequest, run_search
from absreader.ui.state import list_id
from absreader.ui.text import one_line, paper_title, plural, safe
from absreader.ui.triage import Triage
from absreader.ui.widgets.bars import KeyHints, SearchBar, StatusLine
from absreader.ui.widgets.detail import DetailPane
from absreader.ui.widgets.paper_list import PaperList
from absreader.ui.widgets.reading import ReadingPanes
from absreader.ui.widgets.sidebar import ListSidebar
from absreader.ui.widgets.watch import LibraryWatch

#: Typing pauses this long before a search runs; the first key after a pause searches at once.
SEARCH_DELAY = 0.07
NARROW_WIDTH = 100


class MainScreen(Screen[None]):
    """Search, browse and read; every key here is a binding with an id."""

    BINDINGS = [
        # Priority, so keys typed right after "/" already reach the search bar.
        Binding("slash", "search", "Search", tooltip="Type a search (Esc clears it)",
                id="search", priority=True),
        Binding("ctrl+d", "accept_suggestion", "Did you mean",
                tooltip="Search for the suggested spelling", id="accept_suggestion",
                priority=True),
        # Keys that move the focus are priority bindings too: a key typed right
        # after them must already go to the pane they moved to.
        Binding("enter", "submit_search", "First result",
                tooltip="Enter in the search bar: go to the first result", id="submit_search",
                priority=True),
        Binding("escape", "back", "Back", tooltip="Back one step: close the paper, then "
                "clear the search", id="back", priority=True),
        Binding("tab", "next_pane", "Next pane", show=False, tooltip="Focus the next pane",
                id="next_pane", priority=True),
        Binding("shift+tab", "previous_pane", "Previous pane", show=False,
                tooltip="Focus the previous pane", id="previous_pane", priority=True),
        Binding("l", "lists", "Lists", tooltip="Show the reading lists", id="lists"),
        Binding("S", "cycle_sort", "Sort", tooltip="Order the list: relevance, newest, oldest, "
                "title, recently added, unread first (remembered per list)", id="cycle_sort",
                show=False),
        Binding("right_square_bracket", "next_unread", "Next unread", id="next_unread",
                tooltip="Go to the next unread paper in the list", show=False),
        Binding("left_square_bracket", "previous_unread", "Previous unread", id="previous_unread",
                tooltip="Go to the previous unread paper in the list", show=False),
        Binding("A", "mark_all_read", "All read", id="mark_all_read", show=False,
                tooltip="Mark all shown as read (the list, search and filters; u undoes)"),
        Binding("x", "export", "Export", id="export", show=False,
                tooltip="Export selection… to a file (BibTeX, RIS, JSON, CSV, Markdown; "
                "nothing selected: the whole list shown)"),
        Binding("c", "clear_filters", "Clear filters", id="clear_filters", show=False,
                tooltip="Clear filters: switch off the sidebar's category and year choices"),
    ]  # fmt: skip

    @dataclass
    class SearchFinished(Message):
        """A search finished (it may be stale by the time it arrives)."""

        request: SearchRequest
        results: Results

    @dataclass
    class ListsLoaded(Message):
        """Fresh sidebar counts (saved searches' counts by name)."""

        lists: Lists
        saved_counts: dict[str, int]

    def __init__(self) -> None:
        super().__init__(id="main")
        self.spec = ListSpec()
        self.results: Results | None = None
        self.lists: Lists | None = None
        self.saved_counts: dict[str, int] = {}
        self.searches_run = 0
        self.results_shown_at: float | None = None
        self._binding_state: tuple[bool, bool] | None = None
        self._generation = 0
        self._requested_query: str | None = None
        self._timer: Timer | None = None
        self._last_search_at = 0.0
        self._lists_loading = False
        self._stack: list[tuple[Results, str | None]] = []
        self.triage = Triage(self)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield SearchBar(id="search-bar")
        with ReadingPanes(id="body"):
            yield ListSidebar(id="sidebar")
            yield PaperList(id="papers", opener=self.open_paper)
            yield DetailPane(id="detail")
        yield LibraryWatch(id="watch")
        yield StatusLine(id="status", show_timings=self.app.show_timings)  # type: ignore[attr-defined]
        with Horizontal(id="footer-row"):
            yield Footer(id="footer")
            yield KeyHints(id="key-hints")

    @property
    def search_input(self) -> Input:
        return self.query_one("#search", Input)

    @property
    def panes(self) -> ReadingPanes:
        return self.query_one(ReadingPanes)

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

    # ------------------------------------------------------------------ triage keys

    def action_next_unread(self) -> None:
        self.triage.next_unread()

    def action_previous_unread(self) -> None:
        self.triage.previous_unread()

    def action_mark_all_read(self) -> None:
        self.triage.mark_all_read()

    def action_export(self) -> None:
        self.triage.export()

    def action_clear_filters(self) -> None:
        self.triage.clear_filters()

    def on_list_sidebar_facet_toggled(self, event: ListSidebar.FacetToggled) -> None:
        self.triage.facet_toggled(event)

    def on_mount(self) -> None:
        state = self.app.state  # type: ignore[attr-defined]
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
        """Show the first results (after the first run, if any); the lists load after them."""
        self.flush_search(select_key=self.app.state.selected)  # type: ignore[attr-defined]

    def on_resize(self, event: events.Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        narrow = 0 < width < NARROW_WIDTH
        self.set_class(narrow, "-narrow")
        if not narrow:
            self.remove_class("-detail-open", "-sidebar-open")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.app.report_worker(event.worker, event.state)  # type: ignore[attr-defined]

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

    def sort_for(self, query: str) -> str | None:
        """The order chosen for the current list (relevance only means something when searching)."""
        sort = self.app.state.sorts.get(list_id(self.spec))  # type: ignore[attr-defined]
        if sort == "relevance" and not query.strip():
            return None
        return sort

    def action_cycle_sort(self) -> None:
        """Show the list in the next order, and remember it for this list."""
        searching = bool(self.search_input.value.strip())
        choices = [s for s in SORTS if searching or s != "relevance"]
        current = self.sort_for(self.search_input.value) or choices[0]
        chosen = (
            choices[(choices.index(current) + 1) % len(choices)]
            if current in choices
            else choices[0]
        )
        self.set_sort(chosen)

    def set_sort(self, sort: str) -> None:
        """Order the current list by ``sort`` (one of SORTS) and remember it."""
        sorts = dict(self.app.state.sorts)  # type: ignore[attr-defined]
        sorts[list_id(self.spec)] = sort
        self.app.remember(sorts=sorts)  # type: ignore[attr-defined]
        self.app.notify(f"Sorted: {SORT_LABELS[sort]}", markup=False, timeout=2)
        current = self.paper_list.current
        self.flush_search(select_key=current.key if current else None, keep_stack=True)

    def _debounced(self) -> None:
        self._timer = None
        self.flush_search()

    def flush_search(
        self,
        *,
        focus_list: bool = False,
        select_key: str | None = None,
        as_you_type: bool = True,
        keep_stack: bool = False,
    ) -> None:
        """Search (in a worker) for what the search bar holds, in the current list."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._generation += 1
        self._last_search_at = time.monotonic()
        query = self.search_input.value
        self._requested_query = query
        if not keep_stack:
            self._stack.clear()
        request = SearchRequest(self._generation, query, self.spec, as_you_type, select_key,
                                focus_list, indexing=bool(self.app.jobs.running),  # type: ignore[attr-defined]
                                sort=self.sort_for(query), facets=self.triage.facet_choice)  # fmt: skip
        self.searches_run += 1
        self._search(request)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False, description="Search")
    def _search(self, request: SearchRequest) -> None:
        results = run_search(self.app.catalog, request)  # type: ignore[attr-defined]
        if not get_current_worker().is_cancelled:
            self.post_message(self.SearchFinished(request, results))

    @on(SearchFinished)
    def _search_finished(self, event: SearchFinished) -> None:
        if event.request.generation != self._generation:
            return  # a newer search is on its way
        before, after = self.results, event.results
        if before is None or (before.query, before.spec, before.facets) != (
            after.query,
            after.spec,
            after.facets,
        ):
            self.paper_list.clear_selection()  # another list: the selection was of the last one
        self.show_results(event.results, select_key=event.request.select_key)
        self.triage.refresh_facets()
        self.app.remember(spec=self.spec, query=event.request.query)  # type: ignore[attr-defined]
        self.query_one(LibraryWatch).follow(event.results.seq)
        if self.lists is None and not self._lists_loading:
            self.call_after_refresh(self.refresh_lists)  # after the first page is painted
            self._lists_loading = True
        self.app.first_results_shown()  # type: ignore[attr-defined]
        if event.request.focus_list:
            self.set_focus(self.paper_list)

    def show_results(
        self, results: Results, *, select_key: str | None = None, select_index: int = 0
    ) -> None:
        """Put ``results`` in the list and update the status line and hints."""
        self.results = results
        self.results_shown_at = time.perf_counter()
        catalog = self.app.catalog  # type: ignore[attr-defined]
        self.paper_list.empty_message = (
            "No papers match. Esc clears the search."
            if results.query
            else "No papers in this list."
        )
        self.paper_list.show(results.total, results.first,
                             lambda offset, limit: results.fetch(catalog, offset, limit),
                             select_key=select_key, select_index=select_index)  # fmt: skip
        key = self._key_for("accept_suggestion")
        self.query_one("#search-bar", SearchBar).show_suggestion(results.suggestion, key)
        self.update_status()
        self.update_bindings()

    def _key_for(self, binding_id: str) -> str:
        """How the footer writes the key bound to ``binding_id`` (after the user's keymap)."""
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.id == binding_id:
                keys = self.app.key_overrides.get(binding_id)  # type: ignore[attr-defined]
                if keys:
                    binding = Binding(keys.split(",")[0], binding.action)
                return self.app.get_key_display(binding)
        raise KeyError(binding_id)

    def update_status(self) -> None:
        """The status line and the list's title, from the results and the sidebar's counts."""
        results = self.results
        if results is None:
            return
        library_total = self.lists.all if self.lists is not None else results.library_total
        if results.is_search:
            where = results.spec.label
            if results.query:
                # (Not searchable yet: said here too, the notice may be squeezed by a job.)
                where += " · search" if results.searched else " · indexing: not searched yet"
                if results.status:
                    where += f" · {results.status}"
            if results.sort:
                where += f" · {SORT_LABELS[results.sort].lower()}"
            if results.facets:
                where += f" · filter: {results.facets.label}"
            self.status.set_counts(results.total, library_total, results.elapsed_ms, where)
        else:
            where = f"like: {results.title[:60]} (esc returns)"
            self.status.set_counts(results.total, library_total, None, where)
        self.status.set_notice(results.notice)
        title = Text(safe(results.spec.label if results.is_search else "More like this"))
        if results.query:
            title.append(f" · {safe(results.query)[:40]}")
        if results.is_search and results.facets:
            title.append(f" · {safe(results.facets.label)[:40]}")
        title.append(f" · {plural(results.total, 'paper')}")
        selected = len(self.paper_list.selected)
        if selected:
            title.append(f" · {selected:,} selected")
        self.paper_list.border_title = title

    @property
    def detail_query(self) -> tuple[ListSpec, str]:
        """What the detail pane highlights: the list (a saved search's words) and the query."""
        results = self.results
        if results and results.is_search and results.searched:
            return (results.spec, results.query)
        return (ListSpec(), "")

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
        """Enter in the search bar: the results for exactly what was typed, first one selected.

        The search runs in a worker like every other; the list has the focus at
        once and its cursor goes to the first result when the answer arrives.
        """
        query = self.search_input.value
        current = self.results
        self.set_focus(self.paper_list)
        if (
            self.search_pending
            or current is None
            or not current.is_search
            or current.query != query
            or current.spec != self.spec
        ):
            self.flush_search(focus_list=True, as_you_type=False)
        else:
            self.paper_list.cursor = 0

    # ------------------------------------------------------------------ the panes' messages

    def on_paper_list_highlighted(self, event: PaperList.Highlighted) -> None:
        if event.paper is not None:
            self.app.remember(selected=event.paper.key)  # type: ignore[attr-defined]
        self.detail.follow(event.paper, self.detail_query)
        self.update_bindings()
        self.show_position()

    def show_position(self) -> None:
        """Where the cursor is in the list, on the list's frame: ``123 / 650``."""
        total = self.paper_list.total
        self.paper_list.border_subtitle = (
            f"{self.paper_list.cursor + 1:,} / {total:,}" if total else ""
        )

    @property
    def detail_pending(self) -> bool:
        """Whether the detail pane is behind the cursor (while keys repeat)."""
        return self.detail.pending

    def flush_detail(self) -> None:
        """Bring the detail pane to the paper under the cursor now."""
        self.detail.flush()

    def open_paper(self, paper: Paper) -> None:
        """Show ``paper`` in the detail pane and give it the keys (called during Enter's handling)."""
        self.detail.follow(paper)
        self.detail.flush()  # the paper opened, now (not the one the pane was catching up from)
        if self.has_class("-narrow"):
            self.add_class("-detail-open")
        self.set_focus(self.detail)
        self.panes.mark_read(paper)

    @on(ReadingPanes.PaperChanged)
    def _paper_changed(self, event: ReadingPanes.PaperChanged) -> None:
        self.paper_changed(event.paper)
        self.refresh_lists()
        if event.done:
            self.app.notify(event.done, markup=False, timeout=3)

    def paper_changed(self, paper: Paper) -> None:
        """Redraw ``paper`` wherever it is shown: its row, the detail pane, a reading screen."""
        self.paper_list.update_paper(paper)
        self.detail.update_paper(paper)
        for screen in self.app.screen_stack:  # the full-screen reader over this one, if open
            if screen is not self and hasattr(screen, "update_paper"):
                screen.update_paper(paper)

    @on(ReadingPanes.SimilarFound)
    def _similar_found(self, event: ReadingPanes.SimilarFound) -> None:
        results = event.results
        if not results.total:
            self.app.notify("No similar papers found.", markup=False)
            return
        self.push_results(results)
        title = one_line(paper_title(event.paper), 50)
        self.app.notify(f"{plural(results.total, 'paper')} like “{title}” · esc returns",
                        markup=False, timeout=3)  # fmt: skip

    # ------------------------------------------------------------------ reading lists

    @work(thread=True, exclusive=True, group="lists", exit_on_error=False,
          description="Reading lists")  # fmt: skip
    def refresh_lists(self) -> None:
        """Reload the sidebar counts (after any change to tags, bookmarks or read state)."""
        catalog = self.app.catalog  # type: ignore[attr-defined]
        lists = catalog.lists()
        counts = catalog.saved_search_counts() if lists.saved else {}
        if not get_current_worker().is_cancelled:
            self.post_message(self.ListsLoaded(lists, counts))

    @on(ListsLoaded)
    def _lists_loaded(self, event: ListsLoaded) -> None:
        self.set_lists(event.lists, event.saved_counts)

    def on_paper_list_selection_changed(self, event: PaperList.SelectionChanged) -> None:
        self.update_status()

    def set_lists(self, lists: Lists, saved_counts: dict[str, int]) -> None:
        """Show fresh counts; a list whose count no longer matches the rows is searched again."""
        self.lists = lists
        self.saved_counts = saved_counts
        self.sidebar.set_lists(lists, self.spec, saved_counts)
        if not self.sidebar.has_list(self.spec):
            self.show_list(ListSpec())
            return
        self.update_status()
        # Papers that joined the list are searched in; papers that left it (read in
        # Unread, say) stay on screen until the list is chosen again.
        results = self.results
        count = self.sidebar.count_of(self.spec)
        if (
            results is not None
            and results.is_search
            and not results.query
            and results.searched
            and not results.facets
            and count is not None
            and not self.search_pending
            and (count > results.total or (count != results.total and self.spec.kind == "all"))
        ):
            self.library_grew(recount=False)  # fmt: skip

    def show_list(self, spec: ListSpec) -> None:
        """Switch to reading list ``spec`` (the query stays and narrows it)."""
        self.spec = spec
        self.sidebar.mark(spec)
        self.remove_class("-sidebar-open", "-detail-open")
        self.flush_search(focus_list=True)

    @on(ListSidebar.Chosen)
    def _list_chosen(self, event: ListSidebar.Chosen) -> None:
        self.show_list(event.spec)

    @on(ReadingPanes.SearchSaved)
    def _search_saved(self, event: ReadingPanes.SearchSaved) -> None:
        self.refresh_lists()
        self.app.notify(f"Saved search “{one_line(event.name, 40)}” in the sidebar.",
                        markup=False, timeout=3)  # fmt: skip

    # ------------------------------------------------------------------ following the library

    @on(LibraryWatch.Changed)
    def _library_changed(self, event: LibraryWatch.Changed) -> None:
        """Another process (or this one) changed the library: redraw what changed."""
        grew = self.lists is None or event.lists.all != self.lists.all
        for paper in event.changed or []:
            self.paper_changed(paper)
        self.set_lists(event.lists, event.saved_counts)
        self.triage.refresh_facets()
        filtered = self.results is not None and (
            self.results.query or self.spec.kind != "all" or self.results.facets
        )
        loaded = self.paper_list.row_of
        joined = filtered and any(loaded(p.key) is None for p in event.changed or [])
        if event.changed is None or grew or joined:
            # New papers, or papers that may have joined a filtered list.
            self.library_grew(recount=False)

    def library_grew(self, *, force: bool = False, recount: bool = True) -> None:
        """The library changed under the list: search again keeping the cursor's paper.

        Not when that would move the reader (typing, reading a "more like
        this" list, or scrolled past the first page), unless ``force``. The
        sidebar is recounted too (unless the caller has fresh counts).
        """
        if recount:
            self.refresh_lists()
        if self.results is None or self.search_pending:
            return
        if not force and (
            self._stack or not self.results.is_search or self.paper_list.cursor >= PAGE_SIZE
        ):
            self.update_status()
            return
        current = self.current_paper
        key = current.key if current else self.app.state.selected  # type: ignore[attr-defined]
        self.flush_search(select_key=key)

    # ------------------------------------------------------------------ moving around

    def action_back(self) -> None:
        """Esc goes back one step: close what is open, leave "more like this", clear the search."""
        focused = self.focused
        current = self.current_paper
        key = current.key if current else None
        if self.has_class("-sidebar-open"):
            self.remove_class("-sidebar-open")
            self.set_focus(self.paper_list)
        elif focused is self.search_input:
            if self.search_input.value:
                self.search_input.value = ""
                self.flush_search(select_key=key)
            self.set_focus(self.paper_list)
        elif self.has_class("-detail-open") or focused is self.detail or focused is self.sidebar:
            self.remove_class("-detail-open")  # back to the list, the same paper selected
            self.set_focus(self.paper_list)
        elif self.paper_list.selected:
            self.paper_list.clear_selection()
            self.app.notify("Selection cleared.", markup=False, timeout=2)
        elif self._stack:
            results, selected = self._stack.pop()
            self.show_results(results, select_key=selected)
        elif self.search_input.value:
            self.search_input.value = ""
            self.flush_search(focus_list=True, select_key=key)

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "search" and self.focused is self.search_input:
            return False  # let the input have its "/"
        if action == "submit_search":
            return self.focused is self.search_input
        if action == "accept_suggestion":
            return bool(self.results and self.results.suggestion)
        return not (action == "lists" and self.focused is self.search_input)
