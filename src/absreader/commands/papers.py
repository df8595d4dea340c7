"""`absreader show`, `stats`, `edit`, `delete` and `undelete`."""

from __future__ import annotations

import argparse
import sys

from absreader.commands.context import CommandError, Context
from absreader.commands.render import paper_detail
from absreader.core.clean import printable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("show", help="show one paper",
                       description="Show a paper by key or arXiv id in any form (2403.13043, "
                       "arXiv:2403.13043v2, an abs/pdf URL, hep-th/9901001).")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true", help="print the paper as JSON")
    p.set_defaults(handler=run_show)

    p = sub.add_parser("edit", help="correct a paper's title, authors or year",
                       description="Correct what a scraped record got wrong. A later import "
                       "fills gaps only, so it never puts the old value back.")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--title", metavar="TITLE")
    p.add_argument("--authors", metavar="NAMES", help='authors separated by ";", e.g. "A. Li; B. Chen"')
    p.add_argument("--year", type=int, metavar="YYYY")
    p.add_argument("--json", action="store_true", help="print the paper as JSON")
    p.set_defaults(handler=run_edit)

    p = sub.add_parser("delete", help="delete papers (undo with: absreader undelete)",
                       description="Delete papers with their bookmarks, tags, notes and read "
                       "state. `absreader undelete` brings the last deletion back; a backup "
                       "exported before still has them.")
    p.add_argument("keys", nargs="+", metavar="KEY")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask")
    p.set_defaults(handler=run_delete)

    p = sub.add_parser("undelete", help="bring back the papers deleted last")
    p.set_defaults(handler=run_undelete)

    p = sub.add_parser("stats", help="counts of papers, tags and more")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(handler=run_stats)


def run_show(args: argparse.Namespace, ctx: Context) -> int:
    paper = ctx.catalog.paper(args.key)
    if args.json:
        ctx.json(paper.to_json())
    else:
        ctx.print(paper_detail(paper))
    return 0


def run_stats(args: argparse.Namespace, ctx: Context) -> int:
    stats = ctx.catalog.stats()
    if args.json:
        ctx.json(stats)
        return 0
    labels = [
        ("papers", "papers"), ("with_arxiv_id", "with an arXiv id"), ("untitled", "untitled"),
        ("unread", "unread"), ("bookmarked", "bookmarked"), ("with_note", "with a note"),
        ("tags", "tags"), ("saved_searches", "saved searches"), ("sources", "source files"),
    ]
    for key, label in labels:
        ctx.print(f"{stats[key]:>10,}  {label}")
    ctx.print(f"library: {stats['library']}")
    ctx.print(f"index:   {stats['index']}")
    return 0


def run_edit(args: argparse.Namespace, ctx: Context) -> int:
    if args.title is None and args.authors is None and args.year is None:
        raise CommandError("nothing to change: give --title, --authors or --year")
    authors = [a.strip() for a in args.authors.split(";")] if args.authors is not None else None
    paper = ctx.catalog.edit_paper(args.key, title=args.title, authors=authors, year=args.year)
    if args.json:
        ctx.json(paper.to_json())
    else:
        ctx.print(paper_detail(paper))
    return 0


def run_delete(args: argparse.Namespace, ctx: Context) -> int:
    papers = [ctx.catalog.paper(key) for key in args.keys]  # every key must exist first
    noun = "paper" if len(papers) == 1 else "papers"
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError(f"deleting {len(papers)} {noun} needs --yes when not asked at a terminal")
        for paper in papers:
            ctx.err.write(f"  {paper.key}  {printable(paper.display_title)}\n")
        ctx.err.write(f"Delete {len(papers)} {noun} with their tags and notes? [y/N] ")
        ctx.err.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            ctx.print("nothing deleted")
            return 1
    count = ctx.catalog.delete_papers([p.key for p in papers])
    ctx.print(f"deleted {count} {'paper' if count == 1 else 'papers'} (undo: absreader undelete)")
    return 0


def run_undelete(args: argparse.Namespace, ctx: Context) -> int:
    keys = ctx.catalog.restore_deleted()
    if not keys:
        ctx.print("nothing to undelete")
        return 1
    ctx.print(f"restored {len(keys)} {'paper' if len(keys) == 1 else 'papers'}: {', '.join(keys)}")
    return 0
