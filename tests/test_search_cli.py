"""`absreader search` shows where papers with only some of the words begin."""

from __future__ import annotations

from pathlib import Path

from absreader.commands.searching import DIVIDER


def test_search_text_and_json_carry_the_divider(cli, sample_files: list[Path]) -> None:
    assert cli("import", *sample_files).code == 0
    data = cli("search", "unlearning", "diffusion", "--limit", "200", "--json").json()
    strict, total = data["strict_total"], data["total"]
    assert strict is not None and 0 < strict < total
    assert data["status"] == f"{strict:,} {'has' if strict == 1 else 'have'} all words · {total - strict:,} have some"
    text = cli("search", "unlearning", "diffusion", "--limit", "200")
    lines = text.out.splitlines()
    assert lines.index(DIVIDER) == strict  # after the papers with every word
    assert lines[-1] == f"{min(200, total)} of {total} matches ({data['status']})"
    one_word = cli("search", "unlearning", "--json").json()
    assert one_word["strict_total"] is None and one_word["status"] is None
    assert DIVIDER not in cli("search", "unlearning").out


def test_unknown_field_is_searched_as_words(cli, sample_files: list[Path]) -> None:
    assert cli("import", *sample_files).code == 0
    result = cli("search", "problem:unlearning")
    assert result.code == 0
    assert "no field problem:" in result.err
    assert "no matches" not in result.out
