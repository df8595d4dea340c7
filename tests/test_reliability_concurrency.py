"""Two processes at once: importing while tagging, the same import twice, two first starts.

test_concurrency.py has two writers bookmarking and tagging, and a reader and
CLIs tagging one paper; this module adds imports to the mix and the race of two
instances starting on an empty cache (or an empty data folder). Children are
real processes; they start together through a barrier ("ready" out, a line
in) and report each step on stdout, so nothing here waits by sleeping.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.register_assert_rewrite("reliability_helpers")
from reliability_helpers import (  # noqa: E402
    BIG,
    WORKER,
    Child,
    big_jsonl,
    cli_process,
    copy_sample,
    env_for,
    index_state,
    integrity,
    open_library,
    paths_of,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes and locks")

# Tags and bookmarks the given papers through the catalog (library, then index), one by one.
TAGGER = r"""
import json, sys
from absreader.paths import get_paths
from absreader.core.catalog import Catalog

keys = json.loads(sys.argv[1])
catalog = Catalog.open(get_paths())
print("ready", flush=True)
sys.stdin.readline()
for i, key in enumerate(keys):
    catalog.add_tags(key, ["mine"])
    if i % 3 == 0:
        catalog.set_bookmarked(key, True)
    print("tagged", key, flush=True)
catalog.close()
print("done", flush=True)
"""


def search(home: Path, query: str, limit: int = 200) -> tuple[int, set[str]]:
    done = cli_process(home, "search", query, "--limit", str(limit), "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    return found["total"], {p["key"] for p in found["results"]}


def index_docs(home: Path) -> int:
    from absreader.core.search.index import SearchIndex

    index = SearchIndex(paths_of(home).index_dir)
    try:
        return index.doc_count()
    finally:
        index.close()


def test_importing_and_tagging_at_once_keeps_both(tmp_path: Path) -> None:
    home = copy_sample(tmp_path / "home")
    big, ids = big_jsonl()
    with open_library(home) as lib:
        sample_keys = lib.list_keys()[:50]
    mine = sample_keys + ids[:100]  # the generated ones exist once the first batch is in
    importer = Child(home, WORKER, "import", big)
    tagger = Child(home, TAGGER, json.dumps(mine))
    try:
        tagger.wait_for("ready")
        importer.wait_for("batch", 1)
        tagger.send("go")  # tag while the other five batches and the index update go on
        importer.finish()
        tagger.finish()
    finally:
        importer.close()
        tagger.close()
    assert [line.split()[1] for line in tagger.lines if line.startswith("tagged")] == mine
    assert integrity(home) == "ok"
    with open_library(home) as lib:
        assert lib.count() == 650 + BIG
        assert set(lib.list_keys(tags=["imported"])) == set(ids)
        assert set(lib.list_keys(tags=["mine"])) == set(mine)
        assert set(lib.list_keys(bookmarked=True)) == set(mine[::3])
    # The next search catches the index up with whatever the two left behind.
    assert search(home, "tag:mine") == (len(mine), set(mine))
    assert search(home, "is:bookmarked") == (len(mine[::3]), set(mine[::3]))
    assert search(home, "tag:imported", limit=1)[0] == BIG
    assert index_docs(home) == 650 + BIG


def test_the_same_import_twice_at_once_adds_each_paper_once(tmp_path: Path) -> None:
    home = copy_sample(tmp_path / "home")
    big, ids = big_jsonl()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "absreader", "import", str(big), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env_for(home),
        )  # fmt: skip
        for _ in range(2)
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        reports += json.loads(out)
    assert sum(r["added"] for r in reports) == BIG  # each paper added by exactly one of them
    assert all(r["records"] == BIG and not r["error"] for r in reports)
    assert integrity(home) == "ok"
    with open_library(home) as lib:
        assert lib.count() == 650 + BIG
    assert index_state(home) == "ok"
    assert index_docs(home) == 650 + BIG
    assert search(home, "generated paper number 1234", limit=1)[1] == {"1912.01234"}


@pytest.mark.parametrize("together", [True, False], ids=["released-together", "second-mid-build"])
def test_two_instances_on_an_empty_cache_build_the_index_once(
    tmp_path: Path, together: bool
) -> None:
    home = copy_sample(tmp_path / "home")
    shutil.rmtree(paths_of(home).cache_dir)
    env = {"BARRIER": "1"} if together else {"BARRIER": "1", "STEP": "1"}
    first = Child(home, WORKER, "list-then-sync", env=env)
    second = Child(home, WORKER, "list-then-sync", env={"BARRIER": "1"})
    try:
        for child in (first, second):
            child.wait_for("ready")
        if together:
            first.send("go")
            second.send("go")
            outs = [first.finish(), second.finish()]
        else:
            first.send("go")
            first.wait_for("index indexing", 1)  # building, holding the lock, paused
            second.send("go")
            # The second reads the library at once, while the first is mid-build...
            assert second.wait_for("listed") == ["listed 650"]
            while first.proc.poll() is None and "done" not in first.lines:
                first.send("go")  # ...then the first finishes its build, step by step
                if first.readline() is None:
                    break
            outs = [first.finish(), second.finish()]
    finally:
        first.close()
        second.close()
    for out in outs:
        assert "listed 650" in out and out[-1] == "done"
    builders = [out for out in outs if any(line.startswith("index indexing") for line in out)]
    assert len(builders) == 1, outs  # one built; the other waited and found it done
    if not together:
        assert builders[0] is outs[0]
    index_dir = paths_of(home).index_dir
    assert (index_dir / "CURRENT").read_text().strip() == "g000001"  # exactly one build
    assert sorted(p.name for p in index_dir.iterdir()) == ["CURRENT", "g000001"]
    assert index_state(home) == "ok"
    assert index_docs(home) == 650


def test_two_instances_creating_the_library_at_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    children = [
        Child(home, WORKER, "add", f"Paper from rival {i}", env={"BARRIER": "1"}) for i in range(2)
    ]
    try:
        for child in children:
            child.wait_for("ready")
        for child in children:
            child.send("go")
        for child in children:
            assert child.finish() == ["ready", "open", "done"]
    finally:
        for child in children:
            child.close()
    assert integrity(home) == "ok"
    with open_library(home) as lib:
        titles = sorted(p.title for p in lib.iter_papers())
    assert titles == ["Paper from rival 0", "Paper from rival 1"]
    # Only the library and SQLite's own files: no half-made library left beside it.
    data = paths_of(home).data_dir
    assert [n for n in os.listdir(data) if not n.startswith("library.sqlite3")] == []
