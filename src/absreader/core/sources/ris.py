"""RIS, as Zotero, Mendeley, EndNote, publishers and absreader itself export it.

Records run from ``TY  -`` to ``ER  -``; this module finds them line by line
(streamed, each with its line number) and lets ``rispy`` read the tags of each.
Authors (``AU``/``A1``, ``Last, First``), title (``TI``/``T1``), abstract
(``AB``/``N2``), the year or date (``PY``/``DA``/``Y1``, kept at its precision),
DOI, URLs, the journal (``JO``/``JF``/``T2``), the record type (``JOUR`` comes
back out of a BibTeX export as ``@article``) and the record's ``ID`` (a citation
key) are kept. The arXiv id is looked for in ``SN  - arXiv:...``, the URLs,
the DOI and ``AN``. Keywords are not tags.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, TextIO

import rispy

from absreader.core.models import Problem, Record, SavedSearch
from absreader.core.sources._fields import (
    MAX_RECORD_CHARS,
    arxiv_fields,
    build,
    invert_name,
    partial_date,
    string_tuple,
)
from absreader.core.sources._text import iter_lines

NAME = "ris"

Item = Record | Problem | SavedSearch

_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: |$)")
#: RIS reference types and the BibTeX entry types they correspond to.
ENTRY_TYPES = {
    "JOUR": "article", "JFULL": "article", "MGZN": "article", "NEWS": "article",
    "EJOUR": "article", "CONF": "inproceedings", "CPAPER": "inproceedings",
    "BOOK": "book", "EBOOK": "book", "EDBOOK": "book", "CHAP": "incollection",
    "ECHAP": "incollection", "THES": "phdthesis", "RPRT": "techreport", "UNPB": "unpublished",
    "ELEC": "online", "WEB": "online", "DATA": "dataset", "COMP": "software", "GEN": "misc",
}  # fmt: skip
_ARXIV_PUBLISHER = re.compile(r"^\s*arxiv\b", re.IGNORECASE)


def _first(record: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = record.get(name)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str) and v.strip()), None)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _date(record: dict[str, Any]) -> str | None:
    for name in ("date", "year", "publication_year"):
        value = _first(record, name)
        if value:
            parts = [p for p in value.replace("-", "/").split("/") if p.strip()]
            found = partial_date("-".join(p.strip().zfill(2) for p in parts[:3]))
            if found:
                return found
    return None


def _record(tags: dict[str, Any], source: str, line: int) -> Record | Problem:
    kind = (_first(tags, "type_of_reference") or "").upper()
    urls = tags.get("urls") or []
    urls = [u for u in urls if isinstance(u, str)] if isinstance(urls, list) else []
    issn = _first(tags, "issn")
    arxiv_id, version = arxiv_fields(
        issn if issn and "arxiv" in issn.lower() else None,
        *urls,
        _first(tags, "doi"),
        _first(tags, "accession_number"),
        _first(tags, "number"),
    )
    doi = _first(tags, "doi")
    if doi and doi.lower().startswith("10.48550/arxiv."):
        doi = None
    names = [*(tags.get("authors") or []), *(tags.get("first_authors") or [])]
    venue = _first(tags, "journal_name", "alternate_title3", "secondary_title")
    if kind in ("RPRT", "GEN", "UNPB") or (venue and _ARXIV_PUBLISHER.match(venue)):
        venue = venue if venue and not _ARXIV_PUBLISHER.match(venue) else None
    entry_type = ENTRY_TYPES.get(kind)
    if arxiv_id and kind == "RPRT" and not venue:
        entry_type = "misc"  # absreader writes arXiv preprints as RPRT; BibTeX has them as @misc
    return build(
        source,
        line,
        title=_first(tags, "title", "primary_title", "short_title"),
        abstract=_first(tags, "abstract", "notes_abstract"),
        arxiv_id=arxiv_id,
        version=version,
        authors=string_tuple(invert_name(n) for n in names if isinstance(n, str)),
        published=_date(tags),
        doi=doi,
        url=next((u.strip() for u in urls if u.strip()), None),
        venue=venue,
        entry_type=entry_type,
        cite_key=_first(tags, "id"),
    )


def _parse_tags(lines: list[str]) -> dict[str, Any]:
    parsed = rispy.RisParser(skip_unknown_tags=True).parse_lines(iter(lines))
    return parsed[0] if parsed else {}


def parse(stream: TextIO, source: str) -> Iterator[Item]:
    """Yield a Record per ``TY`` ... ``ER`` record."""
    lines: list[str] = []
    start = 0
    size = 0
    for number, raw in enumerate(iter_lines(stream), start=1):
        line = raw.rstrip("\r\n")
        tag = _TAG.match(line)
        name = tag.group(1) if tag else None
        if name == "TY":
            if lines:
                yield Problem(source, start, f"record not closed with 'ER  -' before line {number}")
            lines, start, size = [line], number, len(line)
            continue
        if not lines:
            continue
        lines.append(line)
        size += len(line)
        if name == "ER":
            yield _record(_parse_tags(lines), source, start)
            lines = []
        elif size > MAX_RECORD_CHARS:
            yield Problem(source, start, "record too large to read")
            lines = []
    if lines:
        yield Problem(source, start, "record not closed with 'ER  -' at the end of the file")


def sniff(head: str) -> int:
    """Confidence that ``head`` is RIS."""
    text = head.lstrip("\ufeff \t\r\n")
    if re.match(r"TY  - ", text):
        return 95
    tags = re.findall(r"^[A-Z][A-Z0-9]  - ", head, re.MULTILINE)
    return 60 if len(tags) >= 3 and re.search(r"^TY  - ", head, re.MULTILINE) else 0
