"""The reading panes (lists, papers, detail) and the keys that act on the paper shown.

:class:`ReadingPanes` holds the sidebar, the result list and the detail pane,
and owns the paper keys (bookmark, tag, read, note, open, copy, similar, full
screen, delete, edit): they act on the paper the list shows under its cursor,
exactly as shown. What they do is :class:`~absreader.ui.paper_actions.PaperActions`
(shared with the reading screen) and :mod:`absreader.ui.manage`. Every change
runs in a worker through the catalog (one transaction per action) and comes
back as a :class:`PaperChanged` message, which the screen turns into a redrawn
row, detail pane and sidebar counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker, get_current_worker

from absreader.core.catalog import Catalog
from absreader.core.models import Paper
from absreader.ui.paper_actions import Change, Copied, PaperActions, PaperChanged
from absreader.ui.results import Results, similar_results
from absreader.ui.text import one_line
from absreader.ui.widgets.paper_list import PaperList

PAPER_ACTIONS = frozenset(
    {"bookmark", "tag", "toggle_read", "note", "open_browser", "open_pdf", "open_doi", "copy_id",
     "copy_bibtex", "more_like_this", "read_full_screen", "delete_paper", "edit_paper"}
)  # fmt: skip


class ReadingPanes(Horizontal):
    """Sidebar, list and detail side by side; the paper keys live here."""

    BINDINGS = [
        Binding("b", "bookmark", "Bookmark", tooltip="Bookmark the paper (again: remove)",
                id="bookmark"),
        Binding("t", "tag", "Tags", tooltip="Add or remove tags", id="tag"),
        Binding("r", "toggle_read", "Read", tooltip="Mark the paper read / unread",
                id="toggle_read"),
        Binding("n", "note", "Note", tooltip="Write a note on the paper", id="note"),
        Binding("o", "open_browser", "Browser", tooltip="Open the arXiv page in the browser",
                id="open_browser", show=False),
        Binding("p", "open_pdf", "PDF", tooltip="Open the PDF in the browser",
                id="open_pdf", show=False),
        Binding("O", "open_doi", "DOI", tooltip="Open the paper's DOI in the browser",
                id="open_doi", show=False),
        Binding("y", "copy_id", "Copy id", tooltip="Copy the arXiv id to the clipboard",
                id="copy_id", show=False),
        Binding("Y", "copy_bibtex", "BibTeX", tooltip="Copy a BibTeX entry to the clipboard",
                id="copy_bibtex", show=False),
        Binding("m", "more_like_this", "More like", tooltip="Show papers like this one",
                id="more_like_this"),
        Binding("s", "save_search", "Save search", tooltip="Save the search as a reading list",
                id="save_search", show=False),
        Binding("f", "read_full_screen", "Full screen", tooltip="Read full screen: one paper "
                "over the whole terminal, next and previous in the list's order",
                id="read_full_screen", show=False),
        Binding("d", "delete_paper", "Delete", tooltip="Delete the paper (asks first; u undoes)",
                id="delete_paper", show=False),
        Binding("E", "edit_paper", "Edit", tooltip="Edit the paper's title, authors and year "
                "(u undoes)", id="edit_paper", show=False),
    ]  # fmt: skip

    #: A paper's personal data was changed by a key (one message class for every view).
    PaperChanged = PaperChanged

    @dataclass
    class SimilarFound(Message):
        """The papers like ``paper`` were found ("more like this")."""

        paper: Paper
        results: Results

    @dataclass
    class SearchSaved(Message):
        """The typed search was saved as a reading list called ``name``."""

        name: str

    def __init__(self, *children: Widget, id: str | None = None) -> None:
        super().__init__(*children, id=id)
        self.actions = PaperActions(self, lambda: self.current)

    @property
    def catalog(self) -> Catalog:
        return self.app.catalog  # type: ignore[attr-defined]

    @property
    def current(self) -> Paper | None:
        """The paper the keys act on: the one under the list's cursor, as the row shows it."""
        return self.query_one(PaperList).current

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in PAPER_ACTIONS:
            return True if self.current is not None else None
        return True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.app.report_worker(event.worker, event.state)  # type: ignore[attr-defined]

    def _paper_or_warn(self) -> Paper | None:
        return self.actions.paper_or_warn()

    def change_paper(self, paper: Paper, what: str, change: Change, done: str = "") -> None:
        """Apply ``change`` to ``paper`` in a worker; the result comes back as PaperChanged."""
        self.actions.change(paper, what, change, done)

    # ------------------------------------------------------------------ the keys

    def _bulk(self) -> bool:
        """Whether papers are selected: then b, r and t act on all of them (ui/triage.py)."""
        return bool(self.query_one(PaperList).selected)

    def action_bookmark(self) -> None:
        if self._bulk():
            self.screen.triage.bulk_flag("bookmarked")  # type: ignore[attr-defined]
            return
        self.actions.bookmark()

    def action_toggle_read(self) -> None:
        if self._bulk():
            self.screen.triage.bulk_flag("read")  # type: ignore[attr-defined]
            return
        self.actions.toggle_read()

    def mark_read(self, paper: Paper) -> None:
        """Opening a paper marks it read (if it is not already)."""
        self.actions.mark_read(paper)

    def action_tag(self) -> None:
        if self._bulk():
            self.screen.triage.bulk_tag()  # type: ignore[attr-defined]
            return
        self.actions.tag()

    def action_note(self) -> None:
        self.actions.note()

    def action_open_browser(self) -> None:
        self.actions.open("abs")

    def action_open_pdf(self) -> None:
        self.actions.open("pdf")

    def action_open_doi(self) -> None:
        self.actions.open("doi")

    @on(Copied)
    def _copied(self, event: Copied) -> None:
        self.actions.copied(event)

    def action_copy_id(self) -> None:
        self.actions.copy_id()

    def action_copy_bibtex(self) -> None:
        self.actions.copy_bibtex()

    def action_read_full_screen(self) -> None:
        """The paper under the cursor over the whole terminal (next/previous follow the list)."""
        if self.actions.paper_or_warn() is not None:
            self.app.read_full_screen()  # type: ignore[attr-defined]

    def action_delete_paper(self) -> None:
        from absreader.ui.manage import confirm_delete

        if self._bulk():  # every selected paper, in one deletion (one u brings them all back)
            keys = list(self.query_one(PaperList).selected)
            confirm_delete(self.screen, self.catalog.papers(keys))  # type: ignore[arg-type]
            return
        paper = self.actions.paper_or_warn()
        if paper is not None:
            confirm_delete(self.screen, [paper])  # type: ignore[arg-type]

    def action_edit_paper(self) -> None:
        paper = self.actions.paper_or_warn()
        if paper is not None:
            from absreader.ui.manage import edit_paper

            edit_paper(self, paper)

    def action_more_like_this(self) -> None:
        paper = self._paper_or_warn()
        if paper is None:
            return
        catalog = self.catalog
        indexing = bool(self.app.jobs.running)  # type: ignore[attr-defined]

        def work() -> None:
            if indexing and catalog.indexed_count() == 0:
                self.app.notify("The search index is still being built; try again when it is "
                                "done.", severity="warning", markup=False, timeout=4)  # fmt: skip
                return
            results = similar_results(catalog, paper, catalog.paper_count())
            if not get_current_worker().is_cancelled:
                self.post_message(self.SimilarFound(paper, results))

        self.run_worker(work, thread=True, group="similar", exclusive=True, exit_on_error=False,
                        description="More like this")  # fmt: skip

    def action_save_search(self) -> None:
        """Save what the search bar holds as a reading list (asks for a name)."""
        query = self.screen.search_input.value.strip()  # type: ignore[attr-defined]
        if not query:
            self.app.notify("Type a search first (/), then save it with s.", markup=False)
            return
        catalog = self.catalog

        def save(name: str | None) -> None:
            if not name:
                return

            def work() -> None:
                catalog.save_search(name, query)
                self.post_message(self.SearchSaved(name))

            self.run_worker(work, thread=True, group="write", exit_on_error=False,
                            description="Saving the search")  # fmt: skip

        from absreader.ui.dialogs.prompt import PromptScreen

        hint = f"Query: {one_line(query, 60)} · ↵ saves (the same name replaces) · esc cancels"
        self.app.push_screen(
            PromptScreen("Save this search as a reading list", value=query[:60], hint=hint,
                         validate=lambda name: None if name else "The name is empty."),
            save,
        )  # fmt: skip
