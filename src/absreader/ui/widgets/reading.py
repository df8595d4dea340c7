"""The reading panes (lists, papers, detail) and the keys that act on the paper shown.

:class:`ReadingPanes` holds the sidebar, the result list and the detail pane,
and owns the paper keys (bookmark, tag, read, note, open, copy, similar): they
act on the paper the list shows under its cursor, exactly as shown. Every
change runs in a worker through the catalog (one transaction per action) and
comes back as a :class:`ReadingPanes.PaperChanged` message, which the screen
turns into a redrawn row, detail pane and sidebar counts.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.worker import Worker, get_current_worker

from absreader.core.catalog import Catalog
from absreader.core.models import Paper
from absreader.ui.clipboard import copy_with_tool
from absreader.ui.results import Results, similar_results
from absreader.ui.text import link_url, one_line, safe
from absreader.ui.widgets.paper_list import PaperList

if TYPE_CHECKING:
    from absreader.ui.dialogs.tags import TagChange

PAPER_ACTIONS = frozenset(
    {"bookmark", "tag", "toggle_read", "note", "open_browser", "open_pdf", "open_doi", "copy_id",
     "copy_bibtex", "more_like_this"}
)  # fmt: skip

Change = Callable[[Catalog, str], Paper]


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
    ]  # fmt: skip

    @dataclass
    class PaperChanged(Message):
        """A paper's personal data was changed by a key; ``done`` is said to the user."""

        paper: Paper
        done: str = ""

    @dataclass
    class SimilarFound(Message):
        """The papers like ``paper`` were found ("more like this")."""

        paper: Paper
        results: Results

    @dataclass
    class SearchSaved(Message):
        """The typed search was saved as a reading list called ``name``."""

        name: str

    @dataclass
    class Copied(Message):
        """Text was sent to the terminal's clipboard, and to a system tool if ``tool``."""

        what: str
        tool: str | None

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
        paper = self.current
        if paper is None:
            self.app.notify("No paper selected.", severity="warning", markup=False)
        return paper

    def change_paper(self, paper: Paper, what: str, change: Change, done: str = "") -> None:
        """Apply ``change`` to ``paper`` in a worker; the result comes back as PaperChanged."""
        catalog = self.catalog

        def work() -> None:
            self.post_message(self.PaperChanged(change(catalog, paper.key), done))

        self.run_worker(work, thread=True, group="write", exit_on_error=False, description=what)

    # ------------------------------------------------------------------ the keys

    def _bulk(self) -> bool:
        """Whether papers are selected: then b, r and t act on all of them (ui/triage.py)."""
        return bool(self.query_one(PaperList).selected)

    def action_bookmark(self) -> None:
        if self._bulk():
            self.screen.bulk_flag("bookmarked")  # type: ignore[attr-defined]
            return
        paper = self._paper_or_warn()
        if paper is not None:
            wanted = not paper.bookmarked  # the opposite of what the screen shows
            self.change_paper(paper, "Bookmarking", lambda c, k: c.set_bookmarked(k, wanted))

    def action_toggle_read(self) -> None:
        if self._bulk():
            self.screen.bulk_flag("read")  # type: ignore[attr-defined]
            return
        paper = self._paper_or_warn()
        if paper is not None:
            wanted = not paper.read  # the opposite of what the screen shows
            self.change_paper(paper, "Marking read", lambda c, k: c.set_read(k, wanted))

    def mark_read(self, paper: Paper) -> None:
        """Opening a paper marks it read (if it is not already)."""
        if not paper.read:
            self.change_paper(paper, "Marking read", lambda c, k: c.set_read(k, True))

    def action_tag(self) -> None:
        if self._bulk():
            self.screen.bulk_tag()  # type: ignore[attr-defined]
            return
        paper = self._paper_or_warn()
        if paper is None:
            return
        lists = getattr(self.screen, "lists", None)
        existing = list(lists.tags) if lists else []

        def apply(change: TagChange | None) -> None:
            if not change:
                return

            def edit(catalog: Catalog, key: str) -> Paper:
                updated = catalog.paper(key)
                if change.add:
                    updated = catalog.add_tags(key, change.add)
                if change.remove:
                    updated = catalog.remove_tags(key, change.remove)
                return updated

            parts = [f"+{t}" for t in change.add] + [f"-{t}" for t in change.remove]
            self.change_paper(paper, "Tagging", edit, one_line("Tags: " + " ".join(parts)))

        from absreader.ui.dialogs.tags import TagEditor

        self.app.push_screen(TagEditor(paper, existing), apply)

    def action_note(self) -> None:
        paper = self._paper_or_warn()
        if paper is None:
            return
        from absreader.ui.dialogs.note import NoteEditor

        def saved(updated: Paper | None) -> None:
            if updated is not None:
                self.post_message(self.PaperChanged(updated, "Note saved."))

        self.app.push_screen(NoteEditor(paper), saved)

    def action_open_browser(self) -> None:
        self._open("abs", "This paper has no web address.")

    def action_open_pdf(self) -> None:
        self._open("pdf", "This paper has no arXiv id, so no PDF link.")

    def action_open_doi(self) -> None:
        self._open("doi", "This paper has no DOI.")

    def _open(self, which: str, missing: str) -> None:
        """Open the paper's ``which`` address in the browser (in a worker)."""
        paper = self._paper_or_warn()
        if paper is None:
            return
        url = link_url(paper, which)
        if url is None:
            self.app.notify(missing, severity="warning", markup=False)
            return

        def work() -> None:
            if webbrowser.open(url):
                self.app.notify(f"Opened {url}", markup=False, timeout=3)
            else:
                self.app.notify(f"Could not open a browser. The address is {url}",
                                severity="warning", markup=False)  # fmt: skip

        self.run_worker(work, thread=True, group="browser", exit_on_error=False,
                        description="Opening the browser")  # fmt: skip

    def _copy(self, text: str, what: str) -> None:
        """OSC 52 to the terminal at once; a system clipboard tool in a worker."""
        self.app.copy_to_clipboard(text)

        def work() -> None:
            self.post_message(self.Copied(what, copy_with_tool(text)))

        self.run_worker(work, thread=True, group="clipboard", exit_on_error=False,
                        description="Copying")  # fmt: skip

    @on(Copied)
    def _copied(self, event: Copied) -> None:
        event.stop()
        message = f"Sent {event.what} to the terminal clipboard (OSC 52)"
        if event.tool:
            message += f" and copied it with {event.tool}"
        self.app.notify(message + ".", markup=False, timeout=4)

    def action_copy_id(self) -> None:
        paper = self._paper_or_warn()
        if paper is not None:
            ident = safe(paper.arxiv_id or paper.key)
            self._copy(ident, f"{'arXiv id' if paper.arxiv_id else 'key'} {ident}")

    def action_copy_bibtex(self) -> None:
        paper = self._paper_or_warn()
        if paper is not None:
            key, entry = self.catalog.bibtex_entry(paper)
            self._copy(safe(entry), f"BibTeX @{key}")

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
