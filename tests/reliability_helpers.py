"""Shared tools for the ``test_reliability_*`` modules: children, kills, damage, checks.

Plain functions (no fixtures): the slow shared things, the imported sample
library and a big generated file, are made once per test run and copied.

Nothing here waits by sleeping. A child process reports on stdout, one flushed
line per committed step; the parent reads those lines and acts (kills, starts a
rival) after the Nth. Every read of a child's output has a deadline, so a hung
child fails the test instead of hanging CI.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from absreader.core.library import Library
from absreader.paths import Paths, get_paths

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
DEADLINE = 120.0

# ----------------------------------------------------------------------------- paths and state


def paths_of(home: Path) -> Paths:
    return get_paths({"ABSREADER_HOME": str(home)})


def open_library(home: Path) -> Library:
    return Library.open(paths_of(home).library_file, create=False)


def integrity(home: Path) -> str:
    conn = sqlite3.connect(paths_of(home).library_file)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def index_state(home: Path) -> str:
    from absreader.core.search.index import SearchIndex

    index = SearchIndex(paths_of(home).index_dir)
    try:
        return index.state()
    finally:
        with contextlib.suppress(Exception):
            index.close()


def personal_data(home: Path) -> dict[str, object]:
    """Everything a user made by hand: must survive every fault."""
    with open_library(home) as lib:
        papers = {
            p.key: (p.bookmarked, p.read, p.note, tuple(sorted(p.tags)))
            for p in lib.iter_papers()
            if p.bookmarked or p.read or p.note or p.tags
        }
        return {
            "papers": papers,
            "tags": [(t.name, t.count) for t in lib.tags()],
            "saved": [(s.name, s.query) for s in lib.saved_searches()],
        }


def assert_kept(home: Path, before: dict[str, object]) -> None:
    """Every piece of personal data in ``before`` is still there, unchanged."""
    now = personal_data(home)
    papers = now["papers"]
    for key, value in before["papers"].items():  # type: ignore[union-attr]
        assert papers.get(key) == value, (key, value, papers.get(key))  # type: ignore[union-attr]
    counts = dict(now["tags"])  # type: ignore[arg-type]
    for name, count in before["tags"]:  # type: ignore[union-attr]
        assert counts.get(name, 0) >= count, (name, count, counts.get(name))
    assert now["saved"] == before["saved"]


def bookmarked(data: dict[str, object]) -> set[str]:
    return {key for key, (mark, *_rest) in data["papers"].items() if mark}  # type: ignore[union-attr]


def decorate(home: Path) -> dict[str, object]:
    """Give a spread of papers bookmarks, tags, notes and read marks; return the result."""
    with open_library(home) as lib:
        keys = lib.list_keys()
        for key in keys[:7]:
            lib.set_bookmarked(key)
        for key in keys[5:12]:
            lib.add_tags(key, ["keep", "Reading List"])
        for key in keys[10:15]:
            lib.set_read(key)
        lib.set_note(keys[0], "my own note\nsecond line")
        lib.save_search("mine", "vision transformer")
    return personal_data(home)


# ----------------------------------------------------------------------------- generated data


def paper_id(i: int) -> str:
    return f"1912.{i:05d}"


def write_jsonl(path: Path, count: int, start: int = 0, *, word: str = "lorem") -> list[str]:
    """A Kaggle-snapshot-shaped JSON Lines file of ``count`` papers; returns their ids."""
    ids = []
    with path.open("w", encoding="utf-8") as out:
        for i in range(start, start + count):
            ids.append(paper_id(i))
            out.write(
                json.dumps(
                    {
                        "id": paper_id(i),
                        "title": f"Generated paper number {i} about {word}",
                        "abstract": f"We study {word} problem {i}. " + "Filler words here. " * 20,
                        "authors": "Ada Lovelace and Alan Turing",
                        "categories": "cs.LG cs.AI",
                        "update_date": "2024-01-15",
                    }
                )
                + "\n"
            )
    return ids


# ----------------------------------------------------------------------------- processes


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, ABSREADER_HOME=str(home), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def cli_process(home: Path, *args: str, timeout: float = DEADLINE, **kw: object):
    """``python -m absreader ARGS`` in a real subprocess; fails (not hangs) past ``timeout``."""
    return subprocess.run(
        [sys.executable, "-m", "absreader", *map(str, args)],
        capture_output=True, text=True, env=env_for(home), timeout=timeout, **kw,
    )  # fmt: skip


class Child:
    """A Python child process that reports progress as lines on stdout.

    A thread drains stdout into a queue, so every read has a deadline and a
    line the kill cut short (no newline yet) is never taken for a report.
    """

    def __init__(
        self, home: Path, script: str, *args: str, env: dict[str, str] | None = None
    ) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script, *map(str, args)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env_for(home, **(env or {})),
        )  # fmt: skip
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._err: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()
        self._err_thread = threading.Thread(target=self._drain_err, daemon=True)
        self._err_thread.start()

    def _drain(self) -> None:
        for line in self.proc.stdout:
            if line.endswith("\n"):
                self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _drain_err(self) -> None:
        self._err.append(self.proc.stderr.read())

    def readline(self, deadline: float = DEADLINE) -> str | None:
        """The next whole line (None at end of output); fails the test after ``deadline``."""
        try:
            line = self._queue.get(timeout=deadline)
        except queue.Empty:
            self.kill()
            pytest.fail(f"the child said nothing for {deadline:.0f}s; stderr:\n{self.stderr()}")
        if line is None:
            self._queue.put(None)  # stay at the end
            return None
        self.lines.append(line)
        return line

    def wait_for(self, prefix: str, count: int = 1, deadline: float = DEADLINE) -> list[str]:
        """Read until ``count`` lines starting with ``prefix`` have come; return them."""
        seen = [line for line in self.lines if line.startswith(prefix)]
        end = time.monotonic() + deadline
        while len(seen) < count:
            line = self.readline(max(0.1, end - time.monotonic()))
            if line is None:
                self.proc.wait(timeout=DEADLINE)
                pytest.fail(
                    f"the child ended after {len(seen)} {prefix!r} lines (wanted {count}); "
                    f"last output: {self.lines[-5:]}; stderr:\n{self.stderr()}"
                )
            if line.startswith(prefix):
                seen.append(line)
        return seen

    def send(self, text: str) -> None:
        """A line to the child's stdin (nothing, if it has already finished)."""
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.write(text + "\n")
            self.proc.stdin.flush()

    def sigkill(self) -> list[str]:
        """SIGKILL now; return every whole line it had written before dying."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=DEADLINE)
        while self.readline(DEADLINE) is not None:
            pass
        assert self.proc.returncode == -signal.SIGKILL, (self.proc.returncode, self.stderr())
        return self.lines

    def finish(self, deadline: float = DEADLINE) -> list[str]:
        """Wait for a clean exit; return every line."""
        while self.readline(deadline) is not None:
            pass
        self.proc.wait(timeout=deadline)
        err = self.stderr()
        assert self.proc.returncode == 0, err
        assert "Traceback" not in err, err
        return self.lines

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE)

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        self._err_thread.join(timeout=10)
        return "".join(self._err)

    def close(self) -> None:
        self.kill()
        with contextlib.suppress(Exception):
            self.proc.stdin.close()


# What the reader's first run and the CLI's import, reindex and sync do, step by step.
# Batches, segments and progress steps are made smaller than the defaults, so a
# file of 3,000 papers gives six import transactions and an index build that has
# committed segments behind it and more to write when the kill comes.
WORKER = r"""
import os, sys
from pathlib import Path
import absreader.core.importer, absreader.core.search.index
absreader.core.importer.BATCH_SIZE = 500
absreader.core.search.index.FIRST_SEGMENT = 500
absreader.core.search.index.SEGMENT_SIZE = 1000
absreader.core.search.index.PROGRESS_EVERY = 100
if os.environ.get("UPDATE_ONLY"):  # take a big import in by updating, never by a rebuild
    import absreader.core.indexed
    absreader.core.indexed.REBUILD_MIN_CHANGED = 10**9
from absreader.paths import get_paths
from absreader.core.catalog import Catalog
from absreader.core.importer import ImportOptions, ImportProgress
from absreader.core.search.index import IndexProgress
from absreader.core.models import ImportReport, Record

mode, args = sys.argv[1], sys.argv[2:]
if os.environ.get("BARRIER"):  # start together with a rival: "ready" out, then a line in
    print("ready", flush=True)
    sys.stdin.readline()
catalog = Catalog.open(get_paths())
print("open", flush=True)
if mode == "first-run":
    assert catalog.needs_first_run()
    events = catalog.first_run([Path(a) for a in args])
elif mode == "import":
    events = catalog.import_paths([Path(a) for a in args], ImportOptions(tags=("imported",)))
elif mode == "add":  # one paper, straight into the library
    catalog.library.upsert([Record(source="rival", line=1, title=args[0], abstract=args[0])])
    events = []
elif mode == "reindex":
    events = catalog.rebuild_index()
elif mode == "list-then-sync":  # what the reader does on start: list, then sync
    print("listed", catalog.page().total, flush=True)
    events = catalog.sync_index()
else:
    events = catalog.sync_index()
for event in events:
    if isinstance(event, ImportProgress):
        print("batch", event.records, event.added, event.merged, flush=True)
    elif isinstance(event, ImportReport):
        print("report", event.added, event.merged, event.error, flush=True)
    elif isinstance(event, IndexProgress):
        print("index", event.phase, event.done, event.total, flush=True)
    if os.environ.get("STEP"):  # wait for the parent after each step
        sys.stdin.readline()
catalog.close()
print("done", flush=True)
"""

# ----------------------------------------------------------------------------- read-only folders


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` and its files unwritable, for root too (chattr +i where modes don't bind)."""
    files = [p for p in folder.iterdir() if p.is_file()]
    modes = {p: p.stat().st_mode for p in [folder, *files]}
    for path in files:
        path.chmod(0o444)
    folder.chmod(0o555)
    immutable: list[Path] = []
    try:
        if os.access(folder, os.W_OK):  # root: permission bits do not apply
            chattr = shutil.which("chattr")
            for path in [*files, folder]:
                if (
                    chattr
                    and subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode
                    == 0
                ):
                    immutable.append(path)
            if folder not in immutable:
                pytest.skip("cannot make a read-only folder as this user on this file system")
        yield
    finally:
        for path in immutable:
            subprocess.run([shutil.which("chattr") or "chattr", "-i", str(path)], check=True)
        for path, mode in modes.items():
            path.chmod(mode)


# ----------------------------------------------------------------------------- shared data

_CACHE: dict[str, object] = {}


def _scratch() -> Path:
    if "scratch" not in _CACHE:
        folder = Path(tempfile.mkdtemp(prefix="absreader-reliability-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _CACHE["scratch"] = folder
    return _CACHE["scratch"]  # type: ignore[return-value]


def sample_template() -> Path:
    """The sample data imported and indexed once per test run (through the real CLI)."""
    if "template" not in _CACHE:
        home = _scratch() / "sample-home"
        done = cli_process(home, "import", str(SAMPLE))
        assert done.returncode == 0, done.stderr
        _CACHE["template"] = home
    return _CACHE["template"]  # type: ignore[return-value]


def copy_sample(home: Path) -> Path:
    """A private copy of the imported, indexed sample library at ``home``."""
    shutil.copytree(sample_template(), home)
    return home


BIG = 3_000


def big_jsonl() -> tuple[Path, list[str]]:
    """Three thousand generated papers (children shrink batches and segments to match)."""
    if "big" not in _CACHE:
        path = _scratch() / "big.jsonl"
        _CACHE["big"] = (path, write_jsonl(path, BIG))
    return _CACHE["big"]  # type: ignore[return-value]


def big_template() -> Path:
    """The sample plus the generated papers (tagged "imported"), imported and indexed once."""
    if "big-home" not in _CACHE:
        home = _scratch() / "big-home"
        shutil.copytree(sample_template(), home)
        done = cli_process(home, "import", big_jsonl()[0], "--tag", "imported")
        assert done.returncode == 0, done.stderr
        _CACHE["big-home"] = home
    return _CACHE["big-home"]  # type: ignore[return-value]


def copy_big(home: Path) -> Path:
    shutil.copytree(big_template(), home)
    return home
