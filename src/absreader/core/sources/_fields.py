"""Field helpers every parser shares: ids, dates, author lists, building records."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from email.utils import parsedate_to_datetime

from absreader.core.ids import find_arxiv_id, parse_arxiv_id
from absreader.core.models import Problem, Record

#: One record larger than this (in characters) is reported, not read: it bounds memory.
MAX_RECORD_CHARS = 64 * 1024 * 1024

NO_TITLE_NOR_ABSTRACT = "entry has neither title nor abstract"

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T\s])")
_DAY_MONTH_YEAR = re.compile(r"^\s*(?:[A-Za-z]{3},?\s+)?(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})\b")
_MONTH_DAY_YEAR = re.compile(r"^\s*([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")


def _make_date(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def iso_date(value: object) -> str | None:
    """A full date in any common form as ``YYYY-MM-DD``; None for partial or unknown dates.

    Accepts ISO dates and timestamps, RFC 2822 (``Mon, 2 Apr 2007 19:18:42 GMT``),
    ``19 Mar 2024`` and ``March 19, 2024``. A bare year or year-month is not a date.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        return None
    match = _ISO.match(value)
    if match:
        return _make_date(int(match[1]), int(match[2]), int(match[3]))
    # "Mon, 2 Apr 2007 19:18:42 GMT" (the date as written, like RFC 2822 parsers give it)
    for pattern, order in ((_DAY_MONTH_YEAR, (2, 1, 0)), (_MONTH_DAY_YEAR, (2, 0, 1))):
        match = pattern.match(value)
        if match:
            parts = match.groups()
            year, month_name, day = parts[order[0]], parts[order[1]], parts[order[2]]
            month = _MONTHS.get(month_name.lower())
            if month:
                return _make_date(int(year), month, int(day))
    if "," in value and ":" in value:
        parsed: datetime | None
        try:
            parsed = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError, OverflowError):
            parsed = None
        if parsed is not None:
            return parsed.date().isoformat()
    return None


_YEAR_MONTH = re.compile(r"^\s*(\d{4})(?:[-/.](\d{1,2}))?\s*$")
_MONTH_YEAR = re.compile(r"^\s*([A-Za-z]+)\.?,?\s+(\d{4})\s*$")


def partial_date(value: object) -> str | None:
    """A date at the precision it is given: ``2017-06-12``, ``2017-06`` or ``2017``.

    Full dates are read as :func:`iso_date` reads them; besides those, a bare
    year (``2017``), a year and month (``2017-06``, ``2017/6``) and ``June 2017``.
    """
    full = iso_date(value)
    if full or not isinstance(value, str) or len(value) > 200:
        return full
    match = _YEAR_MONTH.match(value)
    if match:
        year, month = int(match[1]), int(match[2]) if match[2] else 0
    else:
        match = _MONTH_YEAR.match(value)
        if not match or match[1].lower() not in _MONTHS:
            return None
        year, month = int(match[2]), _MONTHS[match[1].lower()]
    if not 1000 <= year <= 2999 or month > 12:
        return None
    return f"{year:04d}-{month:02d}" if month else f"{year:04d}"


def arxiv_fields(*candidates: object, search: bool = True) -> tuple[str | None, str | None]:
    """The first arXiv id (normalised) and version found among ``candidates``.

    Each candidate is tried whole with :func:`parse_arxiv_id`, then, when ``search``
    is true, searched with :func:`find_arxiv_id`. Non-strings are ignored.
    """
    for value in candidates:
        if not isinstance(value, str) or not value.strip() or len(value) > 10_000:
            continue
        found = parse_arxiv_id(value) or (find_arxiv_id(value) if search else None)
        if found:
            return found.id, found.version
    return None, None


def split_by_depth(text: str, separator: re.Pattern[str]) -> list[str]:
    """Split on ``separator`` only outside parentheses and braces."""
    if not any(char in text for char in "({["):
        return separator.split(text)
    parts: list[str] = []
    depth = 0
    start = 0
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char in "({[":
            depth += 1
        elif char in ")}]":
            depth = max(0, depth - 1)
        elif depth == 0:
            match = separator.match(text, pos)
            if match and match.end() > pos:
                parts.append(text[start:pos])
                start = pos = match.end()
                continue
        pos += 1
    parts.append(text[start:])
    return parts


_SEMICOLON = re.compile(r"\s*;\s*")
_COMMA_OR_AND = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def invert_name(name: str) -> str:
    """``Last, First`` -> ``First Last`` (``Last, Jr, First`` -> ``First Last Jr``)."""
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 2 and parts[0] and parts[1]:
        return f"{parts[1]} {parts[0]}"
    if len(parts) == 3 and parts[0] and parts[2]:
        return " ".join(p for p in (parts[2], parts[0], parts[1]) if p)
    return " ".join(p for p in parts if p)


def split_authors(text: str) -> tuple[str, ...]:
    """Split a free-text author list on ``;``, ``,`` and ``and`` sensibly.

    ``A; B`` and ``Last, First; Last, First`` split on semicolons; ``A, B and C``
    on commas and ``and``; a lone ``Last, First`` pair stays one author.
    Parenthesised affiliations are kept with their author.
    """
    text = text.strip()
    if not text:
        return ()
    if ";" in text:
        names = [invert_name(p) for p in split_by_depth(text, _SEMICOLON)]
    else:
        pieces = split_by_depth(text, _COMMA_OR_AND)
        words = [p.split() for p in pieces]
        if len(pieces) == 2 and "," in text and all(len(w) == 1 for w in words):
            names = [invert_name(text)]
        else:
            names = pieces
    return tuple(n.strip() for n in names if n.strip() and n.strip().lower() != "others")


def text_or_none(value: object) -> str | None:
    """A non-blank string, else None."""
    if isinstance(value, str) and value.strip():
        return value
    return None


def string_tuple(values: Iterable[object]) -> tuple[str, ...]:
    """The non-blank strings of ``values``, stripped, in order, without repeats."""
    seen: dict[str, None] = {}
    for value in values:
        if isinstance(value, str) and value.strip():
            seen.setdefault(value.strip(), None)
    return tuple(seen)


def build(source: str, line: int, **fields: object) -> Record | Problem:
    """A Record from ``fields`` (blank strings dropped), or a Problem when it has no text."""
    values = {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in fields.items()}
    if not values.get("title") and not values.get("abstract"):
        return Problem(source, line, NO_TITLE_NOR_ABSTRACT)
    return Record(source=source, line=line, **values)  # type: ignore[arg-type]
