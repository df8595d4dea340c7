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


# ----------------------------------------------------------------------------- compressed files

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def _library(cli) -> dict[str, dict]:
    return {p["key"]: p for p in json.loads(ok(cli("list", "--json", "--limit", "10000")).out)}


def _plain_import(cli, monkeypatch, tmp_path: Path, *files: Path) -> dict[str, dict]:
    """What importing the uncompressed files gives, in a home of its own."""
    monkeypatch.setenv("ABSREADER_HOME", str(tmp_path / "plain-home"))
    ok(cli("import", *files))
    papers = _library(cli)
    monkeypatch.setenv("ABSREADER_HOME", str(tmp_path / "home"))
    return papers


def _comparable(papers: dict[str, dict]) -> dict[str, dict]:
    return {k: {f: v for f, v in p.items() if f not in ("sources", "added")} for k, p in papers.items()}


def test_gzip_file_imports_like_the_plain_file(cli, tmp_path: Path, monkeypatch) -> None:
    import gzip

    plain = FIXTURES / "kaggle-snapshot.jsonl"
    packed = tmp_path / "arxiv-metadata-oai-snapshot.json.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    expected = _plain_import(cli, monkeypatch, tmp_path, plain)
    report = ok(cli("import", packed, "--json")).json()[0]
    assert report["format"] == "json" and report["error"] is None
    got = _library(cli)
    assert _comparable(got) == _comparable(expected) and len(got) >= 3
    assert all(p["sources"] == [str(packed)] for p in got.values())


def test_zip_of_one_jsonl_file_like_kaggle_ships_it(cli, tmp_path: Path, monkeypatch) -> None:
    import zipfile

    plain = FIXTURES / "kaggle-snapshot.jsonl"
    packed = tmp_path / "arxiv.zip"
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(plain, "arxiv-metadata-oai-snapshot.json")
    expected = _plain_import(cli, monkeypatch, tmp_path, plain)
    report = ok(cli("import", packed, "--json")).json()[0]
    assert report["format"] == "json"
    got = _library(cli)
    assert _comparable(got) == _comparable(expected)
    assert {s for p in got.values() for s in p["sources"]} == {f"{packed}:arxiv-metadata-oai-snapshot.json"}


def test_zip_members_of_several_formats_and_a_bad_record_named_by_member(cli, tmp_path: Path) -> None:
    import zipfile

    packed = tmp_path / "papers.zip"
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(FIXTURES / "zotero.bib", "refs/zotero.bib")
        archive.write(FIXTURES / "papers.csv", "papers.csv")
        archive.writestr("refs/", "")
        archive.writestr("__MACOSX/refs/._zotero.bib", b"\x00\x05\x16\x07binary")
        archive.writestr("broken.jsonl", '{"title": "Fine", "abstract": "ok"}\n{"title": oops\n')
        archive.writestr("picture.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    result = cli("import", packed, "--json")
    report = result.json()[0]
    assert report["format"] == "bibtex+csv+json"
    problems = {(p["file"], p["line"]) for p in report["problems"]}
    assert (f"{packed}:broken.jsonl", 2) in problems
    assert any(p["file"] == f"{packed}:picture.png" and "binary" in p["reason"] for p in report["problems"])
    plain = ok(cli("import", packed))
    assert f"{packed}:broken.jsonl:2: " in plain.out
    titles_ = titles(cli)
    assert "Fine" in titles_
    sources = {s for p in _library(cli).values() for s in p["sources"]}
    assert {f"{packed}:refs/zotero.bib", f"{packed}:papers.csv", f"{packed}:broken.jsonl"} <= sources


def test_damaged_compressed_files_say_so(cli, tmp_path: Path) -> None:
    import gzip

    data = gzip.compress((FIXTURES / "kaggle-snapshot.jsonl").read_bytes())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    result = cli("import", cut)
    assert "Traceback" not in result.err
    assert "compressed data is damaged or cut short" in (result.out + result.err)
    not_zip = tmp_path / "fake.zip"
    not_zip.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    result = cli("import", not_zip)
    assert result.code == 1 and "not a readable zip archive" in result.err
