"""Figures for the reader's triage work at N papers: facets, bulk read, next unread, all keys.

Prints milliseconds for what the sidebar's facets, ``A`` (mark all shown read),
``u`` (its undo), ``]`` (next unread, past the loaded rows) and ``x`` (export)
ask of the catalog. It reports and never asserts.

    python benchmarks/triage.py --papers 100000 --keep /tmp/triage-bench

The library (imported from the seeded corpus of ``benchmarks/corpus.py``, then
indexed) is kept under ``--keep`` and reused by the next run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import cached_corpus  # noqa: E402

from absreader.core.catalog import Catalog, Filters  # noqa: E402
from absreader.paths import get_paths  # noqa: E402


def timed(run: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    """Median wall milliseconds of ``repeat`` runs (after one warm-up), and the last result."""
    result = run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def once(run: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = run()
    return (time.perf_counter() - start) * 1000, result


def build(home: Path, papers: int, seed: int, scratch: Path) -> Catalog:
    paths = get_paths({"ABSREADER_HOME": str(home)})
    catalog = Catalog.open(paths)
    if catalog.paper_count() < papers:
        corpus = cached_corpus(papers, seed, scratch)
        print(f"importing {corpus} ...", file=sys.stderr)
        for _ in catalog.import_paths([corpus]):
            pass
    for _ in catalog.sync_index():
        pass
    return catalog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=Path("/tmp/absreader-triage-bench"))
    parser.add_argument("--corpora", type=Path, default=Path("/tmp/absreader-bench"),
                        help="where the seeded corpora are cached")  # fmt: skip
    opts = parser.parse_args(argv)
    home = opts.keep / f"home-{opts.papers}-s{opts.seed}"
    catalog = build(home, opts.papers, opts.seed, opts.corpora)
    rows: list[tuple[str, float, str]] = []

    def row(name: str, ms: float, note: str = "") -> None:
        rows.append((name, ms, note))
        print(f"{name:<52} {ms:9.1f} ms  {note}", flush=True)

    try:
        total = catalog.paper_count()
        print(f"{total:,} papers", flush=True)
        ms, facets = timed(lambda: catalog.facets())
        row("facets: All", ms, f"{len(facets['categories'])} categories, {len(facets['years'])} years")
        top = facets["categories"][0][0]
        ms, _ = timed(lambda: catalog.facets(Filters(unread=True)))
        row("facets: Unread", ms)
        ms, _ = timed(lambda: catalog.facets(Filters(categories=(top,), years=((2023, 2023),))))
        row(f"facets: All, {top} and 2023 on", ms)
        for query in ("learning", "graph neural", "transformer"):
            ms, _ = timed(lambda q=query: catalog.facets(Filters(), q, as_you_type=True), repeat=3)
            hits = catalog.select(Filters(), query, limit=1, as_you_type=True).total
            row(f"facets: search {query!r}", ms, f"{hits:,} hits")
        ms, page = timed(lambda: catalog.select(Filters(), "", limit=None), repeat=3)
        keys = page.keys
        row("all keys of All (A, ], x)", ms, f"{len(keys):,} keys")
        ms, page = timed(lambda: catalog.select(Filters(), "learning", limit=None, as_you_type=True), repeat=3)
        row("all keys of search 'learning'", ms, f"{len(page.keys):,} keys")
        ms, unread = timed(lambda: catalog.unread_among(keys), repeat=3)
        row("unread_among(all keys) (A's count)", ms, f"{len(unread):,} unread")
        ms, changed = once(lambda: catalog.set_read_many(keys, True, sync=False))
        row("set_read_many(all) (A: the library, one transaction)", ms, f"{len(changed):,} changed")
        from absreader.ui.triage import _find_unread

        ms, found = timed(lambda: _find_unread(catalog, keys, 200, 1), repeat=3)
        row("next unread: none in the whole list (])", ms, f"found {found}")
        ms, back = once(lambda: catalog.set_read_many(changed, False, sync=False))
        row("set_read_many(all, False) (u: the library)", ms, f"{len(back):,} changed")
        ms, _ = once(lambda: catalog.catch_up_index())
        row("catch_up_index after A and u", ms, "in the background")
        sample = keys[:1000]
        ms, done = once(lambda: catalog.change_tags_many(sample, add=["bench-bulk"], sync=False))
        row("change_tags_many(1,000 papers) (the library)", ms)
        ms, _ = once(lambda: catalog.undo_tags(done, sync=False))
        row("undo_tags(1,000 papers) (the library)", ms)
        ms, _ = once(lambda: catalog.catch_up_index())
        row("catch_up_index after tags and undo", ms, "in the background")
        few = keys[:100]
        ms, _ = once(lambda: catalog.set_bookmarked_many(few, True, sync=False))
        row("set_bookmarked_many(100 selected)", ms)
        ms, _ = once(lambda: catalog.catch_up_index())
        row("catch_up_index after 100 bookmarks", ms, "in the background")
        with tempfile.TemporaryDirectory() as tmp:
            ms, count = once(lambda: catalog.export_to(keys[:10_000], Path(tmp) / "out.bib"))
            row("export_to(10,000 papers, BibTeX)", ms, f"{count:,} written")
    finally:
        catalog.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
