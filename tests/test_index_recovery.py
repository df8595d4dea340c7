"""The index survives being killed, damaged, deleted or built twice at once."""

from __future__ import annotations

import fcntl
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from absreader.core.models import Paper
from absreader.core.search import index as index_module
from absreader.core.search.index import IndexUnavailable, SearchIndex
from test_index_support import sample_papers, with_personal

TESTS = Path(__file__).resolve().parent

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from test_index_support import synthetic_papers
    from absreader.core.search import index as m
    m.FIRST_SEGMENT = 300
    m.SEGMENT_SIZE = 300
    m.PROGRESS_EVERY = 100
    papers = synthetic_papers({count})
    index = m.SearchIndex(Path(sys.argv[1]))
    print("start", 0, flush=True)
    for step in index.build(iter(papers), len(papers), seq=7):
        print(step.phase, step.done, flush=True)
    """
)


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return with_personal(sample_papers())


def build(index: SearchIndex, papers: list[Paper], seq: int = 1) -> None:
    for _ in index.build(iter(papers), len(papers), seq=seq):
        pass


def kill_build_at(index_dir: Path, phase: str, done: int, count: int) -> None:
    """Run a build in a child process and SIGKILL it once it reports ``phase``/``done``."""
    code = CHILD.format(tests=str(TESTS), count=count)
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(index_dir)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    seen = []
    try:
        for line in proc.stdout:  # blocks until the child reports: no sleeping
            seen.append(line.split())
            name, number = seen[-1]
            if name == phase and int(number) >= done:
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.wait(timeout=120)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL, seen[-3:]


@pytest.mark.parametrize(
    ("phase", "done", "count"), [("indexing", 700, 6000), ("optimising", 0, 1500)]
)
def test_killed_first_build_is_detected_and_redone(
    tmp_path: Path, papers: list[Paper], phase: str, done: int, count: int
) -> None:
    index_dir = tmp_path / "cache" / "index"
    kill_build_at(index_dir, phase, done, count)
    index = SearchIndex(index_dir)
    assert index.state() == "incomplete"
    assert index.synced_seq == 0
    assert list(index_dir.glob("*.new")), "the killed build's directory is still there"
    build(index, papers, seq=3)
    assert index.state() == "ok"
    assert index.doc_count() == len(papers)
    assert not list(index_dir.glob("*.new")), "the next build cleans up after the killed one"
    assert index.search("unlearning").total > 0


def test_killed_rebuild_leaves_the_live_index_alone(tmp_path: Path, papers: list[Paper]) -> None:
    index_dir = tmp_path / "cache" / "index"
    index = SearchIndex(index_dir)
    build(index, papers, seq=5)
    before = index.search("unlearning", limit=1000)
    kill_build_at(index_dir, "indexing", 400, 6000)
    again = SearchIndex(index_dir)
    assert again.state() == "ok"
    assert again.synced_seq == 5
    assert again.doc_count() == len(papers)
    assert [h.key for h in again.search("unlearning", limit=1000).hits] == [
        h.key for h in before.hits
    ]
    build(again, papers[:50], seq=6)
    assert again.doc_count() == 50
    assert not list(index_dir.glob("*.new"))


def test_cancelled_build_leaves_nothing_behind(tmp_path: Path, papers: list[Paper]) -> None:
    index_dir = tmp_path / "index"
    index = SearchIndex(index_dir)
    build(index, papers[:100], seq=1)
    steps = index.build(iter(papers), len(papers), seq=2)
    next(steps)
    steps.close()
    assert index.state() == "ok"
    assert index.doc_count() == 100
    assert not list(index_dir.glob("*.new"))


def test_rebuild_after_deleting_the_directory(tmp_path: Path, papers: list[Paper]) -> None:
    index_dir = tmp_path / "cache" / "index"
    index = SearchIndex(index_dir)
    build(index, papers)
    tagged = {h.key for h in index.search('tag:"to read"', limit=1000).hits}
    bookmarked = {h.key for h in index.search("is:bookmarked", limit=1000).hits}
    shutil.rmtree(tmp_path / "cache")
    assert index.state() == "missing"
    with pytest.raises(IndexUnavailable) as err:
        index.search("unlearning")
    assert err.value.state == "missing"
    build(index, papers)
    assert index.state() == "ok"
    assert {h.key for h in index.search('tag:"to read"', limit=1000).hits} == tagged
    assert {h.key for h in index.search("is:bookmarked", limit=1000).hits} == bookmarked


def _live(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text().strip()


@pytest.mark.parametrize("damage", ["toc", "meta", "missing-segment-file", "trm-garbage"])
def test_damaged_index_reports_corrupt(tmp_path: Path, papers: list[Paper], damage: str) -> None:
    index_dir = tmp_path / "index"
    index = SearchIndex(index_dir)
    build(index, papers[:200])
    live = _live(index_dir)
    if damage == "toc":
        toc = next(live.glob("_MAIN_*.toc"))
        toc.write_bytes(toc.read_bytes()[:20])
    elif damage == "meta":
        (live / "meta.json").write_text("{not json")
    elif damage == "missing-segment-file":
        next(live.glob("*.pst")).unlink()
    else:
        next(live.glob("*.trm")).write_bytes(b"\x00garbage" * 10)
    fresh = SearchIndex(index_dir)
    assert fresh.state() == "corrupt"
    with pytest.raises(IndexUnavailable):
        fresh.search("unlearning")
    build(fresh, papers[:200])
    assert fresh.state() == "ok"
    assert fresh.search("unlearning").total > 0


def test_garbage_postings_raise_the_index_exception(tmp_path: Path, papers: list[Paper]) -> None:
    index_dir = tmp_path / "index"
    index = SearchIndex(index_dir)
    build(index, papers[:200])
    pst = next(_live(index_dir).glob("*.pst"))
    pst.write_bytes(b"\xff" * pst.stat().st_size)
    fresh = SearchIndex(index_dir)
    with pytest.raises(IndexUnavailable):
        fresh.search("model language unlearning")


def test_outdated_schema(tmp_path: Path, papers: list[Paper]) -> None:
    index_dir = tmp_path / "index"
    index = SearchIndex(index_dir)
    build(index, papers[:50])
    meta = _live(index_dir) / "meta.json"
    meta.write_text(meta.read_text().replace('"schema": ', '"schema": 999'))
    assert SearchIndex(index_dir).state() == "outdated"
    with pytest.raises(IndexUnavailable) as err:
        SearchIndex(index_dir).search("model")
    assert err.value.state == "outdated"


def test_update_needs_a_live_index(tmp_path: Path, papers: list[Paper]) -> None:
    index = SearchIndex(tmp_path / "index")
    with pytest.raises(IndexUnavailable):
        list(index.update(papers[:1], [], seq=1))


def test_writers_hold_the_lock(tmp_path: Path, papers: list[Paper]) -> None:
    index = SearchIndex(tmp_path / "cache" / "index")
    steps = index.build(iter(papers), len(papers), seq=1)
    next(steps)  # the build is under way and holds the lock
    with open(index.lock_path, "a+b") as probe:
        with pytest.raises(BlockingIOError):
            fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        for _ in steps:
            pass
        fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
        fcntl.flock(probe.fileno(), fcntl.LOCK_UN)


def test_searching_during_a_first_build_sees_what_is_indexed(
    tmp_path: Path, papers: list[Paper], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "FIRST_SEGMENT", 100)
    monkeypatch.setattr(index_module, "SEGMENT_SIZE", 100)
    monkeypatch.setattr(index_module, "PROGRESS_EVERY", 50)
    index_dir = tmp_path / "index"
    builder = SearchIndex(index_dir)
    steps = builder.build(iter(papers), len(papers), seq=1)
    for step in steps:
        if step.done >= 250:
            break
    reader = SearchIndex(index_dir)
    result = reader.search("", limit=1000)
    assert 200 <= result.total < len(papers)
    assert result.notice and "Still indexing" in result.notice
    for _ in steps:
        pass
    final = reader.search("", limit=1000)
    assert final.total == len(papers)
    assert final.notice is None


def test_a_second_index_object_sees_commits(tmp_path: Path, papers: list[Paper]) -> None:
    index_dir = tmp_path / "index"
    writer = SearchIndex(index_dir)
    build(writer, papers[:100])
    reader = SearchIndex(index_dir)
    assert reader.search("").total == 100
    list(writer.update(papers[100:150], [], seq=2))
    assert reader.search("").total == 150
    build(writer, papers[:10], seq=3)
    assert reader.search("").total == 10
