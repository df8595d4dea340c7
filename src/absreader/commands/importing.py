"""`absreader import`: bring files into the library and report what happened."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from absreader.commands.context import CommandError, Context
from absreader.commands.progress import ProgressLine
from absreader.core.catalog import IndexProgress, LibraryError, check_tag
from absreader.core.importer import ImportOptions, ImportProgress, expand_paths, parse_since
from absreader.core.models import ImportReport
from absreader.core.sources import FORMATS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import abstracts from files (format detected from content)",
        description=(
            "Import papers from files or directories. Formats: " + ", ".join(FORMATS) + ". "
            "Records merge with papers already in the library; a bad record is reported and "
            "skipped, the rest still comes in."
        ),
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to import")
    p.add_argument("--format", choices=FORMATS, help="force the format instead of detecting it")
    p.add_argument("--tag", action="append", default=[], metavar="T",
                   help="put every imported paper on this reading list (repeatable)")
    p.add_argument("--category", action="append", default=[], metavar="C",
                   help="keep only papers in this arXiv category, e.g. cs.LG or cs (repeatable; "
                   "papers with no category are skipped)")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="keep only papers updated on or after this date (papers with no date are skipped)")
    p.add_argument("--dry-run", action="store_true", help="report what would happen, change nothing")
    p.add_argument("--json", action="store_true", help="print the per-file reports as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        raise CommandError(str(exc), code=2) from None
    try:
        tags = tuple(check_tag(t) for t in args.tag)
    except LibraryError as exc:
        raise CommandError(f"--tag: {exc}", code=2) from None
    options = ImportOptions(
        format=args.format,
        tags=tags,
        categories=tuple(c.strip() for c in args.category if c.strip()),
        since=since,
        dry_run=args.dry_run,
    )
    paths = expand_paths(args.paths)
    if not paths:
        raise CommandError("no files to import")
    progress = ProgressLine(ctx.err)
    reports: list[ImportReport] = []
    rate = ImportRate()
    last: ImportProgress | None = None
    try:
        for event in ctx.catalog.import_paths(paths, options):
            if isinstance(event, ImportProgress):
                if event.resumed and (last is None or last.path != event.path):
                    progress.clear()
                    ctx.warn(
                        f"{event.path}: continuing after record {event.resumed:,} "
                        "(taken in by an earlier, interrupted import)"
                    )
                last = event
                progress.show(rate.line(event))
            elif isinstance(event, IndexProgress):
                progress.update(event.phase, event.done, event.total)
            else:
                progress.clear()
                reports.append(event)
                last = None
                if not args.json:
                    _print_report(ctx, event, args.dry_run)
    except KeyboardInterrupt:
        progress.clear()
        ctx.warn(_stopped_line(last, reports))
        return 130
    progress.clear()
    if ctx.catalog.notice:
        ctx.warn(ctx.catalog.notice)
    if args.json:
        ctx.json([r.to_json() for r in reports])
    return 1 if any(r.error for r in reports) else 0


class ImportRate:
    """The progress line of an import: read, added, merged, rate and time left."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.first: ImportProgress | None = None

    def line(self, event: ImportProgress) -> str:
        if self.first is None or self.first.path != event.path:
            self.first, self.started = event, time.monotonic()
        elapsed = time.monotonic() - self.started
        done = event.records - self.first.records
        text = (
            f"importing {Path(event.path).name}: {event.records:,} read, "
            f"{event.added:,} added, {event.merged:,} merged"
        )
        if elapsed > 0.5 and done > 0:
            text += f", {done / elapsed:,.0f}/s"
            moved = event.done_bytes - self.first.done_bytes
            if event.total_bytes and moved > 0:
                left = elapsed * (event.total_bytes - event.done_bytes) / moved
                text += f", {_duration(left)} left"
        return text


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _stopped_line(last: ImportProgress | None, reports: list[ImportReport]) -> str:
    """The one line Ctrl-C leaves: where the import stopped, and that a rerun continues."""
    if last is None:
        if reports:
            return (
                "stopped while updating the search index; every imported paper is saved "
                "(the next search brings the index up to date)"
            )
        return "import stopped before the first batch was saved; nothing was changed"
    share = f" ({100 * last.done_bytes // last.total_bytes}%)" if last.total_bytes else ""
    return (
        f"import stopped at record {last.records:,} of {last.path}{share}; the {last.added:,} "
        f"papers added and {last.merged:,} merged before it are saved. "
        "Run the same command again to continue from there."
    )


def _print_report(ctx: Context, report: ImportReport, dry_run: bool) -> None:
    if report.error:
        ctx.error(report.error)
        return
    verb = "would add" if dry_run else "added"
    line = (
        f"{report.path}: {report.format}, {report.records} records, {verb} {report.added}, "
        f"merged {report.merged}, skipped {report.skipped}"
    )
    if report.filtered:
        line += f", filtered out {report.filtered}"
        lacking = []
        if report.no_category:
            lacking.append(f"{report.no_category} with no category")
        if report.no_date:
            lacking.append(f"{report.no_date} with no date")
        if lacking:
            line += f" ({', '.join(lacking)})"
    ctx.print(line)
    for problem in report.problems:
        ctx.print(f"  {problem}")
    if report.skipped > len(report.problems):
        ctx.print(f"  ... and {report.skipped - len(report.problems)} more skipped")
