"""One arXiv identifier normaliser for every form a user or a file may use.

Accepted: ``2403.13043``, ``2403.13043v2``, ``arXiv:2403.13043v2``, abs and pdf
URLs (``https://arxiv.org/abs/...``, ``/pdf/....pdf``, export.arxiv.org),
old-style ``hep-th/9901001`` (``math.GT/0309136`` -> ``math/0309136``), DOIs
``10.48550/arXiv.2403.13043``, DBLP's ``abs/2403.13043`` and Google Scholar's
``arXiv preprint arXiv:2403.13043``. The version is kept apart.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_NEW = r"(?P<new>\d{4}\.\d{4,5})"
_OLD = r"(?P<old>[a-z][a-z\-]*(?:\.[a-z]{2})?/\d{7})"
_VERSION = r"(?:v(?P<version>\d+))?"

_FULL = re.compile(rf"^(?:{_NEW}|{_OLD}){_VERSION}$", re.IGNORECASE)
_PREFIXES = re.compile(
    r"^(?:"
    r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/"
    r"|(?:https?://)?(?:dx\.)?doi\.org/10\.48550/arxiv\."
    r"|doi:\s*10\.48550/arxiv\."
    r"|10\.48550/arxiv\."
    r"|arxiv\s+preprint\s+arxiv:\s*"
    r"|arxiv:\s*"
    r"|abs/"
    r")",
    re.IGNORECASE,
)
_EMBEDDED = re.compile(
    rf"(?<![\w./-])(?:arxiv[:./]\s*|abs/|pdf/)?(?:{_NEW}|{_OLD}){_VERSION}(?![\w.])",
    re.IGNORECASE,
)


class ArxivId(NamedTuple):
    """A normalised arXiv identifier and its version (``"2"`` for ``v2``), if given."""

    id: str
    version: str | None

    def __str__(self) -> str:
        return f"{self.id}v{self.version}" if self.version else self.id


def _canonical(match: re.Match[str]) -> ArxivId:
    new = match.group("new")
    if new:
        ident = new
    else:
        archive, number = match.group("old").lower().split("/")
        ident = f"{archive.split('.')[0]}/{number}"
    return ArxivId(ident, match.group("version"))


def _valid_new(ident: str) -> bool:
    month = int(ident[2:4])
    if not 1 <= month <= 12:
        return False
    year = int(ident[:2])
    digits = len(ident.split(".")[1])
    # Four-digit numbers until 2014, five from 2015 (1501.00001) on.
    return digits == 4 if year < 15 else digits == 5


def parse_arxiv_id(text: str | None) -> ArxivId | None:
    """Normalise one identifier written in any accepted form, or return None."""
    if not text:
        return None
    value = text.strip().strip("<>[](){}\"'").strip()
    value = _PREFIXES.sub("", value, count=1)
    value = re.sub(r"\.pdf$", "", value, flags=re.IGNORECASE).rstrip("/")
    match = _FULL.match(value)
    if not match:
        return None
    result = _canonical(match)
    if match.group("new") and not _valid_new(result.id):
        return None
    return result


def find_arxiv_id(text: str | None) -> ArxivId | None:
    """Find an arXiv identifier inside free text (a BibTeX field, a URL, a comment)."""
    if not text:
        return None
    direct = parse_arxiv_id(text)
    if direct:
        return direct
    for match in _EMBEDDED.finditer(text):
        result = _canonical(match)
        if match.group("new") and not _valid_new(result.id):
            continue
        if match.group("old") and not re.search(r"arxiv|abs/|pdf/", text, re.IGNORECASE):
            # Old-style ids look like paths; only trust them beside an arXiv marker.
            continue
        return result
    return None


def looks_like_arxiv_id(text: str) -> bool:
    """True when the whole text is an arXiv id or arXiv URL (used by search)."""
    return parse_arxiv_id(text) is not None
