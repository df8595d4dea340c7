"""What the paper keys do, for whichever view shows a paper: the reading panes and the reading screen.

:class:`PaperActions` is a plain helper a view holds (no mixin): it is given
the view (to run workers and post messages from) and a function naming the
paper the keys act on, exactly as the view shows it. Every change runs in a
worker through the catalog, one transaction per action, and comes back to the
view as a :class:`PaperChanged` message; copying comes back as :class:`Copied`.
Delete and edit (``d``, ``E``) live in :mod:`absreader.ui.manage`.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message
from textual.widget import Widget

from absreader.core.catalog import Catalog
from absreader.core.models import Paper
from absreader.ui.clipboard import copy_with_tool
from absreader.ui.text import link_url, one_line, safe

if TYPE_CHECKING:
    from absreader.ui.dialogs.tags import TagChange

#: Reads and changes one paper through the catalog (in a worker); returns it as stored now.
Change = Callable[[Catalog, str], Paper]


@dataclass
class PaperChanged(Message):
    """A paper's personal data was changed by a key; ``done`` is said to the user."""

    paper: Paper
    done: str = ""


@dataclass
class Copied(Message):
    """Text was sent to the terminal's clipboard, and to a system tool if ``tool``."""

    what: str
    tool: str | None


class PaperActions:
    """The paper keys (bookmark, tags, read, note, open, copy) acting for ``host``."""

    def __init__(self, host: Widget, current: Callable[[], Paper | None]) -> None:
        self.host = host
        self.current = current

    @property
    def catalog(self) -> Catalog:
        return self.host.app.catalog  # type: ignore[attr-defined]

    def paper_or_warn(self) -> Paper | None:
        paper = self.current()
        if paper is None:
            self.host.app.notify("No paper selected.", severity="warning", markup=False)
        return paper

    def change(self, paper: Paper, what: str, change: Change, done: str = "") -> None:
        """Apply ``change`` to ``paper`` in a worker; the result comes back as PaperChanged."""
        catalog, host = self.catalog, self.host

        def work() -> None:
            host.post_message(PaperChanged(change(catalog, paper.key), done))

        host.run_worker(work, thread=True, group="write", exit_on_error=False, description=what)

    # ------------------------------------------------------------------ marks

    def bookmark(self) -> None:
        paper = self.paper_or_warn()
        if paper is not None:
            wanted = not paper.bookmarked  # the opposite of what the screen shows
            self.change(paper, "Bookmarking", lambda c, k: c.set_bookmarked(k, wanted))

    def toggle_read(self) -> None:
        paper = self.paper_or_warn()
        if paper is not None:
            wanted = not paper.read  # the opposite of what the screen shows
            self.change(paper, "Marking read", lambda c, k: c.set_read(k, wanted))

    def mark_read(self, paper: Paper) -> None:
        """Opening a paper marks it read (if it is not already)."""
        if not paper.read:
            self.change(paper, "Marking read", lambda c, k: c.set_read(k, True))

    def tag(self) -> None:
        paper = self.paper_or_warn()
        if paper is None:
            return
        lists = getattr(self.host.app, "main_screen", None)
        lists = getattr(lists, "lists", None)
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
            self.change(paper, "Tagging", edit, one_line("Tags: " + " ".join(parts)))

        from absreader.ui.dialogs.tags import TagEditor

        self.host.app.push_screen(TagEditor(paper, existing), apply)

    def note(self) -> None:
        paper = self.paper_or_warn()
        if paper is None:
            return
        from absreader.ui.dialogs.note import NoteEditor

        def saved(updated: Paper | None) -> None:
            if updated is not None:
                self.host.post_message(PaperChanged(updated, "Note saved."))

        self.host.app.push_screen(NoteEditor(paper), saved)

    # ------------------------------------------------------------------ the browser

    def open(self, which: str) -> None:
        """Open the paper's ``which`` address ("abs", "pdf", "doi") in the browser (in a worker)."""
        missing = {
            "abs": "This paper has no web address.",
            "pdf": "This paper has no arXiv id, so no PDF link.",
            "doi": "This paper has no DOI.",
        }[which]
        paper = self.paper_or_warn()
        if paper is None:
            return
        url = link_url(paper, which)
        app = self.host.app
        if url is None:
            app.notify(missing, severity="warning", markup=False)
            return

        def work() -> None:
            if webbrowser.open(url):
                app.notify(f"Opened {url}", markup=False, timeout=3)
            else:
                app.notify(f"Could not open a browser. The address is {url}",
                           severity="warning", markup=False)  # fmt: skip

        self.host.run_worker(work, thread=True, group="browser", exit_on_error=False,
                             description="Opening the browser")  # fmt: skip

    # ------------------------------------------------------------------ the clipboard

    def _copy(self, text: str, what: str) -> None:
        """OSC 52 to the terminal at once; a system clipboard tool in a worker."""
        self.host.app.copy_to_clipboard(text)
        host = self.host

        def work() -> None:
            host.post_message(Copied(what, copy_with_tool(text)))

        host.run_worker(work, thread=True, group="clipboard", exit_on_error=False,
                        description="Copying")  # fmt: skip

    def copied(self, event: Copied) -> None:
        """Say what was copied (the host's handler for :class:`Copied` calls this)."""
        event.stop()
        message = f"Sent {event.what} to the terminal clipboard (OSC 52)"
        if event.tool:
            message += f" and copied it with {event.tool}"
        self.host.app.notify(message + ".", markup=False, timeout=4)

    def copy_id(self) -> None:
        paper = self.paper_or_warn()
        if paper is not None:
            ident = safe(paper.arxiv_id or paper.key)
            self._copy(ident, f"{'arXiv id' if paper.arxiv_id else 'key'} {ident}")

    def copy_bibtex(self) -> None:
        paper = self.paper_or_warn()
        if paper is not None:
            key, entry = self.catalog.bibtex_entry(paper)
            self._copy(safe(entry), f"BibTeX @{key}")
