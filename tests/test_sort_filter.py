"""Sorting and filtering lists from the CLI: `list --sort/--category/--year`, checked
against the dates, titles and categories of the papers imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PAPERS = [
    {"id": "2401.00001", "title": "Beta attention", "abstract": "About attention heads and more.",
     "categories": "cs.CL cs.LG", "update_date": "2024-01-05"},
    {"id": "2305.00002", "title": "alpha graphs", "abstract": "Sparse graphs in the wild today.",
     "categories": "math.CO", "update_date": "2023-05-02"},
    {"id": "2211.00003", "title": "Gamma vision", "abstract": "Vision transformers for images.",
     "categories": "cs.CV", "update_date": "2022-11-09"},
    {"id": "2402.00004", "title": "Delta speech", "abstract": "Speech models that listen well.",
     "categories": "eess.AS cs.CL", "update_date": "2024-02-01"},
]


@pytest.fixture
def library(cli, tmp_path: Path):
    path = tmp_path / "papers.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in PAPERS) + "\n", encoding="utf-8")
    assert cli("import", path).code == 0
    return cli


def keys(cli, *args: str) -> list[str]:
    done = cli("list", "--json", *args)
    assert done.code == 0, done.err
    return [p["key"] for p in done.json()]


def test_default_is_newest_first(library) -> None:
    assert keys(library) == ["2402.00004", "2401.00001", "2305.00002", "2211.00003"]


def test_every_sort(library) -> None:
    assert keys(library, "--sort", "oldest") == ["2211.00003", "2305.00002", "2401.00001", "2402.00004"]
    # Title order ignores case.
    assert keys(library, "--sort", "title") == ["2305.00002", "2401.00001", "2402.00004", "2211.00003"]
    assert library("read", "2211.00003").code == 0
    assert keys(library, "--sort", "unread")[-1] == "2211.00003"


def test_category_filter_takes_subcategories(library) -> None:
    assert keys(library, "--category", "cs.CL") == ["2402.00004", "2401.00001"]
    assert keys(library, "--category", "cs") == ["2402.00004", "2401.00001", "2211.00003"]
    assert keys(library, "--category", "math.CO", "--category", "cs.CV") == ["2305.00002", "2211.00003"]
    assert keys(library, "--category", "c") == []  # a prefix of a name is not a category


def test_year_filter_and_ranges(library) -> None:
    assert keys(library, "--year", "2024") == ["2402.00004", "2401.00001"]
    assert keys(library, "--year", "2022..2023") == ["2305.00002", "2211.00003"]
    assert keys(library, "--year", "2023..", "--category", "cs") == ["2402.00004", "2401.00001"]


@pytest.mark.parametrize("bad", ["20x", "2024..2023", "..x"])
def test_bad_year_is_a_usage_error(library, bad: str) -> None:
    done = library("list", "--year", bad)
    assert done.code == 2
    assert "--year" in done.err and "not a year" in done.err


def test_facets_count_what_the_list_holds(library, paths) -> None:
    from absreader.core.catalog import Catalog, Filters

    catalog = Catalog.open(paths)
    try:
        facets = catalog.facets()
        assert dict(facets["categories"])["cs.CL"] == 2
        assert dict(facets["years"]) == {2024: 2, 2023: 1, 2022: 1}
        narrowed = catalog.facets(Filters(categories=("cs.CL",)))
        assert dict(narrowed["years"]) == {2024: 2}
    finally:
        catalog.close()


def test_a_paper_with_no_date_has_no_year_though_it_sorts_by_when_it_came_in(library, tmp_path: Path) -> None:
    """An undated paper (a daily-papers listing) came in today; it was not written today."""
    from datetime import date

    undated = tmp_path / "undated.jsonl"
    undated.write_text(json.dumps({"title": "Undated listing", "abstract": "No date on it."}) + "\n",
                       encoding="utf-8")  # fmt: skip
    assert library("import", undated).code == 0
    key = next(p["key"] for p in library("list", "--json").json() if p["title"] == "Undated listing")
    assert keys(library, "--year", str(date.today().year)) == []
    assert keys(library)[0] == key  # newest first: it came in last
    assert keys(library, "--year", "2022..") == ["2402.00004", "2401.00001", "2305.00002", "2211.00003"]


def test_migration_takes_the_added_year_off_undated_papers(paths) -> None:
    import sqlite3

    from absreader.core.catalog import Catalog
    from absreader.core.models import Record

    catalog = Catalog.open(paths)
    try:
        catalog.library.upsert([Record(source="t", line=1, title="Old undated", abstract="Imported before v8.")])
    finally:
        catalog.close()
    conn = sqlite3.connect(paths.library_file)
    with conn:  # as schema v4-v7 left it: the year the paper was added
        conn.execute("UPDATE papers SET year = CAST(substr(added, 1, 4) AS INTEGER)")
        conn.execute("PRAGMA user_version = 7")
    conn.close()
    catalog = Catalog.open(paths)
    try:
        assert catalog.facets()["years"] == []
    finally:
        catalog.close()
