"""`absreader export`: write a selection of papers as BibTeX, Markdown, JSON, CSV or RIS."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from absreader.commands.context import CommandError, Context
from absreader.commands.lists import selected_keys
from absreader.core.export import FORMATS, write_export
from absreader.core.export_file import SUFFIXES, ExportError, refusal, write_file
from absreader.core.models import Paper


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="export papers as bibtex, markdown, json, csv or ris",
        description="Export a selection of papers. JSON is a full backup (papers, tags, bookmarks, "
        "read state, notes, saved searches) that `absreader import` restores.",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--tag", metavar="T", help="the papers with this tag")
    which.add_argument("--bookmarked", action="store_true", help="the bookmarked papers")
    which.add_argument("--saved", metavar="NAME", help="what a saved search finds")
    which.add_argument("--query", metavar="Q", help="what a search finds")
    which.add_argument("--all", action="store_true", help="every paper")
    p.add_argument("--format", choices=FORMATS,
                   help="output format (default: from the -o file's suffix, else bibtex)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(handler=run)


def _papers(ctx: Context, keys: list[str]) -> Iterator[Paper]:
    for start in range(0, len(keys), 500):
        yield from ctx.catalog.papers(keys[start:start + 500])


def run(args: argparse.Namespace, ctx: Context) -> int:
    fmt = args.format
    if fmt is None:
        fmt = SUFFIXES.get(Path(args.output).suffix.lower(), "bibtex") if args.output else "bibtex"
    catalog = ctx.catalog
    backup = fmt == "json" and args.all
    if backup:
        # A full backup lists papers in the order they entered the library, so a restore
        # adds them in that order too and papers with equal dates keep their places in
        # the restored list (the list shows ties newest-added first).
        keys = None
    else:
        keys = selected_keys(
            ctx, tags=[args.tag] if args.tag else [], bookmarked=args.bookmarked, unread=False,
            saved=args.saved, query=args.query, limit=None,
        )
    if args.tag and not keys and not catalog.has_tag(args.tag):
        raise CommandError(f"no tag named {args.tag!r}")
    searches = catalog.saved_searches() if backup else []
    reading_lists = catalog.tags() if backup else []
    title = _title(args)

    def papers() -> Iterator[Paper]:
        return catalog.iter_papers() if keys is None else _papers(ctx, keys)

    if not args.output:
        count = write_export(
            papers(), fmt, ctx.out, saved_searches=searches, tags=reading_lists, title=title
        )
        ctx.err.write(f"exported {count} papers\n")
        return 0
    target = Path(args.output).expanduser()
    _refuse_own_folders(target, ctx)
    count = _write_file(target, lambda out: write_export(
        papers(), fmt, out, saved_searches=searches, tags=reading_lists, title=title))
    ctx.print(f"exported {count} papers to {args.output} ({fmt})")
    return 0


def _refuse_own_folders(path: Path, ctx: Context) -> None:
    """Refuse to write an export into absreader's data, cache or config folder (the core's rule).

    Symlinks are resolved first, so ``papers.bib -> .../library.sqlite3`` is caught
    too: an export there would replace the library (or the index, or the config)
    with a text file.
    """
    problem = refusal(path, ctx.paths)
    if problem:
        raise CommandError(problem + ("" if "symlink loop" in problem else ", e.g. -o ~/papers.bib"))


def _title(args: argparse.Namespace) -> str:
    if args.tag:
        return f"Reading list: {args.tag}"
    if args.bookmarked:
        return "Bookmarked papers"
    if args.saved:
        return f"Saved search: {args.saved}"
    if args.query:
        return f"Search: {args.query}"
    return "All papers"


def _write_file(path: Path, write) -> int:
    """Write through a temporary file beside the target, then rename: never half a file."""
    try:
        return write_file(path, write)
    except ExportError as exc:
        raise CommandError(str(exc)) from None
