"""The parsers on hostile input: fuzzing, bombs, deep nesting, huge lines, blank floods."""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from absreader.core.models import Problem, Record, SavedSearch
from absreader.core.sources import (
    SourceError,
    arxiv_email,
    atom,
    bibtex,
    csv_records,
    daily_papers,
    dataset_viewer,
    json_records,
    read_source,
)
from absreader.core.sources._latex import tex_to_text

MODULES = [daily_papers, dataset_viewer, json_records, atom, bibtex, arxiv_email, csv_records]
ITEM_TYPES = (Record, Problem, SavedSearch)

# Pieces of every format, so fuzzed text reaches past the first branch of each parser.
TOKENS = [
    "\n", "\n\n", " ", "{", "}", "[", "]", '"', ",", ":", "=", "#", "(", ")", "\\", "\\\\",
    "@misc{k,", "@string{a = ", "@comment{", "title = ", "{\\\"o}", "\\'", "--", "~", "$",
    '{"title": "T", "abstract": "A"}', '"papers": [', '{"absreader_backup": 1, ',
    '"authors_parsed": [["A", "B", ""]]', '"versions": [{"created": "Mon, 2 Apr 2007"}]',
    "<feed xmlns='http://www.w3.org/2005/Atom'>", "<entry>", "</entry>", "<title>", "</title>",
    "<!DOCTYPE x [", "<!ENTITY a 'b'>", "&amp;", "&a;", "<category term='cs.CV'/>",
    "arXiv:2403.13043v2", "hep-th/9901001", "Title: ", "Authors: A, B and C", "Date: ",
    "replaced with revised version ", "\\\\ ( https://arxiv.org/abs/2403.13043 ,  1kb)",
    "-" * 78, "  wrapped", "arxiv_id\nstringlengths\n9\n12\nabstract\nstringlengths\n431\n13.8k\n",
    "title,abstract,id\n", '"a\nb"', ";", "\t", "Subscribe", "new", "Mar 20",
    "Get trending papers in your email inbox!", "A Short Title", "We study things. " * 20,
]  # fmt: skip
texts = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(TOKENS) | st.text(max_size=8), max_size=40).map("".join),
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(module: ModuleType, text: str) -> list[object]:
    found = list(module.parse(io.StringIO(text), "fuzz.txt"))
    assert all(isinstance(item, ITEM_TYPES) for item in found)
    for item in found:
        if isinstance(item, Record | Problem):
            assert item.source == "fuzz.txt" and item.line >= 0
        if isinstance(item, Record):
            assert item.title or item.abstract
    return found


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.NAME)
@FUZZ
@given(text=texts)
def test_parsers_never_raise(module: ModuleType, text: str) -> None:
    run(module, text)
    score = module.sniff(text)
    assert isinstance(score, int) and 0 <= score <= 100


@FUZZ
@given(data=st.binary(max_size=600) | texts.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_read_source_on_arbitrary_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input"
        path.write_bytes(data)
        try:
            fmt, generator = read_source(path)
        except SourceError as exc:
            assert str(path) in str(exc) and "\n" not in str(exc)
            return
        assert isinstance(fmt, str)
        assert all(isinstance(item, ITEM_TYPES) for item in generator)


@FUZZ
@given(text=texts)
def test_tex_to_text_never_raises(text: str) -> None:
    assert isinstance(tex_to_text(text), str)


# -- bombs and nesting ------------------------------------------------------------


def test_billion_laughs_is_refused_fast(tmp_path: Path) -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    path = tmp_path / "bomb.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE feed [\n' + "\n".join(entities) + "\n]>\n"
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&lol9;</title></entry></feed>\n'
    )
    start = time.perf_counter()
    fmt, generator = read_source(path)
    found = list(generator)
    assert fmt == "atom" and time.perf_counter() - start < 1
    assert len(found) == 1 and isinstance(found[0], Problem) and "DOCTYPE" in found[0].reason


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        '{"a": ' * 100_000 + "1" + "}" * 100_000,
        '[{"title": "ok"},\n' + "[" * 100_000 + "]" * 100_000 + "]",
        '{"title": "first"}\n' + "[" * 100_000 + "]" * 100_000 + '\n{"title": "after"}\n',
    ],
    ids=["open-brackets", "balanced", "objects", "in-array", "jsonl-line"],
)
def test_deep_json_is_reported_not_crashed(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(text)
    fmt, generator = read_source(path, "json")
    found = list(generator)
    assert any(isinstance(item, Problem) and "deep" in item.reason for item in found)
    titles = [item.title for item in found if isinstance(item, Record)]
    if "after" in text:
        assert titles == ["first", "after"]


def test_deep_bibtex_braces(tmp_path: Path) -> None:
    path = tmp_path / "deep.bib"
    path.write_text("@misc{k, title={" + "{" * 100_000 + "Deep" + "}" * 100_000 + "}}\n")
    (record,) = list(read_source(path)[1])
    assert isinstance(record, Record) and record.title == "Deep"
    path.write_text("@misc{k, title={" + "\\cite{" * 50_000 + "}\n@misc{j, title={Next}}\n")
    found = list(read_source(path)[1])
    assert isinstance(found[0], Problem) and isinstance(found[1], Record)


# -- size and speed -----------------------------------------------------------------

HUGE_TITLE = "T" * 100_000
HUGE_ABSTRACT = "word " * 1_000_000  # 5 MB on one line

HUGE_FILES = {
    "daily-papers": f"{HUGE_TITLE[:200]}\n{HUGE_ABSTRACT}\n",
    "json": '{"title": "' + HUGE_TITLE + '", "abstract": "' + HUGE_ABSTRACT + '"}\n',
    "atom": (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>' + HUGE_TITLE
        + "</title><summary>" + HUGE_ABSTRACT + "</summary></entry></feed>"
    ),
    "bibtex": "@misc{k, title={" + HUGE_TITLE + "}, abstract={" + HUGE_ABSTRACT + "}}\n",
    "arxiv-email": (
        "\\\\\narXiv:2403.13043\nTitle: " + HUGE_TITLE + "\n\\\\\n" + HUGE_ABSTRACT
        + "\n\\\\ ( https://arxiv.org/abs/2403.13043 ,  1kb)\n"
    ),
    "csv": 'title,abstract\n"' + HUGE_TITLE + '","' + HUGE_ABSTRACT + '"\n',
    "dataset-viewer": (
        "arxiv_id\nstringlengths\n9\n12\nabstract\nstringlengths\n431\n13.8k\n2403.13043\n"
        + HUGE_ABSTRACT + "\n"
    ),
}  # fmt: skip


@pytest.mark.parametrize("fmt", sorted(HUGE_FILES))
def test_huge_title_and_abstract(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "huge"
    path.write_text(HUGE_FILES[fmt])
    detected, generator = read_source(path)
    assert detected == fmt
    start = time.perf_counter()
    (record,) = list(generator)
    assert isinstance(record, Record), record
    assert record.abstract is not None and len(record.abstract.strip()) == len(
        HUGE_ABSTRACT.strip()
    )
    if fmt not in ("daily-papers", "dataset-viewer"):
        assert record.title == HUGE_TITLE
    assert time.perf_counter() - start < 5


BLANKS = "\n" * 1_000_000


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("daily-papers", BLANKS + "A Title\n" + "We study things. " * 30 + "\n" + BLANKS),
        ("json", BLANKS + '{"title": "T"}\n' + BLANKS + '{"title": "U"}\n'),
        ("json", "[" + BLANKS + '{"title": "T"}' + BLANKS + "]"),
        ("bibtex", BLANKS + "@misc{k, title={T}}\n" + BLANKS),
        (
            "atom",
            BLANKS
            + '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>T</title></entry></feed>'
            + BLANKS,
        ),
        ("csv", BLANKS + "title,abstract\n" + BLANKS + "T,A\n"),
        (
            "arxiv-email",
            BLANKS + "\\\\\narXiv:2403.13043\nTitle: T\n" + BLANKS + "\\\\ ( x , 1kb)\n",
        ),
    ],
    ids=lambda value: value if len(value) < 20 else "",
)
def test_millions_of_blank_lines_stream_quickly(tmp_path: Path, fmt: str, text: str) -> None:
    path = tmp_path / "blank"
    path.write_text(text)
    start = time.perf_counter()
    detected, generator = read_source(path)
    found = list(generator)
    assert detected == fmt
    assert found and all(isinstance(item, Record) for item in found)
    assert found[0].line > 1_000_000
    assert time.perf_counter() - start < 10
