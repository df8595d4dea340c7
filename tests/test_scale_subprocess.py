"""Index builds in a child process (``Catalog.build_in_subprocess``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from absreader.core.catalog import Catalog
from absreader.core.search.types import IndexUnavailable
from absreader.paths import Paths

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


@pytest.fixture
def catalog(paths: Paths) -> Catalog:
    """A catalog holding the sample data, with no index yet."""
    cat = Catalog.open(paths)
    for _ in cat.import_paths(sorted(SAMPLE.iterdir()), index=False):
        pass
    yield cat
    cat.close()


def test_a_first_build_runs_in_a_child_and_the_parent_searches_it(catalog: Catalog) -> None:
    assert catalog.index_state(quick=True) == "missing"
    assert catalog.needs_full_build()
    events = list(catalog.build_in_subprocess())
    assert events and events[-1].phase == "done"
    assert events[-1].done == catalog.library.count()
    assert [e.done for e in events if e.phase == "indexing"] == sorted(
        e.done for e in events if e.phase == "indexing"
    )
    assert catalog.index_state() == "ok"
    assert not catalog.needs_full_build()
    assert catalog.search("vision").total > 0


def test_a_rebuild_in_a_child_replaces_the_index_this_process_has_open(catalog: Catalog) -> None:
    list(catalog.build_in_subprocess())
    before = catalog.search("vision").total
    assert before > 0
    catalog.library.add_tags(catalog.search("vision").hits[0].key, ["picked"])
    list(catalog.build_in_subprocess(rebuild=True))
    assert catalog.search("tag:picked").total == 1
    assert catalog.search("vision").total == before


def test_a_sync_with_nothing_to_do_changes_nothing(catalog: Catalog) -> None:
    list(catalog.build_in_subprocess())
    current = (catalog.paths.index_dir / "CURRENT").read_text()
    assert [e.phase for e in catalog.build_in_subprocess()] in ([], ["indexing", "done"])
    assert (catalog.paths.index_dir / "CURRENT").read_text() == current


def test_stopping_the_build_leaves_no_half_made_index(catalog: Catalog) -> None:
    list(catalog.build_in_subprocess())
    current = (catalog.paths.index_dir / "CURRENT").read_text()
    events = catalog.build_in_subprocess(rebuild=True)
    next(events)
    events.close()  # the reader quit: the child is stopped and cleans up
    assert not [p for p in catalog.paths.index_dir.iterdir() if p.name.endswith(".new")]
    assert catalog.index_state() == "ok"
    # Either the old generation, or the new one if it finished first: never a broken one.
    assert catalog.search("vision").total > 0
    assert (catalog.paths.index_dir / "CURRENT").read_text() in (
        current,
        *[p.name + "\n" for p in catalog.paths.index_dir.iterdir() if p.is_dir()],
    )


def test_a_failing_child_is_reported(catalog: Catalog) -> None:
    shutil.rmtree(catalog.paths.data_dir)  # no library for the child to open
    catalog.paths.data_dir.mkdir()
    (catalog.paths.data_dir / "library.sqlite3").write_bytes(b"not a library at all" * 100)
    with pytest.raises(IndexUnavailable):
        list(catalog.build_in_subprocess())
