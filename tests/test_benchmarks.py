"""Smoke test: the benchmark runs end to end at a small N and reports every figure.

It runs ``benchmarks/run.py --papers 300 --json`` for real (every phase in its
own process, the reader through Pilot), with fewer queries and one first-paint
run so it stays well under a minute. It checks that each figure is there and
is a positive number; it never checks a figure against a target.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"

#: Every figure the report must carry (a path into ``figures``).
REQUIRED = [
    ("import", "papers_per_s"),
    ("import", "papers_per_cpu_s"),
    ("import", "peak_rss_mb"),
    ("index", "papers_per_s"),
    ("index", "papers_per_cpu_s"),
    ("startup", "minimal_first_paint_s"),
    ("startup", "reader_first_paint_s"),
    ("keystroke", "median_ms"),
    ("keystroke", "p95_ms"),
    ("memory", "reader_peak_mb"),
    ("memory", "import_peak_mb"),
    ("visible", "visible_s"),
]
QUERY_KINDS = [
    "single", "several", "phrase", "field_title", "field_author", "field_cat", "prefix", "fuzzy",
    "tag_small", "tag_large", "suggest", "highlight", "more_like",
]  # fmt: skip
QUERY_FIGURES = ["cpu_median_ms", "cpu_p95_ms", "wall_median_ms", "wall_p95_ms", "cold_wall_ms"]


def _leaves(data: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(data, dict):
        return [leaf for key, value in data.items() for leaf in _leaves(value, (*path, key))]
    return [(path, data)]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    scratch = tmp_path_factory.mktemp("bench")
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(RUN), "--papers", "300", "--json", "--keep", str(scratch),
         "--queries", "20", "--repeat", "1", "--keystrokes", "12"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    data = json.loads(proc.stdout)
    data["_elapsed"] = elapsed
    return data


def test_every_figure_is_a_positive_number(report: dict[str, Any]) -> None:
    figures = report["figures"]
    leaves = _leaves(figures)
    assert leaves
    for path, value in leaves:
        assert isinstance(value, int | float) and not isinstance(value, bool), (path, value)
        assert value > 0, (path, value)
    for path in REQUIRED:
        node: Any = figures
        for part in path:
            assert part in node, f"missing figure {'.'.join(path)}"
            node = node[part]
    for kind in QUERY_KINDS:
        for name in QUERY_FIGURES:
            assert figures["queries"][kind][name] > 0, (kind, name)


def test_report_has_targets_machine_and_no_errors(report: dict[str, Any]) -> None:
    assert report["errors"] == {}
    assert report["papers"] == 300
    assert report["details"]["import"]["papers"] == 300
    assert report["details"]["keystroke"]["keystrokes"] == 12
    assert report["machine"]["nproc"] >= 1 and report["machine"]["python"]
    # The machine's speed, so runs on different machines can be compared.
    assert report["machine"]["speed_probe_cpu_s"] > 0
    assert report["machine"]["speed_probe_end_cpu_s"] > 0
    assert report["targets"]
    for check in report["targets"]:
        assert check["ok"] in (True, False), check  # every target was measured


def test_small_run_is_fast(report: dict[str, Any]) -> None:
    assert report["_elapsed"] < 60, f"the N=300 benchmark took {report['_elapsed']:.0f} s"
