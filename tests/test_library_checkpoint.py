"""An import copies its WAL into the library file itself, outside any commit (``Store.bulk``).

SQLite's automatic checkpoint runs inside the commit that finds the WAL long:
the first bookmark after an import paid for copying the whole import (234 ms
after 20,000 papers), and a bookmark during a big import could wait for one.
Now the importing thread checkpoints after its own commits and once more when
the import ends, so the library file (without its WAL) holds what was imported
before anybody writes again, and a user's write never does the copying.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from absreader.core.library import Library, store
from absreader.core.models import Record


def _records(first: int, count: int) -> list[Record]:
    return [
        Record(source="big.jsonl", line=n, title=f"Imported paper {n}",
               abstract=f"Abstract {n} of a large import.", arxiv_id=f"2402.{n:05d}")
        for n in range(first, first + count)
    ]  # fmt: skip


def _papers_in_file_alone(db: Path, tmp_path: Path) -> int:
    """Papers in a copy of the library file without its WAL: what a checkpoint has copied."""
    copy = tmp_path / "copy" / db.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(db, copy)
    conn = sqlite3.connect(f"file:{copy}?immutable=1", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    finally:
        conn.close()


def test_an_import_is_in_the_library_file_when_it_ends(tmp_path: Path) -> None:
    db = tmp_path / "library.sqlite3"
    with Library.open(db) as library:
        with library.bulk():
            library.upsert(_records(1, 300))
        # Still open, nobody has written since: the import's pages are in the file already.
        assert _papers_in_file_alone(db, tmp_path) == 300
        paper = library.set_bookmarked(library.list_keys()[0])
        assert paper.bookmarked
        assert library.count() == 300


def test_the_importing_thread_checkpoints_and_a_users_write_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "BULK_CHECKPOINT_BYTES", 1)  # every import commit is due
    db = tmp_path / "library.sqlite3"
    with Library.open(db) as library:
        library.upsert([Record(source="a.bib", line=1, title="Mine", abstract="My own paper.")])
        mine = library.list_keys()[0]
        with library.bulk():
            library.upsert(_records(1, 200))
            assert _papers_in_file_alone(db, tmp_path) == 201  # copied after the import's commit
            # A bookmark from another thread meanwhile commits into the WAL and copies nothing.
            done: list[bool] = []
            user = threading.Thread(
                target=lambda: done.append(library.set_bookmarked(mine).bookmarked)
            )
            user.start()
            user.join()
            assert done == [True]
            library.upsert(_records(201, 100))
            assert _papers_in_file_alone(db, tmp_path) == 301
        assert library.get(mine).bookmarked
        assert library.count() == 301
    with Library.open(db) as library:  # and nothing was lost on the way
        assert library.count() == 301
        assert library.get(mine).bookmarked
