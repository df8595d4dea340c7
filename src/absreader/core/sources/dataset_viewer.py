"""A dataset viewer copied as text: a column header block, then one value per line.

The header block names each column, its type and its statistics, for example
``arxiv_id`` / ``stringlengths`` / ``9`` / ``12`` / ``abstract`` / ``stringlengths``
/ ``431`` / ``13.8k``. Rows follow with one line per column, in column order.
Columns named like an id, a title or an abstract are used; others are skipped.
A row whose id line is not an arXiv id is reported and the parser resynchronises
on the next line that is one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TextIO

from absreader.core.ids import parse_arxiv_id
from absreader.core.models import Problem, Record, SavedSearch
from absreader.core.sources._fields import build
from absreader.core.sources._text import iter_lines

NAME = "dataset-viewer"

_TYPE = re.compile(
    r"(?:string|large_string|int\d*|uint\d*|float\d*|double|bool|timestamp|date\w*|"
    r"list|sequence|dict|struct|classlabel|null)(?:lengths|classes|values)?(?:\[\w+\])?",
    re.IGNORECASE,
)
_STAT = re.compile(
    r"-?[\d.,]+\s*[kKMBG]?|\d+\s+(?:values|classes)|null|true|false|\d{4}-\d\d-\d\d.*"
)
_CLASSES = re.compile(r"\d+\s+(?:values|classes)")
_NAME = re.compile(r"[A-Za-z_][\w\-. ]{0,63}")

_ID_COLUMNS = {"arxiv_id", "id", "arxiv", "paper_id", "arxivid", "eprint"}
_TITLE_COLUMNS = {"title", "paper_title"}
_ABSTRACT_COLUMNS = {"abstract", "summary", "text", "abstracts"}


def _header(lines: list[str]) -> tuple[list[str], int]:
    """Column names and how many lines the header block spans (0 when there is none)."""
    columns: list[str] = []
    pos = 0
    while pos + 1 < len(lines):
        name, kind = lines[pos].strip(), lines[pos + 1].strip()
        if not (_NAME.fullmatch(name) and _TYPE.fullmatch(kind)):
            break
        pos += 2
        stats = 1 if pos < len(lines) and _CLASSES.fullmatch(lines[pos].strip()) else 2
        for _ in range(stats):
            if pos < len(lines) and _STAT.fullmatch(lines[pos].strip()):
                pos += 1
        columns.append(name)
    return columns, pos


def _role(column: str) -> str | None:
    key = column.strip().lower().replace(" ", "_").replace("-", "_")
    if key in _ID_COLUMNS:
        return "id"
    if key in _TITLE_COLUMNS:
        return "title"
    if key in _ABSTRACT_COLUMNS:
        return "abstract"
    return None


def parse(stream: TextIO, source: str) -> Iterator[Record | Problem | SavedSearch]:
    """Yield one Record per row of the viewer dump."""
    head: list[tuple[int, str]] = []
    numbered = ((n, line.rstrip("\n")) for n, line in enumerate(iter_lines(stream), start=1))
    for number, line in numbered:
        if line.strip():
            head.append((number, line))
            if len(head) >= 64:
                break
    columns, used = _header([text for _, text in head])
    if not columns:
        if head:
            yield Problem(source, head[0][0], "no column header block (name, type, statistics)")
        return
    roles = [_role(c) for c in columns]
    rest = head[used:]

    def values() -> Iterator[tuple[int, str]]:
        yield from rest
        for number, line in numbered:
            if line.strip():
                yield number, line

    id_index = roles.index("id") if "id" in roles else None
    row: list[tuple[int, str]] = []
    for number, text in values():
        if id_index is not None:
            is_id = parse_arxiv_id(text.strip()) is not None
            if len(row) == id_index and not is_id:
                yield Problem(source, number, f"expected an arXiv id line, found {text[:40]!r}")
                continue
            if len(row) > id_index and is_id:
                yield _record(source, row, roles)  # the row ended early: a value is missing
                row = []
        row.append((number, text))
        if len(row) == len(columns):
            yield _record(source, row, roles)
            row = []
    if row:
        yield _record(source, row, roles)


def _record(source: str, row: list[tuple[int, str]], roles: list[str | None]) -> Record | Problem:
    fields: dict[str, str | None] = {}
    for (_, text), role in zip(row, roles, strict=False):
        if role == "id":
            parsed = parse_arxiv_id(text.strip())
            if parsed:
                fields["arxiv_id"], fields["version"] = parsed.id, parsed.version
        elif role in ("title", "abstract"):
            fields[role] = text.strip()
    return build(source, row[0][0], tex=True, **fields)


def sniff(head: str) -> int:
    """Confidence that ``head`` is a dataset-viewer dump."""
    lines = [line for line in head.splitlines()[:64] if line.strip()]
    columns, _ = _header(lines)
    if not columns:
        return 0
    return 95 if any(_role(c) in ("abstract", "title") for c in columns) else 50
