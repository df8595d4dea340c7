"""Cleaning a parsed record into what the library stores, field by field."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from absreader.core.clean import (
    clean_line,
    clean_text,
    display_title,
    normalise_title,
    strip_controls,
)
from absreader.core.ids import find_arxiv_id, parse_arxiv_id
from absreader.core.models import Record


@dataclass(frozen=True)
class Clean:
    """A record after cleaning: what the merge logic works on."""

    title: str
    title_norm: str
    abstract: str
    arxiv_id: str | None
    version: str | None
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    published: str | None
    updated: str | None
    doi: str | None
    journal_ref: str | None
    comment: str | None
    url: str | None
    source: str
    line: int
    tags: tuple[str, ...]
    bookmarked: bool | None
    read: bool | None
    note: str | None
    entry_type: str | None = None
    venue: str | None = None
    cite_key: str | None = None
    key: str | None = None
    added: str | None = None
    sources: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


def clean_record(record: Record) -> Clean | None:
    """Clean every field of a record; None when nothing identifies a paper."""
    title = clean_line(record.title)
    abstract = clean_text(record.abstract)
    ident = (
        parse_arxiv_id(record.arxiv_id) or find_arxiv_id(record.url) or find_arxiv_id(record.doi)
    )
    shown = display_title(ident.id if ident else None, abstract) if title and abstract else ""
    if shown and (ident or shown.endswith("…")) and normalise_title(title) == normalise_title(shown):
        title = ""  # absreader's own export of an untitled paper: its display title is no title
    version = record.version or (ident.version if ident else None)
    if version:
        version = version.lower().lstrip("v") or None
        if version and not version.isdigit():
            version = None
    if not title and not abstract and not ident:
        return None
    return Clean(
        title=title,
        title_norm=normalise_title(title),
        abstract=abstract,
        arxiv_id=ident.id if ident else None,
        version=version,
        authors=tuple(a for a in (clean_line(x) for x in record.authors) if a),
        categories=tuple(dict.fromkeys(c for c in (clean_line(x) for x in record.categories) if c)),
        published=_own_date(clean_date(record.published), ident.id if ident else None),
        updated=clean_date(record.updated),
        doi=clean_line(record.doi) or None,
        journal_ref=clean_line(record.journal_ref) or None,
        comment=clean_line(record.comment) or None,
        url=clean_line(record.url) or None,
        source=record.source,
        line=record.line,
        tags=tuple(t for t in (clean_line(x) for x in record.tags) if t),
        bookmarked=record.bookmarked,
        read=record.read,
        note=clean_note(record.note) if record.note is not None else None,
        **_bibliographic(record),
    )


_KEY = re.compile(r"[^\s{}(),=\\#%\"']{1,200}")
_ENTRY_TYPE = re.compile(r"[a-z][a-z0-9_-]{0,40}")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _bibliographic(record: Record) -> dict[str, Any]:
    """Entry type, venue and citation key; and from a backup, the key, added, sources, aliases."""
    keys = [k for k in (clean_line(x) for x in record.aliases) if _KEY.fullmatch(k)]
    cite_key = clean_line(record.cite_key)
    key = clean_line(record.key)
    entry_type = clean_line(record.entry_type).lower()
    added = clean_line(record.added)
    return {
        "entry_type": entry_type if _ENTRY_TYPE.fullmatch(entry_type) else None,
        "venue": clean_line(record.venue) or None,
        "cite_key": cite_key if _KEY.fullmatch(cite_key) else None,
        "key": key if _KEY.fullmatch(key) else None,
        "added": added if _TIMESTAMP.fullmatch(added) else None,
        "sources": tuple(dict.fromkeys(x for x in (clean_line(s) for s in record.sources) if x)),
        "aliases": tuple(dict.fromkeys(keys)),
    }


def _own_date(published: str | None, arxiv_id: str | None) -> str | None:
    """A partial date the arXiv id already implies (``2024`` for 2403.13043) is no date:
    the id says it, and exports write it from the id again."""
    if published and arxiv_id and len(published) < 10:
        implied = sort_key(None, arxiv_id)
        if implied and implied.startswith(published):
            return None
    return published


_BLANK_LINES = re.compile(r"\n{3,}")


def clean_note(text: str | None) -> str:
    """A note is the user's own text: escapes and controls go, NFC, but lines stay.

    Line breaks and each line's indentation are kept (notes are often Markdown);
    runs of spaces inside a line collapse, trailing spaces and runs of blank
    lines go.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", strip_controls(text))
    lines = []
    for line in text.split("\n"):
        body = line.lstrip(" \t")
        lines.append(line[: len(line) - len(body)] + " ".join(body.split()) if body else "")
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


_PARTIAL_DATE = re.compile(r"\d{4}(?:-\d\d(?:-\d\d)?)?")


def clean_date(value: str | None) -> str | None:
    """``YYYY-MM-DD``, or a partial ``YYYY-MM`` / ``YYYY`` kept at its precision."""
    match = _PARTIAL_DATE.match(clean_line(value))
    return match.group() if match else None


def now() -> str:
    """The current UTC time as the library stores it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sort_key(published: str | None, arxiv_id: str | None, added: str | None = None) -> str:
    """The date a paper sorts by: its first version's date, else the month in a new-style
    arXiv id, else the day it was added to the library."""
    if published:
        return published
    if arxiv_id and arxiv_id[:4].isdigit() and "." in arxiv_id:
        year = int(arxiv_id[:2])
        return f"{2000 + year if year < 91 else 1900 + year}-{arxiv_id[2:4]}"
    return (added or "")[:10]


def paper_year(published: str | None, arxiv_id: str | None) -> int | None:
    """The year a paper is from (its date, else its new-style arXiv id); None when only the
    day it was added is known: that is when it came in, not when it was written."""
    return year_of(sort_key(published, arxiv_id))


def year_of(key: str) -> int | None:
    """The year of a sort date (None when there is none)."""
    return int(key[:4]) if key[:4].isdigit() else None
