"""The arXiv id normaliser: every form maps to one id, the version apart."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from absreader.core.ids import ArxivId, find_arxiv_id, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2403.13043", ArxivId("2403.13043", None)),
        ("2403.13043v2", ArxivId("2403.13043", "2")),
        ("arXiv:2403.13043v2", ArxivId("2403.13043", "2")),
        ("ARXIV: 2403.13043", ArxivId("2403.13043", None)),
        ("https://arxiv.org/abs/2403.13043v2", ArxivId("2403.13043", "2")),
        ("http://arxiv.org/abs/2403.13043", ArxivId("2403.13043", None)),
        ("https://arxiv.org/pdf/2403.13043v1.pdf", ArxivId("2403.13043", "1")),
        ("https://arxiv.org/pdf/2403.13043", ArxivId("2403.13043", None)),
        ("https://export.arxiv.org/abs/2403.13043", ArxivId("2403.13043", None)),
        ("arxiv.org/abs/2403.13043/", ArxivId("2403.13043", None)),
        ("hep-th/9901001", ArxivId("hep-th/9901001", None)),
        ("hep-th/9901001v3", ArxivId("hep-th/9901001", "3")),
        ("arXiv:hep-th/9901001", ArxivId("hep-th/9901001", None)),
        ("http://arxiv.org/abs/hep-th/9901001v1", ArxivId("hep-th/9901001", "1")),
        ("math.GT/0309136", ArxivId("math/0309136", None)),
        ("10.48550/arXiv.2403.13043", ArxivId("2403.13043", None)),
        ("https://doi.org/10.48550/arXiv.2403.13043", ArxivId("2403.13043", None)),
        ("abs/2403.13043", ArxivId("2403.13043", None)),
        ("arXiv preprint arXiv:2403.13043", ArxivId("2403.13043", None)),
        ("0704.0001", ArxivId("0704.0001", None)),
        ("1501.00001", ArxivId("1501.00001", None)),
        ("  <2403.13043v12>  ", ArxivId("2403.13043", "12")),
    ],
)
def test_forms(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text", ["", "foo", "2413.00001", "1412.12345", "2403.130", "12345.6789", "hep-th/99", "10.1000/xyz"]
)
def test_rejects(text: str) -> None:
    assert parse_arxiv_id(text) is None


def test_str_keeps_version() -> None:
    assert str(ArxivId("2403.13043", "2")) == "2403.13043v2"
    assert str(ArxivId("2403.13043", None)) == "2403.13043"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see arXiv:2403.13043v3 for details", "2403.13043"),
        ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
        ("arXiv preprint arXiv:2310.06825", "2310.06825"),
        ("volume 12, pages 1-9, 2020", None),
        ("a path like usr/1234567 is not an id", None),
    ],
)
def test_find_in_text(text: str, expected: str | None) -> None:
    found = find_arxiv_id(text)
    assert (found.id if found else None) == expected


@given(st.text())
def test_never_raises(text: str) -> None:
    parse_arxiv_id(text)
    find_arxiv_id(text)
