"""The real file: progress, Ctrl-C stops cleanly, and a rerun continues where it stopped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from absreader.core import importer
from absreader.core.importer import ImportOptions, ImportProgress, collect, import_files
from absreader.core.library import Library
from absreader.core.models import ImportReport

N = 1000


def _snapshot(path: Path, n: int = N) -> Path:
    """A small file shaped like the Kaggle arXiv snapshot (JSON Lines)."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            record = {
                "id": f"2401.{i:05d}",
                "title": f"Paper number {i} on sparse attention",
                "abstract": f"We study problem {i} with a new method and report results {i * 7}.",
                "authors": "A. Author and B. Author",
                "categories": "cs.LG" if i % 2 else "math.OC",
                "update_date": "2024-01-15",
            }
            f.write(json.dumps(record) + "\n")
    return path


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "BATCH_SIZE", 100)


def _stop_after(events, batches: int) -> ImportProgress:
    """Run an import until ``batches`` batches are committed, then stop it (as Ctrl-C does)."""
    seen = 0
    for event in events:
        if isinstance(event, ImportProgress) and event.added:
            seen += 1
            if seen == batches:
                events.close()
                return event
    raise AssertionError("the import ended first")


def test_a_rerun_continues_after_the_committed_batches(tmp_path: Path, small_batches: None) -> None:
    corpus = _snapshot(tmp_path / "arxiv-metadata-oai-snapshot.json")
    with Library.open(tmp_path / "lib.sqlite3") as lib:
        stopped = _stop_after(import_files(lib, [corpus], ImportOptions()), 3)
        assert stopped.records == 300
        assert lib.count() == 300
    with Library.open(tmp_path / "lib.sqlite3") as lib:
        events = list(import_files(lib, [corpus], ImportOptions()))
        progress = [e for e in events if isinstance(e, ImportProgress)]
        assert progress[0].resumed == 300
        assert progress[0].records == 300
        (report,) = [e for e in events if isinstance(e, ImportReport)]
        assert report.error is None
        assert (report.records, report.added, report.merged) == (N, N - 300, 0)
        assert lib.count() == N
        # Finished: the next run reads the whole file again (and changes nothing).
        (again,) = collect(import_files(lib, [corpus], ImportOptions()))
        assert (again.records, again.added) == (N, 0)
        assert lib.count() == N


def test_a_changed_file_or_other_options_start_from_the_beginning(
    tmp_path: Path, small_batches: None
) -> None:
    corpus = _snapshot(tmp_path / "snapshot.json")
    with Library.open(tmp_path / "lib.sqlite3") as lib:
        _stop_after(import_files(lib, [corpus], ImportOptions()), 2)
        only_cs = ImportOptions(categories=("cs",))
        first = next(
            e for e in import_files(lib, [corpus], only_cs) if isinstance(e, ImportProgress)
        )
        assert first.resumed == 0
    with Library.open(tmp_path / "lib2.sqlite3") as lib:
        _stop_after(import_files(lib, [corpus], ImportOptions()), 2)
        _snapshot(corpus, N + 10)  # the file changed (a newer snapshot)
        os.utime(corpus, ns=(1, 1))
        events = list(import_files(lib, [corpus], ImportOptions()))
        assert next(e for e in events if isinstance(e, ImportProgress)).resumed == 0
        assert lib.count() == N + 10


def test_ctrl_c_says_where_it_stopped_and_a_rerun_continues(
    tmp_path: Path, home: Path, cli, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _snapshot(tmp_path / "snapshot.json")
    real_upsert = Library.upsert
    calls = {"n": 0}

    def interrupted(self, records, **kw):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # Ctrl-C while the fourth batch is written
        return real_upsert(self, records, **kw)

    monkeypatch.setattr(Library, "upsert", interrupted)
    result = cli("import", corpus)
    assert result.code == 130
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert "stopped at record 300" in lines[0] and "Run the same command again" in lines[0]
    monkeypatch.setattr(Library, "upsert", real_upsert)
    stats = cli("stats", "--json").json()
    assert stats["papers"] == 300
    result = cli("import", corpus)
    assert result.code == 0, result.err
    assert "continuing after record 300" in result.err
    assert f"{N} records, added {N - 300}" in result.out
    assert cli("stats", "--json").json()["papers"] == N


def test_progress_line_shows_read_added_merged_rate_and_time_left() -> None:
    from absreader.commands.importing import ImportRate

    rate = ImportRate()
    start = ImportProgress("/data/snapshot.json", 0, 0, 1000, 0, 0)
    assert rate.line(start).startswith("importing snapshot.json: 0 read")
    rate.started -= 10.0  # ten seconds later
    text = rate.line(ImportProgress("/data/snapshot.json", 2000, 250, 1000, 1900, 100))
    assert "2,000 read, 1,900 added, 100 merged" in text
    assert "200/s" in text
    assert "30 s left" in text
