"""`absreader fetch` and `absreader feeds add|list|remove`: new papers from arXiv and Hugging Face."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from absreader.commands.context import CommandError, Context, positive_int
from absreader.commands.progress import ProgressLine
from absreader.core.catalog import IndexProgress, LibraryError, check_tag
from absreader.core.feeds.config import ENV, ConfigError
from absreader.core.feeds.spec import (
    DEFAULT_MAX,
    HELP,
    SourceSpec,
    SourceSpecError,
    parse_source,
)

if TYPE_CHECKING:
    from absreader.core.feeds.events import FetchReport

_ENV_HELP = ", ".join(ENV.values())


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fetch",
        help="fetch new papers from arXiv or Hugging Face (default: every subscription)",
        description=(
            f"Fetch papers into the library. SOURCE is one of: {HELP}. With no SOURCE, every "
            "subscription (see `absreader feeds`) is fetched. Fetched papers merge with the "
            "library like imported ones and are listed by `absreader list --new`. A source that "
            "fails is reported in one line and the others are still fetched."
        ),
        epilog=f"Base URLs and limits: the [fetch] table of config.toml, or {_ENV_HELP}.",
    )
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="what to fetch (see above)")
    p.add_argument("--tag", action="append", default=[], metavar="T",
                   help="put every fetched paper on this reading list (repeatable)")
    p.add_argument("--max", type=positive_int, default=DEFAULT_MAX, metavar="N",
                   help=f"at most N results for arxiv-query (default {DEFAULT_MAX})")
    p.add_argument("--json", action="store_true", help="print the per-source reports as JSON")
    p.set_defaults(handler=run_fetch)

    p = sub.add_parser("feeds", help="subscriptions: add, list, remove (fetched by `absreader fetch`)")
    p.set_defaults(handler=run_feeds_list, json=False)
    feeds_sub = p.add_subparsers(dest="feeds_command", metavar="ACTION", parser_class=type(p))
    q = feeds_sub.add_parser("add", help="subscribe to a source", description=f"SOURCE: {HELP}.")
    q.add_argument("source", metavar="SOURCE")
    q.add_argument("--tag", metavar="T", help="put the feed's papers on this reading list")
    q.set_defaults(handler=run_feeds_add)
    q = feeds_sub.add_parser("list", help="subscriptions with last fetch, papers added, last error")
    q.add_argument("--json", action="store_true", help="print as JSON")
    q.set_defaults(handler=run_feeds_list)
    q = feeds_sub.add_parser("remove", help="unsubscribe (the papers stay)")
    q.add_argument("source", metavar="SOURCE")
    q.set_defaults(handler=run_feeds_remove)


def _spec(text: str) -> SourceSpec:
    try:
        return parse_source(text)
    except SourceSpecError as exc:
        raise CommandError(str(exc), code=2) from None


def run_fetch(args: argparse.Namespace, ctx: Context) -> int:
    from absreader.core.feeds.runner import FetchOptions, FetchProgress  # httpx loads only here

    specs = [_spec(s) for s in args.sources]
    try:
        tags = tuple(check_tag(t) for t in args.tag)
    except LibraryError as exc:
        raise CommandError(f"--tag: {exc}", code=2) from None
    if not specs:
        specs = [_spec(f.source) for f in ctx.catalog.feeds.subscriptions()]
        if not specs:
            raise CommandError(
                "no subscriptions to fetch; name a SOURCE (absreader fetch arxiv:cs.LG) or "
                "subscribe first (absreader feeds add arxiv:cs.LG)"
            )
    progress = ProgressLine(ctx.err)
    reports: list[FetchReport] = []
    try:
        for event in ctx.catalog.fetch(specs, FetchOptions(tags=tags, max_results=args.max)):
            if isinstance(event, FetchProgress):
                progress.update(f"fetching {event.source} ({event.label})", event.done, event.total)
            elif isinstance(event, IndexProgress):
                progress.update(event.phase, event.done, event.total)
            else:
                progress.clear()
                reports.append(event)
                if not args.json:
                    _print_report(ctx, event)
    except ConfigError as exc:
        progress.clear()
        raise CommandError(str(exc)) from None
    progress.clear()
    if ctx.catalog.notice:
        ctx.warn(ctx.catalog.notice)
    if args.json:
        ctx.json([r.to_json() for r in reports])
    elif len(reports) > 1:
        added = sum(r.added for r in reports)
        failed = sum(1 for r in reports if r.error)
        line = f"fetched {len(reports) - failed} of {len(reports)} sources, added {added:,} papers"
        ctx.print(line + (" (absreader list --new)" if added else ""))
    return 1 if any(r.error for r in reports) or len(reports) < len(specs) else 0


def _print_report(ctx: Context, report: FetchReport) -> None:
    if report.error:
        ctx.error(report.error)
        return
    if report.not_modified:
        ctx.print(f"{report.source}: not changed since the last fetch")
        return
    line = (
        f"{report.source}: {report.records:,} records, added {report.added:,}, "
        f"merged {report.merged:,}"
    )
    if report.updated:
        line += f", updated {report.updated:,}"
    if report.skipped:
        line += f", skipped {report.skipped:,}"
    if report.tag:
        line += f" (tagged {report.tag!r})"
    ctx.print(line)
    for problem in report.problems[:20]:
        ctx.print(f"  {problem}")
    if len(report.problems) > 20:
        ctx.print(f"  ... and {report.skipped - 20:,} more skipped")


def run_feeds_add(args: argparse.Namespace, ctx: Context) -> int:
    spec = _spec(args.source)
    tag = None
    if args.tag is not None:
        try:
            tag = check_tag(args.tag)
        except LibraryError as exc:
            raise CommandError(f"--tag: {exc}", code=2) from None
    state, created = ctx.catalog.feeds.subscribe(str(spec), tag)
    verb = "subscribed to" if created else "updated"
    ctx.print(f"{verb} {state.source}" + (f" (papers tagged {tag!r})" if tag else ""))
    return 0


def run_feeds_remove(args: argparse.Namespace, ctx: Context) -> int:
    spec = _spec(args.source)
    if not ctx.catalog.feeds.unsubscribe(str(spec)):
        raise CommandError(f"not subscribed to {spec} (see absreader feeds list)")
    ctx.print(f"unsubscribed from {spec}; its papers stay in the library")
    return 0


def run_feeds_list(args: argparse.Namespace, ctx: Context) -> int:
    feeds = ctx.catalog.feeds.subscriptions()
    new = ctx.catalog.feeds.new_by_feed()
    if getattr(args, "json", False):
        ctx.json([{**f.to_json(), "new": new.get(f.source, 0)} for f in feeds])
        return 0
    if not feeds:
        ctx.print("no subscriptions (absreader feeds add arxiv:cs.LG)")
        return 0
    for feed in feeds:
        when = (feed.last_attempt or "never").replace("T", " ").removesuffix("Z")
        line = f"{feed.source}  last fetched {when}"
        if feed.last_attempt:
            line += f", added {feed.last_added:,} ({feed.total_added:,} in all)"
        if new.get(feed.source):
            line += f", {new[feed.source]:,} new"
        if feed.tag:
            line += f", tag {feed.tag!r}"
        ctx.print(line)
        if feed.last_error:
            ctx.print(f"  last error: {feed.last_error}")
    return 0
