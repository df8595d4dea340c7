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

    def __init__(self, parser: Any, source: str, line_offset: int = 0) -> None:
        self.parser = parser
        self.source = source
        self.line_offset = line_offset
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
        local = _local(name)
        if self.entry is None:
            if local == "entry":
                line = self.parser.CurrentLineNumber + self.line_offset
                self.entry = {"line": line, "authors": [], "cats": []}
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
            tex=True,
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


_ENTRY_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?entry[\s>/]")
#: After an error, how far ahead to look for the next ``<entry`` before giving up.
_RESYNC_LIMIT = 64 * 1024 * 1024
_WRAPPER = b"<feed>"


class _Window:
    """The most recent bytes fed to the parser, to find an error's place again."""

    def __init__(self, start: int, line: int) -> None:
        self.data = bytearray()
        self.start = start  # absolute byte offset of data[0]
        self.line = line  # line number of data[0]

    def add(self, data: bytes) -> None:
        self.data += data
        excess = len(self.data) - 2 * _CHUNK
        if excess > 0:
            self.line += self.data.count(b"\n", 0, excess)
            del self.data[:excess]
            self.start += excess

    def line_at(self, offset: int) -> int:
        return self.line + self.data.count(b"\n", 0, offset - self.start)


def _local(name: str) -> str:
    """``ns-uri local`` (namespace mode) or ``prefix:local`` (recovery mode) -> ``local``."""
    return name.rsplit(" ", 1)[-1].rsplit(":", 1)[-1]


def _parser(source: str, line_offset: int, recovering: bool) -> tuple[Any, _Entries]:
    if recovering:  # entries out of context: prefixes may be unbound, so no namespaces
        parser = expat.ParserCreate(encoding="utf-8")
    else:
        parser = expat.ParserCreate(encoding="utf-8", namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    entries = _Entries(parser, source, line_offset)
    parser.StartElementHandler = entries.start
    parser.EndElementHandler = entries.end
    parser.CharacterDataHandler = entries.text
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.buffer_text = True
    return parser, entries


def _chunks(stream: TextIO) -> Iterator[bytes]:
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return
        yield chunk.encode("utf-8", "replace")


def parse(stream: TextIO, source: str) -> Iterator[Item]:
    """Yield a Record per Atom entry; a refused document ends in a Problem.

    Malformed XML is reported with its line, then reading resumes at the next
    ``<entry>`` (parsed on its own), so one broken entry does not cost the rest
    of the feed.
    """
    chunks = _chunks(stream)
    start, line = 0, 1  # where the current parser's input begins in the file
    carry = b""
    recovering = False
    while True:
        parser, entries = _parser(source, line - 1, recovering)
        window = _Window(start, line)
        prefix = _WRAPPER if recovering else b""
        pending: bytes | None = carry
        try:
            if prefix:
                parser.Parse(prefix, False)
            while True:
                data = pending if pending is not None else next(chunks, b"")
                final = pending is None and not data
                pending = None
                window.add(data)
                parser.Parse(data, final)
                yield from entries.ready
                entries.ready.clear()
                if final:
                    return
        except _Refused:
            yield from entries.ready
            yield Problem(source, parser.CurrentLineNumber + line - 1, REFUSED)
            return
        except expat.ExpatError as exc:
            yield from entries.ready
            reason = expat.ErrorString(exc.code) or "syntax error"
            column = exc.offset + 1 - (len(prefix) if exc.lineno == 1 else 0)
            error_line = exc.lineno + line - 1
            where = f"line {error_line}, column {column}"
            error_at = parser.ErrorByteIndex - len(prefix) + start
            found = _next_entry(window, max(error_at, start), chunks)
            if found is None:
                yield Problem(source, error_line, f"malformed XML: {reason} at {where}")
                return
            start, carry = found
            line = window.line_at(start)
            yield Problem(
                source, error_line,
                f"malformed XML: {reason} at {where}; skipped to the next entry on line {line}",
            )  # fmt: skip
            recovering = True


def _next_entry(window: _Window, after: int, chunks: Iterator[bytes]) -> tuple[int, bytes] | None:
    """The offset of the first ``<entry`` past ``after``, and the bytes from there on."""
    begin = max(after + 1, window.start) - window.start
    scanned = 0
    while True:
        match = _ENTRY_START.search(window.data, begin)
        if match:
            return window.start + match.start(), bytes(window.data[match.start() :])
        data = next(chunks, b"")
        scanned += len(data)
        if not data or scanned > _RESYNC_LIMIT:
            return None
        begin = max(0, len(window.data) - 16)  # a tag may straddle two chunks
        begin_abs = window.start + begin
        window.add(data)
        begin = max(0, begin_abs - window.start)


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
