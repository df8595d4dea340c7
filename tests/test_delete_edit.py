"""Deleting papers (and undoing it) and correcting a paper's fields, from the CLI,
checked on what `show`, `list`, `search` and `tags` say afterwards."""

from __future__ import annotations


def first_keys(cli, n: int) -> list[str]:
    return [p["key"] for p in cli("list", "--json", "--limit", str(n)).json()]


def test_delete_takes_personal_data_and_undelete_restores_it(sample) -> None:
    key, other = first_keys(sample, 2)
    before = sample("show", key, "--json").json()
    assert sample("bookmark", key).code == 0
    assert sample("tag", key, "keep me").code == 0
    assert sample("note", key, "my note").code == 0
    word = before["title"].split()[0]
    total = sample("stats", "--json").json()["papers"]

    done = sample("delete", key, "--yes")
    assert done.code == 0, done.err
    assert "deleted 1 paper" in done.out
    assert sample("show", key).code == 1
    assert sample("stats", "--json").json()["papers"] == total - 1
    assert sample("list", "--tag", "keep me", "--json").json() == []
    found = sample("search", word, "--json", "--limit", "100").json()
    assert key not in {r["key"] for r in found["results"]}
    assert sample("show", other).code == 0  # the rest untouched

    back = sample("undelete")
    assert back.code == 0 and key in back.out
    after = sample("show", key, "--json").json()
    for field in ("title", "abstract", "added", "sources", "note"):
        assert after[field] == (before[field] if field != "note" else "my note"), field
    assert after["bookmarked"] is True and after["tags"] == ["keep me"]
    found = sample("search", word, "--json", "--limit", "100").json()
    assert key in {r["key"] for r in found["results"]}
    assert sample("undelete").code == 1  # nothing left to undo


def test_delete_unknown_key_deletes_nothing(sample) -> None:
    key = first_keys(sample, 1)[0]
    total = sample("stats", "--json").json()["papers"]
    done = sample("delete", key, "no-such-paper", "--yes")
    assert done.code == 1 and "no-such-paper" in done.err
    assert sample("stats", "--json").json()["papers"] == total


def test_delete_without_yes_off_a_terminal_refuses(sample) -> None:
    key = first_keys(sample, 1)[0]
    done = sample("delete", key)
    assert done.code == 1 and "--yes" in done.err
    assert sample("show", key).code == 0


def test_edit_title_authors_year_and_reimport_keeps_the_edit(sample, tmp_path) -> None:
    untitled = [p for p in sample("list", "--json").json() if not p["title"]][0]
    key = untitled["key"]
    done = sample("edit", key, "--title", "A Proper Title for Zebras", "--authors", "A. Li; B. Chen",
                  "--year", "2021", "--json")
    assert done.code == 0, done.err
    paper = done.json()
    assert paper["title"] == "A Proper Title for Zebras"
    assert paper["authors"] == ["A. Li", "B. Chen"]
    assert paper["published"].startswith("2021")
    assert key in {r["key"] for r in sample("search", "zebras", "--json").json()["results"]}
    assert key in {p["key"] for p in sample("list", "--year", "2021", "--json").json()}
    # Importing the sample data again fills gaps only: the edit stays.
    from tests.conftest import SAMPLE

    assert sample("import", SAMPLE).code == 0
    assert sample("show", key, "--json").json()["title"] == "A Proper Title for Zebras"


def test_edit_needs_a_field_and_a_real_year(sample) -> None:
    key = first_keys(sample, 1)[0]
    assert sample("edit", key).code == 1
    done = sample("edit", key, "--year", "99")
    assert done.code == 1 and "four-digit" in done.err
