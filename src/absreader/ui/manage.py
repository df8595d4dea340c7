"""Deleting and editing papers from the reader, each with an undo (``d``, ``E``, then ``u``).

Delete asks first (naming the papers), takes the rows out of the list at
once (the paper after them takes the cursor), then deletes in a worker through
``Catalog.delete_papers``; its undo (``Catalog.restore_deleted``) puts the
papers back, personal data and all, in the rows they left. Edit opens
:class:`~absreader.ui.dialogs.edit.EditDialog` and saves in a worker through
``Catalog.edit_paper``; its undo restores the values it replaced exactly.
Both take their papers as a list of keys' papers, so a selection can be
handed to them as it is.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual.app import App
from textual.widget import Widget

from absreader.core.catalog import Catalog
from absreader.core.models import Paper
from absreader.ui.paper_actions import PaperChanged
from absreader.ui.results import PAGE_SIZE
from absreader.ui.text import one_line, paper_title, plural

#: How long an undo waits for the deletion it takes back to commit.
UNDO_WAIT_S = 60.0

if TYPE_CHECKING:
    from absreader.ui.dialogs.edit import EditResult
    from absreader.ui.results import Results


class MainScreen(Protocol):
    """What deleting needs of the main screen (named here: this module imports no screen)."""

    app: App[Any]
    paper_list: Any
    results: Results | None
    search_pending: bool

    def update_status(self) -> None: ...
    def show_position(self) -> None: ...
    def refresh_lists(self) -> None: ...
    def flush_search(self, *, select_key: str | None = None, keep_stack: bool = False) -> None: ...
    def run_worker(self, *args: Any, **kwargs: Any) -> Any: ...

#: How many titles the confirmation names before "and N more".
NAMED = 5


def _named(papers: Sequence[Paper]) -> str:
    if len(papers) == 1:
        return f"“{one_line(paper_title(papers[0]), 60)}”"
    return plural(len(papers), "paper")


def confirm_delete(main: MainScreen, papers: Sequence[Paper]) -> None:
    """Ask whether to delete ``papers`` (naming them); delete them if the answer is yes."""
    from absreader.ui.dialogs.confirm import ChoiceScreen

    papers = list(papers)
    if not papers:
        return
    body = Text()
    for paper in papers[:NAMED]:
        body.append("• " + one_line(paper_title(paper), 66) + "\n", "bold")
    if len(papers) > NAMED:
        body.append(f"… and {plural(len(papers) - NAMED, 'more paper')}\n")
    their = "Its" if len(papers) == 1 else "Their"
    body.append(f"\n{their} bookmark, tags, note and read state go too. u undoes this; the "
                "backup keeps them until the next export.")  # fmt: skip

    def answered(choice: str | None) -> None:
        if choice == "delete":
            delete_papers(main, papers)

    main.app.push_screen(
        ChoiceScreen(f"Delete {_named(papers)}?", body, [("delete", "Delete"), ("cancel", "Cancel")],
                     id="confirm-delete"),
        answered,
    )  # fmt: skip


def delete_papers(main: MainScreen, papers: Sequence[Paper]) -> None:
    """Take ``papers`` off the list now and delete them in a worker; ``u`` brings them back."""
    app = main.app
    catalog: Catalog = app.catalog  # type: ignore[attr-defined]
    keys = [p.key for p in papers]
    results = main.results
    rows = _remove_rows(main, keys)
    label = f"Deleted {_named(papers)}"

    finished = threading.Event()
    outcome: list[bool] = []  # [True] once the papers are deleted

    def work() -> None:
        try:
            gone = catalog.delete_papers(keys)
            outcome.append(bool(gone))
        except Exception:
            app.call_from_thread(_delete_failed, main, keys)
            raise
        finally:
            finished.set()
        said = f"{label}. u undoes it." if gone else "Nothing was deleted (already gone)."
        app.call_from_thread(_deleted, main, said)

    def reverse(c: Catalog) -> str:
        finished.wait(UNDO_WAIT_S)  # u pressed at once: the deletion commits first
        if not outcome or not outcome[0]:
            return "Nothing to undo: nothing was deleted."
        return _undo_delete(c, main, results, rows)

    # The step exists as soon as the rows leave the screen, so u right after d works.
    app.push_undo(label, reverse)  # type: ignore[attr-defined]

    main.run_worker(work, thread=True, group="write", exit_on_error=False,
                    description=f"Deleting {plural(len(keys), 'paper')}")  # fmt: skip


def _remove_rows(main: MainScreen, keys: Sequence[str]) -> dict[str, int]:
    """Take ``keys`` out of the list and every reading screen; the rows they had."""
    paper_list = main.paper_list
    rows = {key: row for key in keys if (row := paper_list.row_of(key)) is not None}
    removed = paper_list.remove_keys(keys)
    results = main.results
    if results is not None:
        results.total = max(results.total - removed, 0)
        if results.fixed_keys is not None:
            gone = set(keys)
            results.fixed_keys = [k for k in results.fixed_keys if k not in gone]
    main.update_status()
    main.show_position()
    for screen in main.app.screen_stack:  # the full-screen reader, if open
        if hasattr(screen, "papers_removed"):
            screen.papers_removed(set(keys))
    return rows


def _deleted(main: MainScreen, said: str) -> None:
    main.refresh_lists()
    main.app.notify(said, markup=False, timeout=4)


def _delete_failed(main: MainScreen, keys: Sequence[str]) -> None:
    """The delete did not happen: show the list as the library has it again."""
    main.flush_search(select_key=keys[0] if keys else None, keep_stack=True)


def _undo_delete(
    catalog: Catalog, main: MainScreen, results: Results | None, rows: dict[str, int]
) -> str:
    """Restore the last deletion (runs in the undo worker); the rows come back where they were."""
    restored = catalog.restore_deleted()
    papers = catalog.papers(restored)
    main.app.call_from_thread(_restored, main, papers, results, rows)
    if not papers:
        return "Nothing to restore: the papers were imported again meanwhile."
    return f"Restored {_named(papers)}."


def _restored(
    main: MainScreen, papers: list[Paper], results: Results | None, rows: dict[str, int]
) -> None:
    if not papers:
        return
    paper_list = main.paper_list
    shown = main.results
    if shown is not None and results is not None and not main.search_pending and _same_list(shown, results):
        results = shown
        placed = sorted(((rows.get(p.key, paper_list.total), p) for p in papers),
                        key=lambda pair: pair[0])  # fmt: skip
        for row, paper in placed:
            paper_list.insert_paper(row, paper)
        results.total += len(placed)
        if results.fixed_keys is not None:
            for row, paper in placed:
                results.fixed_keys.insert(min(row, len(results.fixed_keys)), paper.key)
        paper_list.cursor = placed[0][0]
        main.update_status()
        main.show_position()
        if results.is_search and placed[0][0] < PAGE_SIZE:
            # A search the watcher started on seeing the restore (before this ran) would put
            # the cursor back on the paper it had; this one supersedes it, on the paper restored.
            main.flush_search(select_key=placed[0][1].key, keep_stack=True)
    else:  # the list changed meanwhile: search it again, on the paper that came back
        main.flush_search(select_key=papers[0].key, keep_stack=True)
    main.refresh_lists()


def _same_list(shown: Results, deleted_from: Results) -> bool:
    """Whether the list on screen is the one the papers left (searched again since, maybe:
    the watcher does after every change), so they go back in the rows they had."""
    if shown is deleted_from:
        return True
    return (
        shown.is_search
        and deleted_from.is_search
        and (shown.query, shown.spec, shown.sort) == (deleted_from.query, deleted_from.spec, deleted_from.sort)
    )


# ---------------------------------------------------------------------------- edit


def edit_paper(host: Widget, paper: Paper) -> None:
    """Ask for the paper's title, authors and year; save the changes in a worker (u undoes)."""
    from absreader.ui.dialogs.edit import EditDialog

    app = host.app

    def save(result: EditResult | None) -> None:
        if not result:
            return
        catalog: Catalog = app.catalog  # type: ignore[attr-defined]
        key = paper.key

        def work() -> None:
            before = catalog.paper(key)
            updated = catalog.edit_paper(key, title=result.title, authors=result.authors,
                                         year=result.year)  # fmt: skip
            label = f"Edited “{one_line(paper_title(before), 50)}”"
            app.call_from_thread(app.push_undo, label,  # type: ignore[attr-defined]
                                 lambda c: _undo_edit(c, host, before))  # fmt: skip
            host.post_message(PaperChanged(updated, f"{label}. u undoes it."))

        host.run_worker(work, thread=True, group="write", exit_on_error=False,
                        description="Saving the edit")  # fmt: skip

    app.push_screen(EditDialog(paper), save)


def _undo_edit(catalog: Catalog, host: Widget, before: Paper) -> str:
    """Put back the title, authors and date an edit replaced (runs in the undo worker)."""
    untitled = before.untitled or not before.title
    restored = catalog.edit_paper(
        before.key,
        title=None if untitled else before.title,
        untitled=untitled,
        authors=list(before.authors),
        published=before.published or "",
    )
    host.post_message(PaperChanged(restored))
    return f"Undone: the edit of “{one_line(paper_title(restored), 50)}”."
