"""`absreader import`: bring files into the library and report what happened."""

from __future__ import annotations

import argparse
from pathlib import Path

from absreader.commands.context import CommandError, Context
from absreader.commands.progress import ProgressLine
from absreader.core.importer import ImportOptions, ImportProgress, expand_paths, parse_since
from absreader.core.index_types import IndexProgress
from absreader.core.library import LibraryError, check_tag
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
                   help="keep only papers in this arXiv category, e.g. cs.LG or cs (repeatable)")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="keep only papers updated on or after this date")
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
    for event in ctx.catalog.import_paths(paths, options):
        if isinstance(event, ImportProgress):
            progress.update(f"importing {Path(event.path).name}", event.records, 0)
        elif isinstance(event, IndexProgress):
            progress.update(event.phase, event.done, event.total)
        else:
            progress.clear()
            reports.append(event)
            if not args.json:
                _print_report(ctx, event, args.dry_run)
    progress.clear()
    if ctx.catalog.notice:
        ctx.warn(ctx.catalog.notice)
    if args.json:
        ctx.json([r.to_json() for r in reports])
    return 1 if any(r.error for r in reports) else 0


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
    ctx.print(line)
    for problem in report.problems:
        ctx.print(f"  {problem}")
    if report.skipped > len(report.problems):
        ctx.print(f"  ... and {report.skipped - len(report.problems)} more skipped")
