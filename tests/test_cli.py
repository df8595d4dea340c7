"""The command line on the sample data: import, show, stats, search, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from absreader import __version__
from tests.conftest import SAMPLE, run_cli_process


def test_version_and_help(cli) -> None:
    result = cli("--version")
    assert result.code == 0 and __version__ in result.out
    result = cli("--help")
    assert result.code == 0
    for command in ("import", "show", "stats", "search", "similar", "reindex", "bookmark",
                    "tag", "tags", "list", "saved", "export", "note", "read", "untag"):
        assert command in result.out


def test_import_sample_data(cli, sample_files: list[Path]) -> None:
    result = cli("import", *sample_files, "--json")
    assert result.code == 0, result.err
    reports = result.json()
    assert len(reports) == 5
    by_name = {Path(r["path"]).name: r for r in reports}
    assert by_name["dataset-viewer-arxiv-abstracts.txt"]["format"] == "dataset-viewer"
    assert by_name["daily-papers-listing-mar-20.txt"]["format"] == "daily-papers"
    assert all(r["error"] is None for r in reports)
    total_added = sum(r["added"] for r in reports)
    total_merged = sum(r["merged"] for r in reports)
    assert total_merged > 0, "papers repeat across the sample files"
    stats = cli("stats", "--json").json()
    assert stats["papers"] == total_added
    # The dump's titled twins were found: most dump entries got a title.
    assert stats["with_arxiv_id"] > stats["untitled"]
    # Importing again changes nothing.
    again = cli("import", *sample_files, "--json").json()
    assert sum(r["added"] for r in again) == 0
    assert cli("stats", "--json").json()["papers"] == total_added


def test_show_any_id_form(cli) -> None:
    cli("import", SAMPLE / "dataset-viewer-arxiv-abstracts.txt")
    for form in ("2403.13043", "arXiv:2403.13043v2", "https://arxiv.org/abs/2403.13043",
                 "https://arxiv.org/pdf/2403.13043v1.pdf"):
        result = cli("show", form, "--json")
        assert result.code == 0, (form, result.err)
        record = result.json()
        assert record["key"] == "2403.13043"
    for field in ("key", "arxiv_id", "version", "title", "display_title", "untitled", "abstract",
                  "authors", "categories", "published", "doi", "url", "sources", "tags",
                  "bookmarked", "read", "note"):
        assert field in record
    assert record["url"] == "https://arxiv.org/abs/2403.13043"
    plain = cli("show", "2403.13043")
    assert "2403.13043" in plain.out and "Scaling" in plain.out


def test_show_unknown_key(cli) -> None:
    result = cli("show", "2501.99999")
    assert result.code == 1
    assert "no paper matches" in result.err
    assert "Traceback" not in result.err


def test_import_unrecognised_and_missing(cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    result = cli("import", missing)
    assert result.code == 1
    assert str(missing) in result.err
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 50)
    result = cli("import", binary)
    assert result.code == 1 and "blob.bin" in result.err
    assert "Traceback" not in result.err


def test_import_good_and_bad_files_together(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00\x01\x02" * 100)
    result = cli("import", bad, SAMPLE / "dataset-viewer-arxiv-abstracts.txt")
    assert result.code == 1
    assert cli("stats", "--json").json()["papers"] > 0


def test_malformed_records_reported_with_lines(cli, tmp_path: Path) -> None:
    data = tmp_path / "papers.jsonl"
    data.write_text(
        '{"id": "2401.00001", "title": "Good one", "abstract": "Fine."}\n'
        '{"id": "2401.00002", "title": "Broken", \n'
        '{"id": "2401.00003", "title": "Good two", "abstract": "Also fine."}\n',
        encoding="utf-8",
    )
    result = cli("import", data)
    assert result.code == 0, result.err
    assert f"{data}:2:" in result.out
    assert cli("stats", "--json").json()["papers"] == 2


def test_import_tag_category_since_dry_run(cli, tmp_path: Path) -> None:
    data = tmp_path / "snap.jsonl"
    rows = [
        {"id": "2401.00001", "title": "Old ML", "abstract": "a", "categories": "cs.LG",
         "update_date": "2023-01-01"},
        {"id": "2401.00002", "title": "New ML", "abstract": "b", "categories": "cs.LG stat.ML",
         "update_date": "2024-02-01"},
        {"id": "2401.00003", "title": "New CV", "abstract": "c", "categories": "cs.CV",
         "update_date": "2024-02-01"},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    dry = cli("import", data, "--category", "cs.LG", "--since", "2024-01-01", "--dry-run", "--json")
    assert dry.code == 0, dry.err
    assert dry.json()[0]["added"] == 1
    assert cli("stats", "--json").json()["papers"] == 0
    real = cli("import", data, "--category", "cs.LG", "--since", "2024-01-01", "--tag", "To Read")
    assert real.code == 0
    shown = cli("show", "2401.00002", "--json").json()
    assert shown["tags"] == ["To Read"]
    assert cli("stats", "--json").json()["papers"] == 1


@pytest.mark.parametrize(
    "args",
    [
        ("import",),
        ("import", "x", "--since", "yesterday"),
        ("import", "x", "--format", "docx"),
        ("search",),
        ("search", "x", "--limit", "zero"),
        ("show",),
        ("frobnicate",),
        ("export", "--all", "--format", "pdf"),
        ("export", "--format", "bibtex"),
        ("tag", "2401.00001"),
    ],
)
def test_bad_arguments_exit_2(cli, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.code == 2, (args, result)
    assert "error" in result.err
    assert "Traceback" not in result.err


def test_other_commands_never_import_implicitly(cli) -> None:
    assert cli("stats", "--json").json()["papers"] == 0
    assert cli("search", "transformer").code == 0
    assert cli("stats", "--json").json()["papers"] == 0


def test_real_subprocess_import_and_search(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run_cli_process(home, "import", str(SAMPLE))
    assert done.returncode == 0, done.stderr
    found = run_cli_process(home, "search", "tokenformer", "--json")
    assert found.returncode == 0, found.stderr
    results = json.loads(found.stdout)["results"]
    assert results and "TokenFormer" in results[0]["title"]
    assert (home / "data" / "library.sqlite3").exists()
    assert (home / "cache" / "index").exists()
