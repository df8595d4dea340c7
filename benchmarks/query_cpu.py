"""CPU per query kind on an existing benchmark home, quickly (no import, no reader).

    python benchmarks/query_cpu.py HOME CORPUS [--queries 50] [--kinds single,phrase] [--profile]

It draws the same queries as the ``queries`` phase (``workload.build``, seed
1) and times ``Catalog.page`` as the reader calls it (``as_you_type``, a page
of 200) with ``time.process_time()``; one line per kind: CPU median, p95, max
in ms. For before/after comparisons run it twice, the older code first on
``PYTHONPATH`` (``git archive COMMIT src | tar -x -C /tmp/base`` then
``PYTHONPATH=/tmp/base/src python benchmarks/query_cpu.py ...``), alternating
on a loaded machine. ``--profile`` adds a cProfile listing (cumulative).
Use a copy of a home: opening it may write its caches.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from phases import percentile  # noqa: E402
from workload import KINDS, LARGE_TAG, SMALL_TAG, build  # noqa: E402

#: Kinds that go through ``Catalog.page`` (the others are timed by ``phases.py`` only).
PAGED = ("single", "several", "phrase", "field_title", "field_author", "field_cat", "prefix",
         "fuzzy", "tag_small", "tag_large", "list")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Print CPU median / p95 / max per kind; 2 on bad arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home", type=Path, help="an ABSREADER_HOME with a library and a built index")
    parser.add_argument("corpus", type=Path, help="the corpus JSONL the home was imported from")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--kinds", default=",".join(PAGED))
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = [k for k in kinds if k not in PAGED]
    if unknown:
        parser.error(f"--kinds: not a paged kind: {', '.join(unknown)} (known: {', '.join(PAGED)})")
    if not args.corpus.is_file():
        parser.error(f"corpus: no such file: {args.corpus}")
    if not (args.home / "cache" / "index").is_dir():
        parser.error(f"home: no index under {args.home / 'cache' / 'index'}")
    assert set(PAGED) <= set(KINDS)

    from absreader.core.catalog import Catalog, ListSpec
    from absreader.paths import get_paths

    work = build(args.corpus, args.queries, 1)
    catalog = Catalog.open(get_paths({"ABSREADER_HOME": str(args.home)}))
    catalog.page(work.queries["single"][0], ListSpec(), limit=200, as_you_type=True)  # files opened
    profile = cProfile.Profile() if args.profile else None
    for kind in kinds:
        spec = {"tag_small": ListSpec("tag", SMALL_TAG), "tag_large": ListSpec("tag", LARGE_TAG)}.get(kind, ListSpec())
        times = []
        for text in work.queries[kind]:
            if profile is not None:
                profile.enable()
            c0 = time.process_time()
            catalog.page(text, spec, limit=200, as_you_type=True)
            times.append((time.process_time() - c0) * 1000.0)
            if profile is not None:
                profile.disable()
        print(f"{kind:14s} median {statistics.median(times):7.1f}  p95 {percentile(times, 95):7.1f}"
              f"  max {max(times):7.1f}", flush=True)  # fmt: skip
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
