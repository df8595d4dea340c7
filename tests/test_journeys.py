"""Journeys through the command line, each checked where the user looks.

Import, export, re-import into a fresh home and compare every field the format
carries; an export aimed at the library refused with the library intact; a
search whose first word is a negation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Result


def ok(result: Result) -> Result:
    assert result.code == 0, result.err
    return result


def papers(cli) -> list[dict]:
    return json.loads(ok(cli("list", "--json", "--limit", "100000")).out)


def test_search_with_a_leading_negation(sample) -> None:
    everything = json.loads(ok(sample("search", "vision", "--limit", "100", "--json")).out)
    without = json.loads(ok(sample("search", "vision", "-transformer", "--limit", "100", "--json")).out)
    assert 0 < without["total"] < everything["total"]
    for hit in without["results"]:
        assert "transformer" not in (hit["title"] + " " + hit["abstract"]).lower()
    # A query that starts with "-" is a query, not an unknown option.
    alone = sample("search", "-transformer", "--json")
    assert alone.code == 0, alone.err
    assert json.loads(alone.out)["total"] > 0
    plain = sample("search", "-paper", "--limit", "3")
    assert plain.code == 0 and "of" in plain.out and "error" not in plain.err
    # And "--" still works as the usual way to say "no more options".
    assert ok(sample("search", "--", "-transformer")).out == ok(sample("search", "-transformer")).out


def test_export_onto_the_library_is_refused_and_the_library_survives(sample, sample_home: Path) -> None:
    before = papers(sample)
    library = sample_home / "data" / "library.sqlite3"
    result = sample("export", "--all", "--format", "bibtex", "-o", library)
    assert result.code == 1 and "refusing" in result.err
    assert papers(sample) == before
    assert ok(sample("stats", "--json")).json()["papers"] == len(before)


FIXTURES = Path(__file__).parent / "fixtures" / "sources"
#: What BibTeX and RIS carry of a paper (personal data travels in the JSON backup).
BIBLIOGRAPHIC = ("key", "arxiv_id", "title", "display_title", "untitled", "abstract", "authors",
                 "published", "doi", "url", "entry_type", "venue", "cite_key", "aliases")


def _round_trip(cli, monkeypatch, tmp_path: Path, fmt: str) -> tuple[list[dict], list[dict]]:
    """Import the journey library, export it as ``fmt``, import that into a fresh home."""
    monkeypatch.setenv("ABSREADER_HOME", str(tmp_path / "first"))
    ok(cli("import", FIXTURES / "journey.bib"))
    ok(cli("tag", "vaswani_attention_2017", "to read"))
    ok(cli("note", "noren_felix_2019", "compare with <b>Smith</b>, 50% & more"))
    ok(cli("bookmark", "2403.13043"))
    before = papers(cli)
    exported = tmp_path / f"library.{ {'bibtex': 'bib', 'ris': 'ris', 'json': 'json'}[fmt] }"
    ok(cli("export", "--all", "--format", fmt, "-o", exported))
    monkeypatch.setenv("ABSREADER_HOME", str(tmp_path / "second"))
    report = ok(cli("import", exported, "--json")).json()[0]
    assert report["format"] == fmt and report["problems"] == [] and report["error"] is None
    return before, papers(cli)


def _fields(records: list[dict], names: tuple[str, ...]) -> dict[str, dict]:
    return {p["key"]: {n: p[n] for n in names} for p in records}


def test_bibtex_keeps_what_it_carries(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ABSREADER_HOME", str(tmp_path / "h"))
    ok(cli("import", FIXTURES / "journey.bib"))
    # The original citation key finds the paper, in show and in search.
    shown = ok(cli("show", "vaswani_attention_2017", "--json")).json()
    assert shown["title"] == "Attention is All you Need"
    assert shown["entry_type"] == "inproceedings"
    assert shown["venue"] == "Advances in Neural Information Processing Systems"
    assert shown["doi"] == "10.5555/3295222.3295349"
    assert shown["published"] == "2017"  # a year is kept as a year, not invented into a date
    assert "2017" in ok(cli("show", "vaswani_attention_2017")).out
    felix = ok(cli("show", "noren_felix_2019", "--json")).json()
    assert felix["title"] == "Braces {kept} and Félix's Über-study of Norén"
    assert felix["authors"] == ["Félix Norén", "Jürgen Müller", "Søren Østergaard"]
    assert felix["entry_type"] == "article" and felix["venue"] == "Journal of Reproducible Things"
    assert felix["published"] == "2019-06"
    # Export reuses the keys and the entry types.
    text = ok(cli("export", "--all", "--format", "bibtex")).out
    assert "@inproceedings{vaswani_attention_2017," in text
    assert "@article{noren_felix_2019," in text
    assert "booktitle = {Advances in Neural Information Processing Systems}" in text
    assert "journal = {Journal of Reproducible Things}" in text
    assert "@misc{shi2024when," in text


@pytest.mark.parametrize("fmt", ["bibtex", "ris"])
def test_export_and_reimport_keeps_every_field_the_format_carries(
    cli, tmp_path: Path, monkeypatch, fmt: str
) -> None:
    before, after = _round_trip(cli, monkeypatch, tmp_path, fmt)
    assert len(after) == len(before) == 4
    names = BIBLIOGRAPHIC + (("categories",) if fmt == "bibtex" else ())
    assert _fields(after, names) == _fields(before, names)
    untitled = [p for p in after if p["untitled"]]
    assert [p["arxiv_id"] for p in untitled] == ["2403.04652"]  # its display title stays a display title


def test_json_backup_round_trip_keeps_everything(cli, tmp_path: Path, monkeypatch) -> None:
    before, after = _round_trip(cli, monkeypatch, tmp_path, "json")
    assert after == before  # every field: personal data, when added, sources, aliases
    assert ok(cli("show", "vaswani_attention_2017", "--json")).json()["tags"] == ["to read"]
