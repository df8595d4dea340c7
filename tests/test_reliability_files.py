"""Hostile files through the real `absreader import`: no traceback, no hang, a clear report.

Every case runs the command in a subprocess with a deadline (a hang fails the
test instead of CI), then checks the outcome: the exit code, the report line
for each file (format, counts, and each problem with file:line), and the papers
that reached the library, exactly. Good records beside bad ones always come in.

The parsers' own fuzzing, bombs and size limits are in test_sources_fuzz.py;
here each hostile file goes all the way through detection, import, the library
and the index.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.register_assert_rewrite("reliability_helpers")
from reliability_helpers import cli_process, open_library  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
DEADLINE = 60  # seconds for any one import: far more than any case needs


def good_jsonl(path: Path, *ids: str) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": i, "title": f"Good paper {i}", "abstract": f"Fine abstract {i}."})
            + "\n"
            for i in ids
        ),
        encoding="utf-8",
    )
    return path


def run_import(home: Path, *paths: Path | str) -> tuple[int, list[str], list[str]]:
    """Import; returns (exit code, stdout lines, stderr lines), after the basic promises."""
    started = time.monotonic()
    done = cli_process(home, "import", *map(str, paths), timeout=DEADLINE)
    assert "Traceback" not in done.stderr, done.stderr
    assert time.monotonic() - started < DEADLINE
    return done.returncode, done.stdout.splitlines(), done.stderr.splitlines()


def titles(home: Path) -> dict[str, str]:
    with open_library(home) as lib:
        return {p.key: p.title for p in lib.iter_papers()}


# ----------------------------------------------------------------------------- unreadable files


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.json", b"", "empty file"),
        ("blank.txt", b" \n\t\r\n" * 200_000, "no text in the file (only blank space)"),
        ("random.bin", os.urandom(200_000), "binary file, not a text format absreader reads"),
        ("image.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 400, "binary file"),
        ("utf16-no-bom.json", '[{"title": "T"}]'.encode("utf-16-le"), "binary file"),
        ("one-huge-line.txt", b"a" * 30_000_000, "unrecognised format; choose one with --format"),
    ],
    ids=["empty", "blank", "random-bytes", "png", "utf16-without-bom", "30mb-one-line"],
)
def test_unreadable_file_is_one_clear_error_and_the_good_file_still_comes_in(
    home: Path, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    good = good_jsonl(tmp_path / "good.jsonl", "2401.00001", "2401.00002")
    code, out, err = run_import(home, bad, good)
    assert code == 1
    assert err == [f"absreader: error: {bad}: {message}"] or (
        len(err) == 1 and err[0].startswith(f"absreader: error: {bad}: {message}")
    ), err
    assert out == [f"{good}: json, 2 records, added 2, merged 0, skipped 0"]
    assert sorted(titles(home)) == ["2401.00001", "2401.00002"]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_devices_and_pipes_are_refused_without_waiting(home: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # opening it would wait forever for a writer
    code, out, err = run_import(home, "/dev/zero", fifo)
    assert code == 1 and out == []
    assert err == [
        "absreader: error: /dev/zero: not a regular file (a pipe, socket or device); "
        "save it to a file and import that",
        f"absreader: error: {fifo}: not a regular file (a pipe, socket or device); "
        "save it to a file and import that",
    ]


def test_missing_file_and_directory_of_nothing(home: Path, tmp_path: Path) -> None:
    code, out, err = run_import(home, tmp_path / "nope.bib")
    assert (code, out, err) == (1, [], [f"absreader: error: {tmp_path / 'nope.bib'}: no such file"])
    empty = tmp_path / "empty-dir"
    empty.mkdir()
    code, out, err = run_import(home, empty)
    assert (code, out, err) == (1, [], ["absreader: error: no files to import"])


# ----------------------------------------------------------------------------- encodings


def test_latin1_bibtex(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "latin1.bib"
    path.write_bytes(
        "@article{k, title={Caf\u00e9 na\u00efve r\u00e9sum\u00e9}, "
        "abstract={\u00c9t\u00e9 \u00e0 la plage.}, eprint={2401.00003}}\n".encode("latin-1")
    )
    code, out, err = run_import(home, path)
    assert (code, err) == (0, [])
    assert out == [f"{path}: bibtex, 1 records, added 1, merged 0, skipped 0"]
    shown = json.loads(cli_process(home, "show", "2401.00003", "--json").stdout)
    assert shown["title"] == "Café naïve résumé"
    assert shown["abstract"] == "Été à la plage."


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_unicode_with_a_bom(home: Path, tmp_path: Path, encoding: str) -> None:
    text = (
        "title,abstract,id\n"
        '"Ünïcödé ☃ and 日本語","Résumé with emoji 🚀, and ""quotes"".",2401.00004\n'
    )
    path = tmp_path / "bom.csv"
    data = text.encode(encoding)
    if encoding in ("utf-16-be",):
        data = codecs.BOM_UTF16_BE + data
    path.write_bytes(data)
    code, out, err = run_import(home, path)
    assert (code, err) == (0, []), err
    assert out == [f"{path}: csv, 1 records, added 1, merged 0, skipped 0"]
    shown = json.loads(cli_process(home, "show", "2401.00004", "--json").stdout)
    assert shown["title"] == "Ünïcödé ☃ and 日本語"
    assert shown["abstract"] == 'Résumé with emoji 🚀, and "quotes".'


def test_invalid_utf8_bytes_in_the_middle(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = json.dumps({"id": "2401.00005", "title": "Before", "abstract": "A."}).encode()
    bad = b'{"id": "2401.00006", "title": "Bad \xff\xfe bytes", "abstract": "B."}'
    after = json.dumps({"id": "2401.00007", "title": "After", "abstract": "C."}).encode()
    path.write_bytes(good + b"\n" + b"x" * 0 + (b"\n" * 70_000) + bad + b"\n" + after + b"\n")
    code, out, err = run_import(home, path)
    assert (code, err) == (0, [])
    assert out[0] == f"{path}: json, 3 records, added 3, merged 0, skipped 0"
    found = titles(home)
    assert found["2401.00005"] == "Before" and found["2401.00007"] == "After"
    assert found["2401.00006"].startswith("Bad ") and found["2401.00006"].endswith(" bytes")


# ----------------------------------------------------------------------------- size


def test_five_megabyte_abstract_and_hundred_thousand_character_title(
    home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "huge.jsonl"
    abstract = ("word " * 1_000_000).strip()
    title = "T" * 100_000
    lines = [
        {"id": "2401.00008", "title": "Huge abstract", "abstract": abstract},
        {"id": "2401.00009", "title": title, "abstract": "Short."},
        {"id": "2401.00010", "title": "Normal", "abstract": "Normal."},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    code, out, err = run_import(home, path)
    assert (code, err) == (0, [])
    assert out == [f"{path}: json, 3 records, added 3, merged 0, skipped 0"]
    huge = json.loads(cli_process(home, "show", "2401.00008", "--json").stdout)
    assert huge["abstract"] == abstract  # all five megabytes, unchanged
    long_title = json.loads(cli_process(home, "show", "2401.00009", "--json").stdout)
    assert long_title["title"] == title
    found = cli_process(home, "search", "Huge abstract", "--json", timeout=DEADLINE)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["results"][0]["key"] == "2401.00008"


def test_millions_of_blank_lines(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "blank-lines.jsonl"
    blanks = "\n" * 3_000_000
    path.write_text(
        blanks
        + json.dumps({"id": "2401.00011", "title": "First", "abstract": "A."})
        + blanks
        + '{"id": "2401.00012", "title": "Broken",\n'
        + blanks
        + json.dumps({"id": "2401.00013", "title": "Last", "abstract": "B."})
        + "\n",
        encoding="utf-8",
    )
    code, out, err = run_import(home, path)
    assert (code, err) == (0, [])
    assert out[0] == f"{path}: json, 2 records, added 2, merged 0, skipped 1"
    assert out[1].startswith(f"  {path}:6000001: invalid JSON")  # the broken record, by its line
    assert sorted(titles(home).values()) == ["First", "Last"]


# ----------------------------------------------------------------------------- malformed structure


def test_deeply_nested_json(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "nested.jsonl"
    path.write_text(
        json.dumps({"id": "2401.00014", "title": "Before", "abstract": "A."}) + "\n"
        + "[" * 200_000 + "]" * 200_000 + "\n"
        + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "\n"
        + json.dumps({"id": "2401.00015", "title": "After", "abstract": "B."}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    code, out, err = run_import(home, path)
    assert (code, err) == (0, [])
    assert out == [
        f"{path}: json, 2 records, added 2, merged 0, skipped 2",
        f"  {path}:2: JSON nested too deeply",
        f"  {path}:3: JSON nested too deeply",
    ]
    assert sorted(titles(home).values()) == ["After", "Before"]


def test_deeply_nested_json_array_file(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "nested.json"
    path.write_text("[" * 500_000 + "]" * 500_000, encoding="utf-8")
    code, out, err = run_import(home, path)
    assert (code, err) == (0, [])
    assert out[0] == f"{path}: json, 0 records, added 0, merged 0, skipped 1"
    assert "nested too deeply" in out[1]
    assert titles(home) == {}


ATOM = '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'


def entry(n: int, title: str) -> str:
    return (
        f"<entry>\n<id>http://arxiv.org/abs/2401.000{n}v1</id>\n<title>{title}</title>\n"
        f"<summary>Abstract of {title}.</summary>\n</entry>\n"
    )


def test_malformed_xml_keeps_the_entries_on_both_sides(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_text(
        ATOM + entry(20, "Before")
        + "<entry><title>Broken <b>markup</title>\n<summary>oops</entry>\n"
        + entry(21, "Between") + "<entry><title>Undefined &nbsp; entity</title></entry>\n"
        + entry(22, "After") + "</feed>\n",
        encoding="utf-8",
    )  # fmt: skip
    code, out, err = run_import(home, path)
    assert (code, err) == (0, [])
    assert out[0] == f"{path}: atom, 3 records, added 3, merged 0, skipped 2"
    assert out[1].startswith(f"  {path}:8: malformed XML: mismatched tag")
    assert out[1].endswith("skipped to the next entry on line 10")
    assert out[2].startswith(f"  {path}:15: malformed XML: undefined entity")
    assert sorted(titles(home).values()) == ["After", "Before", "Between"]


def test_truncated_xml_keeps_what_came_before(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_text(ATOM + entry(23, "Complete") + "<entry><id>http://arxiv.org/abs/24", "utf-8")
    code, out, err = run_import(home, path)
    assert (code, err) == (0, [])
    assert out[0] == f"{path}: atom, 1 records, added 1, merged 0, skipped 1"
    assert "malformed XML: " in out[1]
    assert list(titles(home).values()) == ["Complete"]


def test_xml_entity_bomb_is_refused_fast(home: Path, tmp_path: Path) -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 12)
    ]
    path = tmp_path / "bomb.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE feed [\n' + "\n".join(entities) + "\n]>\n"
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&lol11;</title>'
        "<summary>boom</summary></entry></feed>\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    code, out, err = run_import(home, path)
    elapsed = time.monotonic() - started
    assert (code, err) == (0, [])
    assert out == [
        f"{path}: atom, 0 records, added 0, merged 0, skipped 1",
        f"  {path}:2: XML with a DOCTYPE or ENTITY declaration is refused (entities are never "
        "expanded); nothing after it was read",
    ]
    assert titles(home) == {}
    assert elapsed < 30  # refused at the declaration, never expanded (10^11 "lol"s)


def test_bibtex_with_unbalanced_braces(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "unbalanced.bib"
    path.write_text(
        "@article{a1, title={First Good}, abstract={Fine.}, eprint={2401.00024}}\n\n"
        "@article{bad, title={Unclosed {brace, abstract={never closed}\n\n"
        "@article{a2, title={Second {Good}}, abstract={Also fine.}, eprint={2401.00025}}\n\n"
        "@article{bad2, title={Too many}}}}, abstract={x}}\n"
        "@article{a3, title={Third Good}, eprint={2401.00026}}\n"
        "@article{last, title={Cut off at the end",
        encoding="utf-8",
    )
    code, out, err = run_import(home, path)
    assert (code, err) == (0, [])
    assert out[0].startswith(f"{path}: bibtex, ")
    assert f"  {path}:3: unbalanced braces" in "\n".join(out)
    found = titles(home)
    assert {found[k] for k in ("2401.00024", "2401.00025", "2401.00026")} == {
        "First Good", "Second Good", "Third Good",
    }  # fmt: skip
    problems = [line for line in out[1:] if line.startswith(f"  {path}:")]
    assert len(problems) >= 2  # the unclosed entry and the cut-off last one
    assert all(": " in p.split(f"{path}:", 1)[1] for p in problems)  # file:line: reason


def test_csv_with_embedded_newlines_and_missing_columns(home: Path) -> None:
    path = FIXTURES / "papers.csv"
    code, out, err = run_import(home, path)
    assert (code, err) == (0, [])
    assert out == [
        f"{path}: csv, 4 records, added 4, merged 0, skipped 1",
        f"  {path}:8: entry has neither title nor abstract",  # the row of empty columns
    ]
    shown = json.loads(cli_process(home, "show", "2403.13043", "--json").stdout)
    assert shown["abstract"] == (
        "Scaling up the size of vision models has been the de facto standard.\n\n"
        "In this work, we discuss the point beyond which larger vision models are not necessary."
    )  # the quoted newlines: a paragraph break kept, not a broken row
    assert json.loads(cli_process(home, "show", "hep-th/9901001", "--json").stdout)["untitled"]
    assert "A Paper With Only A Title" in titles(home).values()


def test_a_folder_of_every_hostile_file_at_once(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "empty.json").write_bytes(b"")
    (folder / "random.bin").write_bytes(os.urandom(50_000))
    (folder / "bomb.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<feed><entry/></feed>'
    )
    (folder / "nested.jsonl").write_text("[" * 100_000 + "\n")
    good_jsonl(folder / "good.jsonl", "2401.00027", "2401.00028")
    (folder / "good.bib").write_text("@misc{k, title={From BibTeX}, eprint={2401.00029}}\n")
    code, out, err = run_import(home, folder)
    assert code == 1  # two files could not be read at all
    assert sorted(err) == [
        f"absreader: error: {folder / 'empty.json'}: empty file",
        f"absreader: error: {folder / 'random.bin'}: binary file, not a text format absreader reads",
    ]
    reported = [line.split(":")[0] for line in out if not line.startswith("  ")]
    assert sorted(reported) == sorted(
        str(folder / n) for n in ("bomb.xml", "good.bib", "good.jsonl", "nested.jsonl")
    )
    assert sorted(titles(home)) == ["2401.00027", "2401.00028", "2401.00029"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX line endings test")
def test_old_mac_line_endings(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "cr.bib"
    path.write_bytes(
        b"@article{a, title={Carriage}, eprint={2401.00030}}\r@article{b, title={Returns},\r"
        b" eprint={2401.00031}}\r"
    )
    code, out, err = run_import(home, path)
    assert (code, err) == (0, [])
    assert out == [f"{path}: bibtex, 2 records, added 2, merged 0, skipped 0"]
    assert sorted(titles(home).values()) == ["Carriage", "Returns"]


# ----------------------------------------------------------------------------- fuzzing, end to end

FUZZ_TOKENS = [
    "\n", "{", "}", "[", "]", '"', ",", ":", "=", "@article{k,", "title = {", "abstract={",
    '{"id": "2401.0001", "title": "T", "abstract": "A"}\n', '"papers": [', "<entry>",
    "</entry>", "<feed xmlns='http://www.w3.org/2005/Atom'>", "<title>", "</title>", "&amp;",
    "<!DOCTYPE x [", "arXiv:2403.13043v2", "Title: ", "Authors: A and B", "\\\\\n",
    "title,abstract,id\n", '"a\nb",c,2401.00002\n', "\x1b[31m", "\u202e", "\x00", "\ufeff",
    "Subscribe", "We study things. " * 5, "-" * 78 + "\n",
]  # fmt: skip


def _fuzz_import(tmp: Path, data: bytes, suffix: str) -> None:
    from absreader.core.importer import collect, import_files
    from absreader.core.library import Library

    path = tmp / f"input{suffix}"
    path.write_bytes(data)
    with Library.open(tmp / f"library-{os.getpid()}.sqlite3") as lib:
        before = lib.count()
        (report,) = collect(import_files(lib, [path]))
        assert report.path == str(path)
        if report.error:
            assert str(path) in report.error and "\n" not in report.error
        else:
            assert report.format
            assert report.added + report.merged <= report.records
            assert lib.count() == before + report.added
            for problem in report.problems:
                assert problem.source == str(path) and problem.line >= 0 and problem.reason
        for paper in lib.iter_papers():  # whatever came in is clean
            for text in (paper.title, paper.abstract, *paper.authors):
                assert not set(text) & set("\x00\x1b\x9b\u202e"), text


_fuzz_inputs = st.one_of(
    st.binary(max_size=400),
    st.lists(st.sampled_from(FUZZ_TOKENS) | st.text(max_size=8), max_size=30).map(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=_fuzz_inputs, suffix=st.sampled_from(["", ".bib", ".json", ".xml", ".csv", ".txt"]))
def test_fuzzed_files_import_without_harm(tmp_path_factory, data: bytes, suffix: str) -> None:
    _fuzz_import(tmp_path_factory.mktemp("fuzz"), data, suffix)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=_fuzz_inputs, suffix=st.sampled_from(["", ".bib", ".json", ".xml", ".csv", ".txt"]))
def test_fuzzed_files_import_without_harm_long_run(
    tmp_path_factory, data: bytes, suffix: str
) -> None:
    _fuzz_import(tmp_path_factory.mktemp("fuzz"), data, suffix)
