"""The catalog's bulk methods and facets: one transaction each, exactly what changed, undo exact."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

pytest.register_assert_rewrite("conftest_ui")
from absreader.core.catalog import Catalog, Filters, LibraryError  # noqa: E402
from absreader.core.export_file import ExportError  # noqa: E402
from conftest_ui import build_home  # noqa: E402
from test_ui_facets import facet_records  # noqa: E402


@pytest.fixture
def catalog(tmp_path: Path):
    paths = build_home(tmp_path / "home", records=facet_records())
    opened = Catalog.open(paths)
    yield opened
    opened.close()


def state(catalog: Catalog) -> dict:
    papers = {p.key: (p.read, p.bookmarked, p.tags) for p in catalog.iter_papers()}
    return {"papers": papers, "tags": [(t.name, t.count) for t in catalog.tags()]}


def test_set_read_many_changes_only_what_differs_in_one_transaction(catalog: Catalog) -> None:
    keys = catalog.select(limit=None).keys
    catalog.set_read(keys[0], True)
    seq = catalog.current_seq()
    changed = catalog.set_read_many(keys[:10], True)
    assert sorted(changed) == sorted(keys[1:10])
    assert catalog.current_seq() == seq + 1  # one transaction
    assert catalog.unread_among(keys[:12]) == set(keys[10:12])
    assert catalog.set_read_many(keys[:10], True) == []
    assert sorted(catalog.set_read_many(keys[:3], False)) == sorted(keys[:3])
    assert catalog.set_read_many([], True) == []
    assert catalog.set_read_many(["no-such-paper"], True) == []


def test_bookmarks_in_bulk(catalog: Catalog) -> None:
    keys = catalog.select(limit=None).keys[:5]
    assert sorted(catalog.set_bookmarked_many(keys, True)) == sorted(keys)
    assert catalog.lists().bookmarked == 5
    assert sorted(catalog.set_bookmarked_many(keys[:2], False)) == sorted(keys[:2])
    assert catalog.lists().bookmarked == 3


def test_change_tags_many_and_undo_restore_exactly_the_state_before(catalog: Catalog) -> None:
    keys = catalog.select(limit=None).keys[:6]
    catalog.add_tags(keys[0], ["reading"])
    catalog.add_tags(keys[1], ["old"])
    before = state(catalog)
    done = catalog.change_tags_many(keys[:4], add=["reading", "Fresh List"], remove=["old"])
    assert sorted(done.added["reading"]) == sorted(keys[1:4])  # keys[0] had it already
    assert sorted(done.added["Fresh List"]) == sorted(keys[:4])
    assert done.removed == {"old": [keys[1]]}
    assert done.created == ["Fresh List"]
    assert catalog.paper(keys[2]).tags == ("Fresh List", "reading")
    catalog.undo_tags(done)
    assert state(catalog) == before  # "Fresh List" is gone, "old" is back on keys[1]


def test_a_bad_tag_name_writes_nothing(catalog: Catalog) -> None:
    keys = catalog.select(limit=None).keys[:3]
    before = state(catalog)
    with pytest.raises(LibraryError):
        catalog.change_tags_many(keys, add=["fine", "   "])
    assert state(catalog) == before


def counted(catalog: Catalog, keys: list[str]) -> tuple[Counter, Counter]:
    papers = catalog.papers(keys)
    cats = Counter(c for p in papers for c in p.categories)
    years = Counter(int(p.published[:4]) for p in papers)
    return cats, years


def test_facets_of_a_query_count_its_papers_and_each_kind_ignores_its_own_filter(
    catalog: Catalog,
) -> None:
    keys = catalog.select(Filters(), "graph", limit=None).keys
    assert len(keys) == 20
    cats, years = counted(catalog, keys)
    facets = catalog.facets(Filters(), "graph")
    assert dict(facets["categories"]) == dict(cats)
    assert dict(facets["years"]) == dict(years)
    # With cs.LG and 2023 on: categories counted over 2023's papers, years over cs.LG's.
    chosen = Filters(categories=("cs.LG",), years=((2023, 2023),))
    facets = catalog.facets(chosen, "graph")
    in_2023 = catalog.select(Filters(years=((2023, 2023),)), "graph", limit=None).keys
    in_cs_lg = catalog.select(Filters(categories=("cs.LG",)), "graph", limit=None).keys
    assert dict(facets["categories"]) == dict(counted(catalog, in_2023)[0])
    assert dict(facets["years"]) == dict(counted(catalog, in_cs_lg)[1])


def test_export_to_a_file_keeps_the_safety_rule(catalog: Catalog, tmp_path: Path) -> None:
    keys = catalog.select(limit=None).keys[:4]
    target = tmp_path / "four.json"
    assert catalog.export_to(keys, target) == 4
    assert [p["key"] for p in json.loads(target.read_text())["papers"]] == keys
    inside = catalog.paths.data_dir / "four.bib"
    with pytest.raises(ExportError, match="refusing to export into absreader's data folder"):
        catalog.export_to(keys, inside)
    assert not inside.exists()
    link = tmp_path / "sneaky.bib"
    link.symlink_to(catalog.paths.library_file)
    with pytest.raises(ExportError, match="refusing"):
        catalog.export_to(keys, link)
    with pytest.raises(ExportError, match="suffix"):
        catalog.export_to(keys, tmp_path / "four.txt")
