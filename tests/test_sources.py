"""The source parsers on the bundled seeds and on small real-world-shaped fixtures."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from absreader.core.models import Problem, Record, SavedSearch
from absreader.core.sources import (
    FORMATS,
    SourceError,
    _text,
    daily_papers,
    dataset_viewer,
    detect_format,
    read_source,
)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "sample_data"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sources"

CHROME = ("subscribe", "get trending papers", "byak and the research community")


def items(path: Path, format: str | None = None) -> list[Record | Problem | SavedSearch]:
    _, generator = read_source(path, format)
    return list(generator)


def records(path: Path, format: str | None = None) -> list[Record]:
    return [item for item in items(path, format) if isinstance(item, Record)]


def problems(path: Path, format: str | None = None) -> list[Problem]:
    return [item for item in items(path, format) if isinstance(item, Problem)]


def by_id(found: list[Record]) -> dict[str | None, Record]:
    return {record.arxiv_id: record for record in found}


# -- the seeds ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "count", "first_title", "first_line"),
    [
        (
            "daily-papers-listing-mar-13.txt",
            73,
            "CYCLE: Learning to Self-Refine the Code Generation",
            11,
        ),
        (
            "daily-papers-listing-mar-14.txt",
            202,
            "TokenFormer: Rethinking Transformer Scaling with Tokenized Model Parameters",
            11,
        ),
        (
            "daily-papers-listing-mar-20.txt",
            90,
            "OpenELM: An Efficient Language Model Family with Open-source Training and Inference Framework",
            11,
        ),
        (
            "daily-papers-listing-trending.txt",
            232,
            "DeepArchitect: Automatically Designing and Training Deep Architectures",
            3,
        ),
    ],
)
def test_daily_papers_seeds(name: str, count: int, first_title: str, first_line: int) -> None:
    path = SEEDS / name
    assert detect_format(path) == "daily-papers"
    found = items(path)
    assert all(isinstance(item, Record) for item in found)
    assert len(found) == count
    assert found[0].title == first_title
    assert found[0].line == first_line
    for record in found:
        assert record.title and record.abstract, record
        assert len(record.title) < 300 and len(record.abstract) > 300
        lowered = record.title.lower()
        assert not lowered.startswith(CHROME) and lowered != "new"
        assert daily_papers.strip_chrome(record.title) == record.title


def test_daily_papers_pairs_every_title_with_its_abstract() -> None:
    lines = (SEEDS / "daily-papers-listing-mar-20.txt").read_text().splitlines()
    found = records(SEEDS / "daily-papers-listing-mar-20.txt")
    for record in found:
        assert lines[record.line - 1] == record.title
        following = [line for line in lines[record.line :] if line.strip()]
        assert following[0] == record.abstract


def test_dataset_viewer_seed() -> None:
    path = SEEDS / "dataset-viewer-arxiv-abstracts.txt"
    assert detect_format(path) == "dataset-viewer"
    found = items(path)
    assert len(found) == 100 and all(isinstance(r, Record) for r in found)
    ids = by_id(found)  # type: ignore[arg-type]
    assert len(ids) == 100
    first = found[0]
    assert isinstance(first, Record)
    assert (first.arxiv_id, first.version, first.line, first.title) == ("2403.13043", None, 9, None)
    assert first.abstract.startswith("Scaling up the size of vision models")  # type: ignore[union-attr]
    assert ids["2203.14465"].version == "2"
    assert {r.arxiv_id for r in found if isinstance(r, Record) and r.version} == {
        "2203.14465",
        "2212.08045",
        "2401.03321",
    }
    assert all(r.abstract and len(r.abstract) > 300 for r in found if isinstance(r, Record))


# -- daily papers and dataset viewer edge cases --------------------------------


def parse_daily(text: str) -> list[Record | Problem | SavedSearch]:
    return list(daily_papers.parse(io.StringIO(text), "x.txt"))


LONG = "We study a thing. " * 30


def test_daily_papers_chrome_glued_and_dates() -> None:
    text = (
        "Get trending papers in your email inbox once a day!\n"
        "Get trending papers in your email inbox!Subscribe\n"
        "SubscribeFirst Title: Glued\n"
        f"{LONG}\n"
        "Mar 20\n"
        "March 21, 2024\n"
        "byAK and the research community\n"
        "Subscriber Churn Prediction at Scale\n"
        f"{LONG}\n"
        "42\n"
    )
    found = parse_daily(text)
    assert [r.title for r in found] == [  # type: ignore[union-attr]
        "First Title: Glued",
        "Subscriber Churn Prediction at Scale",
    ]


def test_daily_papers_lone_titles_and_abstracts() -> None:
    text = (
        "A Title Whose Abstract Is Missing\n\n"
        "Another Title\n\n"
        f"{LONG}\n\n"
        f"{LONG}\n\n"
        "Short Abstract Title\n"
        "We show that a short abstract of a few words still pairs up.\n"
        "Last Title On A Truncated Page\n"
    )
    found = parse_daily(text)
    shapes = [(r.line, bool(r.title), bool(r.abstract)) for r in found]  # type: ignore[union-attr]
    assert shapes == [
        (1, True, False),
        (3, True, True),
        (7, False, True),
        (9, True, True),
        (11, True, False),
    ]
    assert found[3].abstract.startswith("We show")  # type: ignore[union-attr]


def test_dataset_viewer_resynchronises_after_a_missing_value() -> None:
    text = (
        "arxiv_id\nstringlengths\n9\n12\nabstract\nstringlengths\n431\n13.8k\n"
        "2403.13043\nFirst abstract.\n"
        "2403.00001\n"
        "2403.00002v3\nThird abstract.\n"
        "not an id\n"
        "2403.00003\nFourth abstract.\n"
    )
    found = list(dataset_viewer.parse(io.StringIO(text), "v.txt"))
    summary = [
        (type(r).__name__, r.line, getattr(r, "arxiv_id", None), getattr(r, "version", None))
        for r in found
    ]
    assert summary == [
        ("Record", 9, "2403.13043", None),
        ("Problem", 11, None, None),
        ("Record", 12, "2403.00002", "3"),
        ("Problem", 14, None, None),
        ("Record", 15, "2403.00003", None),
    ]


# -- JSON -----------------------------------------------------------------------


def test_kaggle_snapshot_jsonl() -> None:
    path = FIXTURES / "kaggle-snapshot.jsonl"
    assert detect_format(path) == "json"
    found = items(path)
    ids = by_id([r for r in found if isinstance(r, Record)])
    first = ids["0704.0001"]
    assert first.title.startswith("Calculation of prompt diphoton")  # type: ignore[union-attr]
    assert "\n" in first.title  # type: ignore[operator] # raw: cleaning unwraps later
    assert first.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan")
    assert (first.version, first.published, first.updated) == ("2", "2007-04-02", "2008-11-13")
    assert first.categories == ("hep-ph",)
    assert first.journal_ref == "Phys.Rev.D76:013009,2007"
    assert first.doi == "10.1103/PhysRevD.76.013009"
    assert first.comment == "37 pages, 15 figures; published version"
    old = ids["hep-th/9901001"]
    assert old.authors == ("A. Author", "B. Writer")  # no authors_parsed: split the string
    assert old.categories == ("hep-th", "math-ph", "math.MP")
    assert (old.version, old.published) == ("1", "1999-01-01")
    assert ids["math/0309136"].authors == ("J. Smith Jr",)
    assert ids["math/0309136"].version == "3"
    reported = [(p.line, p.reason) for p in found if isinstance(p, Problem)]
    assert [line for line, _ in reported] == [3, 5, 5, 6]
    assert reported[0][1].startswith("invalid JSON: Invalid control character at column")
    assert reported[1][1] == "expected a JSON object, found a number"
    assert reported[3][1] == "'title' should be text, not a number"


def test_json_array_pretty_printed() -> None:
    found = items(FIXTURES / "papers-array.json")
    assert [type(r).__name__ for r in found] == ["Record", "Record", "Record", "Problem"]
    first, second, third, problem = found
    assert isinstance(first, Record) and isinstance(second, Record) and isinstance(third, Record)
    assert (first.arxiv_id, first.version, first.line) == ("2403.13043", "2", 2)
    assert first.tags == ("vision",) and first.published == "2024-03-19"
    assert second.abstract == "Summaries count as abstracts." and second.arxiv_id is None
    assert second.authors == ("Ada Lovelace", "Charles Babbage")
    assert second.published == "2024-03-19"
    assert third.arxiv_id == "1706.03762"
    assert problem == Problem(
        str(FIXTURES / "papers-array.json"), 31, "entry has neither title nor abstract"
    )


def test_json_backup() -> None:
    path = FIXTURES / "backup.json"
    found = items(path)
    searches = [s for s in found if isinstance(s, SavedSearch)]
    assert searches == [
        SavedSearch("Vision", "cat:cs.CV scaling"),
        SavedSearch("LLMs", '"language model" -survey'),
    ]
    papers = [r for r in found if isinstance(r, Record)]
    assert len(papers) == 2
    titled, untitled = papers
    assert titled.tags == ("to read", "vision")
    assert (titled.bookmarked, titled.read, titled.note) == (True, False, "Check the S2 wrapper.")
    assert (titled.version, titled.updated) == ("2", "2024-07-17")
    assert untitled.title is None and untitled.read is True and untitled.arxiv_id == "2401.03321"
    assert [p.reason for p in found if isinstance(p, Problem)] == [
        "expected a JSON object, found text"
    ]


def test_json_search_output_is_an_array_of_papers() -> None:
    found = records(FIXTURES / "search-output.json")
    assert [r.arxiv_id for r in found] == ["2403.13043", "2401.03321"]
    assert found[1].title is None and found[0].bookmarked is True


def test_json_broken_element_in_array_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(
        '[\n  {"title": "A"},\n  {"title": "B", "abstract": "oops\n  },\n'
        '  {"title": "C", bad},\n  {"title": "D"}\n]\n'
    )
    found = items(path)
    assert [(type(r).__name__, r.line) for r in found] == [
        ("Record", 2),
        ("Problem", 3),
        ("Problem", 5),
        ("Record", 6),
    ]
    reason = "invalid JSON: Expecting property name enclosed in double quotes at column 18"
    assert isinstance(found[2], Problem) and found[2].reason == reason


def test_json_single_line_backup_and_one_object(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text('{"absreader_backup": 1, "papers": [{"title": "T", "abstract": "A"}]}')
    assert [r.title for r in records(path)] == ["T"]
    pretty = tmp_path / "one.json"
    pretty.write_text('{\n  "title": "Only One",\n  "abstract": "x"\n}\n')
    assert [r.title for r in records(pretty)] == ["Only One"]


def test_json_unterminated_array(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('[{"title": "A"},\n{"title": "B"}')
    found = items(path)
    assert [type(r).__name__ for r in found] == ["Record", "Record", "Problem"]
    assert "missing ']'" in found[-1].reason  # type: ignore[union-attr]


# -- Atom -----------------------------------------------------------------------


def test_atom_feed() -> None:
    path = FIXTURES / "arxiv-api-feed.xml"
    assert detect_format(path) == "atom"
    found = items(path)
    assert len(found) == 3
    entry = found[0]
    assert isinstance(entry, Record)
    assert (entry.arxiv_id, entry.version, entry.line) == ("2403.13043", "2", 8)
    assert entry.title == "When Do We Not Need Larger Vision Models?"
    assert "& stuff" in entry.abstract and "<b>ok</b>" in entry.abstract  # type: ignore[operator]
    assert entry.authors == ("Baifeng Shi", "Ziyang Wu")
    assert entry.categories == ("cs.CV", "cs.LG")
    assert (entry.published, entry.updated) == ("2024-03-19", "2024-07-17")
    assert entry.doi == "10.1007/978-3-031-73242-3_25"
    assert entry.journal_ref == "ECCV 2024"
    assert entry.comment == "Code: https://github.com/bfshi/scaling_on_scales"
    assert entry.url == "http://arxiv.org/abs/2403.13043v2"
    api_error, malformed = found[1], found[2]
    assert api_error == Problem(str(path), 33, "arXiv API error: incorrect id format for 1234")
    assert isinstance(malformed, Problem) and malformed.line == 38
    assert malformed.reason.startswith("malformed XML: not well-formed")


def test_atom_entity_bomb_is_refused_fast() -> None:
    found = items(FIXTURES / "entity-bomb.xml", "atom")
    assert len(found) == 1 and isinstance(found[0], Problem)
    assert "DOCTYPE" in found[0].reason and found[0].line == 2


def test_atom_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    path = tmp_path / "xxe.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&x;</title></entry></feed>\n'
    )
    found = items(path, "atom")
    assert all(isinstance(item, Problem) for item in found)
    assert "TOP SECRET" not in repr(found)


# -- BibTeX ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("arxiv-export.bib", "When Do We Not Need Larger Vision Models?"),
        ("zotero.bib", "When Do We Not Need Larger Vision Models?"),
        ("scholar.bib", "When do we not need larger vision models?"),
        ("dblp.bib", "When Do We Not Need Larger Vision Models?"),
        ("biblatex.bib", "When Do We Not Need Larger Vision Models?"),
    ],
)
def test_bibtex_exporters_find_the_arxiv_id(name: str, title: str) -> None:
    path = FIXTURES / name
    assert detect_format(path) == "bibtex"
    found = items(path)
    assert all(isinstance(r, Record) for r in found)
    first = found[0]
    assert isinstance(first, Record)
    assert first.arxiv_id == "2403.13043" and first.title == title
    assert first.authors[:2] == ("Baifeng Shi", "Ziyang Wu")
    assert first.tags == ()  # keywords never become tags
    assert first.line in (1, 2, 6)


def test_bibtex_details() -> None:
    arxiv = records(FIXTURES / "arxiv-export.bib")
    assert arxiv[0].categories == ("cs.CV",)
    assert (arxiv[1].arxiv_id, arxiv[1].version) == ("1706.03762", "7")
    zotero = records(FIXTURES / "zotero.bib")
    assert zotero[0].abstract.startswith("Scaling up the size")  # type: ignore[union-attr]
    assert "ViT-B" in zotero[0].abstract and "{" not in zotero[0].abstract  # type: ignore[operator]
    assert zotero[0].doi is None and zotero[0].comment is None
    german = zotero[1]
    assert german.title == "Über die Schrödinger-Gleichung in Hilbert-Räumen — eine Übersicht"
    assert german.authors == ("Jörg Müller", "André François", "Søren Østergaard")
    assert german.journal_ref == "Zeitschrift für Physik & Mathematik 12, 1–20 (2021)"
    assert german.doi == "10.1000/xyz123" and german.arxiv_id is None
    scholar = records(FIXTURES / "scholar.bib")
    assert scholar[0].journal_ref is None
    assert scholar[1].arxiv_id is None and scholar[1].abstract is None
    dblp = records(FIXTURES / "dblp.bib")
    assert [r.arxiv_id for r in dblp] == ["2403.13043", "1706.03762"]
    biblatex = records(FIXTURES / "biblatex.bib")
    assert biblatex[0].published == "2024-03-19" and biblatex[0].version == "2"
    assert biblatex[0].categories == ("cs.CV",)
    assert biblatex[0].authors == ("Baifeng Shi", "Ziyang Wu")  # "others" dropped
    assert (
        biblatex[0].abstract
        == "Scaling up the size of vision models has been the de facto standard."
    )
    witten = biblatex[1]
    assert witten.title == "String Theory and M-Theory"  # quotes, # and @string
    assert (witten.arxiv_id, witten.line, witten.authors) == (
        "hep-th/9901001",
        17,
        ("Edward Witten",),
    )


def test_bibtex_malformed_entries_are_reported_and_reading_resumes() -> None:
    found = items(FIXTURES / "malformed.bib")
    summary = [(type(r).__name__, r.line, getattr(r, "title", None)) for r in found]
    assert summary == [
        ("Record", 1, "A Good Entry"),
        ("Problem", 6, None),
        ("Record", 10, "Another Good Entry"),
        ("Problem", 15, None),
        ("Problem", 19, None),
        ("Record", 22, "Fine Without Key"),
    ]
    assert found[1].reason.startswith("unbalanced braces")  # type: ignore[union-attr]
    assert found[3].reason == "entry has neither title nor abstract"  # type: ignore[union-attr]


def test_bibtex_unclosed_last_entry(tmp_path: Path) -> None:
    path = tmp_path / "x.bib"
    path.write_text("@misc{a, title={Fine}}\n@misc{b, title={Never closed}\n")
    found = items(path)
    assert isinstance(found[0], Record) and isinstance(found[1], Problem)
    assert found[1].line == 2 and "end of the file" in found[1].reason


# -- arXiv e-mail digest ----------------------------------------------------------


def test_arxiv_email_digest() -> None:
    path = FIXTURES / "arxiv-digest.txt"
    assert detect_format(path) == "arxiv-email"
    found = items(path)
    got = by_id([r for r in found if isinstance(r, Record)])
    assert set(got) == {"2403.13043", "2403.12999", "2403.11111", "2312.00001", "2310.00003"}
    first = got["2403.13043"]
    assert first.line == 18
    assert first.title == (
        "When Do We Not Need Larger Vision Models? A Study of Scaling on Scales for Frozen Backbones"
    )
    assert first.authors == (
        "Baifeng Shi",
        "Ziyang Wu",
        "Maolin Mao (UC Berkeley)",
        "Xin Wang",
        "Trevor Darrell",
    )
    assert first.categories == ("cs.CV", "cs.LG")
    assert first.published == "2024-03-19"
    assert first.comment == "Code: https://github.com/bfshi/scaling_on_scales. 22 pages, 8 figures"
    assert first.abstract.split()[:3] == ["Scaling", "up", "the"]  # type: ignore[union-attr]
    assert first.abstract.rstrip().endswith("not necessary.")  # type: ignore[union-attr]
    assert first.url == "https://arxiv.org/abs/2403.13043"
    second = got["2403.12999"]
    assert (second.journal_ref, second.doi) == ("Proc. Imaginary Conf. 2024", "10.1000/example.42")
    assert got["2403.11111"].categories == ("cs.RO", "cs.CV")
    replaced = got["2312.00001"]
    assert (
        replaced.abstract is None
        and replaced.updated == "2024-03-19"
        and replaced.published is None
    )
    assert (got["2310.00003"].version, got["2310.00003"].updated) == ("3", "2024-03-19")
    # The bare replacement notice (id only) is skipped; the entry without text is a Problem.
    assert [(p.line, p.reason) for p in found if isinstance(p, Problem)] == [
        (90, "entry has neither title nor abstract")
    ]


# -- CSV --------------------------------------------------------------------------


def test_csv_embedded_newlines_and_missing_columns() -> None:
    path = FIXTURES / "papers.csv"
    assert detect_format(path) == "csv"
    found = items(path)
    summary = [(type(r).__name__, r.line) for r in found]
    assert summary == [("Record", 2), ("Record", 5), ("Record", 7), ("Problem", 8), ("Record", 9)]
    first, second, only_title, _, no_title = found
    assert isinstance(first, Record) and isinstance(second, Record)
    assert "\n\nIn this work" in first.abstract  # type: ignore[operator]
    assert (first.arxiv_id, first.version, first.tags) == ("2403.13043", "2", ("to read", "vision"))
    assert first.authors == ("Baifeng Shi", "Ziyang Wu", "Trevor Darrell")
    assert first.categories == ("cs.CV", "cs.LG")
    assert second.arxiv_id == "1706.03762" and '"complex"' in second.abstract  # type: ignore[operator]
    assert second.authors == ("Ashish Vaswani", "Noam Shazeer", "Niki Parmar")
    assert only_title.abstract is None  # type: ignore[union-attr]
    assert no_title.title is None and no_title.arxiv_id == "hep-th/9901001"  # type: ignore[union-attr]


def test_csv_zotero_and_semicolons_in_cp1252() -> None:
    (zotero,) = records(FIXTURES / "zotero-export.csv")
    assert zotero.arxiv_id == "2403.13043"
    assert zotero.authors == ("Baifeng Shi", "Ziyang Wu", "Trevor Darrell")
    assert zotero.published == "2024-03-19"
    (french,) = records(FIXTURES / "semicolon-cp1252.csv")
    assert (french.title, french.abstract, french.doi) == (
        "Un article",
        "Résumé en français",
        "10.1000/abc",
    )


def test_csv_without_paper_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,age\nbob,3\n")
    found = items(path, "csv")
    assert len(found) == 1 and "no title or abstract column" in found[0].reason  # type: ignore[union-attr]


def test_csv_five_megabyte_abstract(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text('title,abstract\nBig,"' + "word " * 1_000_000 + '"\n')
    (record,) = records(path)
    assert len(record.abstract) == 5_000_000  # type: ignore[arg-type]


# -- detection, --format and errors ---------------------------------------------


def test_formats_tuple() -> None:
    assert FORMATS == (
        "daily-papers",
        "dataset-viewer",
        "json",
        "atom",
        "bibtex",
        "arxiv-email",
        "csv",
    )


FIXTURE_FORMATS = {
    "arxiv-api-feed.xml": "atom",
    "entity-bomb.xml": "atom",
    "arxiv-digest.txt": "arxiv-email",
    "arxiv-export.bib": "bibtex",
    "biblatex.bib": "bibtex",
    "dblp.bib": "bibtex",
    "malformed.bib": "bibtex",
    "scholar.bib": "bibtex",
    "zotero.bib": "bibtex",
    "backup.json": "json",
    "kaggle-snapshot.jsonl": "json",
    "papers-array.json": "json",
    "search-output.json": "json",
    "same-titles.jsonl": "json",
    "papers.csv": "csv",
    "semicolon-cp1252.csv": "csv",
    "zotero-export.csv": "csv",
}


def test_every_fixture_is_listed() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(FIXTURE_FORMATS)


@pytest.mark.parametrize(("name", "fmt"), sorted(FIXTURE_FORMATS.items()))
def test_detect_format_on_fixtures(tmp_path: Path, name: str, fmt: str) -> None:
    assert detect_format(FIXTURES / name) == fmt
    # Content decides: the same bytes under a meaningless name are detected the same way.
    renamed = tmp_path / "download"
    renamed.write_bytes((FIXTURES / name).read_bytes())
    assert detect_format(renamed) == fmt
    assert read_source(renamed)[0] == fmt


def test_detection_uses_content_not_extension(tmp_path: Path) -> None:
    path = tmp_path / "papers.txt"
    path.write_text((FIXTURES / "zotero.bib").read_text())
    assert detect_format(path) == "bibtex"
    json_as_csv = tmp_path / "really-json.csv"
    json_as_csv.write_text('[{"title": "T"}]')
    assert detect_format(json_as_csv) == "json"


def test_format_override(tmp_path: Path) -> None:
    fmt, generator = read_source(SEEDS / "dataset-viewer-arxiv-abstracts.txt", "daily-papers")
    assert fmt == "daily-papers"
    found = list(generator)
    assert found and all(isinstance(r, Record) for r in found)
    # Forced as JSON, a BibTeX file is reported, not crashed on.
    fmt, generator = read_source(FIXTURES / "dblp.bib", "json")
    assert fmt == "json" and all(isinstance(r, Problem) for r in generator)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary file"),
        (b"   \n\n\t\n", "no text"),
        (b"just some words on a line\n", "unrecognised format"),
    ],
)
def test_source_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "file.txt"
    path.write_bytes(content)
    with pytest.raises(SourceError) as info:
        read_source(path)
    assert message in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)
    with pytest.raises(SourceError):
        detect_format(path)


def test_missing_directory_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_source(tmp_path / "nope.bib")
    with pytest.raises(SourceError, match="is a directory"):
        read_source(tmp_path)
    with pytest.raises(SourceError, match="unknown format 'yaml'"):
        read_source(FIXTURES / "dblp.bib", "yaml")


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.bib"
    path.write_text("@misc{a, title={T}}\n")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):  # root ignores modes: simulate the refusal instead

            def refuse(*args: object, **kwargs: object) -> None:
                raise PermissionError(13, "Permission denied")

            monkeypatch.setattr(_text, "open", refuse, raising=False)
        with pytest.raises(SourceError, match="permission denied") as info:
            read_source(path)
        assert str(path) in str(info.value)
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
    ],
)
def test_encodings(tmp_path: Path, encoding: str, bom: bytes) -> None:
    text = "@misc{k, title={Caf\\'e and Straße}, abstract={naïve – “quoted”}}\n"
    path = tmp_path / "e.bib"
    path.write_bytes(bom + text.encode(encoding))
    (record,) = records(path)
    assert record.title == "Café and Straße" and record.abstract == "naïve – “quoted”"


def test_latin1_fallback_never_crashes(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes("title,abstract\nCaf\xe9,na\xefve \x81 bytes\n".encode("latin-1"))
    (record,) = records(path)
    assert record.title == "Café" and record.abstract.startswith("naïve")  # type: ignore[union-attr]


def test_items_report_their_position_and_close() -> None:
    path = SEEDS / "daily-papers-listing-mar-14.txt"
    size = path.stat().st_size
    _, generator = read_source(path)
    assert generator.position() == 0  # type: ignore[attr-defined]
    next(generator)
    assert 0 < generator.position() <= size  # type: ignore[attr-defined]
    assert len(list(generator)) == 201
    assert generator.position() == size  # type: ignore[attr-defined]
    _, generator = read_source(path)
    next(generator)
    generator.close()  # type: ignore[attr-defined]
    assert generator.position() == 0  # type: ignore[attr-defined]
    assert list(generator) == []


def test_json_backup_in_the_exporters_layout(tmp_path: Path) -> None:
    """One paper per line after a header line: streamed, and a broken line costs one paper."""
    path = tmp_path / "backup.json"
    path.write_text(
        '{"absreader_backup": 1, "exported": "2024-03-25T10:00:00Z", "saved_searches": '
        '[{"name": "Mine", "query": "tag:mine"}], "papers": [\n'
        '{"key": "2403.13043", "arxiv_id": "2403.13043", "title": "One", "abstract": "a"},\n'
        '{"key": "x", "title": "Broken, "abstract": "unterminated},\n'
        '{"key": "y", "title": "Two", "abstract": "b", "tags": ["t"]},\n'
        '{"key": "w", "title": "cut off here\n'
        '{"key": "z", "title": "Three", "untitled": false, "abstract": "c"}\n'
        "]}\n"
    )
    found = items(path)
    assert found[0] == SavedSearch("Mine", "tag:mine")
    summary = [(type(r).__name__, r.line, getattr(r, "title", None)) for r in found[1:]]
    assert summary == [
        ("Record", 2, "One"),
        ("Problem", 3, None),
        ("Record", 4, "Two"),
        ("Problem", 5, None),
        ("Record", 6, "Three"),
    ]


def test_arxiv_email_cut_short_keeps_the_last_entry(tmp_path: Path) -> None:
    path = tmp_path / "digest.txt"
    path.write_text(
        "\\\\\narXiv:2403.13043\nTitle: Cut Short\nAuthors: A. Person\n\\\\\n  The abstract\n"
    )
    (record,) = records(path, "arxiv-email")
    assert (record.title, record.abstract, record.line) == ("Cut Short", "  The abstract", 2)
