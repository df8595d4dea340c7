"""CPU, memory and I/O of one index build worker's run (what a 1M build does ten times).

    python benchmarks/build_run.py --home H                     # this checkout, every paper
    python benchmarks/build_run.py --home H --papers 30000      # the first 30,000 papers
    python benchmarks/build_run.py --home H --src OLD/src --src NEW/src --repeat 3

Each run is a fresh process (``python -c``, with ``--src`` first on ``sys.path``)
that calls ``build_parallel._index_run`` on the library of ``H/data`` into a
scratch folder, exactly as a build's worker does (one segment, its postings
spilled every ``SEGMENT_SIZE`` papers), and prints user + system CPU, peak RSS
and ``/proc/self/io``. With several ``--src`` the checkouts alternate, so a
loaded machine weighs on each alike; the summary gives medians. ``--profile
FILE`` writes a cProfile of the (first) run instead. ``--keep DIR`` leaves the
segment files in DIR (compare two checkouts' bytes with ``cmp``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import speed_probe  # noqa: E402

CHILD = r"""
import json, os, resource, sys, time
src, library, folder, papers, profile = sys.argv[1:6]
if src:
    sys.path.insert(0, src)
from pathlib import Path
from absreader.core.library import Library
from absreader.core.search import build_parallel, index
until = None
if int(papers):
    lib = Library.open(Path(library), create=False)
    until = lib.nth_id(int(papers))
    lib.close()
run = build_parallel.Run(0, 0, until, int(papers))
def io():
    out = {}
    try:
        for line in open("/proc/self/io"):
            k, v = line.split(":")
            out[k] = int(v)
    except OSError:
        pass
    return out
io0 = io()
c0, w0 = time.process_time(), time.perf_counter()
if profile:
    import cProfile
    cProfile.run("out = build_parallel._index_run(folder, library, run, index.SEGMENT_SIZE)", profile)
else:
    out = build_parallel._index_run(folder, library, run, index.SEGMENT_SIZE)
cpu, wall = time.process_time() - c0, time.perf_counter() - w0
io1 = io()
peak = 0.0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        peak = int(line.split()[1]) / 1024.0
print("RESULT " + json.dumps({
    "papers": out[3], "cpu_s": cpu, "wall_s": wall, "peak_rss_mb": peak,
    "rchar_mb": (io1.get("rchar", 0) - io0.get("rchar", 0)) / 1e6,
    "write_mb": (io1.get("write_bytes", 0) - io0.get("write_bytes", 0)) / 1e6,
}))
"""


def run_once(src: str, library: Path, papers: int, profile: str, keep: Path | None) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="build-run-"))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, src, str(library), str(folder), str(papers), profile],
            capture_output=True,
            text=True,
            check=False,
        )
        for line in proc.stdout.splitlines():
            if line.startswith("RESULT "):
                if keep is not None:
                    shutil.rmtree(keep, ignore_errors=True)
                    shutil.copytree(folder / "run-00000.tmp", keep)
                return json.loads(line[7:])
        raise SystemExit(f"the run failed:\n{proc.stderr[-3000:]}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--src", action="append", default=[], help="a checkout's src (repeat to alternate)")
    parser.add_argument("--papers", type=int, default=0, help="the first N papers (0: all)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", default="", help="write a cProfile of one run here")
    parser.add_argument("--keep", type=Path, help="copy the segment files here (last run)")
    args = parser.parse_args()
    library = args.home / "data" / "library.sqlite3"
    srcs = args.src or [""]
    if args.profile:
        print(json.dumps(run_once(srcs[0], library, args.papers, args.profile, args.keep)))
        return 0
    results: dict[str, list[dict]] = {s: [] for s in srcs}
    print(f"speed probe (speed_probe.py, lower is faster): {speed_probe.probe()['cpu_s']:.3f} CPU-s", flush=True)
    for i in range(args.repeat):
        for src in srcs:
            result = run_once(src, library, args.papers, "", args.keep)
            results[src].append(result)
            load = os.getloadavg()[0]
            print(f"[{i + 1}] {src or '.'}: {json.dumps(result)} load {load:.1f}", flush=True)
    for src, runs in results.items():
        cpu = statistics.median(r["cpu_s"] for r in runs)
        peak = statistics.median(r["peak_rss_mb"] for r in runs)
        papers = runs[0]["papers"]
        print(
            f"{src or '.'}: CPU median {cpu:.1f} s ({papers / cpu:,.0f} papers per CPU-s), "
            f"peak RSS median {peak:.0f} MB, rchar {runs[0]['rchar_mb']:.0f} MB, "
            f"written {runs[0]['write_mb']:.0f} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
