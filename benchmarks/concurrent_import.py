"""Readers and a user's writes while an import runs: does anybody wait for the writer?

    python benchmarks/concurrent_import.py --papers 20000        # table
    python benchmarks/concurrent_import.py --papers 20000 --json

One process, as the reader with a palette import: an import thread runs
``Catalog.import_paths`` (index off) over a generated corpus; meanwhile the main
thread fetches the reader's first page (``Catalog.page`` plus ``Catalog.papers``
for the 50 rows on screen) every 20 ms, and a third thread bookmarks a paper
every 100 ms, as a user pressing ``b`` would. It prints p50/p95/max of both.
``run.py`` runs it as the ``concurrent`` phase.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
from phases import percentile  # noqa: E402


def measure(corpus_file: Path, home: Path) -> dict[str, Any]:
    """Run the import and the readers; return the latency figures in ms."""
    from absreader.core.catalog import Catalog, ListSpec
    from absreader.core.models import Record
    from absreader.paths import get_paths

    shutil.rmtree(home, ignore_errors=True)
    catalog = Catalog.open(get_paths({"ABSREADER_HOME": str(home)}))
    catalog.library.upsert([Record(title="Seed paper for bookmarks", abstract="x", source="seed", line=1)])
    seed_key = catalog.select(limit=1).keys[0]
    done = threading.Event()
    reads: list[float] = []
    writes: list[float] = []
    failures: list[str] = []

    def importer() -> None:
        try:
            for _ in catalog.import_paths([corpus_file], index=False):
                pass
        except Exception as exc:  # a benchmark reports, it does not hide a crash
            failures.append(repr(exc))
        finally:
            done.set()

    def bookmarker() -> None:
        on = True
        while True:  # at least one write, however soon a small import ends
            t = time.perf_counter()
            catalog.set_bookmarked(seed_key, on)
            writes.append((time.perf_counter() - t) * 1000)
            on = not on
            if done.wait(0.1):
                break

    threads = [threading.Thread(target=importer), threading.Thread(target=bookmarker)]
    wall0 = time.perf_counter()
    for thread in threads:
        thread.start()
    while True:  # at least one page, however soon a small import ends
        t = time.perf_counter()
        page = catalog.page("", ListSpec(), limit=200)
        catalog.papers(page.keys[:50])
        reads.append((time.perf_counter() - t) * 1000)
        if done.wait(0.02):
            break
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - wall0
    papers = catalog.paper_count()
    catalog.close()
    if failures:
        raise RuntimeError(failures[0])

    def stats(values: list[float]) -> dict[str, float]:
        return {"n": len(values), "median_ms": percentile(values, 50), "p95_ms": percentile(values, 95),
                "max_ms": max(values)} if values else {"n": 0}  # fmt: skip

    return {"papers": papers, "import_wall_s": wall, "page_fetch": stats(reads), "user_write": stats(writes)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", default="/tmp/absreader-bench")
    parser.add_argument("--json", action="store_true")
    opts = parser.parse_args(argv)
    scratch = Path(opts.keep)
    scratch.mkdir(parents=True, exist_ok=True)
    corpus_file = corpus.cached_corpus(opts.papers, opts.seed, scratch)
    result = measure(corpus_file, scratch / f"concurrent-{opts.papers}")
    if opts.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"import of {result['papers']:,} papers: {result['import_wall_s']:.1f} s wall")
    for name in ("page_fetch", "user_write"):
        s = result[name]
        print(f"{name:<11} n={s['n']:<5} median {s.get('median_ms', 0):7.1f} ms   "
              f"p95 {s.get('p95_ms', 0):7.1f} ms   max {s.get('max_ms', 0):7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
