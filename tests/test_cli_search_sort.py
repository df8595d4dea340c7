"""`absreader search --sort/--category/--year`: the same papers, in the same order, as
``Catalog.select`` (the one rule the reader and `list` use), and bad values as usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from absreader.commands.searching import query_argv

PAPERS = [
    {"id": "2401.00001", "title": "Beta attention models", "abstract": "Models of attention heads.",
     "categories": "cs.CL cs.LG", "update_date": "2024-01-05"},
    {"id": "2305.00002", "title": "alpha graph models", "abstract": "Sparse graphs and attention.",
     "categories": "math.CO", "update_date": "2023-05-02"},
    {"id": "2211.00003", "title": "Gamma vision", "abstract": "Vision transformers use attention.",
     "categories": "cs.CV", "update_date": "2022-11-09"},
    {"id": "2402.00004", "title": "Delta speech models", "abstract": "Speech models, no focus.",
     "categories": "eess.AS cs.CL", "update_date": "2024-02-01"},
    {"id": "2403.00005", "title": "Epsilon is unrelated", "abstract": "Nothing to see here.",
     "categories": "cs.CL", "update_date": "2024-03-01"},
]


@pytest.fixture
def library(cli, tmp_path: Path):
    path = tmp_path / "papers.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in PAPERS) + "\n", encoding="utf-8")
    assert cli("import", path).code == 0
    return cli


def searched(cli, *args: str) -> list[str]:
    done = cli("search", "--json", *args)
    assert done.code == 0, done.err
    return [p["key"] for p in done.json()["results"]]


def selected(paths, query: str, *, sort=None, categories=(), years=()) -> list[str]:
    from absreader.core.catalog import Catalog, Filters

    catalog = Catalog.open(paths)
    try:
        filters = Filters(categories=tuple(categories), years=tuple(years))
        return catalog.select(filters, query, limit=20, sort=sort).keys
    finally:
        catalog.close()


@pytest.mark.parametrize("sort", ["newest", "oldest", "title", "added", "unread", "relevance"])
def test_every_sort_gives_the_order_select_gives(library, paths, sort: str) -> None:
    keys = searched(library, "attention", "OR", "models", "--sort", sort)
    assert keys == selected(paths, "attention OR models", sort=sort)
    assert set(keys) == {"2401.00001", "2305.00002", "2211.00003", "2402.00004"}


def test_json_has_the_same_fields_as_a_plain_search(library) -> None:
    plain = library("search", "attention", "--json").json()
    sorted_ = library("search", "attention", "--json", "--sort", "newest").json()
    assert set(sorted_) >= set(plain)
    assert set(sorted_["results"][0]) == set(plain["results"][0])
    assert sorted_["results"][0]["score"] is None and sorted_["results"][0]["highlights"]


def test_orders_by_date_and_title(library) -> None:
    query = ("attention", "OR", "models")
    assert searched(library, *query, "--sort", "newest") == [
        "2402.00004", "2401.00001", "2305.00002", "2211.00003"]
    assert searched(library, *query, "--sort", "oldest") == [
        "2211.00003", "2305.00002", "2401.00001", "2402.00004"]
    # Title order ignores case: alpha, Beta, Delta, Gamma.
    assert searched(library, *query, "--sort", "title") == [
        "2305.00002", "2401.00001", "2402.00004", "2211.00003"]


def test_unread_first(library) -> None:
    assert library("read", "2402.00004").code == 0
    keys = searched(library, "models", "--sort", "unread")
    assert keys[-1] == "2402.00004"


def test_category_and_year_narrow_like_list(library, paths) -> None:
    assert searched(library, "models", "--category", "cs.CL") == selected(
        paths, "models", categories=["cs.CL"])
    assert set(searched(library, "models", "--category", "cs.CL")) == {"2401.00001", "2402.00004"}
    assert set(searched(library, "attention", "--year", "2022..2023")) == {"2305.00002", "2211.00003"}
    both = searched(library, "attention", "--category", "cs", "--category", "math", "--year", "2023..")
    assert set(both) == {"2401.00001", "2305.00002"}
    assert both == selected(paths, "attention", categories=["cs", "math"], years=[(2023, 9999)])


def test_text_output_is_in_the_same_order(library, paths) -> None:
    done = library("search", "models", "--sort", "oldest", "--category", "cs")
    assert done.code == 0, done.err
    lines = done.out.splitlines()[:-1]  # a paper per line (marks, key, title), then the count
    shown = [line[3:].split()[0] for line in lines]
    assert shown == selected(paths, "models", sort="oldest", categories=["cs"])
    assert done.out.splitlines()[-1] == "2 of 2 matches"


def test_a_minus_word_still_searches_beside_the_options(library) -> None:
    keys = searched(library, "models", "--sort", "newest", "-speech", "--year", "2023..2024")
    assert keys == ["2401.00001", "2305.00002"]


def test_query_argv_keeps_each_value_with_its_option() -> None:
    argv = ["search", "vision", "--sort", "title", "-survey", "--category", "cs.CV", "--year",
            "2023", "--limit", "5", "--cat", "math"]
    assert query_argv(argv) == ["search", "--sort", "title", "--category", "cs.CV", "--year",
                                "2023", "--limit", "5", "--cat", "math", "--", "vision", "-survey"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--sort", "sideways"), "invalid choice: 'sideways'"),
        (("--year", "20x"), "not a year"),
        (("--year", "2024..2023"), "not a year"),
        (("--limit", "0"), "--limit"),
    ],
)
def test_bad_values_are_a_usage_error(library, args: tuple[str, ...], says: str) -> None:
    done = library("search", "attention", *args)
    assert done.code == 2
    errors = [line for line in done.err.splitlines() if "error:" in line]
    assert len(errors) == 1 and says in errors[0]
    assert "Traceback" not in done.err and done.out == ""
