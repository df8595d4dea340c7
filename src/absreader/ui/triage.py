"""Working through a list fast: facet filters, next/previous unread, mark all read,
bulk changes to the selected papers, and export.

:class:`Triage` is a plain helper the main screen holds (no mixin): the keys are
the screen's bindings, whose actions hand over to it, and it is given the
screen to run workers and timers on and to read the list from. Every catalog call
runs in a thread worker; the answer comes back with ``call_from_thread`` and
only then touches widgets. Each bulk change is one transaction through the
catalog, which returns exactly the papers it changed, and pushes an undo step
(``u``) that reverses those papers and no others.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text

from absreader.core.catalog import Catalog
from absreader.core.export_file import format_for, refusal
from absreader.ui.facets import FacetChoice
from absreader.ui.text import one_line, plural, safe

if TYPE_CHECKING:
    from textual.timer import Timer

    from absreader.ui.dialogs.tags import TagChange
    from absreader.ui.results import Results
    from absreader.ui.widgets.paper_list import PaperList
    from absreader.ui.widgets.sidebar import ListSidebar

#: Marking more papers read than this asks first.
CONFIRM_ABOVE = 50
#: Keys looked at per query while looking for the next unread paper beyond the loaded rows.
SCAN_CHUNK = 2000
#: Facets are counted once the list has been still this long (not on every keystroke: counting
#: a large search's categories costs up to seconds of CPU that typing would compete with).
FACET_DELAY = 0.4
FORMAT_NAMES = {
    "bibtex": "BibTeX",
    "ris": "RIS",
    "json": "JSON",
    "csv": "CSV",
    "markdown": "Markdown",
}


class TriageHost(Protocol):
    """What :class:`Triage` uses of the screen it acts for (the main screen)."""

    app: Any
    results: Results | None

    @property
    def paper_list(self) -> PaperList: ...
    @property
    def sidebar(self) -> ListSidebar: ...
    def run_worker(self, work: Callable[[], None], **options: Any) -> Any: ...
    def set_timer(self, delay: float, callback: Callable[[], None]) -> Timer: ...
    def flush_search(self, *, select_key: str | None = None) -> None: ...
    def refresh_lists(self) -> None: ...


class Triage:
    """What the main screen's triage keys do (``]`` ``[`` ``A`` ``x`` ``c``, the selection's
    bulk keys) and the sidebar's facet counts, acting for ``host``."""

    def __init__(self, host: TriageHost) -> None:
        self.host = host
        self.facet_choice = FacetChoice()
        self._facets_token = 0
        self._facets_busy = False
        self._facets_again = False
        self._facets_timer: Timer | None = None

    # ------------------------------------------------------------------ plumbing

    @property
    def catalog(self) -> Catalog:
        return self.host.app.catalog

    def _in_worker(self, what: str, work: Callable[[], None], group: str = "write") -> None:
        self.host.run_worker(work, thread=True, group=group, exit_on_error=False,
                        description=what)  # fmt: skip

    def _say(self, message: str, severity: str = "information") -> None:
        self.host.app.notify(message, severity=severity, markup=False, timeout=4)

    @property
    def selected_keys(self) -> list[str]:
        """The keys of the selected papers, in the order they were selected."""
        return list(self.host.paper_list.selected)

    # ------------------------------------------------------------------ facets

    def refresh_facets(self) -> None:
        """Recount the sidebar's facets for the list shown, once it has been still for
        ``FACET_DELAY`` (in a worker).

        One count runs at a time: asked again meanwhile (typing), it runs once
        more when the running one is done, for the list shown then.
        """
        if self._facets_timer is not None:
            self._facets_timer.stop()
        self._facets_timer = self.host.set_timer(FACET_DELAY, self.flush_facets)

    @property
    def facets_pending(self) -> bool:
        """A facet count waits for the list to be still."""
        return self._facets_timer is not None

    def flush_facets(self) -> None:
        """Count the facets now (the delay's end, or a test that cannot wait)."""
        if self._facets_timer is not None:
            self._facets_timer.stop()
            self._facets_timer = None
        results = self.host.results
        if results is None or not results.is_search:
            return
        if self._facets_busy:
            self._facets_again = True
            return
        self._facets_busy = True
        self._facets_token += 1
        token, choice = self._facets_token, self.facet_choice
        query, filters = results.shown
        catalog = self.catalog

        def work() -> None:
            facets = None
            try:
                facets = catalog.facets(filters, query, as_you_type=results.as_you_type)
            finally:  # a failure is reported as usual, and the next count may start
                self.host.app.call_from_thread(self._show_facets, token, facets, choice)

        self._in_worker("Counting categories and years", work, group="facets")

    def _show_facets(self, token: int, facets: dict | None, choice: FacetChoice) -> None:
        self._facets_busy = False
        if facets is not None and token == self._facets_token:
            self.host.sidebar.set_facets(facets, choice)
        if self._facets_again:
            self._facets_again = False
            self.flush_facets()

    def facet_toggled(self, event: ListSidebar.FacetToggled) -> None:
        self.set_facets(self.facet_choice.toggled(event.kind, event.value))

    def set_facets(self, choice: FacetChoice) -> None:
        """Filter the list by ``choice`` (the query and the list stay)."""
        self.facet_choice = choice
        current = self.host.paper_list.current
        self.host.flush_search(select_key=current.key if current else None)

    def clear_filters(self) -> None:
        """Switch every category and year filter off."""
        if not self.facet_choice:
            self._say("No category or year filters are on.")
            return
        self.set_facets(FacetChoice())
        self._say("Filters cleared.")

    # ------------------------------------------------------------------ next / previous unread

    def next_unread(self) -> None:
        self._jump_unread(1)

    def previous_unread(self) -> None:
        self._jump_unread(-1)

    def _jump_unread(self, step: int) -> None:
        """Move the cursor to the nearest unread paper ``step``-wards: the loaded rows first,
        then the catalog, a chunk of keys at a time."""
        papers = self.host.paper_list
        row = papers.cursor + step
        while 0 <= row < papers.total:
            paper = papers.paper_at(row)
            if paper is None:
                break  # not loaded: ask the catalog from here on
            if not paper.read:
                papers.cursor = row
                return
            row += step
        else:
            self._no_unread(step)
            return
        results = self.host.results
        if results is None:
            return
        catalog = self.catalog

        def work() -> None:
            keys = results.all_keys(catalog)
            found = _find_unread(catalog, keys, row, step)
            self.host.app.call_from_thread(self._jumped, results, found, step)

        self._in_worker("Looking for unread papers", work, group="unread")

    def _jumped(self, results: Results, row: int | None, step: int) -> None:
        if results is not self.host.results:
            return  # the list changed meanwhile
        if row is None:
            self._no_unread(step)
        else:
            self.host.paper_list.cursor = row

    def _no_unread(self, step: int) -> None:
        self._say(f"No unread papers {'below' if step > 0 else 'above'} this one in the list.")

    # ------------------------------------------------------------------ mark all read

    def mark_all_read(self) -> None:
        """Mark every paper of the list shown (list, query and filters) read; ``u`` undoes it."""
        results = self.host.results
        if results is None or not results.total:
            self._say("No papers shown.")
            return
        catalog = self.catalog

        def work() -> None:
            keys = results.all_keys(catalog)
            unread = catalog.unread_among(keys)
            todo = [k for k in keys if k in unread]
            self.host.app.call_from_thread(self._confirm_read, todo, len(keys))

        self._in_worker("Finding the unread papers", work, group="unread")

    def _confirm_read(self, keys: list[str], shown: int) -> None:
        if not keys:
            self._say(f"All {plural(shown, 'paper')} shown are read already.")
            return
        if len(keys) <= CONFIRM_ABOVE:
            self._mark_read(keys)
            return
        from absreader.ui.dialogs.confirm import ChoiceScreen

        body = Text(f"{len(keys):,} of the {plural(shown, 'paper')} shown are unread. "
                    "u undoes it afterwards.")  # fmt: skip
        self.host.app.push_screen(
            ChoiceScreen(f"Mark {plural(len(keys), 'paper')} read?", body,
                         [("read", "Mark read"), ("cancel", "Cancel")], id="confirm-read"),
            lambda choice: self._mark_read(keys) if choice == "read" else None,
        )  # fmt: skip

    def _mark_read(self, keys: list[str]) -> None:
        self._set_flag(keys, "read", True)

    # ------------------------------------------------------------------ bulk changes

    def bulk_flag(self, column: str) -> None:
        """``b`` or ``r`` with a selection: set the flag on every selected paper, or, when
        all of them carry it already, take it off them all."""
        keys = self.selected_keys
        catalog = self.catalog

        def work() -> None:
            papers = catalog.papers(keys)
            on = not all(getattr(p, column) for p in papers)
            self.host.app.call_from_thread(self._set_flag, keys, column, on)

        self._in_worker("Reading the selection", work)

    def _set_flag(self, keys: list[str], column: str, on: bool) -> None:
        catalog = self.catalog
        setter = catalog.set_read_many if column == "read" else catalog.set_bookmarked_many
        done, undone = _FLAG_WORDS[(column, on)], _FLAG_WORDS[(column, not on)]

        def work() -> None:
            changed = setter(keys, on, sync=False)
            label = done.format(plural(len(changed), "paper"))

            def reverse(c: Catalog) -> str:
                put_back = c.set_read_many if column == "read" else c.set_bookmarked_many
                back = put_back(changed, not on, sync=False)
                self.host.app.call_from_thread(self.index_after_bulk)
                return "Undone: " + undone.format(plural(len(back), "paper")) + " again"

            self.host.app.call_from_thread(self._bulk_done, label, reverse if changed else None)
            catalog.index_after_bulk()  # after the screen shows the change

        self._in_worker(done.format("papers"), work)

    def index_after_bulk(self) -> None:
        """Bring the search index up to the library after a bulk change (in a worker)."""
        self._in_worker("Updating the index", self.catalog.index_after_bulk, group="index")

    def _bulk_done(self, label: str, reverse: Callable[[Catalog], str] | None) -> None:
        if reverse is not None:
            self.host.app.push_undo(label, reverse)
            label += " · u undoes"
        self.host.app.changed_in_bulk(label)
        self.host.refresh_lists()

    def bulk_tag(self) -> None:
        """``t`` with a selection: the tag editor for every selected paper at once."""
        keys = self.selected_keys
        catalog = self.catalog

        def work() -> None:
            papers = catalog.papers(keys)
            common = set.intersection(*(set(p.tags) for p in papers)) if papers else set()
            carried = [t for t in (papers[0].tags if papers else ()) if t in common]
            self.host.app.call_from_thread(
                self._edit_tags, keys, papers[0] if papers else None, carried
            )

        self._in_worker("Reading the selection", work)

    def _edit_tags(self, keys: list[str], first: Any, carried: list[str]) -> None:
        if first is None:
            return
        from absreader.ui.dialogs.tags import TagEditor

        lists = getattr(self, "lists", None)
        title = f"{plural(len(keys), 'selected paper')} (ticked: on all of them)"
        self.host.app.push_screen(
            TagEditor(first, list(lists.tags) if lists else [], title=title, carried=carried),
            lambda change: self._change_tags(keys, change),
        )

    def _change_tags(self, keys: list[str], change: TagChange | None) -> None:
        if not change:
            return
        catalog = self.catalog

        def work() -> None:
            done = catalog.change_tags_many(keys, change.add, change.remove, sync=False)
            parts = [f"+{t}" for t in done.added] + [f"-{t}" for t in done.removed]
            label = one_line(f"Tags {' '.join(parts)} on {plural(len(done.keys), 'paper')}")

            def reverse(c: Catalog) -> str:
                c.undo_tags(done, sync=False)
                self.host.app.call_from_thread(self.index_after_bulk)
                return f"Undone: tags on {plural(len(done.keys), 'paper')} as before"

            self.host.app.call_from_thread(self._bulk_done, label, reverse if done.keys else None)
            catalog.index_after_bulk()

        self._in_worker("Tagging the selection", work)

    # ------------------------------------------------------------------ export

    def export(self) -> None:
        """Export the selected papers (or, with none selected, the whole list shown) to a file."""
        results = self.host.results
        keys = self.selected_keys
        if not keys and (results is None or not results.total):
            self._say("No papers to export.")
            return
        what = (plural(len(keys), "selected paper") if keys
                else f"the {plural(results.total, 'paper')} shown")  # type: ignore[union-attr]  # fmt: skip
        paths = self.host.app.paths

        def check(text: str) -> str | None:
            if not text:
                return "Type the file to write, e.g. ~/papers.bib"
            path = Path(text).expanduser()
            if format_for(path) is None:
                return "Say the format by the suffix: .bib, .ris, .json, .csv or .md"
            if path.is_dir():
                return f"{path} is a folder; type a file name in it."
            if not path.parent.is_dir():
                return f"No such folder: {path.parent}"
            return refusal(path, paths)

        def start(text: str | None) -> None:
            if text:
                self._export(keys, Path(text).expanduser(), results)

        from absreader.ui.dialogs.prompt import PathSuggester, PromptScreen

        self.host.app.push_screen(
            PromptScreen(f"Export {what}", placeholder="~/papers.bib", validate=check,
                         hint="The suffix picks the format: .bib BibTeX · .ris RIS · .json JSON · "
                         ".csv CSV · .md Markdown · → completes", suggester=PathSuggester()),
            start,
        )  # fmt: skip

    def _export(self, keys: list[str], path: Path, results: Results | None) -> None:
        catalog = self.catalog
        title = safe(results.spec.label) if results is not None and results.is_search else None

        def work() -> None:
            chosen = keys or (results.all_keys(catalog) if results is not None else [])
            count = catalog.export_to(chosen, path, title=title)
            fmt = FORMAT_NAMES.get(format_for(path) or "", "")
            self.host.app.call_from_thread(
                self._say, f"Exported {plural(count, 'paper')} to {path} ({fmt})."
            )

        self._in_worker("Exporting", work, group="export")


_FLAG_WORDS = {
    ("read", True): "Marked {} read",
    ("read", False): "Marked {} unread",
    ("bookmarked", True): "Bookmarked {}",
    ("bookmarked", False): "Took the bookmark off {}",
}


def _find_unread(catalog: Catalog, keys: list[str], start: int, step: int) -> int | None:
    """The position of the first unread paper of ``keys`` from ``start`` on, going ``step``-wards."""
    position = start
    while 0 <= position < len(keys):
        if step > 0:
            chunk = keys[position : position + SCAN_CHUNK]
            positions = range(position, position + len(chunk))
        else:
            low = max(position - SCAN_CHUNK + 1, 0)
            chunk = keys[low : position + 1]
            positions = range(position, low - 1, -1)
        unread = catalog.unread_among(chunk)
        for at in positions:
            if keys[at] in unread:
                return at
        position += step * len(chunk)
    return None


def filters_label(choice: FacetChoice) -> str:
    """What the status line says about the filters (empty when none are on)."""
    return f"filter: {choice.label}" if choice else ""
