"""Personal data: bookmark, read, note, tag, untag, tags, list and saved searches."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from absreader.commands.context import CommandError, Context, positive_int
from absreader.commands.render import paper_line
from absreader.core.catalog import SORTS, Filters, ListSpec, parse_years
from absreader.core.models import Paper


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bookmark", help="star a paper (--off to unstar)")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--off", action="store_true", help="remove the bookmark")
    p.add_argument("--json", action="store_true", help="print the paper as JSON")
    p.set_defaults(handler=run_bookmark)

    p = sub.add_parser("read", help="mark a paper read (--unread to undo)")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--unread", action="store_true", help="mark it unread instead")
    p.add_argument("--json", action="store_true", help="print the paper as JSON")
    p.set_defaults(handler=run_read)

    p = sub.add_parser("note", help="set a paper's note (TEXT, or --edit in $EDITOR)",
                       description="Set the note on a paper. An empty TEXT removes it.")
    p.add_argument("key", metavar="KEY")
    p.add_argument("text", nargs="?", metavar="TEXT")
    p.add_argument("--edit", action="store_true", help="edit the note in $EDITOR")
    p.add_argument("--json", action="store_true", help="print the paper as JSON")
    p.set_defaults(handler=run_note)

    p = sub.add_parser("tag", help="add a paper to reading lists")
    p.add_argument("key", metavar="KEY")
    p.add_argument("tags", nargs="+", metavar="TAG")
    p.add_argument("--json", action="store_true", help="print the paper as JSON")
    p.set_defaults(handler=run_tag)

    p = sub.add_parser("untag", help="take a paper off reading lists")
    p.add_argument("key", metavar="KEY")
    p.add_argument("tags", nargs="+", metavar="TAG")
    p.add_argument("--json", action="store_true", help="print the paper as JSON")
    p.set_defaults(handler=run_untag)

    p = sub.add_parser("tags", help="list tags with counts; rename, merge or delete them")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(handler=run_tags)
    tags_sub = p.add_subparsers(dest="tags_command", metavar="ACTION", parser_class=type(p))
    q = tags_sub.add_parser("rename", help="rename a tag (merges into NEW if it exists)")
    q.add_argument("old", metavar="OLD")
    q.add_argument("new", metavar="NEW")
    q.set_defaults(handler=run_tags_rename)
    q = tags_sub.add_parser("merge", help="move every paper of SOURCE onto TARGET, drop SOURCE")
    q.add_argument("source", metavar="SOURCE")
    q.add_argument("target", metavar="TARGET")
    q.set_defaults(handler=run_tags_merge)
    q = tags_sub.add_parser("delete", help="delete a tag (its papers stay)")
    q.add_argument("name", metavar="NAME")
    q.set_defaults(handler=run_tags_delete)

    p = sub.add_parser("list", help="list papers (all, or by tag, bookmark, unread, saved search)")
    p.add_argument("--tag", action="append", default=[], metavar="T", help="only papers with this tag (repeatable)")
    p.add_argument("--bookmarked", action="store_true", help="only bookmarked papers")
    p.add_argument("--unread", action="store_true", help="only unread papers")
    p.add_argument("--saved", metavar="NAME", help="the papers a saved search finds")
    add_selection_arguments(p)
    p.add_argument("--limit", type=positive_int, metavar="N", help="at most N papers (default: all)")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(handler=run_list)

    p = sub.add_parser("saved", help="saved searches: add, list, delete")
    p.set_defaults(handler=run_saved_list, json=False)
    saved_sub = p.add_subparsers(dest="saved_command", metavar="ACTION", parser_class=type(p))
    q = saved_sub.add_parser("add", help="save a query under a name")
    q.add_argument("name", metavar="NAME")
    q.add_argument("query", nargs="+", metavar="QUERY")
    q.set_defaults(handler=run_saved_add)
    q = saved_sub.add_parser("list", help="list saved searches")
    q.add_argument("--json", action="store_true", help="print as JSON")
    q.set_defaults(handler=run_saved_list)
    q = saved_sub.add_parser("delete", help="delete a saved search")
    q.add_argument("name", metavar="NAME")
    q.set_defaults(handler=run_saved_delete)


def _show(ctx: Context, args: argparse.Namespace, paper: Paper, message: str) -> int:
    if getattr(args, "json", False):
        ctx.json(paper.to_json())
    else:
        ctx.print(message)
    return 0


def run_bookmark(args: argparse.Namespace, ctx: Context) -> int:
    paper = ctx.catalog.set_bookmarked(args.key, not args.off)
    verb = "removed the bookmark from" if args.off else "bookmarked"
    return _show(ctx, args, paper, f"{verb} {paper.key}: {paper.display_title}")


def run_read(args: argparse.Namespace, ctx: Context) -> int:
    paper = ctx.catalog.set_read(args.key, not args.unread)
    state = "unread" if args.unread else "read"
    return _show(ctx, args, paper, f"marked {paper.key} {state}")


def _edit(initial: str) -> str:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w+", suffix=".md", delete=False, encoding="utf-8") as fh:
        fh.write(initial)
        name = fh.name
    try:
        try:
            code = subprocess.call([*shlex.split(editor), name])
        except OSError as exc:
            raise CommandError(f"cannot run the editor {editor!r}: {exc.strerror or exc}") from None
        if code != 0:
            raise CommandError(f"the editor {editor!r} exited with status {code}; note not changed")
        return Path(name).read_text(encoding="utf-8", errors="replace")
    finally:
        Path(name).unlink(missing_ok=True)


def run_note(args: argparse.Namespace, ctx: Context) -> int:
    if args.edit and args.text is not None:
        raise CommandError("give TEXT or --edit, not both", code=2)
    if not args.edit and args.text is None:
        raise CommandError("give the note TEXT (an empty string removes it) or --edit", code=2)
    paper = ctx.catalog.paper(args.key)
    text = _edit(paper.note) if args.edit else args.text
    paper = ctx.catalog.set_note(paper.key, text)
    message = f"note saved on {paper.key}" if paper.note else f"note removed from {paper.key}"
    return _show(ctx, args, paper, message)


def run_tag(args: argparse.Namespace, ctx: Context) -> int:
    paper = ctx.catalog.add_tags(args.key, args.tags)
    return _show(ctx, args, paper, f"{paper.key} tags: {', '.join(paper.tags) or '(none)'}")


def run_untag(args: argparse.Namespace, ctx: Context) -> int:
    paper = ctx.catalog.remove_tags(args.key, args.tags)
    return _show(ctx, args, paper, f"{paper.key} tags: {', '.join(paper.tags) or '(none)'}")


def run_tags(args: argparse.Namespace, ctx: Context) -> int:
    tags = ctx.catalog.tags()
    if args.json:
        ctx.json([{"name": t.name, "count": t.count} for t in tags])
        return 0
    if not tags:
        ctx.print("no tags yet (add one with: absreader tag KEY TAG)")
    for tag in tags:
        ctx.print(f"{tag.count:>6}  {tag.name}")
    return 0


def run_tags_rename(args: argparse.Namespace, ctx: Context) -> int:
    count = ctx.catalog.rename_tag(args.old, args.new)
    ctx.print(f"renamed {args.old!r} to {args.new!r} ({count} papers)")
    return 0


def run_tags_merge(args: argparse.Namespace, ctx: Context) -> int:
    count = ctx.catalog.merge_tags(args.source, args.target)
    ctx.print(f"merged {args.source!r} into {args.target!r} ({count} papers)")
    return 0


def run_tags_delete(args: argparse.Namespace, ctx: Context) -> int:
    count = ctx.catalog.delete_tag(args.name)
    ctx.print(f"deleted tag {args.name!r} ({count} papers untagged; the papers stay)")
    return 0


def _years(text: str) -> tuple[int, int]:
    try:
        return parse_years(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_selection_arguments(p: argparse.ArgumentParser) -> None:
    """``--category``, ``--year`` and ``--sort``: shared by list, search and export."""
    p.add_argument("--category", action="append", default=[], metavar="C",
                   help="only papers in this arXiv category, e.g. cs.CL or cs (repeatable: any of them)")
    p.add_argument("--year", action="append", default=[], type=_years, metavar="Y",
                   help="only papers from this year or range, e.g. 2024 or 2023..2024 (repeatable)")
    p.add_argument("--sort", choices=[s for s in SORTS if s != "relevance"] + ["relevance"],
                   help="order: newest (lists' default), oldest, title, added, unread (unread first), "
                   "or relevance (searches' default)")


def selected_keys(ctx: Context, *, tags: list[str], bookmarked: bool, unread: bool,
                  saved: str | None, query: str | None, limit: int | None,
                  categories: list[str] | None = None, years: list[tuple[int, int]] | None = None,
                  sort: str | None = None) -> list[str]:
    """Keys for a selection made of filters, a saved search or a query (shared with export)."""
    if saved is not None:
        ctx.catalog.get_search(saved)  # a saved search that does not exist is an error here
    filters = Filters(tags=tuple(tags), bookmarked=bookmarked, unread=unread, saved=saved,
                      categories=tuple(categories or ()), years=tuple(years or ()))
    if query or saved is not None:
        for _ in ctx.catalog.sync_index():
            pass
    return ctx.catalog.select(filters, query or "", limit=limit, sort=sort).keys


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    keys = selected_keys(ctx, tags=args.tag, bookmarked=args.bookmarked, unread=args.unread,
                         saved=args.saved, query=None, limit=args.limit, categories=args.category,
                         years=args.year, sort=args.sort)
    if args.json:
        out = ctx.out
        out.write("[")
        for start in range(0, len(keys), 500):
            for i, paper in enumerate(ctx.catalog.papers(keys[start:start + 500])):
                out.write("," if start or i else "")
                out.write("\n")
                ctx.json_inline(paper.to_json())
        out.write("\n]\n" if keys else "]\n")
        return 0
    for start in range(0, len(keys), 500):
        for paper in ctx.catalog.papers(keys[start:start + 500]):
            ctx.print(paper_line(paper))
    spec = ListSpec("saved", args.saved) if args.saved else None
    noun = "paper" if len(keys) == 1 else "papers"
    ctx.err.write(f"{len(keys)} {noun}{' in ' + spec.label if spec else ''}\n")
    return 0


def run_saved_add(args: argparse.Namespace, ctx: Context) -> int:
    saved = ctx.catalog.save_search(args.name, " ".join(args.query))
    ctx.print(f"saved {saved.name!r}: {saved.query}")
    return 0


def run_saved_list(args: argparse.Namespace, ctx: Context) -> int:
    searches = ctx.catalog.saved_searches()
    if args.json:
        ctx.json([{"name": s.name, "query": s.query} for s in searches])
        return 0
    if not searches:
        ctx.print("no saved searches (add one with: absreader saved add NAME QUERY)")
    for search in searches:
        ctx.print(f"{search.name}: {search.query}")
    return 0


def run_saved_delete(args: argparse.Namespace, ctx: Context) -> int:
    ctx.catalog.delete_search(args.name)
    ctx.print(f"deleted saved search {args.name!r}")
    return 0
