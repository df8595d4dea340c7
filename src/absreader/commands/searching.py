"""`absreader search`, `absreader similar` and `absreader reindex`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from absreader.commands.context import CommandError, Context, positive_int
from absreader.commands.lists import add_selection_arguments
from absreader.commands.progress import ProgressLine
from absreader.commands.render import paper_line
from absreader.core.catalog import Filters
from absreader.core.models import Paper

#: Printed where papers with only some of the words begin.
DIVIDER = "-- papers with some of the words --"
#: The search options that take a value (``--sort newest``): the value is not a query word.
VALUE_OPTIONS = ("--limit", "--sort", "--category", "--year")


def query_argv(argv: Sequence[str]) -> list[str]:
    """``absreader search vision -survey``: a word starting with ``-`` is a query word.

    argparse would take ``-survey`` for an unknown option and stop. Options
    (``--limit N``, ``--sort S``, ``--category C``, ``--year Y``, ``--json``,
    ``-h``, and any other ``--name``, which argparse then reports) are moved in
    front, each with its value, and every other word goes after ``--``, in the
    order typed. Any other command's arguments, and a search that already has
    ``--``, are returned unchanged.
    """
    args = list(argv)
    if not args or args[0] != "search" or "--" in args:
        return args
    options: list[str] = []
    words: list[str] = []
    rest = iter(args[1:])
    for arg in rest:
        name = arg.split("=", 1)[0]
        if arg == "-h" or (len(name) > 2 and name.startswith("--")):  # a typo stays an error
            options.append(arg)
            if "=" not in arg and any(o.startswith(name) for o in VALUE_OPTIONS):
                value = next(rest, None)  # --limit N: N is its value, not a query word
                if value is not None:
                    options.append(value)
        else:
            words.append(arg)
    return ["search", *options, *(["--", *words] if words else [])]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "search", help="search the library",
        description='Search titles, abstracts and more. Papers with all the words come first, then '
        'papers with some of them; +word, AND and "phrases" are required. Also '
        "title: abstract: author: id: cat: tag: note:, is:bookmarked is:unread, AND OR NOT, -word, "
        "word*, word~ (fuzzy). An arXiv id or URL finds that paper.",
    )
    p.add_argument("query", nargs="+", metavar="QUERY")
    p.add_argument("--limit", type=positive_int, default=20, metavar="N", help="how many results (default 20)")
    add_selection_arguments(p)
    p.add_argument("--json", action="store_true", help="print results as JSON")
    p.set_defaults(handler=run_search)

    p = sub.add_parser("similar", help="papers most like a given one")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--limit", type=positive_int, default=10, metavar="N", help="how many (default 10)")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    p.set_defaults(handler=run_similar)

    p = sub.add_parser("reindex", help="rebuild the search index from the library")
    p.add_argument(
        "--phrases",
        action="store_true",
        help="no rebuild: give an index built by an older version the stored word pairs "
        "that make common phrases fast",
    )
    p.set_defaults(handler=run_reindex)


def _ensure_index(ctx: Context) -> None:
    progress = ProgressLine(ctx.err)
    for event in ctx.catalog.sync_index():
        progress.update(event.phase, event.done, event.total)
    progress.clear()
    if ctx.catalog.notice:
        ctx.warn(ctx.catalog.notice)
        ctx.catalog.notice = None


def run_search(args: argparse.Namespace, ctx: Context) -> int:
    query = " ".join(args.query)
    _ensure_index(ctx)
    if args.sort not in (None, "relevance") or args.category or args.year:
        return _run_selection(args, ctx, query)
    result = ctx.catalog.search(query, limit=args.limit)
    papers = ctx.catalog.papers([h.key for h in result.hits])
    scores = {h.key: h.score for h in result.hits}
    if ctx.catalog.notice:
        ctx.warn(ctx.catalog.notice)
        ctx.catalog.notice = None
    if args.json:
        records = []
        for paper in papers:
            record = paper.to_json()
            record["score"] = scores.get(paper.key, 0.0)
            record["highlights"] = ctx.catalog.highlights(paper, query)
            records.append(record)
        ctx.json({
            "query": query,
            "total": result.total,
            "strict_total": result.strict_total,
            "status": result.status,
            "suggestion": result.suggestion,
            "notice": result.notice,
            "results": records,
        })
        return 0
    if result.notice:
        ctx.warn(result.notice)
    divider = result.divider
    for i, paper in enumerate(papers):
        if i == divider:
            ctx.print(DIVIDER)
        ctx.print(paper_line(paper))
    shown = len(papers)
    counts = f"{shown} of {result.total} matches" if result.total else "no matches"
    if result.status:
        counts += f" ({result.status})"
    ctx.print(counts)
    if result.suggestion:
        ctx.print(f"did you mean: {result.suggestion}")
    return 0


def _run_selection(args: argparse.Namespace, ctx: Context, query: str) -> int:
    """A search narrowed by ``--category``/``--year`` or put in another order: ``Catalog.select``,
    exactly as ``list`` and the reader choose papers (no scores: the order is not by them)."""
    filters = Filters(categories=tuple(args.category), years=tuple(args.year))
    page = ctx.catalog.select(filters, query, limit=args.limit, sort=args.sort)
    papers = ctx.catalog.papers(page.keys)
    relevance = args.sort in (None, "relevance")
    if ctx.catalog.notice:
        ctx.warn(ctx.catalog.notice)
        ctx.catalog.notice = None
    if args.json:
        ctx.json({
            "query": query,
            "sort": args.sort or "relevance",
            "total": page.total,
            "strict_total": page.strict_total if relevance else None,
            "status": page.status if relevance else None,
            "suggestion": page.suggestion,
            "notice": page.notice,
            "results": [_record(ctx, paper, query) for paper in papers],
        })  # fmt: skip
        return 0
    if page.notice:
        ctx.warn(page.notice)
    strict = page.strict_total if relevance else None
    divider = strict if strict is not None and strict < page.total else None
    for i, paper in enumerate(papers):
        if i == divider:
            ctx.print(DIVIDER)
        ctx.print(paper_line(paper))
    counts = f"{len(papers)} of {page.total} matches" if page.total else "no matches"
    if relevance and page.status:
        counts += f" ({page.status})"
    ctx.print(counts)
    if page.suggestion:
        ctx.print(f"did you mean: {page.suggestion}")
    return 0


def _record(ctx: Context, paper: Paper, query: str) -> dict:
    """A result as ``--json`` prints it: the paper, no score (not ordered by one), highlights."""
    record = paper.to_json()
    record["score"] = None
    record["highlights"] = ctx.catalog.highlights(paper, query)
    return record


def run_similar(args: argparse.Namespace, ctx: Context) -> int:
    _ensure_index(ctx)
    paper = ctx.catalog.paper(args.key)
    similar = ctx.catalog.similar(paper.key, args.limit)
    if args.json:
        ctx.json([p.to_json() for p in similar])
        return 0
    if not similar:
        ctx.print("no similar papers")
    for other in similar:
        ctx.print(paper_line(other))
    return 0


def run_reindex(args: argparse.Namespace, ctx: Context) -> int:
    progress = ProgressLine(ctx.err)
    if args.phrases:
        _ensure_index(ctx)
        for event in ctx.catalog.add_phrase_pairs():
            progress.update("phrases", event.done, event.total)
        progress.clear()
        written = ctx.catalog.phrase_pairs_written
        ctx.print(f"stored word pairs for {written:,} segments (the others had them or are small)")
        return 0
    total = 0
    for event in ctx.catalog.rebuild_index():
        progress.update(event.phase, event.done, event.total)
        total = event.total
    progress.clear()
    ctx.print(f"indexed {total:,} papers")
    if not ctx.catalog.index_matches_library():
        raise CommandError("index does not match the library after rebuilding")
    return 0
