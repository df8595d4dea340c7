"""Importing through the CLI, checked in the library afterwards (`list --json`, `show`).

Covers the "data comes in whole" rules: import filters keep only what shows it
matches, an over-long CSV field costs that record alone, compressed files are
read directly, RIS comes in.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from absreader.core.sources import _text


def ok(result):
    assert result.code == 0, result.err
    return result


def titles(cli) -> list[str]:
    return sorted(p["title"] for p in json.loads(ok(cli("list", "--json", "--limit", "10000")).out))


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


FILTER_ROWS = [
    {"title": "LG new", "abstract": "a", "categories": "cs.LG", "published": "2024-03-01"},
    {"title": "LG old", "abstract": "b", "categories": "cs.LG stat.ML", "published": "2020-01-01"},
    {"title": "Math new", "abstract": "c", "categories": "math.CO", "published": "2024-05-01"},
    {"title": "No category", "abstract": "d", "published": "2024-05-01"},
    {"title": "LG no date, id from 2024", "abstract": "e", "categories": "cs.LG", "id": "2403.13043"},
    {"title": "LG no date at all", "abstract": "f", "categories": "cs.LG"},
    {"title": "LG year only", "abstract": "g", "categories": "cs.LG", "published": "2024"},
]


def test_category_filter_keeps_only_papers_that_have_the_category(cli, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "mixed.jsonl", FILTER_ROWS)
    result = ok(cli("import", source, "--category", "cs.LG", "--json"))
    report = result.json()[0]
    assert titles(cli) == sorted(["LG new", "LG old", "LG no date, id from 2024", "LG no date at all",
                                  "LG year only"])
    assert report["filtered"] == 2 and report["no_category"] == 1


def test_since_filter_skips_papers_with_no_date_and_says_so(cli, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "mixed.jsonl", FILTER_ROWS)
    result = ok(cli("import", source, "--since", "2024-01-01", "--category", "cs"))
    assert "filtered out 4 (1 with no category, 1 with no date)" in result.out
    # The arXiv id's month counts as a date; a bare year is compared as a year.
    assert titles(cli) == sorted(["LG new", "LG no date, id from 2024", "LG year only"])


def test_over_long_csv_field_is_reported_and_the_next_record_comes_in(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_text, "MAX_LINE_CHARS", 2000)
    long = "word " * 1000  # 5,000 characters on one line
    source = tmp_path / "papers.csv"
    source.write_text(
        "title,abstract\n"
        "First,short abstract\n"
        f'Too long,"{long}"\n'
        "Next,the row after the long one\n"
        'Quoted,"two\nlines"\n'
        f'Long in the middle,"starts here\n{long}\nand ends here"\n'
        "Last,the very last row\n",
        encoding="utf-8",
    )
    result = ok(cli("import", source, "--json"))
    report = result.json()[0]
    assert [(p["line"], "line limit" in p["reason"]) for p in report["problems"]] == [(3, True), (7, True)]
    assert titles(cli) == ["First", "Last", "Next", "Quoted"]
    plain = ok(cli("import", source))
    assert f"{source}:3: a field is longer than the line limit" in plain.out
