"""Following the catalog's long generator jobs (import, indexing) for progress displays.

The catalog yields :class:`ImportProgress`, :class:`ImportReport` and
:class:`IndexProgress`; :meth:`JobTracker.follow` turns them into uniform
``(kind, done, total, label)`` updates, throttled so a big import does not
flood the interface, and keeps the reports for the summary. The messages at
the end are how a job's worker tells the app what happened.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from textual.message import Message

from absreader.core.catalog import IndexProgress
from absreader.core.models import ImportReport

Update = tuple[str, float, float | None, str]
INTERVAL = 0.05


def job_paths_size(paths: Sequence[Path]) -> int:
    """Bytes in ``paths`` (files, or every file under a folder), for the import bar."""
    total = 0
    for path in paths:
        try:
            if path.is_dir():
                total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
            else:
                total += path.stat().st_size
        except OSError:
            continue
    return total


class JobTracker:
    """Which job is running, and the reports of the last one."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self.running: str | None = None
        self.reports: list[ImportReport] = []
        self.fetch_reports: list[object] = []  # feeds: FetchReport per source of a fetch job
        self.interval = interval

    def follow(self, items: Iterable[object], total_bytes: int | None) -> Iterator[Update]:
        """Turn a job's yields into progress updates (at most one per ``interval``).

        Every ``"import"`` update follows a committed batch, and the first one
        is never held back: the reader shows those papers at once.
        """
        # The parsers load with the first job, not with the reader.
        from absreader.core.feeds.events import FetchProgress, FetchReport
        from absreader.core.importer import ImportProgress

        self.reports = []
        self.fetch_reports = []
        finished = 0
        current: dict[str, int] = {}
        last = 0.0
        pending: Update | None = None
        for item in items:
            update: Update | None = None
            if isinstance(item, ImportProgress):
                current[item.path] = item.total_bytes
                done = finished + item.done_bytes
                total = max(total_bytes or 0, done) or None
                name = Path(item.path).name
                label = f"Importing {name} · {item.records:,} records · {item.added:,} new"
                update = ("import", done, total, label)
            elif isinstance(item, ImportReport):
                self.reports.append(item)
                finished += current.pop(item.path, 0)
                done = finished
                total = max(total_bytes or 0, done) or None
                yield ("report", done, total, f"Read {Path(item.path).name}")
                continue
            elif isinstance(item, FetchProgress):  # feeds: a page was committed
                of = f" of {item.total:,}" if item.total else ""
                label = f"Fetching {item.source} · {item.done:,}{of} · {item.added:,} new"
                update = ("import", item.done, item.total or None, label)
            elif isinstance(item, FetchReport):
                self.fetch_reports.append(item)
                yield ("report", 0, None, f"Fetched {item.source}")
                continue
            elif isinstance(item, IndexProgress):
                phase = str(getattr(item, "phase", "") or "indexing")
                label = f"{phase.capitalize()} {item.done:,} of {item.total:,} papers"
                update = ("index", item.done, item.total or None, label)
            if update is None:
                continue
            now = time.monotonic()
            if now - last >= self.interval:
                last = now
                pending = None
                yield update
            else:
                pending = update
        if pending is not None:
            yield pending


def describe_reports(reports: Sequence[ImportReport]) -> tuple[str, list[str]]:
    """A one-line summary of an import, and one line per file problem."""
    added = sum(r.added for r in reports)
    merged = sum(r.merged for r in reports)
    skipped = sum(r.skipped for r in reports)
    files = len(reports)
    summary = (
        f"{added:,} new {'paper' if added == 1 else 'papers'}, {merged:,} merged "
        f"from {files} file{'s' if files != 1 else ''}"
    )
    if skipped:
        summary += f", {skipped:,} record{'s' if skipped != 1 else ''} skipped"
    problems: list[str] = []
    for report in reports:
        name = Path(report.path).name
        if report.error:
            problems.append(f"{name}: {report.error}")
        elif report.problems:
            count = len(report.problems)
            problems.append(f"{name}: {count} record{'s' if count != 1 else ''} could not be read "
                            f"(first: {report.problems[0]})")  # fmt: skip
    return summary, problems


# ----------------------------------------------------------------------------- messages
# A job's worker posts these to the app; only the app's handlers touch widgets.


@dataclass
class JobStarted(Message):
    """A job's first update: show it in the status line."""

    label: str
    total: float | None


@dataclass
class JobProgressed(Message):
    """A job moved on: ``done`` of ``total`` (bytes or papers), and what it is doing."""

    done: float
    total: float | None
    label: str


@dataclass
class BatchCommitted(Message):
    """An import committed a batch: the list may show its papers now."""


@dataclass
class JobFinished(Message):
    """A job ended; ``reports`` are its import reports (none for indexing)."""

    label: str
    reports: list[ImportReport]
    changed: bool
    quiet: bool


@dataclass
class FirstPapersArrived(Message):
    """The first run committed its first batch (or reached the indexing)."""

    label: str
    total: float | None


@dataclass
class FirstRunFinished(Message):
    """The first run ended; ``reports`` is None when it failed."""

    reports: list[ImportReport] | None
