"""The reader app: wiring, long-running jobs, worker failures, remembered state.

``make_app`` is the one factory the CLI (``run_reader``), the tests and the
benchmarks use. Screens live in :mod:`absreader.ui.screens`; this module only
starts them, runs the jobs that outlive a keystroke (first-run import, index
sync, imports from the palette) and turns any failed worker into one readable
notification.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.worker import Worker, WorkerState, get_current_worker

from absreader.core.catalog import Catalog, LibraryError
from absreader.core.models import ImportReport
from absreader.paths import Paths, styles_dir
from absreader.ui.commands import ReaderCommands
from absreader.ui.config import ReaderConfig, load_config
from absreader.ui.jobs import (
    BatchCommitted,
    FirstPapersArrived,
    FirstRunFinished,
    JobFinished,
    JobProgressed,
    JobStarted,
    JobTracker,
    describe_reports,
    job_paths_size,
)
from absreader.ui.keys import KeyInfo, binding_ids, describe_keys
from absreader.ui.screens.main import MainScreen
from absreader.ui.screens.reading import ReadingScreen
from absreader.ui.state import UiState, load_state, save_state
from absreader.ui.undo import Reverse, UndoStack
from absreader.ui.widgets.detail import DetailPane
from absreader.ui.widgets.paper_list import PaperList
from absreader.ui.widgets.reading import ReadingPanes
from absreader.ui.widgets.sidebar import ListSidebar
from absreader.ui.widgets.watch import LibraryWatch

if TYPE_CHECKING:  # the dialogs load when first used, not with the reader
    from absreader.ui.screens.progress import ProgressScreen

STATE_SAVE_DELAY = 1.0
#: While an import runs, the list and the counts follow the library at most this often.
LIVE_REFRESH = 1.5
#: Warms the index after the first paint, so the first keystroke does not open it.
WARM_UP_QUERY = "learn"


class AbsReaderApp(App[int]):
    """Read, search and file research-paper abstracts."""

    TITLE = "absreader"
    CSS_PATH = [styles_dir() / "reader.tcss", styles_dir() / "dialogs.tcss"]
    COMMANDS = App.COMMANDS | {ReaderCommands}
    BINDINGS = [
        # Not in the footer's list: the key hints beside it always show these two.
        Binding("q", "quit", "Quit", tooltip="Quit absreader", id="quit", show=False),
        Binding("question_mark", "help", "Help", tooltip="Show every key", id="help", show=False),
        Binding(
            "u", "undo", "Undo", tooltip="Undo the last mark-all-read, bulk change or delete",
            id="undo", show=False,
        ),
        Binding(  # feeds
            "F", "fetch_now", "Fetch now", tooltip="Fetch new papers from your feeds",
            id="fetch_now", show=False,
        ),
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            tooltip="Open the command palette",
            id="command_palette",
            show=False,
            priority=True,
        ),
    ]

    def __init__(
        self,
        paths: Paths,
        catalog: Catalog,
        *,
        first_run_files: list[Path] | None = None,
        show_timings: bool = True,
    ) -> None:
        super().__init__()
        self.paths = paths
        self.catalog = catalog
        self.first_run_files = first_run_files
        self.show_timings = show_timings
        self.state: UiState = load_state(paths.state_file)
        self.config: ReaderConfig = ReaderConfig()
        self.key_overrides: dict[str, str] = {}
        self.main_screen = MainScreen()
        self.progress_screen: ProgressScreen | None = None
        self.jobs = JobTracker()
        self._save_timer: Timer | None = None
        self._state_dirty = False
        self.first_paint_at: float | None = None
        self.notified: list[tuple[str, str, str]] = []
        self._synced = False
        self._fetch_queued = False  # feeds: F pressed while another job ran
        self.undo = UndoStack()

    # ------------------------------------------------------------------ start-up

    @classmethod
    def key_owners(cls) -> list[type[DOMNode]]:
        """The classes whose bindings the user sees (help, palette, keymap)."""
        return [MainScreen, ReadingPanes, PaperList, ListSidebar, DetailPane, ReadingScreen, cls]

    def key_infos(self) -> list[KeyInfo]:
        return describe_keys(self, self.key_owners(), self.key_overrides)

    async def on_mount(self) -> None:
        self.config = load_config(
            self.paths.config_file, binding_ids(self.key_owners()), self.available_themes
        )
        self.key_overrides = dict(self.config.keymap)
        if self.key_overrides:
            self.set_keymap(self.key_overrides)
        theme = self.state.theme or self.config.theme
        if theme in self.available_themes:
            self.theme = theme
        await self.push_screen(self.main_screen)
        for problem in self.config.problems:
            self.notify(problem, title="config.toml", severity="warning", markup=False, timeout=10)
        if self.catalog.needs_first_run() and self.first_run_files != []:
            self.start_first_run(self.first_run_files or self.catalog.sample_files())
            return
        self.main_screen.start()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Show a notification; plain text by default (messages quote untrusted text).

        The last messages are kept in ``notified`` (a notification log for tests).
        """
        self.notified.append((severity, title, message))
        del self.notified[:-50]
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def first_results_shown(self) -> None:
        """The list is on screen: now bring the index up to date in the background.

        (Started after the first paint, not with it: a sync that opens a large
        index would otherwise compete with the first page for the CPU.)
        """
        if not self._synced:
            self._synced = True
            self.call_after_refresh(self.sync_index)
            self.call_after_refresh(self._maybe_fetch_on_start)  # feeds: once, after the first paint

    def on_ready(self) -> None:
        self.first_paint_at = time.perf_counter()

    # ------------------------------------------------------------------ remembering

    def remember(self, **changes: object) -> None:
        """Update the remembered state and save it soon (at most once a second)."""
        changed = False
        for name, value in changes.items():
            if name == "spec":
                if value != self.state.spec:
                    self.state.spec = value  # type: ignore[assignment]
                    changed = True
            elif getattr(self.state, name) != value:
                setattr(self.state, name, value)
                changed = True
        if changed:
            self._state_dirty = True
            if self._save_timer is None:
                self._save_timer = self.set_timer(STATE_SAVE_DELAY, self.save_state_now)

    def save_state_now(self) -> None:
        """Write the state file now (atomically); a failure is a notification."""
        self._save_timer = None
        if not self._state_dirty:
            return
        self._state_dirty = False
        try:
            save_state(self.paths.state_file, self.state)
        except OSError as exc:
            self.notify(
                f"Could not save the reader's state: {exc}", severity="warning", markup=False
            )

    def watch_theme(self, theme: str) -> None:
        if self.is_running:
            self.remember(theme=theme)

    def set_theme(self, name: str) -> None:
        """Switch to theme ``name`` (the palette's "Theme: X")."""
        if name in self.available_themes:
            self.theme = name

    def on_unmount(self) -> None:
        self._state_dirty = True
        self.save_state_now()
        self._unmounted = True
        gc.unfreeze()  # what was frozen at start-up can be collected again once the app is gone

    def _freeze_start_up(self) -> None:
        """Keep what start-up loaded out of the cyclic collector's full collections.

        The app, the index's tables and its vocabulary (millions of objects at a
        million papers) live as long as the reader. Left to the collector, every
        full collection walks them all again: pauses of 100-150 ms, about one
        every three keystrokes at 1M papers. Frozen (``gc.freeze``), collections
        see only what came after; ``on_unmount`` unfreezes them.
        """
        if not getattr(self, "_unmounted", False):
            gc.freeze()

    # ------------------------------------------------------------------ actions

    def action_help(self) -> None:
        from absreader.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.key_infos()))

    def read_full_screen(self) -> None:
        """The paper under the list's cursor over the whole terminal (``f``)."""
        if not isinstance(self.screen, ReadingScreen):
            self.push_screen(ReadingScreen(self.main_screen))

    def push_undo(self, label: str, reverse: Reverse) -> None:
        """Remember a committed sweeping action; ``u`` takes it back."""
        self.undo.push(label, reverse)

    def changed_in_bulk(self, said: str = "") -> None:
        """Many papers changed by this reader: say so, and redraw them now."""
        if said:
            self.notify(said, markup=False, timeout=4)
        if self.main_screen.is_mounted:
            self.main_screen.query_one(LibraryWatch).look_now()

    def action_undo(self) -> None:
        step = self.undo.pop()
        if step is None:
            self.notify("Nothing to undo.", severity="warning", markup=False, timeout=3)
            return
        catalog = self.catalog

        def work() -> None:
            said = step.reverse(catalog)
            self.call_from_thread(self.changed_in_bulk, said or f"Undone: {step.label}")

        self.run_worker(work, thread=True, group="write", exit_on_error=False,
                        description=f"Undoing {step.label!r}")  # fmt: skip

    def action_import_file(self) -> None:
        """Ask for a path, then import it in the background."""
        from absreader.ui.dialogs.prompt import PathSuggester, PromptScreen

        def check(text: str) -> str | None:
            if not text:
                return "Type the path of a file or folder."
            path = Path(text).expanduser()
            if not path.exists():
                return f"No such file or folder: {path}"
            return None

        def start(text: str | None) -> None:
            if text:
                self.import_files([Path(text).expanduser()])

        self.push_screen(
            PromptScreen(
                "Import papers",
                placeholder="~/Downloads/arxiv.bib",
                hint="A file or folder: arXiv JSON Lines, Atom, BibTeX, CSV, JSON · → completes",
                validate=check,
                suggester=PathSuggester(),
            ),
            start,
        )

    # ---- feeds (issue 14): fetch the subscriptions in a worker; the list follows as pages land.
    def action_fetch_now(self) -> None:
        """Fetch every subscription in the background (progress in the status line)."""
        if not self.catalog.feeds.subscriptions():
            self.notify(
                "No feeds yet: subscribe with `absreader feeds add arxiv:cs.LG` (or hf-daily).",
                severity="warning",
            )
            return
        if self.jobs.running:
            # Usually the start-up index sync: fetch right after it instead of refusing.
            self._fetch_queued = True
            self.notify(f"Fetching new papers after: {self.jobs.running}.", timeout=4)
            return
        self.run_job("Fetching new papers", self.catalog.fetch, after_search=True)

    def _maybe_fetch_on_start(self) -> None:
        """``fetch_on_start = true`` in [fetch]: fetch if the last fetch is older than ``fetch_every``."""
        from absreader.core.feeds.config import ConfigError, load_startup_fetch

        if self.jobs.running:  # the start-up index sync first
            self.set_timer(1.0, self._maybe_fetch_on_start)
            return
        try:
            settings = load_startup_fetch(self.paths.config_file)
            due = settings.enabled and self.catalog.feeds.due(settings.every_hours)
        except (ConfigError, LibraryError) as exc:
            self.notify(str(exc), title="config.toml", severity="warning")
            return
        if due:
            self.action_fetch_now()

    def _fetch_done(self, reports: list) -> None:
        added = sum(r.added for r in reports)
        failed = [r for r in reports if r.error]
        summary = f"{added:,} new papers from {len(reports) - len(failed)} of {len(reports)} feeds"
        self.notify(summary + (" (see New)" if added else ""), title="Fetch finished", timeout=6)
        for report in failed:
            self.notify(report.error, severity="warning", timeout=10)

    def action_rebuild_index(self) -> None:
        self.run_job(
            "Rebuilding the index",
            lambda: self.catalog.update_index(in_child=True, rebuild=True),
            after_search=True,
        )

    # ------------------------------------------------------------------ first run

    def start_first_run(self, files: list[Path]) -> None:
        """Import ``files`` with a progress screen until the first papers are in.

        As soon as the first batch is committed the list takes over and the
        rest of the import, and the indexing, go on with their progress in the
        status line (the list follows the library as it grows).
        """
        from absreader.ui.screens.progress import ProgressScreen

        self.progress_screen = ProgressScreen()
        self.push_screen(self.progress_screen)
        self._synced = True  # the first run builds the index itself
        self.jobs.running = "Setting up your library"
        self.run_worker(
            lambda: self._first_run(files),
            thread=True,
            name="first-run",
            group="import",
            exit_on_error=False,
            description="Importing the sample papers",
        )

    def _first_run(self, files: list[Path]) -> None:
        total = job_paths_size(files) or None
        visible = False
        refreshed = 0.0
        mark = [self._searchable_mark()]
        for kind, done, of, label in self.jobs.follow(self.catalog.first_run(files, index_in_child=True), total):
            if get_current_worker().is_cancelled:
                return
            if kind == "report":
                continue
            if not visible:
                # The first committed batch (or the indexing, if nothing was new).
                visible = True
                refreshed = time.monotonic()
                self.post_message(FirstPapersArrived(label, of))
            elif time.monotonic() - refreshed >= LIVE_REFRESH and (
                kind == "import" or (kind == "index" and self._searchable_grew(mark))
            ):
                # Papers committed, or a segment of the first build became searchable.
                refreshed = time.monotonic()
                self.post_message(BatchCommitted())
            if kind == "index" and of and done >= of:
                label = "Indexing done"
            self.post_message(JobProgressed(done, of, label))
        self.post_message(FirstRunFinished(list(self.jobs.reports)))

    def _searchable_mark(self) -> object:
        """What a search would see now (changes when the index commits); None on any error."""
        try:
            return self.catalog.searchable_mark()
        except Exception:  # noqa: BLE001 - only decides whether to refresh the list
            return None

    def _searchable_grew(self, last: list[object]) -> bool:
        """True when the index committed since ``last[0]`` (which is then updated)."""
        mark = self._searchable_mark()
        if mark == last[0]:
            return False
        last[0] = mark
        return mark is not None

    @on(FirstPapersArrived)
    def _first_papers_in(self, event: FirstPapersArrived) -> None:
        """Leave the progress screen: the list shows what is in, the job goes on below."""
        if self.progress_screen is not None:
            if self.screen is self.progress_screen:
                self.pop_screen()
            self.progress_screen = None
        self.main_screen.status.start_job(event.label, event.total)
        self.main_screen.start()

    @on(FirstRunFinished)
    def _first_run_finished(self, event: FirstRunFinished) -> None:
        self._first_run_done(event.reports)

    def _first_run_done(self, reports: list[ImportReport] | None) -> None:
        self.jobs.running = None
        self._synced = reports is not None  # the first run built the index
        if self.progress_screen is not None:
            # Nothing was committed (an empty or failed first run): the list starts now.
            if self.screen is self.progress_screen:
                self.pop_screen()
            self.progress_screen = None
            self.main_screen.start()
        else:
            self.main_screen.status.end_job()
            self.main_screen.library_grew(force=True)
        if reports:
            summary, problems = describe_reports(reports)
            self.notify(summary, title="Welcome to absreader", markup=False, timeout=6)
            for problem in problems:
                self.notify(problem, severity="warning", markup=False, timeout=8)

    # ------------------------------------------------------------------ background jobs

    def sync_index(self) -> None:
        """Bring the search index up to date in the background (rebuilds it if broken)."""
        self.run_job("Updating the index", self._sync_and_warm, after_search=True, quiet=True)

    def _sync_and_warm(self) -> Iterator[object]:
        """The index sync, then one small search that opens and warms it (in the worker)."""
        yield from self.catalog.update_index(in_child=True)
        try:
            self.catalog.search(WARM_UP_QUERY, limit=1, as_you_type=True)
        except Exception as exc:  # noqa: BLE001 - a warm-up only; the next search reports
            self.log.warning("warming the index failed", exc)
        self._freeze_start_up()

    def import_files(self, paths: list[Path]) -> None:
        """Import ``paths`` in the background; the reader stays usable."""
        label = f"Importing {paths[0].name}" if len(paths) == 1 else f"Importing {len(paths)} files"
        self.run_job(
            label,
            lambda: self.catalog.import_paths(paths),
            total=job_paths_size(paths) or None,
            after_search=True,
        )

    def run_job(
        self,
        label: str,
        start: Callable[[], Iterator[object]],
        *,
        total: int | None = None,
        after_search: bool = False,
        quiet: bool = False,
    ) -> Worker | None:
        """Run a generator job (import or indexing) with progress in the status line."""
        if self.jobs.running:
            self.notify(
                f"{self.jobs.running} is still running; try again when it is done.",
                severity="warning",
                markup=False,
            )
            return None
        self.jobs.running = label

        def work() -> None:
            shown = False
            refreshed = time.monotonic()
            mark = [self._searchable_mark()]
            for kind, done, of, text in self.jobs.follow(start(), total):
                if get_current_worker().is_cancelled:
                    return
                if kind == "report":
                    continue
                if not shown:
                    self.post_message(JobStarted(label, of))
                    shown = True
                if (
                    after_search
                    and (time.monotonic() - refreshed >= LIVE_REFRESH)
                    and (kind == "import" or self._searchable_grew(mark))
                ):
                    # A batch was committed (or became searchable): show its papers
                    # while the rest comes in.
                    refreshed = time.monotonic()
                    self.post_message(BatchCommitted())
                self.post_message(JobProgressed(done, of, text))
            changed = after_search and (shown or bool(self.jobs.reports))
            self.post_message(JobFinished(label, list(self.jobs.reports), changed, quiet))

        return self.run_worker(
            work, thread=True, name="job", group="job", exit_on_error=False, description=label
        )

    @on(JobStarted)
    def _job_started(self, event: JobStarted) -> None:
        self.main_screen.status.start_job(event.label, event.total)

    @on(JobProgressed)
    def _job_progressed(self, event: JobProgressed) -> None:
        self.main_screen.status.job_progress(event.done, event.total, event.label)

    @on(BatchCommitted)
    def _batch_committed(self) -> None:
        self.main_screen.library_grew()

    @on(JobFinished)
    def _job_done(self, event: JobFinished) -> None:
        self.jobs.running = None
        self.main_screen.status.end_job()
        if self.jobs.fetch_reports:  # feeds
            self._fetch_done(self.jobs.fetch_reports)
            self.jobs.fetch_reports = []
        elif event.reports:
            summary, problems = describe_reports(event.reports)
            self.notify(summary, title="Import finished", markup=False, timeout=6)
            for problem in problems:
                self.notify(problem, severity="warning", markup=False, timeout=8)
        elif not event.quiet:
            self.notify(f"{event.label}: done.", markup=False, timeout=3)
        notice = self.catalog.notice
        if notice:
            self.catalog.notice = None  # shown once: here and in the status line
            self.notify(notice, timeout=6)
            self.main_screen.status.set_notice(notice)
        if event.changed:
            self.main_screen.library_grew(force=True)
        if self._fetch_queued:  # feeds: F pressed while this job ran
            self._fetch_queued = False
            self.action_fetch_now()

    # ------------------------------------------------------------------ failures

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker(event.worker, event.state)

    def report_worker(self, worker: Worker, state: WorkerState) -> None:
        """The one place a failed worker becomes a notification (never a traceback)."""
        if state not in (WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if worker.name == "first-run":
            self._first_run_done(None)
            if state is WorkerState.ERROR:
                self.first_results_shown()  # index what the first run imported
        elif worker.name == "job":
            self.jobs.running = None
            if self.main_screen.is_mounted:
                self.main_screen.status.end_job()
        elif worker.group == "search" and state is WorkerState.ERROR:
            self.first_results_shown()  # the index may need the sync that repairs it
        if state is WorkerState.CANCELLED:
            return
        error = worker.error
        self.log.error(f"worker {worker.description!r} failed", error)
        what = worker.description or "A background task"
        if isinstance(error, (LibraryError, OSError, ValueError)):
            reason = str(error) or type(error).__name__
        else:
            reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        self.notify(f"{what} failed: {reason}", title="Something went wrong", severity="error",
                    markup=False, timeout=10)  # fmt: skip

    def close(self) -> None:
        """Close the catalog (after the app has exited)."""
        try:
            # feeds: what was fetched so far has been seen; the next session's New starts here.
            self.catalog.mark_new_seen()
        except Exception as exc:  # noqa: BLE001 - only the New list's marker
            print(f"absreader: saving the New list's marker: {exc}", file=sys.stderr)
        try:
            self.catalog.close()
        except Exception as exc:  # noqa: BLE001 - closing must not hide the app's exit code
            print(f"absreader: closing the library: {exc}", file=sys.stderr)


def make_app(
    paths: Paths,
    *,
    first_run_files: list[Path] | None = None,
    show_timings: bool = True,
) -> AbsReaderApp:
    """Build the reader for ``paths`` (opening the library; LibraryError if it is damaged)."""
    catalog = Catalog.open(paths)
    return AbsReaderApp(paths, catalog, first_run_files=first_run_files, show_timings=show_timings)


def run_reader(paths: Paths) -> int:
    """Run the reader in this terminal; the exit code for the CLI."""
    try:
        app = make_app(paths)
    except LibraryError as exc:
        print(f"absreader: {exc}", file=sys.stderr)
        return 1
    try:
        app.run()
    finally:
        app.close()
    return app.return_code or 0
