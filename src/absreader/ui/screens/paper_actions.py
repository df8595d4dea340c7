"""What the paper keys do on the main screen: bookmark, tag, read, note, open, copy, similar.

Every change goes through the catalog in a worker thread (one transaction per
action); the row, the detail pane and the sidebar counts update when it lands.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.worker import get_current_worker

from absreader.core.catalog import Catalog
from absreader.core.models import Paper
from absreader.ui.results import similar_results
from absreader.ui.text import link_url, one_line, paper_title, safe

if TYPE_CHECKING:
    from absreader.ui.screens.main import MainScreen
    from absreader.ui.screens.tags import TagChange

PAPER_ACTIONS = frozenset(
    {
        "bookmark",
        "tag",
        "toggle_read",
        "note",
        "open_browser",
        "copy_id",
        "copy_bibtex",
        "more_like_this",
    }
)

Change = Callable[[Catalog, str], Paper]


class PaperActions:
    """Mixin for :class:`MainScreen`: the actions behind the paper keys."""

    def _paper_or_warn(self: MainScreen) -> Paper | None:
        paper = self.current_paper
        if paper is None:
            self.app.notify("No paper selected.", severity="warning", markup=False)
        return paper

    def change_paper(
        self: MainScreen, paper: Paper, what: str, change: Change, done: str = ""
    ) -> None:
        """Apply ``change`` to ``paper`` in a worker, then redraw it; ``done`` is notified."""
        catalog = self.app.catalog
        lock = self.app.write_lock

        def work() -> None:
            with lock:
                updated = change(catalog, paper.key)
            self.app.call_from_thread(self.paper_changed, updated, done)

        self.run_worker(work, thread=True, group="write", exit_on_error=False, description=what)

    def paper_changed(self: MainScreen, paper: Paper, done: str = "") -> None:
        """A paper's personal data changed: redraw its row and the detail, recount lists."""
        self.paper_list.update_paper(paper)
        shown = self.detail.paper
        if shown is not None and shown.key == paper.key:
            self.detail.show(paper, self.detail.spans)
        self.refresh_lists()
        if done:
            self.app.notify(done, markup=False, timeout=3)

    def action_bookmark(self: MainScreen) -> None:
        paper = self._paper_or_warn()
        if paper is None:
            return

        def toggle(catalog: Catalog, key: str) -> Paper:
            return catalog.set_bookmarked(key, not catalog.paper(key).bookmarked)

        self.change_paper(paper, "Bookmarking", toggle)

    def action_toggle_read(self: MainScreen) -> None:
        paper = self._paper_or_warn()
        if paper is None:
            return

        def toggle(catalog: Catalog, key: str) -> Paper:
            return catalog.set_read(key, not catalog.paper(key).read)

        self.change_paper(paper, "Marking read", toggle)

    def action_tag(self: MainScreen) -> None:
        paper = self._paper_or_warn()
        if paper is None:
            return
        existing = self.lists.tags if self.lists else []

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

        from absreader.ui.screens.tags import TagEditor

        self.app.push_screen(TagEditor(paper, list(existing)), apply)

    def action_note(self: MainScreen) -> None:
        paper = self._paper_or_warn()
        if paper is None:
            return

        def apply(text: str | None) -> None:
            if text is None or text == paper.note:
                return
            self.change_paper(
                paper, "Saving the note", lambda c, k: c.set_note(k, text), "Note saved."
            )

        from absreader.ui.screens.note import NoteEditor

        self.app.push_screen(NoteEditor(paper), apply)

    def action_open_browser(self: MainScreen) -> None:
        paper = self._paper_or_warn()
        if paper is None:
            return
        url = link_url(paper)
        if url is None:
            self.app.notify("This paper has no web address.", severity="warning", markup=False)
            return

        def work() -> None:
            opened = webbrowser.open(url)
            if not opened:
                self.app.notify(
                    f"Could not open a browser. The address is {url}",
                    severity="warning",
                    markup=False,
                )
            else:
                self.app.notify(f"Opened {url}", markup=False, timeout=3)

        self.run_worker(
            work,
            thread=True,
            group="browser",
            exit_on_error=False,
            description="Opening the browser",
        )

    def action_copy_id(self: MainScreen) -> None:
        paper = self._paper_or_warn()
        if paper is None:
            return
        ident = safe(paper.arxiv_id or paper.key)
        self.app.copy_to_clipboard(ident)
        what = "arXiv id" if paper.arxiv_id else "key"
        self.app.notify(f"Copied {what} {ident}", markup=False, timeout=3)

    def action_copy_bibtex(self: MainScreen) -> None:
        paper = self._paper_or_warn()
        if paper is None:
            return
        from absreader.core.export import citation_key, to_bibtex_entry

        key = citation_key(paper, set())
        self.app.copy_to_clipboard(safe(to_bibtex_entry(paper, key)))
        self.app.notify(f"Copied BibTeX @{key}", markup=False, timeout=3)

    def action_more_like_this(self: MainScreen) -> None:
        paper = self._paper_or_warn()
        if paper is None:
            return
        if not self.app.index_searchable():
            self.app.notify(
                "The search index is still being built; try again when it is done.",
                severity="warning",
                markup=False,
                timeout=4,
            )
            return
        library_total = self.results.library_total if self.results else 0
        catalog = self.app.catalog

        def work() -> None:
            results = similar_results(catalog, paper, library_total)
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._similar_ready, paper, results)

        self.run_worker(
            work,
            thread=True,
            group="similar",
            exclusive=True,
            exit_on_error=False,
            description="More like this",
        )

    def _similar_ready(self: MainScreen, paper: Paper, results) -> None:  # noqa: ANN001
        if not results.total:
            self.app.notify("No similar papers found.", markup=False)
            return
        self.push_results(results)
        self.app.notify(
            f"{results.total} papers like “{one_line(paper_title(paper), 50)}” · esc returns",
            markup=False,
            timeout=3,
        )

    def action_save_search(self: MainScreen) -> None:
        query = self.search_input.value.strip()
        if not query:
            self.app.notify("Type a search first (/), then save it with s.", markup=False)
            return

        def check(name: str) -> str | None:
            return None if name else "The name is empty."

        def save(name: str | None) -> None:
            if not name:
                return
            catalog = self.app.catalog

            def work() -> None:
                with self.app.write_lock:
                    catalog.save_search(name, query)
                self.app.call_from_thread(self._search_saved, name)

            self.run_worker(
                work,
                thread=True,
                group="write",
                exit_on_error=False,
                description="Saving the search",
            )

        from absreader.ui.screens.prompt import PromptScreen

        self.app.push_screen(
            PromptScreen(
                "Save this search as a reading list",
                value=query[:60],
                hint=f"Query: {one_line(query, 60)} · ↵ saves (the same name replaces) · esc cancels",
                validate=check,
            ),
            save,
        )

    def _search_saved(self: MainScreen, name: str) -> None:
        self.refresh_lists()
        self.app.notify(
            f"Saved search “{one_line(name, 40)}” in the sidebar.", markup=False, timeout=3
        )
