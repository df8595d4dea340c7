"""Whole-process CPU of short CLI commands (issue 15: commands that don't search start fast).

    python benchmarks/cli_startup.py --home /tmp/lib-30k            # this checkout
    python benchmarks/cli_startup.py --home H --src OTHER/src        # another checkout's code

Each command runs ``--runs`` times (default 5) as ``python -m absreader ...``
with ``ABSREADER_HOME=H``; the figure is the median of user + system CPU of
the child (``RUSAGE_CHILDREN``), and whether the process loaded Whoosh.
Alternate two checkouts in one library to compare before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path

PROBE = (
    "import runpy, sys\n"
    "sys.argv = ['absreader'] + sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_module('absreader', run_name='__main__')\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "else:\n"
    "    code = 0\n"
    "sys.stderr.write('WHOOSH %d\\n' % ('whoosh' in sys.modules))\n"
    "raise SystemExit(code)\n"
)


def some_key(home: Path) -> str:
    """A paper key from the middle of the library."""
    db = sqlite3.connect(f"file:{home / 'data' / 'library.sqlite3'}?mode=ro", uri=True)
    try:
        count = db.execute("SELECT count(*) FROM papers").fetchone()[0]
        return db.execute("SELECT key FROM papers ORDER BY id LIMIT 1 OFFSET ?", (count // 2,)).fetchone()[0]
    finally:
        db.close()


def run_once(python: str, home: Path, src: str | None, args: list[str]) -> tuple[float, bool]:
    env = dict(os.environ, ABSREADER_HOME=str(home))
    if src:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([python, "-c", PROBE, *args], capture_output=True, text=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, "WHOOSH 1" in done.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="an ABSREADER_HOME with a library and index")
    parser.add_argument("--src", action="append", default=[],
                        help="a checkout's src/ to run (repeatable: compared in alternation); default: this one")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--json", action="store_true")
    opts = parser.parse_args(argv)
    key = some_key(opts.home)
    commands = {
        "bookmark": ["bookmark", key],
        "tag": ["tag", key, "bench-cli"],
        "read": ["read", key],
        "note": ["note", key, "a note from the start-up benchmark"],
        "stats": ["stats"],
        "list --limit 20": ["list", "--limit", "20"],
    }
    sources = opts.src or [None]
    results: dict[str, dict[str, dict[str, object]]] = {}
    for name, args in commands.items():
        runs: dict[str | None, list[tuple[float, bool]]] = {s: [] for s in sources}
        for _ in range(opts.runs):
            for src in sources:
                runs[src].append(run_once(opts.python, opts.home, src, args))
        results[name] = {
            str(src or "this checkout"): {
                "cpu_median_s": statistics.median(c for c, _ in found),
                "loads_whoosh": any(w for _, w in found),
            }
            for src, found in runs.items()
        }
    if opts.json:
        print(json.dumps(results, indent=2))
        return 0
    for name, by_src in results.items():
        figures = "   ".join(
            f"{src}: {r['cpu_median_s']:.3f} s{' (whoosh)' if r['loads_whoosh'] else ''}"
            for src, r in by_src.items()
        )
        print(f"{name:<18} {figures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
