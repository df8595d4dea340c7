"""`absreader show` and `absreader stats`."""

from __future__ import annotations

import argparse

from absreader.commands.context import Context
from absreader.commands.render import paper_detail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("show", help="show one paper",
                       description="Show a paper by key or arXiv id in any form (2403.13043, "
                       "arXiv:2403.13043v2, an abs/pdf URL, hep-th/9901001).")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true", help="print the paper as JSON")
    p.set_defaults(handler=run_show)

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
    stats = ctx.catalog.library.stats()
    stats["index"] = ctx.catalog.index_state(quick=True)
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
