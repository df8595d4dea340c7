"""The scale table of issue 15: run.py results at several sizes, growth exponents, 2.7M.

    python benchmarks/scale_table.py /tmp/bench-30k.json /tmp/bench-100k.json \\
        /tmp/bench-300k.json /tmp/bench-1m.json            # a Markdown table
    python benchmarks/scale_table.py FILES... --summary OUT.json   # also a small JSON summary

Each file is the JSON ``run.py -o`` writes (any subset of phases). For every
figure the exponent ``b`` of ``value ~ N^b`` is fitted by least squares on
log N / log value over the sizes that have it, and the fitted line is read
at 2.7M papers (the arXiv snapshot). A figure measured at fewer than two
sizes gets no exponent. Nothing here measures; it only tabulates.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import KINDS, LABELS  # noqa: E402

ARXIV = 2_700_000


def _get(data: dict[str, Any], *path: str) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _stored_mb(r: dict[str, Any]) -> float | None:
    lib = _get(r, "figures", "import", "library_mb")
    idx = _get(r, "figures", "index", "index_mb")
    return lib + idx if lib is not None and idx is not None else None


def _written_ratio(r: dict[str, Any]) -> float | None:
    written = _get(r, "details", "import_io", "write_mb")
    stored = _stored_mb(r)
    return written / stored if written is not None and stored else None


#: (label, unit, how to read it from a result, digits)
Row = tuple[str, str, Callable[[dict[str, Any]], Any], int]


def rows() -> list[Row]:
    found: list[Row] = [
        ("import CPU", "s", lambda r: _get(r, "figures", "import", "cpu_s"), 0),
        ("import, papers per CPU-s", "", lambda r: _get(r, "figures", "import", "papers_per_cpu_s"), 0),
        ("import write_bytes", "MB", lambda r: _get(r, "details", "import_io", "write_mb"), 0),
        ("import rchar", "MB", lambda r: _get(r, "details", "import_io", "rchar_mb"), 0),
        ("library + index on disk", "MB", _stored_mb, 0),
        ("import written / stored", "x", _written_ratio, 1),
        ("index build CPU", "s", lambda r: _get(r, "figures", "index", "cpu_s"), 0),
        ("index build wall", "s", lambda r: _get(r, "figures", "index", "wall_s"), 0),
        ("index build peak RSS", "MB", lambda r: _get(r, "figures", "index", "peak_rss_mb"), 0),
        ("index, papers per CPU-s", "", lambda r: _get(r, "figures", "index", "papers_per_cpu_s"), 0),
    ]
    for kind in KINDS:
        found.append((f"{LABELS[kind]}: CPU median", "ms",
                      lambda r, k=kind: _get(r, "figures", "queries", k, "cpu_median_ms"), 1))  # fmt: skip
        found.append((f"{LABELS[kind]}: CPU p95", "ms",
                      lambda r, k=kind: _get(r, "figures", "queries", k, "cpu_p95_ms"), 1))  # fmt: skip
    found += [
        ("keystroke to list, p95", "ms", lambda r: _get(r, "figures", "keystroke", "p95_ms"), 0),
        ("reader peak RSS", "MB", lambda r: _get(r, "figures", "memory", "reader_peak_mb"), 0),
        ("run.py duration", "s", lambda r: r.get("duration_s"), 0),
    ]
    return found


def fit(points: list[tuple[int, float]]) -> tuple[float, float] | None:
    """``(b, value at 2.7M)`` of the least-squares line through (log N, log value)."""
    pts = [(math.log(n), math.log(v)) for n, v in points if v and v > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    if not sxx:
        return None
    b = sum((x - mx) * (y - my) for x, y in pts) / sxx
    return b, math.exp(my + b * (math.log(ARXIV) - mx))


def _fmt(value: Any, digits: int) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def table(results: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    results = sorted(results, key=lambda r: r["papers"])
    sizes = [r["papers"] for r in results]
    head = ["", *(f"{n:,}" for n in sizes), "exponent", "at 2.7M"]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    summary = []
    for label, unit, read, digits in rows():
        values = [read(r) for r in results]
        if all(v is None for v in values):
            continue
        fitted = fit([(n, v) for n, v in zip(sizes, values, strict=True) if v is not None])
        name = f"{label} ({unit})" if unit else label
        exp = f"{fitted[0]:.2f}" if fitted else "-"
        at = _fmt(fitted[1], digits) if fitted else "-"
        lines.append("| " + " | ".join([name, *(_fmt(v, digits) for v in values), exp, at]) + " |")
        summary.append({"figure": name, "values": dict(zip(map(str, sizes), values, strict=True)),
                        "exponent": fitted[0] if fitted else None,
                        "at_2_7m": fitted[1] if fitted else None})  # fmt: skip
    return "\n".join(lines), summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--summary", type=Path, help="also write the figures as a small JSON file")
    opts = parser.parse_args(argv)
    results = [json.loads(f.read_text(encoding="utf-8")) for f in opts.files]
    text, summary = table(results)
    print(text)
    for r in sorted(results, key=lambda r: r["papers"]):
        m = r.get("machine", {})
        took = r.get("duration_s")
        print(f"\n{r['papers']:,}: git {m.get('git', '?')}, load average {m.get('loadavg_start', ['?'])[0]} "
              f"at the start, {m.get('loadavg_end', ['?'])[0]} at the end; "
              f"run took {'-' if took is None else f'{took:.0f}'} s; skipped {r.get('skipped_phases') or '-'}; "
              f"failed {sorted(r.get('errors', {})) or '-'}")  # fmt: skip
        for part, source in (r.get("composed_from") or {}).items():
            print(f"  {part}: {source}")
    if opts.summary:
        opts.summary.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
