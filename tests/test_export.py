"""Export writers: each format read back by a real parser, keys, escaping, streaming."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import bibtexparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from absreader.core.clean import printable
from absreader.core.export import (
    CSV_COLUMNS,
    FORMATS,
    citation_key,
    to_bibtex_entry,
    write_export,
)
from absreader.core.models import Paper, SavedSearch

# ----------------------------------------------------------------------------- fixtures


def make(**fields: object) -> Paper:
    """A Paper with the required fields filled in."""
    title = str(fields.get("title", ""))
    fields.setdefault("key", fields.get("arxiv_id") or "t:" + (title[:8] or "untitled"))
    fields.setdefault("title", title)
    fields.setdefault("display_title", title or "(no abstract)")
    fields.setdefault("untitled", not title)
    return Paper(**fields)  # type: ignore[arg-type]


SCALING = make(
    arxiv_id="2403.13043",
    version="2",
    title="Scaling Vision Transformers & Friends: 50% {Fewer} Tokens for $x^2$ in under_score land",
    authors=("Lucas Beyer", "Xiaohua Zhai", "Müller, Jürgen"),
    categories=("cs.CV", "cs.LG"),
    published="2024-03-19",
    updated="2024-04-02",
    abstract="We scale ViTs by 100% and\n\n@misc{x, a second} paragraph with \\alpha and ~ and #1.",
    tags=("to read", "vision"),
    note="Worth reading.\n\nSecond paragraph: compare with [Zhai 2022] and *ViT-G*.\n@home",
    bookmarked=True,
    sources=("daily.txt:3", "kaggle.jsonl:9"),
    added="2024-05-01T10:00:00Z",
)
ACCENTS = make(
    arxiv_id="1706.03762",
    title="Étude des réseaux ~ neuronaux : l’approche de Gödel",
    authors=("José Álvarez-Núñez", "Łukasz Kaiser", "Ludwig van Beethoven"),
    categories=("cs.CL",),
    abstract="Une étude.",
    read=True,
)
UNTITLED = make(
    arxiv_id="2306.00001",
    title="",
    display_title="2306.00001: We study the $\\alpha$-divergence of…",
    abstract="We study the $\\alpha$-divergence of things.",
)
OLD_STYLE = make(
    arxiv_id="hep-th/9901001",
    title="Black Holes and Branes in String Theory",
    authors=("Juan Maldacena",),
    abstract="Branes.",
    tags=("physics, classic",),
)
NO_ARXIV = make(
    key="t:balanced",
    title="A {Balanced} Approach to #hashtags, \\backslashes and [brackets] *with* `code`",
    authors=("Smith and Sons Lab", "Jane Q. Public Jr."),
    published="2019-07",
    doi="10.1000/xyz_123{4}",
    url="https://example.org/paper?id=1&x=(2)",
    abstract="Plain.",
    note="multi\nline\n\nnote",
)
PAPERS = [SCALING, ACCENTS, UNTITLED, OLD_STYLE, NO_ARXIV]


def export(fmt: str, papers: list[Paper] | None = None, **kwargs: object) -> str:
    out = io.StringIO()
    count = write_export(PAPERS if papers is None else papers, fmt, out, **kwargs)  # type: ignore[arg-type]
    assert count == len(PAPERS if papers is None else papers)
    return out.getvalue()


_UNTEX = re.compile(
    r"\\textbackslash\{\}|\\textbraceleft\{\}|\\textbraceright\{\}"
    r"|\\textasciitilde\{\}|\\textasciicircum\{\}|\\[&%$#_]|\{@\}"
)
_UNTEX_MAP = {
    r"\textbackslash{}": "\\",
    r"\textbraceleft{}": "{",
    r"\textbraceright{}": "}",
    r"\textasciitilde{}": "~",
    r"\textasciicircum{}": "^",
    "{@}": "@",
}


def untex(value: str) -> str:
    """Undo exactly the escaping the BibTeX writer does."""
    return _UNTEX.sub(lambda m: _UNTEX_MAP.get(m.group(), m.group()[-1:]), value)


def one_line(text: str) -> str:
    return " ".join(printable(text).split())


def braces_balance(text: str) -> bool:
    """BibTeX's rule: every brace counts, backslash or not."""
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def parse_bibtex(text: str) -> bibtexparser.Library:
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library


# ----------------------------------------------------------------------------- general


def test_formats_are_the_documented_five() -> None:
    assert FORMATS == ("bibtex", "markdown", "json", "csv", "ris")


def test_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown export format 'docx'"):
        write_export(PAPERS, "docx", io.StringIO())


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_export_is_valid(fmt: str) -> None:
    assert write_export([], fmt, io.StringIO()) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_terminal_control_characters_reach_the_output(fmt: str) -> None:
    hostile = make(
        arxiv_id="2401.00001",
        title="Evil \x1b[31mred\x1b[0m \x1b]0;title\x07 \u202eright-to-left\x9b2J",
        authors=("Mallory \x1b[2J",),
        abstract="Bell\x07 and \x00 null \x85",
        note="note \x1b[1m bold \u202e",
        tags=("t\x1bag",),
    )
    text = export(fmt, [hostile])
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e]", text)
    if fmt == "json":  # lossless: the backup escapes what it cannot print
        assert json.loads(text)["papers"][0] == hostile.to_json()


@pytest.mark.parametrize("fmt", FORMATS)
def test_writers_stream_one_paper_at_a_time(fmt: str) -> None:
    out = io.StringIO()
    seen: list[int] = []

    def papers() -> Iterator[Paper]:
        for number in range(1, 4):
            seen.append(len(out.getvalue()))
            yield make(arxiv_id=f"2401.0000{number}", title=f"Paper number {number}")

    assert write_export(papers(), fmt, out) == 3
    # Output grows between papers: each was written before the next was read.
    assert seen[1] < seen[2] < len(out.getvalue())


# ----------------------------------------------------------------------------- BibTeX


def test_bibtex_parses_back_with_every_field() -> None:
    library = parse_bibtex(export("bibtex", title="My @reading list {draft}"))
    entries = {entry.key: entry for entry in library.entries}
    assert len(entries) == len(PAPERS)

    scaling = entries["beyer2024scaling"]
    assert untex(scaling["title"]) == "{" + SCALING.title + "}"
    assert scaling["author"] == "Lucas Beyer and Xiaohua Zhai and Müller, Jürgen"
    assert scaling["year"] == "2024"
    assert scaling["eprint"] == "2403.13043"
    assert scaling["archivePrefix"] == "arXiv"
    assert scaling["primaryClass"] == "cs.CV"
    assert scaling["url"] == "https://arxiv.org/abs/2403.13043"
    assert scaling["keywords"] == "to read, vision"
    assert untex(scaling["abstract"]) == SCALING.abstract
    assert untex(scaling["annote"]) == SCALING.note
    assert "note" not in scaling.fields_dict  # the personal note is never printed

    accents = entries["alvareznunez2017etude"]
    assert untex(accents["title"]) == "{" + ACCENTS.title + "}"
    assert "Łukasz Kaiser" in accents["author"]  # UTF-8 kept as is

    untitled = entries["anon2023study"]
    assert "title" not in untitled.fields_dict and "author" not in untitled.fields_dict
    assert untitled["eprint"] == "2306.00001"

    old = entries["maldacena1999black"]
    assert old["eprint"] == "hep-th/9901001"
    assert old["primaryClass"] == "hep-th"  # no categories: the id names the archive
    assert old["keywords"] == "physics classic"  # a comma would split the keyword

    other = entries["smith2019balanced"]
    assert "eprint" not in other.fields_dict and "archivePrefix" not in other.fields_dict
    assert other["author"] == "{Smith and Sons Lab} and Jane Q. Public Jr."
    assert other["url"] == "https://example.org/paper?id=1&x=(2)"
    assert other["doi"] == "10.1000/xyz_123%7B4%7D"
    assert untex(other["title"]) == "{" + NO_ARXIV.title + "}"


def test_bibtex_escapes_every_special_character() -> None:
    entry = to_bibtex_entry(make(title="& % $ # _ { } ~ ^ \\"), "k")
    assert (
        r"title = {{\& \% \$ \# \_ \textbraceleft{} \textbraceright{} "
        r"\textasciitilde{} \textasciicircum{} \textbackslash{}}}"
    ) in entry
    assert braces_balance(entry)


def test_bibtex_entry_is_arxiv_style() -> None:
    entry = to_bibtex_entry(SCALING, "beyer2024scaling")
    assert entry.startswith("@misc{beyer2024scaling,\n  title = {{Scaling Vision")
    assert entry.endswith("\n}\n")
    assert "  archivePrefix = {arXiv},\n" in entry
    assert braces_balance(entry)


def test_bibtex_entry_sanitises_the_key() -> None:
    assert to_bibtex_entry(OLD_STYLE, "bad key{},").startswith("@misc{badkey,")
    assert to_bibtex_entry(OLD_STYLE, "{}").startswith("@misc{anon,")


def test_bibtex_title_comment_cannot_open_an_entry() -> None:
    text = export("bibtex", [OLD_STYLE], title="@misc{evil, title={x}}")
    assert len(parse_bibtex(text).entries) == 1


# ----------------------------------------------------------------------------- keys


@pytest.mark.parametrize(
    ("paper", "expected"),
    [
        (SCALING, "beyer2024scaling"),
        (ACCENTS, "alvareznunez2017etude"),
        (UNTITLED, "anon2023study"),
        (OLD_STYLE, "maldacena1999black"),
        (NO_ARXIV, "smith2019balanced"),
        (make(title="The Art of War", authors=("Sun Tzu",)), "tzuart"),
        (
            make(title="On the Origin", authors=("Darwin, Charles",), published="1859"),
            "darwin1859origin",
        ),
        (
            make(title="A Study", authors=("Ludwig van Beethoven",), arxiv_id="0704.0001"),
            "beethoven2007study",
        ),
        (make(title="Deep", authors=("Łukasz Ćwikła",), arxiv_id="math/0309136"), "cwikla2003deep"),
        (make(title="x", authors=("Ørsted Æbelø",), arxiv_id="1501.00001"), "aebelo2015"),
        (make(title="Über Graphen", authors=("张伟",)), "anonuber"),
        (make(title="$\\mathcal{O}(n)$ Sorting", authors=("Knuth",)), "knuthsorting"),
        (make(title="Old", authors=("Someone Else",), updated="2001-02-03"), "else2001old"),
    ],
)
def test_citation_key_is_author_year_word(paper: Paper, expected: str) -> None:
    taken: set[str] = set()
    assert citation_key(paper, taken) == expected
    assert taken == {expected}


def test_citation_keys_stay_unique_and_well_formed_across_fifty_clashes() -> None:
    papers = [
        make(arxiv_id=f"2403.{10000 + n}", title="Scaling Laws", authors=("Lucas Beyer",))
        for n in range(50)
    ]
    text = export("bibtex", papers)
    keys = [entry.key for entry in parse_bibtex(text).entries]
    assert len(set(keys)) == 50
    assert keys[:3] == ["beyer2024scaling", "beyer2024scalinga", "beyer2024scalingb"]
    assert keys[26:29] == ["beyer2024scalingz", "beyer2024scalingaa", "beyer2024scalingab"]
    assert all(re.fullmatch(r"[a-z]+\d{4}[a-z]+", key) for key in keys)

    taken: set[str] = set()
    direct = [citation_key(paper, taken) for paper in papers]
    assert direct == keys


def test_citation_key_skips_a_key_that_is_already_a_base() -> None:
    taken = {"beyer2024scaling", "beyer2024scalinga"}
    assert citation_key(make(title="Scaling", authors=("L Beyer",), published="2024"), taken) == (
        "beyer2024scalingb"
    )


# ----------------------------------------------------------------------------- Markdown


def _links(markdown: str) -> list[tuple[str, str]]:
    """(href, text) of every link, as a CommonMark renderer sees them."""
    links = []
    for token in MarkdownIt("commonmark").parse(markdown):
        children = token.children or []
        for index, child in enumerate(children):
            if child.type == "link_open":
                text = ""
                for inner in children[index + 1 :]:
                    if inner.type == "link_close":
                        break
                    text += inner.content
                links.append((str(child.attrs["href"]), text))
    return links


def test_markdown_links_render_with_the_exact_titles() -> None:
    text = export("markdown", title="Reading *list* #1")
    assert text.startswith("# Reading \\*list\\* \\#1\n\n")
    assert _links(text) == [
        ("https://arxiv.org/abs/2403.13043", SCALING.title),
        ("https://arxiv.org/abs/1706.03762", ACCENTS.title),
        ("https://arxiv.org/abs/2306.00001", UNTITLED.display_title),
        ("https://arxiv.org/abs/hep-th/9901001", OLD_STYLE.title),
        ("https://example.org/paper?id=1&x=%282%29", NO_ARXIV.title),
    ]


def test_markdown_reading_list_lines() -> None:
    text = export("markdown", [SCALING])
    lines = text.splitlines()
    assert lines[0].endswith(") — Lucas Beyer, Xiaohua Zhai, Jürgen Müller (2024)")
    assert lines[1:] == [
        "  - arXiv:2403.13043 · cs.CV, cs.LG",
        "  - Tags: to read, vision",
        "  - Note:",
        "    > Worth reading.",
        "    >",
        "    > Second paragraph: compare with \\[Zhai 2022\\] and \\*ViT-G\\*.",
        "    > @home",
    ]
    html = MarkdownIt("commonmark").render(text)
    # The note is escaped like a title: shown literally, never as markup.
    assert "<blockquote>" in html and "*ViT-G*" in html and "<em>" not in html


def test_markdown_shortens_long_author_lists_and_guards_unlinked_titles() -> None:
    many = make(arxiv_id="2401.00001", title="Big", authors=tuple(f"A{n} B" for n in range(9)))
    assert "— A0 B, A1 B, A2 B et al." in export("markdown", [many])
    bare = make(title="1986. A year to remember", abstract="x")
    html = MarkdownIt("commonmark").render(export("markdown", [bare]))
    assert "<ol" not in html and "1986. A year to remember" in html


# ----------------------------------------------------------------------------- JSON


def test_json_backup_round_trips_every_field() -> None:
    searches = [
        SavedSearch("ViT", 'title:"vision transformer"'),
        SavedSearch("Ünread", "is:unread"),
    ]
    data = json.loads(export("json", saved_searches=searches))
    assert list(data) == ["absreader_backup", "exported", "saved_searches", "tags", "papers"]
    assert data["absreader_backup"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["exported"])
    assert data["saved_searches"] == [
        {"name": "ViT", "query": 'title:"vision transformer"'},
        {"name": "Ünread", "query": "is:unread"},
    ]
    assert data["papers"] == [paper.to_json() for paper in PAPERS]


def test_json_writes_one_paper_per_line_unescaped() -> None:
    text = export("json")
    assert len(text.splitlines()) == len(PAPERS) + 2
    assert "Gödel" in text  # ensure_ascii=False


# ----------------------------------------------------------------------------- CSV


def _read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_reads_back_equal() -> None:
    rows = _read_csv(export("csv"))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0] == {
        "key": "2403.13043",
        "arxiv_id": "2403.13043",
        "title": SCALING.title,
        "authors": "Lucas Beyer; Xiaohua Zhai; Müller, Jürgen",
        "year": "2024",
        "published": "2024-03-19",
        "categories": "cs.CV; cs.LG",
        "tags": "to read; vision",
        "bookmarked": "true",
        "read": "false",
        "url": "https://arxiv.org/abs/2403.13043",
        "doi": "",
        "note": SCALING.note,
        "abstract": SCALING.abstract,
    }
    assert rows[2]["title"] == "" and rows[2]["key"] == "2306.00001"
    assert rows[3]["year"] == "1999"
    assert rows[4]["note"] == "multi\nline\n\nnote"
    assert rows[4]["url"] == NO_ARXIV.url


# ----------------------------------------------------------------------------- RIS


def _ris_records(text: str) -> list[list[tuple[str, str]]]:
    records: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line:
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9])  - (.*)", line)
        assert match, f"not a RIS line: {line!r}"
        current.append((match.group(1), match.group(2)))
        if match.group(1) == "ER":
            records.append(current)
            current = []
    assert not current
    return records


def test_ris_one_record_per_paper_with_the_fields() -> None:
    records = _ris_records(export("ris"))
    assert len(records) == len(PAPERS)
    for record in records:
        assert record[0][0] == "TY" and record[-1] == ("ER", "")
        assert [tag for tag, _ in record].count("TY") == 1

    scaling = records[0]
    assert scaling[:3] == [("TY", "RPRT"), ("ID", "beyer2024scaling"), ("TI", SCALING.title)]
    assert [v for t, v in scaling if t == "AU"] == [
        "Beyer, Lucas",
        "Zhai, Xiaohua",
        "Müller, Jürgen",
    ]
    assert ("PY", "2024") in scaling and ("DA", "2024/03/19") in scaling
    assert ("PB", "arXiv") in scaling and ("SN", "arXiv:2403.13043") in scaling
    assert ("UR", "https://arxiv.org/abs/2403.13043") in scaling
    assert [v for t, v in scaling if t == "KW"] == ["to read", "vision"]
    assert dict(scaling)["AB"] == one_line(SCALING.abstract)
    assert dict(scaling)["N1"] == one_line(SCALING.note)

    assert [v for t, v in records[1] if t == "AU"] == [
        "Álvarez-Núñez, José",
        "Kaiser, Łukasz",
        "van Beethoven, Ludwig",
    ]

    assert "TI" not in dict(records[2])  # untitled: no invented title
    assert ("SN", "arXiv:hep-th/9901001") in records[3]
    other = records[4]
    assert other[0] == ("TY", "GEN")
    assert ("DA", "2019/07") in other and ("DO", "10.1000/xyz_123{4}") in other
    assert [v for t, v in other if t == "AU"] == ["Smith and Sons Lab", "Public, Jane Q., Jr."]


# ----------------------------------------------------------------------------- properties

# Arbitrary text, and text dense in the characters that break writers.
_tricky = st.sampled_from(list('{}\\@%$#&_~^"=,;[]*`<>\n\r\t ') + ["\n@", " and ", "é", "\x1b["])
_any_text = st.one_of(st.text(max_size=80), st.lists(_tricky, max_size=40).map("".join))
_names = st.lists(_any_text, max_size=4).map(tuple)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_any_text, abstract=_any_text, authors=_names, note=_any_text, tag=_any_text)
def test_bibtex_survives_any_text(
    title: str, abstract: str, authors: tuple[str, ...], note: str, tag: str
) -> None:
    paper = make(
        arxiv_id="2403.13043", title=title, untitled=False, abstract=abstract,
        authors=authors, note=note, tags=(tag,),
    )  # fmt: skip
    entry = to_bibtex_entry(paper, "key")
    assert braces_balance(entry)
    library = parse_bibtex(entry + "\n" + entry.replace("{key,", "{key2,"))
    assert [e.key for e in library.entries] == ["key", "key2"]
    fields = library.entries[0].fields_dict
    assert fields["eprint"].value == "2403.13043"
    if one_line(title):
        assert untex(fields["title"].value) == "{" + one_line(title) + "}"
    else:
        assert "title" not in fields


def _unguard(cell: str) -> str:
    """Take off the ``'`` the CSV export puts before a formula-like cell."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r") else cell


@settings(max_examples=300, deadline=None)
@given(title=_any_text, abstract=_any_text, authors=_names, note=_any_text)
def test_csv_round_trips_any_text(
    title: str, abstract: str, authors: tuple[str, ...], note: str
) -> None:
    paper = make(title=title, untitled=False, abstract=abstract, authors=authors, note=note)
    rows = _read_csv(export("csv", [paper]))
    assert len(rows) == 1
    assert not [v for v in rows[0].values() if v[:1] in ("=", "+", "-", "@", "\t", "\r")]
    row = {name: _unguard(value) for name, value in rows[0].items()}
    assert row["title"] == one_line(title)
    assert row["abstract"] == printable(abstract)
    assert row["note"] == printable(note)
    assert row["authors"] == "; ".join(n for n in map(one_line, authors) if n)


@settings(max_examples=300, deadline=None)
@given(title=_any_text, authors=_names)
def test_markdown_link_survives_any_title(title: str, authors: tuple[str, ...]) -> None:
    paper = make(arxiv_id="2403.13043", title=title, untitled=False, authors=authors)
    links = _links(export("markdown", [paper]))
    text = one_line(title) or one_line(paper.display_title) or "(untitled)"
    assert links == [("https://arxiv.org/abs/2403.13043", text)]


@pytest.mark.parametrize("name", ["and", "Smith and", "others", "a, b, c, d"])
def test_bibtex_braces_names_it_would_misread(name: str) -> None:
    entry = to_bibtex_entry(make(title="T", authors=("Ann Lee", name)), "k")
    assert f"author = {{Ann Lee and {{{name}}}}}" in entry
