"""`absreader export` end to end: every format read back, files written whole or not at all,
and the JSON backup restoring a whole library into a fresh ABSREADER_HOME."""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import bibtexparser
import pytest
from markdown_it import MarkdownIt

from tests.conftest import SAMPLE, Result, run_cli_process

SCALING = "2403.13043"  # untitled: only in the dataset dump
YI = "2403.04652"  # in the dump and (titled) in a listing
YI_TITLE = "Yi: Open Foundation Models by 01.AI"
TRICKY_NOTE = (
    "50% of {braces} & $x^2$ \\cite{a} #1 _u_ ~ ^ \"quoted\"\n"
    "@misc{evil, title={x}}\n\n"
    "Ünïcode ✓ and a second paragraph"
)
MD_NOTE = "Markdown *note*\n- first point\n- second point"


def ok(result: Result) -> Result:
    assert result.code == 0, result.err
    return result


def records(cli: Callable[..., Result], *args: str) -> list[dict]:
    return ok(cli("list", *args, "--json")).json()


@pytest.fixture(scope="module")
def reading_list_template(sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample library with three papers on "Reading List" (untitled with an id, titled
    with an id, no id), notes, bookmarks, a read paper and a saved search; built once."""
    from absreader.cli import main

    home = tmp_path_factory.mktemp("reading-list") / "home"
    shutil.copytree(sample_template, home)

    def run(*args: str) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(list(args)) == 0, args
        return out.getvalue()

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ABSREADER_HOME", str(home))
        token = next(p for p in json.loads(run("list", "--json")) if p["title"].startswith("TokenFormer"))
        assert token["arxiv_id"] is None
        for key in (SCALING, YI, token["key"]):
            run("tag", key, "Reading List")
        run("tag", YI, "llm")
        run("note", SCALING, TRICKY_NOTE)
        run("note", token["key"], MD_NOTE)
        run("bookmark", SCALING)
        run("bookmark", token["key"])
        run("read", YI)
        run("saved", "add", "tok", "tokenformer")
    return home


@pytest.fixture
def reading_list(home: Path, reading_list_template: Path, cli) -> tuple[Callable[..., Result], list[dict]]:
    shutil.copytree(reading_list_template, home)
    papers = records(cli, "--tag", "reading list")
    token = next(p for p in papers if p["title"].startswith("TokenFormer"))
    assert {p["key"] for p in papers} == {SCALING, YI, token["key"]} and len(papers) == 3
    return cli, papers


def export(cli: Callable[..., Result], *args: str) -> str:
    result = ok(cli("export", *args))
    return result.out


# ----------------------------------------------------------------------------- formats

_UNTEX = re.compile(
    r"\\textbackslash\{\}|\\textbraceleft\{\}|\\textbraceright\{\}"
    r"|\\textasciitilde\{\}|\\textasciicircum\{\}|\\[&%$#_]|\{@\}"
)
_UNTEX_MAP = {
    r"\textbackslash{}": "\\", r"\textbraceleft{}": "{", r"\textbraceright{}": "}",
    r"\textasciitilde{}": "~", r"\textasciicircum{}": "^", "{@}": "@",
}


def untex(value: str) -> str:
    return _UNTEX.sub(lambda m: _UNTEX_MAP.get(m.group(), m.group()[-1:]), value)


def test_bibtex_parses_back_with_a_real_parser(reading_list) -> None:
    cli, papers = reading_list
    text = export(cli, "--tag", "READING LIST", "--format", "bibtex")
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    entries = library.entries
    assert len(entries) == 3
    assert len({e.key for e in entries}) == 3
    for entry, paper in zip(entries, papers, strict=True):  # the list's order
        assert entry.entry_type == "misc"
        assert re.fullmatch(r"[a-z]+\d{0,4}[a-z]*", entry.key), entry.key
        fields = entry.fields_dict
        assert "Reading List" in fields["keywords"].value.split(", ")
        assert untex(fields["abstract"].value) == paper["abstract"]
        if paper["arxiv_id"]:
            assert fields["eprint"].value == paper["arxiv_id"]
            assert fields["archivePrefix"].value == "arXiv"
            assert fields["url"].value == f"https://arxiv.org/abs/{paper['arxiv_id']}"
            assert fields["year"].value == "2024"
        else:
            assert "eprint" not in fields and "archivePrefix" not in fields
        if paper["untitled"]:
            assert "title" not in fields
        else:
            assert untex(fields["title"].value) == "{" + paper["title"] + "}"
        if paper["note"]:
            assert untex(fields["annote"].value) == paper["note"]
        else:
            assert "annote" not in fields
    by_eprint = {e.fields_dict["eprint"].value: e for e in entries if "eprint" in e.fields_dict}
    assert by_eprint[YI]["keywords"] == "llm, Reading List"
    assert untex(by_eprint[SCALING]["annote"]) == TRICKY_NOTE
    # The heading is a comment, not an entry.
    assert text.startswith("% Reading list: READING LIST\n")


def test_markdown_is_a_reading_list(reading_list) -> None:
    cli, papers = reading_list
    text = export(cli, "--tag", "reading list", "--format", "markdown")
    assert text.startswith("# Reading list: reading list\n")
    assert f"- [{YI_TITLE}](https://arxiv.org/abs/{YI})" in text
    assert "  - Tags: llm, Reading List" in text
    # The note is escaped like a title: its words come out literally, not as Markdown.
    assert "    > Markdown \\*note\\*\n    > \\- first point\n    > \\- second point" in text
    tokens = MarkdownIt("commonmark").parse(text)
    links = [t.attrGet("href") for tok in tokens for t in (tok.children or []) if t.type == "link_open"]
    assert links == [f"https://arxiv.org/abs/{p['arxiv_id']}" for p in papers if p["arxiv_id"]]
    html = MarkdownIt("commonmark").render(text)
    assert "TokenFormer: Rethinking Transformer Scaling" in html


def test_csv_reads_back(reading_list) -> None:
    cli, papers = reading_list
    text = export(cli, "--tag", "reading list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["key"] for r in rows] == [p["key"] for p in papers]
    for row, paper in zip(rows, papers, strict=True):
        assert row["arxiv_id"] == (paper["arxiv_id"] or "")
        assert row["title"] == ("" if paper["untitled"] else paper["title"])
        assert row["tags"] == "; ".join(paper["tags"])
        assert row["bookmarked"] == str(paper["bookmarked"]).lower()
        assert row["read"] == str(paper["read"]).lower()
        assert row["note"] == paper["note"]
        assert row["abstract"] == paper["abstract"]


def test_ris_one_record_per_paper(reading_list) -> None:
    cli, papers = reading_list
    text = export(cli, "--tag", "reading list", "--format", "ris")
    records_: list[list[tuple[str, str]]] = [[]]
    for line in text.splitlines():
        if not line:
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9])  - (.*)", line)
        assert match, line
        records_[-1].append((match.group(1), match.group(2)))
        if match.group(1) == "ER":
            records_.append([])
    assert records_.pop() == []
    assert len(records_) == 3
    for record, paper in zip(records_, papers, strict=True):
        fields = dict(record)
        assert fields["TY"] == ("RPRT" if paper["arxiv_id"] else "GEN")
        assert [v for t, v in record if t == "KW"] == paper["tags"]
        if paper["arxiv_id"]:
            assert fields["SN"] == f"arXiv:{paper['arxiv_id']}"
            assert fields["UR"] == f"https://arxiv.org/abs/{paper['arxiv_id']}"


def test_json_export_of_a_selection(reading_list) -> None:
    cli, papers = reading_list
    data = json.loads(export(cli, "--tag", "reading list", "--format", "json"))
    assert data["absreader_backup"] == 1
    assert data["papers"] == papers
    assert data["saved_searches"] == []  # only a full backup carries them


def test_every_selection(reading_list) -> None:
    cli, _ = reading_list

    def exported(*args: str) -> list[str]:
        result = ok(cli("export", *args, "--format", "json"))
        papers = json.loads(result.out)["papers"]
        assert f"exported {len(papers)} papers" in result.err
        return [p["key"] for p in papers]

    assert exported("--bookmarked") == [p["key"] for p in records(cli, "--bookmarked")]
    assert len(exported("--bookmarked")) == 2
    assert exported("--saved", "TOK") == [p["key"] for p in records(cli, "--saved", "tok")]
    token = exported("--query", "tokenformer")
    assert token and token[0] == exported("--saved", "tok")[0]
    everything = exported("--all")
    assert len(everything) == ok(cli("stats", "--json")).json()["papers"]
    # BibTeX is the default format.
    assert export(cli, "--bookmarked").startswith("% Bookmarked papers\n\n@misc{")


# ----------------------------------------------------------------------------- files

SUFFIXES = {".bib": "bibtex", ".md": "markdown", ".csv": "csv", ".ris": "ris", ".json": "json"}


def _same_export(a: str, b: str) -> bool:
    """Equal, but for the JSON backup's timestamp."""
    stamp = re.compile(r'"exported": "[^"]*"')
    return stamp.sub("", a) == stamp.sub("", b)


@pytest.mark.parametrize(("suffix", "fmt"), sorted(SUFFIXES.items()))
def test_output_file_format_from_the_suffix(reading_list, tmp_path: Path, suffix: str, fmt: str) -> None:
    cli, _ = reading_list
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / f"list{suffix}"
    target.write_text("old content", encoding="utf-8")  # replaced whole
    result = ok(cli("export", "--tag", "reading list", "-o", str(target)))
    assert result.out == f"exported 3 papers to {target} ({fmt})\n"
    written = target.read_bytes().decode("utf-8")
    assert _same_export(written, export(cli, "--tag", "reading list", "--format", fmt))
    assert os.listdir(out_dir) == [target.name]  # no temporary file left behind


def test_explicit_format_wins_and_relative_path(reading_list, tmp_path: Path, monkeypatch) -> None:
    cli, _ = reading_list
    monkeypatch.chdir(tmp_path)
    ok(cli("export", "--bookmarked", "--format", "markdown", "-o", "list.txt"))
    assert (tmp_path / "list.txt").read_text(encoding="utf-8").startswith("# Bookmarked papers\n")
    ok(cli("export", "--bookmarked", "-o", "no-suffix"))
    assert (tmp_path / "no-suffix").read_text(encoding="utf-8").startswith("% Bookmarked papers")


def test_real_subprocess_writes_the_file(reading_list, home: Path, tmp_path: Path) -> None:
    target = tmp_path / "papers.bib"
    done = run_cli_process(home, "export", "--tag", "Reading List", "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert len(bibtexparser.parse_string(target.read_text(encoding="utf-8")).entries) == 3


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_output_file_gets_ordinary_permissions(reading_list, tmp_path: Path) -> None:
    cli, _ = reading_list
    umask = os.umask(0o022)
    os.umask(umask)
    new = tmp_path / "new.bib"
    ok(cli("export", "--bookmarked", "-o", str(new)))
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask  # not mkstemp's private 0600
    shared = tmp_path / "shared.md"
    shared.write_text("old", encoding="utf-8")
    shared.chmod(0o640)
    ok(cli("export", "--bookmarked", "-o", str(shared)))
    assert stat.S_IMODE(shared.stat().st_mode) == 0o640  # an existing file keeps its mode
    assert shared.read_text(encoding="utf-8").startswith("# Bookmarked papers")


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody may write into, root included (chattr +i when modes are ignored)."""
    directory = tmp_path / "read-only"
    directory.mkdir()
    (directory / "existing.bib").write_text("keep me", encoding="utf-8")
    directory.chmod(0o555)
    immutable = False
    if os.access(directory, os.W_OK):  # root: permission bits do not apply
        chattr = shutil.which("chattr")
        if not chattr or subprocess.run([chattr, "+i", str(directory)], capture_output=True).returncode:
            directory.chmod(0o755)
            pytest.skip("cannot make a read-only directory as this user on this file system")
        immutable = True
    try:
        yield directory
    finally:
        if immutable:
            subprocess.run([shutil.which("chattr") or "chattr", "-i", str(directory)], check=True)
        directory.chmod(0o755)


def _assert_clear_failure(result: Result, path: Path, *fragments: str) -> None:
    assert result.code == 1, result
    assert result.err.startswith("absreader: error: ")
    assert str(path) in result.err
    for fragment in fragments:
        assert fragment in result.err
    assert "Traceback" not in result.err
    assert result.out == ""


def test_read_only_directory(reading_list, read_only_dir: Path) -> None:
    cli, _ = reading_list
    new = read_only_dir / "new.bib"
    _assert_clear_failure(cli("export", "--all", "-o", str(new)), new, "cannot write")
    existing = read_only_dir / "existing.bib"
    _assert_clear_failure(cli("export", "--all", "-o", str(existing)), existing, "cannot write")
    assert sorted(os.listdir(read_only_dir)) == ["existing.bib"]
    assert existing.read_text(encoding="utf-8") == "keep me"


def test_directory_as_output(reading_list, tmp_path: Path) -> None:
    cli, _ = reading_list
    directory = tmp_path / "a-dir.bib"
    directory.mkdir()
    (directory / "inside").write_text("x", encoding="utf-8")
    _assert_clear_failure(cli("export", "--all", "-o", str(directory)), directory, "is a directory")
    assert os.listdir(directory) == ["inside"]
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_missing_parent_directory(reading_list, tmp_path: Path) -> None:
    cli, _ = reading_list
    target = tmp_path / "missing" / "deeper" / "list.md"
    _assert_clear_failure(cli("export", "--all", "-o", str(target)), target, "cannot write")
    assert not (tmp_path / "missing").exists()


def test_failure_mid_write_leaves_no_partial_file(reading_list, tmp_path: Path, monkeypatch) -> None:
    cli, _ = reading_list
    import absreader.commands.exporting as exporting

    real = exporting.write_export

    def disk_fills_up(papers, fmt, out, **kw) -> int:
        real(papers, fmt, out, **kw)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(exporting, "write_export", disk_fills_up)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "all.json"
    target.write_text("the previous export", encoding="utf-8")
    result = cli("export", "--all", "-o", str(target))
    _assert_clear_failure(result, target, "No space left on device", "nothing was written")
    assert os.listdir(out_dir) == ["all.json"]
    assert target.read_text(encoding="utf-8") == "the previous export"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ((), 2, "one of the arguments"),
        (("--tag", "x", "--all"), 2, "not allowed with"),
        (("--all", "--format", "docx"), 2, "invalid choice"),
        (("--tag", "no-such-list"), 1, "no tag named 'no-such-list'"),
        (("--saved", "no-such-search"), 1, "no saved search named 'no-such-search'"),
    ],
)
def test_bad_export_arguments_write_nothing(
    reading_list, tmp_path: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    cli, _ = reading_list
    target = tmp_path / "never.bib"
    result = cli("export", *args, "-o", str(target))
    assert result.code == code, result
    assert message in result.err and "Traceback" not in result.err
    assert not target.exists()


# ----------------------------------------------------------------------------- backup round trip


def snapshot(cli: Callable[..., Result]) -> dict:
    """Everything a library holds that a user could see, by key."""
    stats = ok(cli("stats", "--json")).json()
    for name in ("library", "index", "sources"):
        stats.pop(name)
    return {
        "papers": records(cli),
        "tags": ok(cli("tags", "--json")).json(),
        "saved": ok(cli("saved", "list", "--json")).json(),
        "stats": stats,
    }


# Fields that describe this library's history, not the paper, and may differ after a restore:
# `sources` names the files each paper came from (the restored library got every paper from
# the backup file, and the original paths need not exist on the new machine), and
# `added` is when the paper entered this library.
HISTORY = ("sources", "added")


def _without_history(papers: list[dict]) -> list[dict]:
    return [{k: v for k, v in p.items() if k not in HISTORY} for p in papers]


def test_json_backup_restores_everything_into_a_fresh_home(
    sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = sample
    everything = records(cli)
    keys = [p["key"] for p in everything]
    untitled = [p["key"] for p in everything if p["untitled"]][:3]
    no_id = [p["key"] for p in everything if not p["arxiv_id"]][:3]
    with_id = [p["key"] for p in everything if p["arxiv_id"] and not p["untitled"]][:3]
    assert len(untitled) == len(no_id) == len(with_id) == 3
    chosen = untitled + no_id + with_id
    for key in chosen[::2]:
        ok(cli("bookmark", key))
    for key in chosen[1::2]:
        ok(cli("read", key))
    for i, key in enumerate(chosen):
        ok(cli("tag", key, ["Deep  Learning", "to read", "Ünïcode Tag"][i % 3]))
    ok(cli("tag", chosen[0], "to read", "Straße"))
    ok(cli("note", chosen[0], TRICKY_NOTE))
    ok(cli("note", chosen[4], MD_NOTE))
    ok(cli("note", chosen[8], "  indented\n\tand tabbed  "))
    ok(cli("saved", "add", "Vision", 'title:"vision transformer" OR cat:cs.CV'))
    ok(cli("saved", "add", "Ünread agents", "is:unread agent*"))
    ok(cli("tag", keys[-1], "Soon Empty"))
    ok(cli("untag", keys[-1], "soon empty"))  # a reading list with no papers yet
    before = snapshot(cli)

    backup = tmp_path / "b.json"
    ok(cli("export", "--all", "--format", "json", "-o", str(backup)))
    data = json.loads(backup.read_text(encoding="utf-8"))
    assert len(data["papers"]) == len(everything)

    monkeypatch.setenv("ABSREADER_HOME", str(tmp_path / "fresh"))
    assert ok(cli("stats", "--json")).json()["papers"] == 0
    restored = ok(cli("import", str(backup), "--json")).json()
    assert restored[0]["format"] == "json"
    assert restored[0]["problems"] == [] and restored[0]["skipped"] == 0
    after = snapshot(cli)

    assert after["saved"] == before["saved"]
    # Every reading list, including one with no papers.
    assert after["tags"] == before["tags"]
    assert after["stats"] == before["stats"]
    assert _without_history(after["papers"]) == _without_history(before["papers"])  # order too
    for paper in after["papers"]:
        assert paper["sources"] == [str(backup)]
    # Search works on the restored personal data.
    found = ok(cli("search", "tag:\"to read\"", "--limit", "100", "--json")).json()
    assert {p["key"] for p in found["results"]} == {
        p["key"] for p in before["papers"] if "to read" in p["tags"]
    }

    # Restoring the same backup again changes nothing.
    again = ok(cli("import", str(backup), "--json")).json()
    assert again[0]["added"] == 0
    assert snapshot(cli) == after


def test_json_backup_keeps_an_empty_reading_list(cli, tmp_path: Path, monkeypatch) -> None:
    sample = cli
    ok(cli("import", str(SAMPLE / "daily-papers-listing-mar-13.txt")))
    key = records(sample)[0]["key"]
    ok(sample("tag", key, "Someday"))
    ok(sample("untag", key, "someday"))
    assert ok(sample("tags", "--json")).json() == [{"name": "Someday", "count": 0}]
    backup = tmp_path / "b.json"
    ok(sample("export", "--all", "--format", "json", "-o", str(backup)))
    monkeypatch.setenv("ABSREADER_HOME", str(tmp_path / "fresh"))
    ok(sample("import", str(backup)))
    assert ok(sample("tags", "--json")).json() == [{"name": "Someday", "count": 0}]
