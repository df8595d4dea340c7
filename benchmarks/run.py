"""absreader's performance benchmark: one entry point, every phase in a fresh process.

    python benchmarks/run.py --papers 10000            # a readable table
    python benchmarks/run.py --papers 10000 --json     # the same figures as JSON

It generates (or reuses) a seeded synthetic corpus in Kaggle-snapshot JSON
Lines, then runs each phase in its own child process (``phases.py``) so caches
and memory start clean: import, tagging (set-up for the tag queries), a full
index build, query latency per kind, first paint of the reader beside a
minimal Textual app, keystroke-to-results in the reader, and how soon a
freshly started import shows papers. Figures are printed beside the targets of
issue 7 with a pass/miss column; the benchmark reports, it never asserts. The
exit status is non-zero only when a phase crashed.

Corpora and libraries live under a scratch directory (``--keep``, default
``/tmp/absreader-bench``); the corpus for a given ``--papers``/``--seed`` is
generated once and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
import speed_probe  # noqa: E402
from phases import MARK  # noqa: E402
from workload import KINDS, LABELS  # noqa: E402

DEFAULT_SCRATCH = Path("/tmp/absreader-bench")


# ---------------------------------------------------------------- targets (issue 7, at N = 100,000)


@dataclass(frozen=True)
class Target:
    """One target: the figure's path in the results, a bound and which way it goes."""

    name: str
    path: tuple[str, ...]
    bound: float
    unit: str
    at_most: bool = True

    def check(self, value: float) -> bool:
        return value <= self.bound if self.at_most else value >= self.bound

    @property
    def text(self) -> str:
        return f"{'<=' if self.at_most else '>='} {self.bound:g} {self.unit}"


def targets() -> list[Target]:
    """Every target of issue 7, in the order they are printed."""
    found = [
        Target("import visible in the reader", ("visible", "visible_s"), 15, "s"),
        Target("indexing", ("index", "papers_per_cpu_s"), 500, "papers/CPU-s", at_most=False),
    ]
    for kind in KINDS:
        found.append(Target(f"{LABELS[kind]}: p95 CPU", ("queries", kind, "cpu_p95_ms"), 150, "ms"))
        found.append(
            Target(f"{LABELS[kind]}: median CPU", ("queries", kind, "cpu_median_ms"), 30, "ms")
        )
    found += [
        Target("keystroke to updated list: p95", ("keystroke", "p95_ms"), 300, "ms"),
        Target("first paint minus minimal app", ("startup", "reader_minus_minimal_s"), 0.5, "s"),
        Target("reader peak memory", ("memory", "reader_peak_mb"), 400, "MB"),
        Target("page fetch during an import: p95", ("concurrent", "page_p95_ms"), 100, "ms"),
        Target("user write during an import: p95", ("concurrent", "write_p95_ms"), 100, "ms"),
    ]
    return found


# ---------------------------------------------------------------- running phases


class PhaseFailed(Exception):
    """A child phase crashed or printed no result."""


def run_phase(python: str, phase: str, args: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one phase in a fresh interpreter and return the JSON it reports."""
    env = {k: v for k, v in os.environ.items() if k != "ABSREADER_HOME"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH", "")) if p)
    try:
        proc = subprocess.run(
            [python, str(HERE / "phases.py"), phase, json.dumps(args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=str(ROOT),
        )
    except subprocess.TimeoutExpired:
        raise PhaseFailed(f"{phase}: timed out after {timeout:.0f} s") from None
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    tail = (proc.stderr.strip() or proc.stdout.strip())[-1500:]
    raise PhaseFailed(f"{phase}: exit {proc.returncode}\n{tail}")


def _interpreter(python: str) -> str:
    """``python``'s version and real path (the phases run there, not in this process)."""
    try:
        out = subprocess.run(
            [python, "-c", "import os, platform, sys; print(platform.python_version(), os.path.realpath(sys.executable))"],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout.split(maxsplit=1)  # fmt: skip
        return f"{out[0]} ({out[1].strip()})"
    except (OSError, subprocess.SubprocessError, IndexError):
        return f"? ({python})"


def machine(python: str = sys.executable) -> dict[str, Any]:
    """What the figures were measured on (``python``: the phases' interpreter).

    Interpreters differ a lot: on one machine, Debian's ``/usr/bin/python3`` 3.11.2
    ran the 30k import, build and queries 19-31% cheaper than pyenv's 3.11.7 built
    without ``--enable-optimizations`` (benchmarks/README.md). The speed probe runs
    in this process, so keep the runner's interpreter fixed to compare machines.
    """
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 0
    info: dict[str, Any] = {
        "nproc": cpus,
        "cpu": model,
        "python": _interpreter(python),
        "runner_python": f"{platform.python_version()} ({os.path.realpath(sys.executable)})",
        "platform": platform.platform(terse=True),
        "loadavg_start": list(os.getloadavg()),
        # How fast the machine runs plain Python (speed_probe.py): compare runs by it.
        "speed_probe_cpu_s": speed_probe.probe()["cpu_s"],
    }
    for dist in ("textual", "whoosh-reloaded"):
        try:
            from importlib.metadata import version

            info[dist] = version(dist)
        except Exception:  # noqa: BLE001 - informational only
            pass
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT, capture_output=True, text=True, timeout=5,
        )  # fmt: skip
        info["git"] = rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def benchmark(opts: argparse.Namespace) -> dict[str, Any]:
    """Run every phase; return figures, details, targets and errors."""
    n, seed = opts.papers, opts.seed
    scratch = Path(opts.keep)
    scratch.mkdir(parents=True, exist_ok=True)
    started = time.time()
    info = machine(opts.python)

    log(f"corpus: {n} papers, seed {seed} (cached under {scratch})")
    t0 = time.perf_counter()
    corpus_file = corpus.cached_corpus(n, seed, scratch)
    corpus_s = time.perf_counter() - t0

    work = scratch / f"run-{n}-s{seed}"
    home = work / "home"
    visible_home = work / "visible-home"
    for d in (home, visible_home):
        if (
            d != home or "import" not in opts.skip
        ):  # --skip import reuses the library (and index) there
            shutil.rmtree(d, ignore_errors=True)
    base = {"home": str(home), "corpus": str(corpus_file), "seed": seed}
    figures: dict[str, Any] = {}
    details: dict[str, Any] = {"corpus_file": str(corpus_file), "corpus_mb": corpus_file.stat().st_size / 1e6,
                               "corpus_prepare_s": corpus_s}  # fmt: skip
    errors: dict[str, str] = {}
    slow = max(600.0, n * 0.05)

    skipped = set(opts.skip)

    def phase(name: str, args: dict[str, Any], timeout: float = slow) -> dict[str, Any] | None:
        if name.split(":")[0] in skipped:
            log(f"{name} skipped (--skip)")
            return None
        log(f"{name} ...")
        t = time.perf_counter()
        try:
            result = run_phase(opts.python, name.split(":")[0], args, timeout)
        except PhaseFailed as exc:
            errors[name] = str(exc)
            log(f"{name} FAILED: {str(exc).splitlines()[0]}")
            return None
        log(f"{name} done in {time.perf_counter() - t:.1f} s")
        return result

    imp = phase("import", base)
    if imp:
        figures["import"] = {k: imp[k] for k in ("wall_s", "cpu_s", "papers_per_s", "papers_per_cpu_s",
                                                 "first_batch_s", "peak_rss_mb", "library_mb")}  # fmt: skip
        details["import_io"] = {k: imp[k] for k in ("write_mb", "wchar_mb", "rchar_mb") if k in imp}
        details["import"] = {k: imp[k] for k in ("papers", "records", "skipped")}
    tag = phase("tag", {**base, "subset": str(scratch / f"tagged-{n}-s{seed}.jsonl")})
    if tag:
        details["tag"] = tag
    idx = phase("index", base)
    if idx:
        figures["index"] = {k: idx[k] for k in ("wall_s", "cpu_s", "papers_per_s", "papers_per_cpu_s",
                                                "peak_rss_mb", "index_mb")}  # fmt: skip
        details["index"] = {"papers": idx["papers"], "progress_events": idx["progress_events"]}
        details["index_io"] = {k: idx[k] for k in ("write_mb", "wchar_mb", "rchar_mb") if k in idx}
    child = phase("index_child", base)
    if child:
        details["index_child"] = child
    later = phase("later", base)  # what the reader's background child adds after a build
    if later:
        details["later_files"] = later
        log(
            f"later files: {later['segments']} segment(s), {later['cpu_s']:.1f} CPU-s, "
            f"peak {later['peak_rss_mb']:.0f} MB"
        )
    q = phase("queries", {**base, "queries": opts.queries})
    if q:
        figures["queries"] = {
            kind: {k: v for k, v in q["kinds"][kind].items() if k not in ("count", "with_results")}
            for kind in KINDS
        }
        figures["query_setup"] = {
            "catalog_open_ms": q["open_s"] * 1000.0,
            "first_query_wall_ms": q["first_query_wall_ms"],
            "first_query_cpu_ms": q["first_query_cpu_ms"],
        }
        details["queries"] = {
            kind: {
                "count": q["kinds"][kind]["count"],
                "with_results": q["kinds"][kind]["with_results"],
            }
            for kind in KINDS
        }
        details["page_size"] = q["page_size"]
        figures.setdefault("memory", {})["queries_peak_mb"] = q["peak_rss_mb"]

    paints: dict[str, list[dict[str, Any]]] = {"minimal": [], "reader": []}
    for i in range(opts.repeat):
        for app in ("minimal", "reader"):
            r = phase(f"paint:{app}#{i + 1}", {**base, "app": app, "start": time.time()}, 300)
            if r:
                paints[app].append(r)
    if paints["minimal"] and paints["reader"]:
        mini = statistics.median(r["first_paint_s"] for r in paints["minimal"])
        reader = statistics.median(r["first_paint_s"] for r in paints["reader"])
        figures["startup"] = {
            "minimal_first_paint_s": mini,
            "reader_first_paint_s": reader,
            "reader_first_any_paint_s": statistics.median(
                r["first_any_paint_s"] for r in paints["reader"]
            ),
            "reader_app_built_s": statistics.median(r["app_built_s"] for r in paints["reader"]),
            "minimal_app_built_s": statistics.median(r["app_built_s"] for r in paints["minimal"]),
        }
        details["startup"] = {
            "reader_minus_minimal_s": reader - mini,
            "runs": paints,
        }
        figures.setdefault("memory", {})["reader_startup_peak_mb"] = max(
            r["peak_rss_mb"] for r in paints["reader"]
        )

    keys = phase("keys", {**base, "keystrokes": opts.keystrokes}, 600)
    if keys:
        figures["keystroke"] = {k: keys[k] for k in ("median_ms", "p95_ms", "max_ms", "echo_median_ms",
                                                     "echo_p95_ms")}  # fmt: skip
        details["keystroke"] = {k: keys[k] for k in ("keystrokes", "typed", "median_hits", "each")}
        figures.setdefault("memory", {})["reader_keys_peak_mb"] = keys["peak_rss_mb"]

    vis = phase("visible", {**base, "home": str(visible_home), "timeout": slow})
    if vis:
        figures["visible"] = {"visible_s": vis["visible_s"]}
        details["visible"] = {
            k: vis[k] for k in ("papers_visible", "polls", "import_still_running")
        }

    conc = phase(
        "concurrent",
        {
            **base,
            "home": str(work / "concurrent-home"),
            "corpus": str(corpus.cached_corpus(min(n, 20000), seed, scratch)),
        },
    )
    if conc:
        figures["concurrent"] = {
            "page_p95_ms": conc["page_fetch"].get("p95_ms"),
            "page_max_ms": conc["page_fetch"].get("max_ms"),
            "write_p95_ms": conc["user_write"].get("p95_ms"),
            "write_max_ms": conc["user_write"].get("max_ms"),
        }
        details["concurrent"] = {"papers": conc["papers"], "import_wall_s": conc["import_wall_s"]}

    memory = figures.setdefault("memory", {})
    reader_peaks = [
        memory[k] for k in ("reader_startup_peak_mb", "reader_keys_peak_mb") if k in memory
    ]
    if reader_peaks:
        memory["reader_peak_mb"] = max(reader_peaks)
    if imp:
        memory["import_peak_mb"] = imp["peak_rss_mb"]
    if idx:
        memory["index_peak_mb"] = idx["peak_rss_mb"]

    if not opts.keep_libraries:
        shutil.rmtree(visible_home, ignore_errors=True)
    info["loadavg_end"] = list(os.getloadavg())
    info["speed_probe_end_cpu_s"] = speed_probe.probe()["cpu_s"]
    checks = []
    for target in targets():
        value = _get(figures, target.path)
        if value is None:
            value = _get(details, target.path)
        checks.append({
            "name": target.name,
            "value": value,
            "target": target.text,
            "ok": None if value is None else target.check(value),
        })  # fmt: skip
    return {
        "papers": n,
        "seed": seed,
        "queries_per_kind": opts.queries,
        "skipped_phases": sorted(skipped),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "duration_s": time.time() - started,
        "machine": info,
        "figures": figures,
        "details": details,
        "targets": checks,
        "errors": errors,
    }


def _get(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


# ---------------------------------------------------------------- the table


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    return str(value)


def _verdict(ok: bool | None) -> str:
    return {True: "pass", False: "MISS", None: "n/a"}[ok]


def render(result: dict[str, Any]) -> str:
    """The readable report."""
    f, d, m = result["figures"], result["details"], result["machine"]
    checks = {c["name"]: c for c in result["targets"]}
    out: list[str] = []
    w = out.append
    w(f"absreader benchmark: {result['papers']:,} papers (seed {result['seed']}), "
      f"{result['queries_per_kind']} queries per kind")  # fmt: skip
    w(f"machine: {m['nproc']} CPUs, {m['cpu']}, Python {m['python']}, textual {m.get('textual', '?')}, "
      f"whoosh-reloaded {m.get('whoosh-reloaded', '?')}, git {m.get('git', '?')}")  # fmt: skip
    w(f"load average at start {m['loadavg_start'][0]:.2f}, at end {m['loadavg_end'][0]:.2f}; "
      f"run took {result['duration_s']:.0f} s")  # fmt: skip
    if "speed_probe_cpu_s" in m:
        w(f"speed probe (benchmarks/speed_probe.py, lower is faster): {m['speed_probe_cpu_s']:.3f} CPU-s at start, "
          f"{m.get('speed_probe_end_cpu_s', float('nan')):.3f} at end"
          + (f", under the runner's Python {m['runner_python']}" if "runner_python" in m else ""))  # fmt: skip
    if result.get("skipped_phases"):
        w(f"phases skipped (--skip): {', '.join(result['skipped_phases'])}")
    w("")

    def row(name: str, figure: str, target: str = "", verdict: str = "") -> None:
        w(f"  {name:<34} {figure:>28}  {target:>18}  {verdict}")

    def check_row(label: str, figure: str, name: str) -> None:
        c = checks.get(name)
        row(label, figure, c["target"] if c else "", _verdict(c["ok"]) if c else "")

    w("Import and indexing")
    if "import" in f:
        i = f["import"]
        row("import", f"{_fmt(i['papers_per_s'], 0)} papers/s wall")
        row("", f"{_fmt(i['papers_per_cpu_s'], 0)} papers/CPU-s")
        row("", f"{_fmt(i['wall_s'])} s wall, {_fmt(i['cpu_s'])} s CPU")
        row("  first batch committed after", f"{_fmt(i['first_batch_s'], 2)} s")
        row("  peak RSS", f"{_fmt(i['peak_rss_mb'], 0)} MB")
        row("  library on disk", f"{_fmt(i['library_mb'], 0)} MB")
    if "visible" in f:
        check_row("import visible in the reader", f"{_fmt(f['visible']['visible_s'], 2)} s",
                  "import visible in the reader")  # fmt: skip
    if "index" in f:
        x = f["index"]
        row("index build", f"{_fmt(x['papers_per_s'], 0)} papers/s wall")
        check_row("", f"{_fmt(x['papers_per_cpu_s'], 0)} papers/CPU-s", "indexing")
        row("", f"{_fmt(x['wall_s'])} s wall, {_fmt(x['cpu_s'])} s CPU")
        row("  peak RSS", f"{_fmt(x['peak_rss_mb'], 0)} MB")
        row("  index on disk", f"{_fmt(x['index_mb'], 0)} MB")
    for name, label in (("import_io", "import"), ("index_io", "index build")):
        io = d.get(name)
        if io and "write_mb" in io:
            row(
                f"  {label}: written / read (rchar)",
                f"{_fmt(io['write_mb'], 0)} / {_fmt(io['rchar_mb'], 0)} MB",
            )
    c = d.get("index_child")
    if c:
        row("rebuild in a child process", f"{_fmt(c['wall_s'])} s wall")
        row("  parent (reader) peak RSS", f"{_fmt(c['parent_peak_rss_mb'], 0)} MB "
            f"(before {_fmt(c['parent_peak_before_build_mb'], 0)})")  # fmt: skip
        row(
            "  child peak RSS, CPU",
            f"{_fmt(c['child_peak_rss_mb'], 0)} MB, {_fmt(c['child_cpu_s'])} s",
        )
    lf = d.get("later_files")
    if lf:
        row("files derived after the build (reader's child)", f"{_fmt(lf['cpu_s'])} CPU-s, "
            f"{_fmt(lf['wall_s'])} s wall, {_fmt(lf['peak_rss_mb'], 0)} MB")  # fmt: skip
    w("")
    if "queries" in f:
        qs = f["queries"]
        setup = f.get("query_setup", {})
        w(f"Query latency, ms (catalog open {_fmt(setup.get('catalog_open_ms'))} ms, the process's "
          f"first search {_fmt(setup.get('first_query_wall_ms'))} ms wall, "
          f"{_fmt(setup.get('first_query_cpu_ms'))} ms CPU; page size {d.get('page_size', '?')}; "
          "targets: CPU median <= 30, CPU p95 <= 150)")  # fmt: skip
        w(f"  {'kind':<28} {'CPU med':>8} {'CPU p95':>8} {'wall med':>9} {'wall p95':>9} "
          f"{'wall max':>9} {'cold':>8} {'hits':>6}  verdict")  # fmt: skip
        for kind in KINDS:
            k = qs.get(kind)
            if not k:
                continue
            med = checks.get(f"{LABELS[kind]}: median CPU", {}).get("ok")
            p95 = checks.get(f"{LABELS[kind]}: p95 CPU", {}).get("ok")
            verdict = (
                "pass"
                if med and p95
                else "MISS" + (" (median)" if not med else "") + (" (p95)" if not p95 else "")
            )
            dq = d.get("queries", {}).get(kind, {})
            hits = f"{dq.get('with_results', '?')}/{dq.get('count', '?')}"
            w(f"  {LABELS[kind]:<28} {_fmt(k['cpu_median_ms']):>8} {_fmt(k['cpu_p95_ms']):>8} "
              f"{_fmt(k['wall_median_ms']):>9} {_fmt(k['wall_p95_ms']):>9} {_fmt(k['wall_max_ms']):>9} "
              f"{_fmt(k['cold_wall_ms']):>8} {hits:>6}  {verdict}")  # fmt: skip
        w("")
    w("The reader")
    if "startup" in f:
        s = f["startup"]
        row("first paint, minimal Textual app", f"{_fmt(s['minimal_first_paint_s'], 2)} s")
        row("  of which imports + app built", f"{_fmt(s['minimal_app_built_s'], 2)} s")
        row("first paint with rows, reader", f"{_fmt(s['reader_first_paint_s'], 2)} s")
        row("  of which imports + make_app", f"{_fmt(s['reader_app_built_s'], 2)} s")
        row("  first paint (rows not yet)", f"{_fmt(s['reader_first_any_paint_s'], 2)} s")
        check_row("  reader minus minimal", f"{_fmt(d['startup']['reader_minus_minimal_s'], 2)} s",
                  "first paint minus minimal app")  # fmt: skip
    if "keystroke" in f:
        k = f["keystroke"]
        row("keystroke to updated list", f"median {_fmt(k['median_ms'], 0)} ms")
        check_row("", f"p95 {_fmt(k['p95_ms'], 0)} ms", "keystroke to updated list: p95")
        row("  typed character echoed", f"median {_fmt(k['echo_median_ms'], 0)} ms, "
            f"p95 {_fmt(k['echo_p95_ms'], 0)} ms")  # fmt: skip
    if "concurrent" in f:
        c = f["concurrent"]
        w_papers = d.get("concurrent", {}).get("papers", "?")
        row(
            f"during an import of {w_papers:,} papers"
            if isinstance(w_papers, int)
            else "during an import",
            "",
        )
        check_row("  reader page fetch", f"p95 {_fmt(c['page_p95_ms'])} ms, max {_fmt(c['page_max_ms'], 0)} ms",
                  "page fetch during an import: p95")  # fmt: skip
        check_row("  user's bookmark", f"p95 {_fmt(c['write_p95_ms'])} ms, max {_fmt(c['write_max_ms'], 0)} ms",
                  "user write during an import: p95")  # fmt: skip
    mem = f.get("memory", {})
    if "reader_peak_mb" in mem:
        check_row("reader peak RSS", f"{_fmt(mem['reader_peak_mb'], 0)} MB", "reader peak memory")
    if "import_peak_mb" in mem:
        row("import peak RSS", f"{_fmt(mem['import_peak_mb'], 0)} MB")
    w("")
    missed = [c["name"] for c in result["targets"] if c["ok"] is False]
    w(f"Targets (issue 7, stated for N = 100,000): {sum(1 for c in result['targets'] if c['ok'])} pass, "
      f"{len(missed)} miss, {sum(1 for c in result['targets'] if c['ok'] is None)} not measured")  # fmt: skip
    if result["errors"]:
        w("")
        w("Phases that failed:")
        for name, message in result["errors"].items():
            w(f"  {name}: {message}")
    return "\n".join(out)


#: The phases ``--skip`` accepts, in the order they run.
PHASES = (
    "import",
    "tag",
    "index",
    "index_child",
    "later",
    "queries",
    "paint",
    "keys",
    "visible",
    "concurrent",
)


def _phase_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in PHASES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown phase {', '.join(unknown)} (phases: {', '.join(PHASES)})"
        )
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Measure absreader at N papers, each phase in a fresh process."
    )
    parser.add_argument("--papers", type=int, required=True, metavar="N", help="corpus size")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--seed", type=int, default=1, help="corpus and query seed (default 1)")
    parser.add_argument(
        "--keep",
        default=str(DEFAULT_SCRATCH),
        metavar="DIR",
        help=f"scratch dir for corpora and libraries (default {DEFAULT_SCRATCH})",
    )
    parser.add_argument(
        "--queries",
        type=int,
        default=100,
        metavar="Q",
        help="queries per kind (default 100; the first is the cold warm-up)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="R",
        help="first-paint runs of each app, median reported (default 3)",
    )
    parser.add_argument(
        "--keystrokes",
        type=int,
        default=30,
        metavar="K",
        help="characters typed into the reader (default 30)",
    )
    parser.add_argument(
        "--keep-libraries",
        action="store_true",
        help="leave the import-visibility library behind too",
    )
    parser.add_argument(
        "--skip",
        type=_phase_list,
        default=[],
        metavar="PHASE,...",
        help="phases not to run, e.g. index_child (a second full build: "
        "about 25 CPU-min at 1M papers); one of " + ", ".join(PHASES),
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter for the phases")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="also write the JSON result to FILE")  # fmt: skip
    opts = parser.parse_args(argv)
    if opts.papers < 50:
        parser.error("--papers must be at least 50")
    if opts.queries < 3 or opts.repeat < 1 or opts.keystrokes < 1:
        parser.error("--queries >= 3, --repeat >= 1 and --keystrokes >= 1")
    result = benchmark(opts)
    text = json.dumps(result, indent=2)
    if opts.output:
        opts.output.write_text(text + "\n", encoding="utf-8")
    print(text if opts.json else render(result))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
