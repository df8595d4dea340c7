"""Following the library: notice changes made by any process (the CLI, a second reader).

:class:`LibraryWatch` is an invisible widget. Every ``WATCH_INTERVAL`` it asks,
in a worker thread, for the library's change counter (one cheap read); only
when it moved does it fetch the changed papers and fresh sidebar counts, and
it posts them as :class:`LibraryWatch.Changed` for the screen to redraw just
those rows, the detail pane and the counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker

from absreader.core.catalog import Lists
from absreader.core.models import Paper

#: How often the reader asks the library whether anything changed.
WATCH_INTERVAL = 0.5


class LibraryWatch(Widget):
    """Polls the library's change counter and reports what changed."""

    DEFAULT_CSS = "LibraryWatch { display: none; }"

    @dataclass
    class Changed(Message):
        """The library changed after ``seen`` (now at ``seq``).

        ``changed`` is None when too many papers changed to redraw one by one.
        """

        seen: int
        seq: int
        changed: list[Paper] | None
        lists: Lists
        saved_counts: dict[str, int]

    @dataclass
    class Checked(Message):
        """A look at the counter found nothing new (the next look may start)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.seen: int | None = None
        self._busy = False
        self._timer: Timer | None = None

    def follow(self, seq: int) -> None:
        """Start watching (if not yet) from change ``seq`` on."""
        if self.seen is None:
            self.seen = seq
        if self._timer is None:
            self._timer = self.set_interval(WATCH_INTERVAL, self._tick)

    def look_now(self) -> None:
        """Look at the library at once (after a change this reader made in bulk)."""
        self._tick()

    def _tick(self) -> None:
        if self._busy or self.seen is None or self.app.jobs.running:  # type: ignore[attr-defined]
            return  # (a job of this reader follows the library itself)
        self._busy = True
        self._look(self.seen)

    @work(thread=True, group="watch", exit_on_error=False, description="Watching the library")
    def _look(self, seen: int) -> None:
        catalog = self.app.catalog  # type: ignore[attr-defined]
        seq = catalog.current_seq()
        if seq == seen:
            self.post_message(self.Checked())
            return
        changed = catalog.changed_papers(seen)
        lists = catalog.lists()
        counts = catalog.saved_search_counts() if lists.saved else {}
        self.post_message(self.Changed(seen, seq, changed, lists, counts))

    def on_library_watch_checked(self, event: Checked) -> None:
        event.stop()
        self._busy = False

    def on_library_watch_changed(self, event: Changed) -> None:
        # Seen here first (the message bubbles on to the screen): the next look may start.
        self._busy = False
        if event.seen == self.seen:
            self.seen = event.seq

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state.name in ("ERROR", "CANCELLED"):
            self._busy = False
        self.app.report_worker(event.worker, event.state)  # type: ignore[attr-defined]
