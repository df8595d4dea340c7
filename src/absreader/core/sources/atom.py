"""arXiv API Atom feeds: one Record per ``<entry>``.

Read with the expat parser (the one ElementTree uses) fed in chunks, so a feed
of any size streams and every entry knows the line it starts on. Only the
current entry's fields are kept. Documents with a DOCTYPE or ENTITY declaration
are refused outright: nothing is ever expanded or fetched, so entity bombs and
external entities cannot do harm. Malformed XML keeps the entries read before
the error and ends with a Problem naming the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, TextIO
from xml.parsers import expat

from absreader.core.models import Problem, Record, SavedSearch
from absreader.core.sources._fields import (
    MAX_RECORD_CHARS,
    arxiv_fields,
    build,
    iso_date,
    string_tuple,
)

NAME = "atom"

Item = Record | Problem | SavedSearch

_TEXT_FIELDS = {
    "id",
    "title",
    "summary",
    "content",
    "published",
    "updated",
    "doi",
    "journal_ref",
    "comment",
}
_CHUNK = 64 * 1024
REFUSED = (
    "XML with a DOCTYPE or ENTITY declaration is refused (entities are never expanded); "
    "nothing after it was read"
)


class _Refused(Exception):
    """Raised from a handler to stop expat at a DOCTYPE or ENTITY declaration."""


def _refuse(*_args: Any) -> None:
    raise _Refused


class _Entries:
    """Expat handlers that turn ``<entry>`` elements into Records."""

    def __init__(self, parser: Any, source: str) -> None:
        self.parser = parser
        self.source = source
        self.ready: list[Item] = []
        self.depth = 0
        self.entry: dict[str, Any] | None = None
        self.entry_depth = 0
        self.field: str | None = None
        self.field_depth = 0
        self.parts: list[str] = []
        self.size = 0
        self.author: list[str] | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        local = name.rsplit(" ", 1)[-1]
        if self.entry is None:
            if local == "entry":
                self.entry = {"line": self.parser.CurrentLineNumber, "authors": [], "cats": []}
                self.entry_depth = self.depth
            return
        if self.field is not None:
            return  # markup inside a text field: keep collecting its text
        child = self.depth - self.entry_depth
        if child == 1:
            if local == "category" or local == "primary_category":
                key = "primary" if local == "primary_category" else "cats"
                term = attrs.get("term", "")
                if key == "primary":
                    self.entry["primary"] = term
                else:
                    self.entry["cats"].append(term)
            elif local == "link":
                self._link(attrs)
            elif local == "author":
                self.author = []
            elif local in _TEXT_FIELDS:
                self._collect(local)
        elif child == 2 and self.author is not None and local == "name":
            self._collect("author")

    def _collect(self, field: str) -> None:
        self.field, self.field_depth, self.parts, self.size = field, self.depth, [], 0

    def _link(self, attrs: dict[str, str]) -> None:
        assert self.entry is not None
        href = attrs.get("href", "")
        if attrs.get("title") == "doi" and "doi" not in self.entry:
            self.entry["doi_link"] = href
        elif attrs.get("rel", "alternate") == "alternate" and "url" not in self.entry:
            self.entry["url"] = href

    def text(self, data: str) -> None:
        if self.field is not None and self.size < MAX_RECORD_CHARS:
            self.parts.append(data)
            self.size += len(data)

    def end(self, name: str) -> None:
        if self.field is not None and self.depth == self.field_depth:
            value = "".join(self.parts)
            if self.field == "author":
                if self.author is not None:
                    self.author.append(value)
            elif self.entry is not None:
                self.entry.setdefault(self.field, value)
            self.field, self.parts = None, []
        elif self.entry is not None:
            child = self.depth - self.entry_depth
            if child == 1 and self.author is not None and name.endswith("author"):
                self.entry["authors"].extend(self.author)
                self.author = None
            elif child == 0:
                self.ready.append(self._record(self.entry))
                self.entry = None
        self.depth -= 1

    def _record(self, entry: dict[str, Any]) -> Record | Problem:
        line = entry["line"]
        ident = entry.get("id", "").strip()
        if "/api/errors" in ident:
            message = " ".join(entry.get("summary", "").split()) or ident
            return Problem(self.source, line, f"arXiv API error: {message}")
        arxiv_id, version = arxiv_fields(ident, entry.get("url"))
        doi = entry.get("doi") or _doi_from_link(entry.get("doi_link"))
        url = entry.get("url") or (ident if ident.startswith("http") else None)
        return build(
            self.source,
            line,
            title=entry.get("title"),
            abstract=entry.get("summary", entry.get("content")),
            arxiv_id=arxiv_id,
            version=version,
            authors=string_tuple(entry["authors"]),
            categories=string_tuple([entry.get("primary", ""), *entry["cats"]]),
            published=iso_date(entry.get("published")),
            updated=iso_date(entry.get("updated")),
            doi=doi.strip() if doi else None,
            journal_ref=entry.get("journal_ref"),
            comment=entry.get("comment"),
            url=url,
        )


def _doi_from_link(href: str | None) -> str | None:
    if not href:
        return None
    match = re.search(r"(10\.\d{4,9}/\S+)", href)
    return match.group(1) if match else None


def parse(stream: TextIO, source: str) -> Iterator[Item]:
    """Yield a Record per Atom entry; a refused or malformed document ends in a Problem."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    entries = _Entries(parser, source)
    parser.StartElementHandler = entries.start
    parser.EndElementHandler = entries.end
    parser.CharacterDataHandler = entries.text
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.buffer_text = True
    while True:
        chunk = stream.read(_CHUNK)
        try:
            parser.Parse(chunk, not chunk)
        except _Refused:
            yield from entries.ready
            yield Problem(source, parser.CurrentLineNumber, REFUSED)
            return
        except expat.ExpatError as exc:
            yield from entries.ready
            reason = expat.ErrorString(exc.code) or "syntax error"
            where = f"line {exc.lineno}, column {exc.offset + 1}"
            yield Problem(source, exc.lineno, f"malformed XML: {reason} at {where}")
            return
        yield from entries.ready
        entries.ready.clear()
        if not chunk:
            return


def sniff(head: str) -> int:
    """Confidence that ``head`` is an Atom feed."""
    text = head.lstrip("\ufeff \t\r\n")
    if not text.startswith("<"):
        return 0
    if re.search(r"<(?:\w+:)?feed\b", text[:8192]) and "http://www.w3.org/2005/Atom" in text:
        return 95
    if re.search(r"<(?:\w+:)?(?:feed|entry)\b", text[:8192]):
        return 70
    return 40 if text.startswith("<?xml") else 20
