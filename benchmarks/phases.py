"""The measured phases; each runs in a fresh child process started by ``run.py``.

    python benchmarks/phases.py PHASE '{"home": ..., ...}'

A phase prints one line ``BENCH-RESULT {json}`` on stdout with its figures
(times in seconds or milliseconds as named, memory in MB) and exits. Heavy
modules are imported inside the phase functions, after the process has
started, so import cost lands in the figures that should include it (first
paint) and nowhere else. Nothing here asserts a target; ``run.py`` compares.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MARK = "BENCH-RESULT "
HERE = Path(__file__).resolve().parent

#: Longest we wait for the reader to show something before calling it a failure.
UI_TIMEOUT = 120.0


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB.

    Linux keeps ``ru_maxrss`` across ``execve``: a child started from a big
    parent reports at least the parent's size. ``VmHWM`` in /proc/self/status
    is the high-water mark of this program's own memory, so it comes first;
    ``ru_maxrss`` (KiB on Linux) is the fallback elsewhere.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    """User plus system CPU time of this process so far (all threads)."""
    return time.process_time()


def io_counters() -> dict[str, int]:
    """This process's I/O so far from ``/proc/self/io`` (bytes; empty off Linux).

    ``write_bytes`` is what reached the block layer (the figure issue 15 sets
    its target on); ``wchar`` counts every byte passed to ``write``, so WAL
    frames later overwritten in the page cache still count there.
    """
    counters: dict[str, int] = {}
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            name, _, value = line.partition(":")
            counters[name.strip()] = int(value)
    except (OSError, ValueError):
        pass
    return counters


def io_since(before: dict[str, int]) -> dict[str, float]:
    """MB read and written since ``before`` (``io_counters()`` taken earlier)."""
    after = io_counters()
    figures = {}
    for name, label in (("write_bytes", "write_mb"), ("wchar", "wchar_mb"), ("rchar", "rchar_mb")):
        if name in after:
            figures[label] = (after[name] - before.get(name, 0)) / 1e6
    return figures


def children_cpu_seconds() -> float:
    """User plus system CPU of this process's finished, waited-for children (build workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rss_kb(pid: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _children(pid: str) -> list[str]:
    found: list[str] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found.extend((task / "children").read_text().split())
    except OSError:
        pass
    return found


def tree_rss_mb() -> float:
    """Resident memory of this process and all its descendants now, in MB (Linux; else 0)."""
    total, todo = 0, [str(os.getpid())]
    while todo:
        pid = todo.pop()
        total += _rss_kb(pid)
        todo.extend(_children(pid))
    return total / 1024.0


class TreePeak:
    """Samples ``tree_rss_mb`` every ``every`` seconds in a thread; ``peak`` is the highest."""

    def __init__(self, every: float = 0.5) -> None:
        import threading

        self.peak = 0.0
        self._stop = threading.Event()
        self._every = every
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss_mb())

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self.peak = max(self.peak, tree_rss_mb())


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


def summary_ms(wall: list[float], cpu: list[float]) -> dict[str, float]:
    """Median and p95 of per-call wall and CPU seconds, in milliseconds."""
    return {
        "wall_median_ms": percentile(wall, 50) * 1000.0,
        "wall_p95_ms": percentile(wall, 95) * 1000.0,
        "cpu_median_ms": percentile(cpu, 50) * 1000.0,
        "cpu_p95_ms": percentile(cpu, 95) * 1000.0,
        "wall_max_ms": max(wall) * 1000.0,
    }


def _paths(home: str) -> Any:
    from absreader.paths import get_paths

    return get_paths({"ABSREADER_HOME": home})


def _dir_mb(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).stat().st_size
    return total / 1e6


# ---------------------------------------------------------------- import and indexing


def phase_import(args: dict[str, Any]) -> dict[str, Any]:
    """Import the corpus into a fresh library, as ``absreader import FILE`` does."""
    from absreader.core.importer import ImportOptions, ImportProgress, import_files
    from absreader.core.library import Library
    from absreader.core.models import ImportReport

    paths = _paths(args["home"])
    io0 = io_counters()
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    library = Library.open(paths.library_file)
    first_batch = None
    reports: list[ImportReport] = []
    for event in import_files(library, [Path(args["corpus"])], ImportOptions()):
        if isinstance(event, ImportProgress) and first_batch is None:
            first_batch = time.perf_counter() - wall0
        elif isinstance(event, ImportReport):
            reports.append(event)
    count = library.count()
    library.close()
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    errors = [r.error for r in reports if r.error]
    if errors:
        raise RuntimeError(f"import failed: {errors[0]}")
    return {
        "papers": count,
        "records": sum(r.records for r in reports),
        "skipped": sum(r.skipped for r in reports),
        "wall_s": wall,
        "cpu_s": cpu,
        "papers_per_s": count / wall,
        "papers_per_cpu_s": count / cpu,
        "first_batch_s": first_batch or wall,
        "peak_rss_mb": peak_rss_mb(),
        "library_mb": _dir_mb(paths.data_dir),
        **io_since(io0),
    }


def phase_tag(args: dict[str, Any]) -> dict[str, Any]:
    """Reading lists for the tag queries: a small hand-made one and a tagged import (10%)."""
    import random

    from workload import LARGE_TAG, SMALL_TAG, tag_lines

    from absreader.core.importer import ImportOptions, import_files
    from absreader.core.library import Library

    paths = _paths(args["home"])
    subset = Path(args["subset"])
    if not subset.exists():
        tmp = subset.with_name(subset.name + ".part")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.writelines(tag_lines(Path(args["corpus"]), 0.1, args["seed"]))
        tmp.replace(subset)
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    library = Library.open(paths.library_file)
    for _ in import_files(library, [subset], ImportOptions(tags=(LARGE_TAG,))):
        pass
    keys = library.list_keys()
    rng = random.Random(args["seed"])
    small = rng.sample(keys, k=min(len(keys), max(5, min(200, len(keys) // 20))))
    for key in small:
        library.add_tags(key, [SMALL_TAG])
    sizes = {t.name: t.count for t in library.tags()}
    library.close()
    return {
        "wall_s": time.perf_counter() - wall0,
        "cpu_s": cpu_seconds() - cpu0,
        "small_tag_papers": sizes.get(SMALL_TAG, 0),
        "large_tag_papers": sizes.get(LARGE_TAG, 0),
    }


def phase_index(args: dict[str, Any]) -> dict[str, Any]:
    """A full index build from the library (what a first run or `absreader reindex` does)."""
    from absreader.core.catalog import Catalog

    paths = _paths(args["home"])
    io0 = io_counters()
    wall0, cpu0, child0 = time.perf_counter(), cpu_seconds(), children_cpu_seconds()
    catalog = Catalog.open(paths)
    count = catalog.library.count()
    events = 0
    with TreePeak() as tree:  # a build on several cores runs worker processes
        for _ in catalog.rebuild_index():
            events += 1
    state = catalog.index_state()
    catalog.close()
    wall, own = time.perf_counter() - wall0, cpu_seconds() - cpu0
    workers = children_cpu_seconds() - child0
    cpu = own + workers
    if state != "ok":
        raise RuntimeError(f"index state after the build is {state!r}")
    return {
        "papers": count,
        "wall_s": wall,
        "cpu_s": cpu,
        "parent_cpu_s": own,
        "workers_cpu_s": workers,
        "papers_per_s": count / wall,
        "papers_per_cpu_s": count / cpu,
        "progress_events": events,
        "peak_rss_mb": max(peak_rss_mb(), tree.peak),
        "parent_peak_rss_mb": peak_rss_mb(),
        "workers_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0,
        "tree_peak_rss_mb": tree.peak,
        "index_mb": _dir_mb(paths.index_dir),
        **io_since(io0),
    }


def phase_later(args: dict[str, Any]) -> dict[str, Any]:
    """The derived files a full build leaves to the reader's background child (``sidecars.LATER``).

    The reader starts ``python -m absreader.core.search.sidecars GENERATION`` at low
    priority once its start-up sync is done; this is that work, in this process, so the
    query phase that follows measures the index as a user has it a few minutes later.
    """
    from absreader.core.search import sidecars

    paths = _paths(args["home"])
    folder = paths.index_dir / (paths.index_dir / "CURRENT").read_text().strip()
    io0 = io_counters()
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    written = sidecars.backfill(folder)
    return {
        "segments": written,
        "wall_s": time.perf_counter() - wall0,
        "cpu_s": cpu_seconds() - cpu0,
        "peak_rss_mb": peak_rss_mb(),
        "missing_after": sidecars.missing(folder),
        **io_since(io0),
    }


def phase_index_child(args: dict[str, Any]) -> dict[str, Any]:
    """A full rebuild in a child process (``Catalog.build_in_subprocess``), as the reader runs it.

    The figures that matter are this (parent) process's memory, which stays
    the reader's, and the child's peak (``ru_maxrss`` of waited-for children).
    """
    from absreader.core.catalog import Catalog

    paths = _paths(args["home"])
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    catalog = Catalog.open(paths)
    catalog.search("model", limit=20)  # the reader has its index open
    before = peak_rss_mb()
    events = sum(1 for _ in catalog.build_in_subprocess(rebuild=True))
    hits = catalog.search("model", limit=20).total
    catalog.close()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall_s": time.perf_counter() - wall0,
        "parent_cpu_s": cpu_seconds() - cpu0,
        "child_cpu_s": children.ru_utime + children.ru_stime,
        "parent_peak_rss_mb": peak_rss_mb(),
        "parent_peak_before_build_mb": before,
        "child_peak_rss_mb": children.ru_maxrss / 1024.0,
        "progress_events": events,
        "hits_after": hits,
    }


# ---------------------------------------------------------------- queries


def phase_queries(args: dict[str, Any]) -> dict[str, Any]:
    """Latency of every query kind the reader issues, through the same calls it makes."""
    from workload import LARGE_TAG, SMALL_TAG, build

    from absreader.core.catalog import Catalog, ListSpec

    try:
        from absreader.ui.results import PAGE_SIZE
    except ImportError:  # pragma: no cover - the reader's page size, if the UI is absent
        PAGE_SIZE = 200

    paths = _paths(args["home"])
    work = build(Path(args["corpus"]), args["queries"], args["seed"])
    t0 = time.perf_counter()
    catalog = Catalog.open(paths)
    open_s = time.perf_counter() - t0
    index = catalog.index
    # The process's very first search (index files opened, caches empty), before any set-up.
    c0, w0 = cpu_seconds(), time.perf_counter()
    catalog.page(work.queries["single"][0], ListSpec(), limit=PAGE_SIZE, as_you_type=True)
    first_query = {"wall_ms": (time.perf_counter() - w0) * 1000.0, "cpu_ms": (cpu_seconds() - c0) * 1000.0}

    every = ListSpec()

    def page(query: str, spec: ListSpec = every) -> Callable[[], object]:
        # The reader searches as the user types, so every typed query is as_you_type.
        return lambda: catalog.page(query, spec, limit=PAGE_SIZE, as_you_type=True)

    calls: dict[str, list[Callable[[], object]]] = {}
    q = work.queries
    for kind in ("single", "several", "phrase", "field_title", "field_author", "field_cat",
                 "prefix", "fuzzy", "list"):  # fmt: skip
        calls[kind] = [page(text) for text in q[kind]]
    calls["tag_small"] = [page(text, ListSpec("tag", SMALL_TAG)) for text in q["tag_small"]]
    calls["tag_large"] = [page(text, ListSpec("tag", LARGE_TAG)) for text in q["tag_large"]]
    calls["suggest"] = [(lambda t=text: index.suggest(t)) for text in q["suggest"]]

    # Shown papers (untimed set-up): the top hit of each highlight query, and pages of keys.
    shown: list[tuple[Any, str]] = []
    key_pages: list[list[str]] = []
    for text in q["highlight"]:
        result = catalog.page(text, ListSpec(), limit=PAGE_SIZE, as_you_type=True)
        if result.keys:
            shown.append((catalog.paper(result.keys[0]), text))
            key_pages.append(result.keys)
    similar_keys = []
    for arxiv_id in work.similar_ids:
        paper = catalog.library.get(arxiv_id)
        if paper is not None:
            similar_keys.append(paper.key)
    all_keys = catalog.library.list_keys(limit=PAGE_SIZE * 50)
    key_pages = [all_keys[i : i + PAGE_SIZE] for i in range(0, len(all_keys), PAGE_SIZE)] or key_pages
    calls["highlight"] = [(lambda p=p, t=t: catalog.highlights(p, t)) for p, t in shown]
    # The reader's "more like this" (ui.results.similar_results) goes through Catalog.similar.
    calls["more_like"] = [(lambda k=k: catalog.similar(k, 50)) for k in similar_keys]
    fetches = [key_pages[i % len(key_pages)] for i in range(args["queries"])]
    calls["fetch"] = [(lambda keys=keys: catalog.papers(keys)) for keys in fetches]

    results: dict[str, Any] = {}
    for kind, fns in calls.items():
        if len(fns) < 2:
            raise RuntimeError(f"no queries of kind {kind!r} could be set up")
        wall: list[float] = []
        cpu: list[float] = []
        hits = 0
        cold_wall = cold_cpu = 0.0
        for i, fn in enumerate(fns):
            c0, w0 = cpu_seconds(), time.perf_counter()
            out = fn()
            w1, c1 = time.perf_counter(), cpu_seconds()
            if i == 0:  # the warm-up: reported as "cold", not in the statistics
                cold_wall, cold_cpu = w1 - w0, c1 - c0
                continue
            wall.append(w1 - w0)
            cpu.append(c1 - c0)
            total = getattr(out, "total", None)
            if total is not None:
                hits += int(total > 0)
            elif out:
                hits += 1
        results[kind] = {
            **summary_ms(wall, cpu),
            "cold_wall_ms": cold_wall * 1000.0,
            "cold_cpu_ms": cold_cpu * 1000.0,
            "count": len(wall),
            "with_results": hits,
        }
    catalog.close()
    return {
        "kinds": results,
        "open_s": open_s,
        "first_query_wall_ms": first_query["wall_ms"],
        "first_query_cpu_ms": first_query["cpu_ms"],
        "page_size": PAGE_SIZE,
        "peak_rss_mb": peak_rss_mb(),
    }


# ---------------------------------------------------------------- the reader


class PaintClock:
    """Timestamps of the app's screen updates and of its result lists being shown.

    Patches ``app._display`` (Textual calls it with every compositor update,
    headless or not) to note the time, and, since a headless driver skips it,
    renders the update's terminal output as a real terminal would.
    """

    def __init__(self, app: Any, probe: Callable[[], object] | None = None) -> None:
        self.app = app
        self.paints: list[float] = []
        #: ``probe()`` at each paint (e.g. what the search bar held when it was painted).
        self.probed: list[tuple[float, object]] = []
        self.shown: list[tuple[float, str, int]] = []  # (time, query, total)
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            render = getattr(renderable, "render_segments", None)
            if render is not None and app.is_headless:
                render(app.console)
            now = time.time()
            self.paints.append(now)
            if probe is not None:
                with contextlib.suppress(Exception):  # the screen may not be composed yet
                    self.probed.append((now, probe()))

        app._display = display

    def watch_results(self, screen: Any) -> None:
        """Note when ``screen.show_results`` puts a result list on screen."""
        original = screen.show_results

        def show_results(results: Any, *args: Any, **kwargs: Any) -> None:
            original(results, *args, **kwargs)
            self.shown.append((time.time(), results.query, results.total))

        screen.show_results = show_results

    def paint_after(self, when: float) -> float | None:
        for t in self.paints:
            if t >= when:
                return t
        return None


def _minimal_app() -> Any:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Static

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("A minimal Textual app: one Static and a Footer.")
            yield Footer()

    return Minimal()


def _reader(home: str) -> Any:
    from absreader.ui.app import make_app

    paths = _paths(home)
    with contextlib.suppress(FileNotFoundError):
        paths.state_file.unlink()  # the reader remembers its last query: start clean
    return make_app(paths)


async def _wait(pilot: Any, done: Callable[[], bool], what: str) -> None:
    deadline = time.perf_counter() + UI_TIMEOUT
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {UI_TIMEOUT:.0f} s")
        await pilot.pause()


def phase_paint(args: dict[str, Any]) -> dict[str, Any]:
    """Process start to the first paint: of anything (minimal app) or of the list's rows."""
    import asyncio

    start = args["start"]  # time.time() in the parent just before this process was started
    imported = time.time()
    app = _minimal_app() if args["app"] == "minimal" else _reader(args["home"])
    built = time.time()
    clock = PaintClock(app)
    if args["app"] != "minimal":
        clock.watch_results(app.main_screen)
    out: dict[str, Any] = {}

    async def main() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            if args["app"] == "minimal":
                await _wait(pilot, lambda: bool(clock.paints), "the first paint")
                first = clock.paints[0]
            else:
                screen = app.main_screen

                def rows_painted() -> float | None:
                    for when, _, total in clock.shown:
                        if total > 0:
                            return clock.paint_after(when)
                    return None

                await _wait(pilot, lambda: rows_painted() is not None, "the paper list")
                first = rows_painted()
                out["rows"] = screen.paper_list.total
                out["first_any_paint_s"] = clock.paints[0] - start
            out["first_paint_s"] = first - start  # type: ignore[operator]

    asyncio.run(main())
    if args["app"] != "minimal":
        app.close()
    out.update(
        {
            "python_start_s": imported - start,
            "app_built_s": built - start,
            "peak_rss_mb": peak_rss_mb(),
        }
    )
    return out


def phase_keys(args: dict[str, Any]) -> dict[str, Any]:
    """Keystroke in the search bar to the updated list on screen, through Pilot."""
    import asyncio

    from workload import build

    # A small sample of the corpus is enough for the words typed, and keeps this
    # process's peak memory the reader's own.
    work = build(Path(args["corpus"]), 10, args["seed"], sample=200)
    wanted = args["keystrokes"]
    texts: list[str] = []
    for text in work.typing:
        if sum(len(t) for t in texts) >= wanted:
            break
        texts.append(text[: wanted - sum(len(t) for t in texts)])
    app = _reader(args["home"])
    clock = PaintClock(app, probe=lambda: app.main_screen.search_input.value)
    clock.watch_results(app.main_screen)
    latencies: list[float] = []
    echoes: list[float] = []
    totals: list[int] = []
    each: list[tuple[str, float, int]] = []  # (search bar text, ms, hits)

    async def main() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            screen = app.main_screen
            await _wait(pilot, lambda: bool(clock.shown) and clock.paints[-1] >= clock.shown[0][0],
                        "the paper list")  # fmt: skip
            for text in texts:
                await pilot.press("slash")
                typed = ""
                for char in text:
                    typed += char
                    seen = len(clock.shown)
                    t0 = time.time()
                    await pilot.press("space" if char == " " else char)
                    if screen.search_input.value != typed:
                        raise RuntimeError(f"search bar shows {screen.search_input.value!r}, typed {typed!r}")
                    await _wait(pilot, lambda t0=t0, typed=typed: any(
                        when >= t0 and value == typed for when, value in clock.probed
                    ), f"the echo of {typed!r}")  # fmt: skip
                    echoes.append(next(w for w, v in clock.probed if w >= t0 and v == typed) - t0)

                    def updated(seen: int = seen, typed: str = typed) -> bool:
                        for when, query, _ in clock.shown[seen:]:
                            if query == typed and clock.paint_after(when) is not None:
                                return True
                        return False

                    await _wait(pilot, updated, f"results for {typed!r}")
                    when, _, total = next(s for s in clock.shown[seen:] if s[1] == typed)
                    latencies.append(clock.paint_after(when) - t0)  # type: ignore[operator]
                    totals.append(total)
                    each.append((typed, latencies[-1] * 1000.0, total))
                seen = len(clock.shown)
                await pilot.press("escape")  # clears the search and goes back to the list
                await _wait(pilot, lambda seen=seen: any(q == "" for _, q, _ in clock.shown[seen:]),
                            "the cleared list")  # fmt: skip

    asyncio.run(main())
    app.close()
    return {
        "keystrokes": len(latencies),
        "typed": texts,
        "median_ms": percentile(latencies, 50) * 1000.0,
        "p95_ms": percentile(latencies, 95) * 1000.0,
        "max_ms": max(latencies) * 1000.0,
        "echo_median_ms": percentile(echoes, 50) * 1000.0,
        "echo_p95_ms": percentile(echoes, 95) * 1000.0,
        "peak_rss_mb": peak_rss_mb(),
        "median_hits": sorted(totals)[len(totals) // 2],
        "each": each,
    }


# ---------------------------------------------------------------- import visible in the reader


def phase_visible(args: dict[str, Any]) -> dict[str, Any]:
    """Start ``absreader import FILE`` and time until the reader's list call returns papers."""
    import subprocess

    from absreader.core.catalog import Catalog, ListSpec

    paths = _paths(args["home"])
    env = dict(os.environ, ABSREADER_HOME=args["home"])
    log = Path(args["home"]) / "import.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "absreader", "import", args["corpus"]],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        catalog = None
        visible = None
        papers = 0
        polls = 0
        try:
            while time.perf_counter() - t0 < args.get("timeout", 600):
                finished = proc.poll() is not None
                if catalog is None and paths.library_file.exists():
                    try:
                        catalog = Catalog.open(paths)
                    except Exception:  # noqa: BLE001 - still being created by the importer
                        catalog = None
                if catalog is not None:
                    try:
                        polls += 1
                        page = catalog.page("", ListSpec())
                    except Exception:  # noqa: BLE001 - a locked or half-made library: try again
                        page = None
                    if page is not None and page.keys:
                        visible = time.perf_counter() - t0
                        papers = page.library_total
                        break
                if finished:
                    break
                time.sleep(0.02)
        finally:
            still_running = proc.poll() is None
            if still_running:
                proc.terminate()  # our own child: the rest of the import is not measured
            proc.wait(timeout=60)
            if catalog is not None:
                catalog.close()
    if visible is None:
        tail = log.read_text(errors="replace")[-500:]
        raise RuntimeError(f"no papers became visible (import exit {proc.returncode}): {tail}")
    return {
        "visible_s": visible,
        "papers_visible": papers,
        "polls": polls,
        "import_still_running": still_running,
    }


PHASES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "import": phase_import,
    "tag": phase_tag,
    "index": phase_index,
    "index_child": phase_index_child,
    "later": phase_later,
    "queries": phase_queries,
    "paint": phase_paint,
    "keys": phase_keys,
    "visible": phase_visible,
    "concurrent": lambda args: __import__("concurrent_import").measure(Path(args["corpus"]), Path(args["home"])),
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in PHASES:
        print(f"usage: phases.py {{{','.join(PHASES)}}} JSON-ARGS", file=sys.stderr)
        return 2
    result = PHASES[argv[0]](json.loads(argv[1]))
    sys.stdout.write(MARK + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
