"""One rule, one path: the tag rule the list and the search share, readers that never wait
for a writer, a library replaced underneath, an index path that is not a folder."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from absreader.core.catalog import Catalog
from absreader.core.library import Library, LibraryError, normalise_tag
from absreader.core.models import Record
from absreader.paths import get_paths


def rec(n: int, **kw: object) -> Record:
    base = {"title": f"Paper number {n} on sparse graphs", "abstract": f"Abstract {n} " * 20,
            "source": "test.jsonl", "line": n}
    base.update(kw)
    return Record(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("spelling", ["to read", "To-Read", "to_read", "TO  READ", "to - read"])
def test_one_tag_rule(spelling: str) -> None:
    assert normalise_tag(spelling) == normalise_tag("to read") == "to-read"


def test_list_and_tag_search_agree_on_spellings(sample) -> None:
    """`list --tag` and `search tag:` show the same papers whatever the spelling."""
    keys = [p["key"] for p in sample("list", "--json", "--limit", "3").json()]
    for key, spelling in zip(keys, ["to read", "To-Read", "to_read"], strict=True):
        assert sample("tag", key, spelling).code == 0
    tags = sample("tags", "--json").json()
    assert [t["count"] for t in tags] == [3], tags  # one reading list, shown as first typed
    for spelling in ["to read", "To-Read", "to_read"]:
        listed = {p["key"] for p in sample("list", "--tag", spelling, "--json").json()}
        found = sample("search", f'tag:"{spelling}"', "--json", "--limit", "50").json()
        assert listed == set(keys)
        assert {r["key"] for r in found["results"]} == set(keys), spelling


def test_old_library_tags_merge_under_the_one_rule(tmp_path: Path) -> None:
    """A schema-2 library with "to read" and "to-read" as two lists opens as one list."""
    from absreader.core.library.schema import MIGRATIONS

    path = tmp_path / "library.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for version in (1, 2):  # exactly what version 2 of absreader made
        MIGRATIONS[version](conn)
    conn.execute("PRAGMA user_version = 2")
    for n, key in enumerate(["p1", "p2"], 1):
        conn.execute(
            "INSERT INTO papers (id, key, title, title_norm, abstract, added, seq) "
            "VALUES (?, ?, ?, ?, 'text', '2024-01-01T00:00:00Z', 1)",
            (n, key, f"Paper {n}", f"paper {n}"),
        )
    # Version 2's norm: the case-folded name with spaces collapsed, so these were two lists.
    conn.execute("INSERT INTO tags (id, name, norm) VALUES (1, 'to read', 'to read')")
    conn.execute("INSERT INTO tags (id, name, norm) VALUES (2, 'to-read', 'to-read')")
    conn.execute("INSERT INTO tags (id, name, norm) VALUES (3, 'Other', 'other')")
    conn.executemany("INSERT INTO paper_tags VALUES (?, ?)", [(1, 1), (2, 2), (2, 3)])
    conn.close()
    with Library.open(path) as lib:
        tags = {t.name: t.count for t in lib.tags()}
        assert tags == {"to read": 2, "Other": 1}
        assert sorted(lib.list_keys(tags=["To_Read"])) == ["p1", "p2"]


def test_readers_never_wait_for_a_writer(tmp_path: Path) -> None:
    """While one thread holds a write transaction open, another thread reads at once."""
    with Library.open(tmp_path / "library.sqlite3") as lib:
        lib.upsert([rec(n) for n in range(50)])
        inside, release = threading.Event(), threading.Event()

        def writer() -> None:
            with lib._store.write() as (conn, seq):
                conn.execute("UPDATE papers SET read = 1, seq = ?", (seq,))
                inside.set()
                release.wait(30)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            assert inside.wait(30)
            # The write is not committed: readers see the last committed state, without waiting.
            assert lib.count() == 50
            assert lib.list_counts() == (50, 50, 0)
            assert len(lib.get_many(lib.list_keys(limit=10))) == 10
        finally:
            release.set()
            thread.join(30)
        assert lib.list_counts() == (50, 0, 0)


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_library_replaced_underneath_is_noticed_on_write(tmp_path: Path, how: str) -> None:
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as lib:
        lib.upsert([rec(1)])
        key = lib.list_keys()[0]
        if how == "deleted":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            other = tmp_path / "other.sqlite3"
            Library.open(other).close()
            os.replace(other, path)
        with pytest.raises(LibraryError, match=f"was {how} while absreader had it open"):
            lib.set_bookmarked(key, True)
    with Library.open(path) as fresh:  # the file now at the path is untouched by that write
        assert fresh.stats()["bookmarked"] == 0


def test_index_path_that_is_a_file_is_moved_aside(sample_home: Path, sample) -> None:
    paths = get_paths({"ABSREADER_HOME": str(sample_home)})
    import shutil

    shutil.rmtree(paths.index_dir)
    paths.index_dir.write_text("not an index")
    done = sample("search", "diffusion", "--json")
    assert done.code == 0, done.err
    assert done.json()["total"] > 0
    assert "was not a folder" in done.err
    assert paths.index_dir.is_dir()
    aside = [p for p in paths.index_dir.parent.iterdir() if ".not-a-folder." in p.name]
    assert len(aside) == 1 and aside[0].read_text() == "not an index"


def test_tag_rename_reaches_the_search_index_through_the_catalog(sample_home: Path) -> None:
    paths = get_paths({"ABSREADER_HOME": str(sample_home)})
    catalog = Catalog.open(paths)
    try:
        key = catalog.select(limit=1).keys[0]
        catalog.add_tags(key, ["draft"])
        catalog.rename_tag("draft", "final")
        assert catalog.select(query="tag:final").keys == [key]
        assert catalog.select(query="tag:draft").keys == []
        catalog.delete_tag("final")
        assert catalog.select(query="tag:final").keys == []
    finally:
        catalog.close()
