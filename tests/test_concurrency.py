"""Two processes writing at once, and a SIGKILL in the middle of a burst of writes.

Every child here is a real process on the same ABSREADER_HOME. Nothing waits
by sleeping: children report on stdout (flushed) and the parent reads those
lines; a start barrier ("ready" out, "go" in) makes the writers overlap.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from absreader.core.library import Library
from absreader.paths import get_paths
from tests.conftest import run_cli_process

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and pipes")

# A writer: waits for "go" on stdin, then makes one change per call, reporting each commit.
WRITER = r"""
import json, sys
from absreader.paths import get_paths
from absreader.core.catalog import Catalog

via, action, keys = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
catalog = Catalog.open(get_paths())
target = catalog if via == "catalog" else catalog.library
print("ready", flush=True)
if sys.stdin.readline().strip() != "go":
    raise SystemExit("no go")
for i, key in enumerate(keys):
    if action == "bookmark":
        target.set_bookmarked(key, True)
    else:
        target.add_tags(key, [action])
    print(key, flush=True)
catalog.close()
print("done", flush=True)
"""

# A reader-like process: one long-lived Catalog, like an open reader window. It tags the
# paper again and again until told to stop, so its writes span the other process's.
READER = r"""
import json, select, sys
from absreader.paths import get_paths
from absreader.core.catalog import Catalog, ListSpec

key = sys.argv[1]
catalog = Catalog.open(get_paths())
for _ in catalog.sync_index():
    pass
catalog.page("tag:c0")  # a searcher is open before the other process writes
print("ready", flush=True)
if sys.stdin.readline().strip() != "go":
    raise SystemExit("no go")
i = 0
while not select.select([sys.stdin], [], [], 0)[0]:
    catalog.add_tags(key, [f"r{i:03d}"])
    print(f"r{i:03d}", flush=True)
    i += 1
if sys.stdin.readline().strip() != "stop":
    raise SystemExit("no stop")
print("stopped", i, flush=True)
if sys.stdin.readline().strip() != "refresh":
    raise SystemExit("no refresh")
for _ in catalog.sync_index():  # what the reader does on refresh
    pass
lists = catalog.lists()
print(json.dumps({
    "tags": list(catalog.paper(key).tags),
    "tag_counts": {t.name: t.count for t in lists.tags},
    "search": catalog.page("tag:c0").keys,
    "listed": catalog.page(spec=ListSpec("tag", "c1")).keys,
}), flush=True)
catalog.close()
"""

# Bookmarks every key in order, then tags papers forever; reports each commit.
BURST = r"""
import sys, json
from absreader.paths import get_paths
from absreader.core.catalog import Catalog

via, keys = sys.argv[1], json.loads(sys.argv[2])
catalog = Catalog.open(get_paths())
target = catalog if via == "catalog" else catalog.library
for key in keys:
    target.set_bookmarked(key, True)
    print("b", key, flush=True)
i = 0
while True:
    key, tag = keys[i % len(keys)], f"burst{i // len(keys)}"
    target.add_tags(key, [tag])
    print("t", key, tag, flush=True)
    i += 1
"""


def child(home: Path, script: str, *args: str) -> subprocess.Popen:
    """Start ``python -c script``: stdin and stdout are pipes, stderr goes to a file.

    Read stdout only through ``proc.stdout`` (its buffer may already hold lines that
    ``communicate()`` would never see); ``errors(proc)`` gives stderr.
    """
    env = dict(os.environ, ABSREADER_HOME=str(home))
    fd, err_path = tempfile.mkstemp(prefix="child-", suffix=".err", dir=home.parent)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", script, *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=fd, text=True, env=env,
        )
    finally:
        os.close(fd)  # the child has its own copy
    proc.err_path = err_path  # type: ignore[attr-defined]
    return proc


def errors(proc: subprocess.Popen) -> str:
    return Path(proc.err_path).read_text(encoding="utf-8", errors="replace")  # type: ignore[attr-defined]


def send(proc: subprocess.Popen, line: str) -> None:
    proc.stdin.write(line + "\n")
    proc.stdin.flush()


def expect_line(proc: subprocess.Popen, wanted: str) -> None:
    line = proc.stdout.readline().strip()
    if line != wanted:
        proc.kill()
        proc.wait()
        pytest.fail(f"child said {line!r}, expected {wanted!r}; stderr:\n{errors(proc)}")


def rest_of_output(proc: subprocess.Popen, timeout: float = 120) -> str:
    """Everything the child writes until it exits (it must exit by itself or be killed)."""
    proc.stdin.close()
    out = proc.stdout.read()
    proc.wait(timeout=timeout)
    return out


def finish(proc: subprocess.Popen) -> str:
    out = rest_of_output(proc)
    err = errors(proc)
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
    return out


def library(home: Path) -> Library:
    return Library.open(get_paths({"ABSREADER_HOME": str(home)}).library_file, create=False)


def all_keys(home: Path) -> list[str]:
    with library(home) as lib:
        return lib.list_keys()


def integrity(home: Path) -> str:
    conn = sqlite3.connect(get_paths({"ABSREADER_HOME": str(home)}).library_file)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def search(home: Path, query: str) -> set[str]:
    done = run_cli_process(home, "search", query, "--limit", "1000", "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["total"] == len(found["results"])
    return {p["key"] for p in found["results"]}


# ----------------------------------------------------------------------------- two writers


@pytest.mark.parametrize(
    ("via", "action", "per_process"),
    [
        ("library", "bookmark", 300),  # the store of record alone: 600 commits
        ("library", "shared", 300),  # 600 papers onto one new tag, raced creation
        ("catalog", "bookmark", 25),  # library and index together, as the reader does
    ],
)
def test_two_processes_writing_at_once_keep_every_change(
    sample_home: Path, via: str, action: str, per_process: int
) -> None:
    keys = all_keys(sample_home)
    assert len(keys) >= 2 * per_process
    halves = [keys[:per_process], keys[per_process : 2 * per_process]]
    procs = [child(sample_home, WRITER, via, action, json.dumps(half)) for half in halves]
    for proc in procs:
        expect_line(proc, "ready")
    for proc in procs:  # both are open and waiting: release them together
        send(proc, "go")
    outputs = [finish(proc) for proc in procs]
    for out, half in zip(outputs, halves, strict=True):
        assert out.split() == [*half, "done"]

    wanted = set(halves[0]) | set(halves[1])
    assert len(wanted) == 2 * per_process
    with library(sample_home) as lib:
        if action == "bookmark":
            assert set(lib.list_keys(bookmarked=True)) == wanted
        else:
            assert set(lib.list_keys(tags=[action])) == wanted
            assert [(t.name, t.count) for t in lib.tags()] == [(action, 2 * per_process)]
    assert integrity(sample_home) == "ok"
    if via == "catalog":  # both processes updated the index too: it holds every change
        assert search(sample_home, "is:bookmarked") == wanted


def test_reader_and_cli_tagging_the_same_paper_keep_both(sample_home: Path) -> None:
    key = all_keys(sample_home)[0]
    reader = child(sample_home, READER, key)
    expect_line(reader, "ready")
    send(reader, "go")
    expect_line(reader, "r000")  # the reader is writing ...
    env = dict(os.environ, ABSREADER_HOME=str(sample_home))
    clis = [
        subprocess.Popen(
            [sys.executable, "-m", "absreader", "tag", key, f"c{i}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for i in range(3)
    ]
    for cli in clis:  # ... all the while the four CLI commands run
        out, err = cli.communicate(timeout=120)
        assert cli.returncode == 0, err
        assert "Traceback" not in err
    send(reader, "stop")
    count = 1
    while (line := reader.stdout.readline().strip()) != f"stopped {count}":
        assert line == f"r{count:03d}", (line, errors(reader))
        count += 1
    send(reader, "refresh")
    seen = json.loads(finish(reader).strip())

    reader_tags = {f"r{i:03d}" for i in range(count)}
    cli_tags = {f"c{i}" for i in range(3)}
    assert set(seen["tags"]) == reader_tags | cli_tags  # the reader sees the CLI's tags
    assert all(seen["tag_counts"][t] == 1 for t in reader_tags | cli_tags)
    assert seen["search"] == [key] and seen["listed"] == [key]
    shown = run_cli_process(sample_home, "show", key, "--json")  # and the CLI the reader's
    assert shown.returncode == 0, shown.stderr
    assert set(json.loads(shown.stdout)["tags"]) == reader_tags | cli_tags
    assert search(sample_home, "tag:c2") == {key}


# ----------------------------------------------------------------------------- SIGKILL


# Kill after this many reported commits (a catalog write also updates the index: slower).
@pytest.mark.parametrize(("via", "kill_after"), [("library", 100), ("catalog", 15)])
def test_sigkill_mid_burst_loses_nothing_committed(sample_home: Path, via: str, kill_after: int) -> None:
    keys = all_keys(sample_home)
    proc = child(sample_home, BURST, via, json.dumps(keys))
    reported: list[list[str]] = []
    while len(reported) < kill_after:
        line = proc.stdout.readline()
        if not line:
            proc.wait()
            pytest.fail(f"the writer stopped early:\n{errors(proc)}")
        reported.append(line.split())
    os.kill(proc.pid, signal.SIGKILL)
    rest = rest_of_output(proc)  # lines already written (read ahead or in the pipe) count too
    assert proc.returncode == -signal.SIGKILL
    # A line the kill cut short (no newline yet) is not a report.
    reported += [line.split() for line in rest.splitlines(keepends=True) if line.endswith("\n")]
    bookmarked = [r[1] for r in reported if r[0] == "b"]
    tagged = [(r[1], r[2]) for r in reported if r[0] == "t"]
    assert bookmarked == keys[: len(bookmarked)]

    assert integrity(sample_home) == "ok"
    with library(sample_home) as lib:  # the database opens
        stored = lib.list_keys(bookmarked=True)
        assert set(bookmarked) <= set(stored)
        # Only the one write in flight when the kill came may be there unreported.
        if len(bookmarked) < len(keys):
            assert set(stored) <= set(keys[: len(bookmarked) + 1])
        for key, tag in tagged:
            assert tag in lib.require(key).tags
        lib.set_read(keys[0], True)  # and takes writes again
        assert lib.require(keys[0]).read

    if via == "catalog":  # the index, maybe caught mid-update, still answers from the library
        assert search(sample_home, "is:bookmarked") == set(stored)
