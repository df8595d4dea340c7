"""CSV (or semicolon/tab separated) exports with a header row.

Columns are matched by name, case-insensitively: title; abstract, summary or
description; id, arxiv_id, arxiv or eprint; authors or author; url or link;
categories; published, date or year; doi; tags. Zotero's export names
(``Abstract Note``, ``Publication Title``, ``Extra``) are understood too. Quoted
fields may hold newlines; missing columns are empty; a row with neither title
nor abstract is a Problem.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import TextIO

from absreader.core.models import Problem, Record, SavedSearch
from absreader.core.sources import _text
from absreader.core.sources._fields import (
    MAX_RECORD_CHARS,
    arxiv_fields,
    build,
    iso_date,
    partial_date,
    split_authors,
    string_tuple,
)

NAME = "csv"

Item = Record | Problem | SavedSearch

_COLUMNS = {
    "title": ("title", "paper_title"),
    "abstract": ("abstract", "summary", "description", "abstract_note", "abstract_text"),
    "id": ("arxiv_id", "arxivid", "arxiv", "eprint", "id", "paper_id", "key"),
    "authors": ("authors", "author", "creators", "author_names"),
    "url": ("url", "link", "abs_url", "pdf_url", "href"),
    "categories": ("categories", "category", "primary_category", "subjects"),
    "published": ("published", "date", "published_date", "publication_date", "submitted", "year"),
    "updated": ("updated", "update_date", "last_updated"),
    "doi": ("doi",),
    "journal_ref": ("journal_ref", "journal"),
    "comment": ("comment", "comments"),
    "tags": ("tags",),
    "extra": ("extra", "publication_title", "journal", "number", "note", "report_number"),
}
_LIST_SPLIT = re.compile(r"\s*[;,]\s*")
_DELIMITERS = ",;\t"
_ARXIV_VENUE = re.compile(r"^\s*(?:arxiv|corr)\b", re.IGNORECASE)


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().strip("\ufeff").lower())


def _mapping(header: list[str]) -> dict[str, list[int]]:
    """For each field, the columns that may hold it, best first."""
    keys = [_key(h) for h in header]
    found: dict[str, list[int]] = {}
    for field, names in _COLUMNS.items():
        for name in names:
            found.setdefault(field, []).extend(i for i, k in enumerate(keys) if k == name)
    return found


def _delimiter(first_line: str) -> str:
    """The most frequent of ``, ; tab`` outside quotes on the header line."""
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: unquoted.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _get(row: list[str], columns: list[int]) -> str:
    for index in columns:
        if index < len(row) and row[index].strip():
            return row[index]
    return ""


_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@\t\r])")


def _unguard(cell: str) -> str:
    """Undo the ``'`` a CSV export puts before a formula-like cell (``'=x`` -> ``=x``)."""
    return _FORMULA_GUARD.sub("", cell, count=1) if cell[:1] == "'" else cell


def _row(row: list[str], cols: dict[str, list[int]], source: str, line: int) -> Record | Problem:
    def get(field: str) -> str:
        return _unguard(_get(row, cols.get(field, [])))

    ident, url, doi, extra = get("id"), get("url"), get("doi"), get("extra")
    journal = get("journal_ref")
    arxiv_id, version = arxiv_fields(ident, url, doi, extra)
    categories = get("categories")
    split = _LIST_SPLIT if ("," in categories or ";" in categories) else re.compile(r"\s+")
    return build(
        source,
        line,
        title=get("title"),
        abstract=get("abstract"),
        arxiv_id=arxiv_id,
        version=version,
        authors=split_authors(get("authors")),
        categories=string_tuple(split.split(categories)),
        published=partial_date(get("published")),
        updated=iso_date(get("updated")),
        doi=doi.strip() if doi.strip() and not doi.lower().startswith("10.48550/arxiv") else None,
        journal_ref=None if _ARXIV_VENUE.match(journal) else journal,
        comment=get("comment"),
        url=url.strip() or None,
        tags=string_tuple(_LIST_SPLIT.split(get("tags"))),
    )


class _Lines:
    """The lines csv.reader reads, counted; a line over the limit ends the input there.

    The over-long line is skipped whole (memory stays bounded) and ``cut`` is set,
    so the record it belongs to is reported instead of being read half, and the
    reading starts again on the next line: the following records still come in.
    """

    def __init__(self, stream: TextIO, limit: int) -> None:
        self._readline = stream.readline
        self.limit = limit
        self.number = 0
        self.cut = False
        self._quoted = False  # inside a quoted field at the end of the last line

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.cut:
            raise StopIteration
        line = self._readline(self.limit)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) == self.limit and not line.endswith("\n"):
            self._quoted ^= bool(line.count('"') % 2)
            while True:  # drop the rest of the over-long line
                rest = self._readline(self.limit)
                self._quoted ^= bool(rest.count('"') % 2)
                if not rest or rest.endswith("\n"):
                    break
            while self._quoted:  # the field goes on past the cut: skip to where it closes
                rest = self._readline(self.limit)
                if not rest:
                    break
                self._quoted ^= bool(rest.count('"') % 2)
                if rest.endswith("\n"):
                    self.number += 1
            self._quoted = False
            self.cut = True
            raise StopIteration
        self._quoted ^= bool(line.count('"') % 2)
        return line


def _too_long(source: str, line: int, limit: int) -> Problem:
    return Problem(
        source, line, f"a field is longer than the line limit ({limit:,} characters); record skipped"
    )


def parse(stream: TextIO, source: str) -> Iterator[Item]:
    """Yield a Record per data row; the first non-blank line is the header."""
    lines = _Lines(stream, _text.MAX_LINE_CHARS)
    first = ""
    for line in lines:
        if line.strip():
            first = line
            break
    if lines.cut and not first:
        yield Problem(source, lines.number, "the header row is longer than the line limit")
        return
    if not first:
        return
    csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_CHARS))
    delimiter = _delimiter(first)
    try:
        header = next(csv.reader([first], delimiter=delimiter))
    except (csv.Error, StopIteration) as exc:
        yield Problem(source, lines.number, f"unreadable header row: {exc}")
        return
    cols = _mapping(header)
    if not cols.get("title") and not cols.get("abstract"):
        names = ", ".join(h.strip() for h in header[:8])
        yield Problem(source, lines.number, f"no title or abstract column in the header ({names})")
        return
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        start = lines.number + 1
        try:
            row = next(reader)
        except StopIteration:
            row = None
        except csv.Error as exc:
            if not lines.cut:
                yield Problem(source, start, f"unreadable CSV row: {exc}")
                continue
            row = None
        if lines.cut:  # the record ran into an over-long line: report it, read on after it
            yield _too_long(source, start, lines.limit)
            lines.cut = False
            reader = csv.reader(lines, delimiter=delimiter)
            continue
        if row is None:
            return
        if not any(cell.strip() for cell in row):
            continue
        yield _row(row, cols, source, start)


def sniff(head: str) -> int:
    """Confidence that ``head`` is CSV with a header naming paper columns."""
    first = head.lstrip("\ufeff \t\r\n").split("\n", 1)[0]
    if not first or first[0] in "{[<@\\":
        return 0
    delimiter = _delimiter(first)
    if delimiter not in first:
        return 0
    try:
        header = next(csv.reader([first], delimiter=delimiter))
    except csv.Error:
        return 0
    cols = _mapping(header)
    if cols.get("title") or cols.get("abstract"):
        return 85
    return 20
