"""Full-screen reading: one paper over the whole terminal, next and previous in the list's order.

:class:`ReadingScreen` is pushed over the main screen (``f``). It walks the
main list's results by position: a paper the list has loaded is taken from the
list (exactly as its row shows it), any other is fetched a page at a time in a
worker from the same :class:`~absreader.ui.results.Results` the list pages
from, so next/previous go on past the loaded page in the same order. The paper
keys are the panes' (:class:`~absreader.ui.paper_actions.PaperActions`);
every change is drawn here at once and handed to the main screen, and changes
from other processes reach this screen through the main screen's watcher
(:meth:`ReadingScreen.update_paper`). Esc, q or f go back with the list's cursor
on the paper read last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, get_current_worker

from absreader.core.models import Paper
from absreader.paths import styles_dir
from absreader.ui.paper_actions import Copied, PaperActions, PaperChanged
from absreader.ui.results import PAGE_SIZE, Results
from absreader.ui.text import plural, safe
from absreader.ui.widgets.bars import KeyHints
from absreader.ui.widgets.detail import DetailPane

if TYPE_CHECKING:
    from absreader.ui.screens.main import MainScreen

PAPER_ACTIONS = frozenset(
    {"bookmark", "tag", "toggle_read", "note", "open_browser", "open_pdf", "open_doi", "copy_id",
     "copy_bibtex", "delete_paper", "edit_paper"}
)  # fmt: skip


#: The hints beside this screen's footer: ``?`` as everywhere, ``q`` back to the list.
READING_HINTS = (("help", "help", "question_mark", "Help"), ("", "close", "q", "Back"))

class ReadingView(DetailPane):
    """The paper in a comfortable column (the detail pane's drawing, centred, ~90 wide)."""


class ReadingScreen(Screen[None]):
    """One paper, the whole terminal; next/previous follow the main list."""

    CSS_PATH = styles_dir() / "reading.tcss"

    BINDINGS = [
        Binding("J", "next_paper", "Next", tooltip="Reading full screen: the next paper in the "
                "list", id="next_paper"),
        Binding("right", "next_paper", "Next", show=False),
        Binding("l", "next_paper", "Next", show=False),
        Binding("K", "previous_paper", "Previous", tooltip="Reading full screen: the previous "
                "paper in the list", id="previous_paper"),
        Binding("left", "previous_paper", "Previous", show=False),
        Binding("h", "previous_paper", "Previous", show=False),
        Binding("escape", "close", "Back", tooltip="Reading full screen: back to the list, on "
                "the paper read last", id="close_reading"),
        Binding("q", "close", "Back", show=False),
        Binding("f", "close", "Back", show=False),
        # The paper keys, with the panes' ids (one keymap entry remaps both).
        Binding("b", "bookmark", "Bookmark", id="bookmark"),
        Binding("t", "tag", "Tags", id="tag"),
        Binding("r", "toggle_read", "Read", id="toggle_read"),
        Binding("n", "note", "Note", id="note"),
        Binding("o", "open_browser", "Browser", id="open_browser", show=False),
        Binding("p", "open_pdf", "PDF", id="open_pdf", show=False),
        Binding("O", "open_doi", "DOI", id="open_doi", show=False),
        Binding("y", "copy_id", "Copy id", id="copy_id", show=False),
        Binding("Y", "copy_bibtex", "BibTeX", id="copy_bibtex", show=False),
        Binding("d", "delete_paper", "Delete", id="delete_paper", show=False),
        Binding("E", "edit_paper", "Edit", id="edit_paper", show=False),
    ]  # fmt: skip

    @dataclass
    class PageFetched(Message):
        """Papers from ``start`` on, fetched for positions the list had not loaded."""

        results: Results
        start: int
        papers: list[Paper]

    def __init__(self, main: MainScreen) -> None:
        super().__init__(id="reading-screen")
        self.main = main
        #: The list being read, as it was when the screen opened (positions index into it).
        self.results: Results | None = main.results
        self.total = main.paper_list.total
        self.position = main.paper_list.cursor
        self.paper: Paper | None = main.paper_list.current
        self.actions = PaperActions(self, lambda: self.paper)
        self._fetched: dict[int, Paper] = {}
        self._requested: set[int] = set()
        #: The position asked for while its page is on its way.
        self._waiting: int | None = None
        #: Whether the screen has composed (a paper can change before: the main
        #: screen forwards every change to every screen on the stack).
        self._ready = False

    def compose(self) -> ComposeResult:
        yield Static(id="reading-bar", markup=False)
        yield ReadingView(id="reading")
        with Horizontal(id="reading-footer-row", classes="footer-row"):
            yield Footer(id="reading-footer")
            # Here q goes back to the list (as Esc does), so the hints say so.
            yield KeyHints(READING_HINTS, id="reading-key-hints")

    @property
    def view(self) -> ReadingView:
        return self.query_one(ReadingView)

    def on_mount(self) -> None:
        self._ready = True
        self.view.focus()
        if self.paper is not None:
            self._show(self.position, self.paper)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.app.report_worker(event.worker, event.state)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ which paper

    def _list_is_ours(self) -> bool:
        """Whether the main list still shows the results this screen walks."""
        return self.main.results is self.results

    def paper_at(self, position: int) -> Paper | None:
        """The paper at ``position`` if known (the list's row first: it is what the user saw)."""
        if self._list_is_ours():
            paper = self.main.paper_list.paper_at(position)
            if paper is not None:
                return paper
        return self._fetched.get(position)

    def go(self, position: int) -> None:
        """Show the paper at ``position`` (fetching its page first if nobody has it)."""
        if self.total == 0:
            return
        if position >= self.total:
            self.app.notify("That was the last paper in the list.", markup=False, timeout=2)
            return
        if position < 0:
            self.app.notify("This is the first paper in the list.", markup=False, timeout=2)
            return
        paper = self.paper_at(position)
        if paper is not None:
            self._waiting = None
            self._show(position, paper)
            return
        self._waiting = position
        self.position = position
        self._draw_bar(loading=True)
        start = position - position % PAGE_SIZE
        if start not in self._requested and self.results is not None:
            self._requested.add(start)
            self._fetch(self.results, start)

    def _fetch(self, results: Results, start: int) -> None:
        catalog = self.app.catalog  # type: ignore[attr-defined]

        def work() -> None:
            papers = results.fetch(catalog, start, PAGE_SIZE)
            if not get_current_worker().is_cancelled:
                self.post_message(self.PageFetched(results, start, papers))

        self.run_worker(work, thread=True, group="reading-page", exit_on_error=False,
                        description="Loading papers")  # fmt: skip

    @on(PageFetched)
    def _page_fetched(self, event: PageFetched) -> None:
        if event.results is not self.results:
            return
        for offset, paper in enumerate(event.papers):
            self._fetched.setdefault(event.start + offset, paper)
        self._requested.discard(event.start)
        waiting = self._waiting
        if waiting is not None and event.start <= waiting < event.start + PAGE_SIZE:
            paper = self.paper_at(waiting)
            if paper is not None:
                self._waiting = None
                self._show(waiting, paper)
            else:  # the list is shorter now than when it was counted
                self.total = event.start + len(event.papers)
                self._waiting = None
                if self.total:
                    self.go(self.total - 1)

    def _show(self, position: int, paper: Paper) -> None:
        """Draw ``paper`` (at ``position``) and mark it read, as opening it in the list does."""
        self.position = position
        self.paper = paper
        if not self._ready:  # not composed yet: on_mount draws ``self.paper``
            return
        self.view.follow(paper, self.main.detail_query)
        self.view.flush()
        self._draw_bar()
        self.refresh_bindings()
        self.actions.mark_read(paper)

    def _draw_bar(self, *, loading: bool = False) -> None:
        if not self._ready:
            return
        bar = Text()
        label = self.results.spec.label if self.results and self.results.is_search else "More like this"
        bar.append(safe(label), "bold")
        if self.results is not None and self.results.query:
            bar.append(f" · {safe(self.results.query)[:40]}")
        bar.append(f" · {self.position + 1:,} / {plural(self.total, 'paper')}")
        if loading:
            bar.append(" · loading…")
        self.query_one("#reading-bar", Static).update(bar)

    # ------------------------------------------------------------------ changes

    def update_paper(self, paper: Paper) -> None:
        """``paper`` changed (a key here, another process): redraw it if it is the one shown."""
        for position, known in list(self._fetched.items()):
            if known.key == paper.key and paper.seq >= known.seq:
                self._fetched[position] = paper
        if self.paper is not None and self.paper.key == paper.key and paper.seq >= self.paper.seq:
            self.paper = paper
            if not self._ready:  # pushed but not composed yet: on_mount draws it
                return
            self.view.update_paper(paper)
            self.refresh_bindings()

    @on(PaperChanged)
    def _paper_changed(self, event: PaperChanged) -> None:
        event.stop()
        self.update_paper(event.paper)
        self.main.paper_changed(event.paper)
        self.main.refresh_lists()
        if event.done:
            self.app.notify(event.done, markup=False, timeout=3)

    def papers_removed(self, keys: set[str]) -> None:
        """Papers were deleted from the list: the one after them takes their place."""
        self._fetched.clear()
        self._requested.clear()
        self.total = self.main.paper_list.total if self._list_is_ours() else max(self.total - len(keys), 0)
        if self.paper is not None and self.paper.key in keys:
            self.paper = None
            if self.total == 0:
                if self._ready:  # before that, on_mount finds no paper and draws none
                    self.view.show(None)
                    self._draw_bar()
                return
            self.go(min(self.position, self.total - 1))

    # ------------------------------------------------------------------ the keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in PAPER_ACTIONS:
            return True if self.paper is not None else None
        return True

    def action_next_paper(self) -> None:
        self.go(self.position + 1)

    def action_previous_paper(self) -> None:
        self.go(self.position - 1)

    def action_close(self) -> None:
        """Back to the main screen, the list's cursor on the paper read last."""
        paper_list = self.main.paper_list
        row = paper_list.row_of(self.paper.key) if self.paper is not None else None
        if row is None and self._list_is_ours():
            row = self.position
        self.dismiss()
        if row is not None:
            paper_list.cursor = row
        self.main.set_focus(paper_list)

    def action_bookmark(self) -> None:
        self.actions.bookmark()

    def action_toggle_read(self) -> None:
        self.actions.toggle_read()

    def action_tag(self) -> None:
        self.actions.tag()

    def action_note(self) -> None:
        self.actions.note()

    def action_open_browser(self) -> None:
        self.actions.open("abs")

    def action_open_pdf(self) -> None:
        self.actions.open("pdf")

    def action_open_doi(self) -> None:
        self.actions.open("doi")

    def action_copy_id(self) -> None:
        self.actions.copy_id()

    def action_copy_bibtex(self) -> None:
        self.actions.copy_bibtex()

    @on(Copied)
    def _copied(self, event: Copied) -> None:
        self.actions.copied(event)

    def action_delete_paper(self) -> None:
        if self.paper is not None:
            from absreader.ui.manage import confirm_delete

            confirm_delete(self.main, [self.paper])

    def action_edit_paper(self) -> None:
        if self.paper is not None:
            from absreader.ui.manage import edit_paper

            edit_paper(self, self.paper)
