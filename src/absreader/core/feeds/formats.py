"""Fetched bodies to Records: arXiv API Atom pages, arXiv RSS 2.0, OAI-PMH (arXiv format), HF daily papers.

Every parser takes a whole body and either returns what it found or raises
:class:`FormatError` when the body is not the format at all (truncated,
malformed, an HTML page): a page is taken whole or not at all. Single bad
entries become Problems and the rest still comes in. Atom entries are read by
the import parser itself (:mod:`absreader.core.sources.atom`), so an API
result and an imported Atom file give the same Record.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from absreader.core.feeds.xml import Element, XmlError, parse_xml
from absreader.core.models import Problem, Record
from absreader.core.sources import atom
from absreader.core.sources._fields import (
    arxiv_fields,
    build,
    iso_date,
    split_authors,
    string_tuple,
    text_or_none,
)


class FormatError(ValueError):
    """The body is not what the source sends; ``str()`` says what it is instead."""


@dataclass
class Parsed:
    """What one page gave: records, per-entry problems and paging facts."""

    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    entries: int = 0
    total: int | None = None
    token: str | None = None
    complete_size: int | None = None
    response_date: str | None = None
    #: arXiv RSS: the announce type of each record, in order.
    kinds: list[str] = field(default_factory=list)

    def add(self, item: Record | Problem, kind: str = "") -> None:
        if isinstance(item, Record):
            self.records.append(item)
            self.kinds.append(kind)
        else:
            self.problems.append(item)


def _tree(body: bytes, expected: str, what: str) -> Element:
    try:
        root = parse_xml(body)
    except XmlError as exc:
        raise FormatError(str(exc)) from None
    if root.name != expected:
        raise FormatError(f"not {what} (the document is <{root.name}>)")
    return root


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


# ---------------------------------------------------------------- arXiv API (Atom)


def api_error(body: bytes) -> str | None:
    """The message of an arXiv API error feed (``<id>.../api/errors#...``), if it is one."""
    try:
        root = parse_xml(body)
    except XmlError:
        return None
    for entry in root.iter("entry"):
        if "/api/errors" in entry.findtext("id"):
            return " ".join(entry.findtext("summary").split()) or "error"
    return None


def parse_atom_page(body: bytes, source: str, first_line: int = 1) -> Parsed:
    """One arXiv API page; records are numbered from ``first_line`` (their place in the results)."""
    root = _tree(body, "feed", "an Atom feed")
    message = api_error(body)
    if message:
        raise FormatError(f"arXiv API error: {message}")
    page = Parsed(entries=len(root.findall("entry")), total=_int(root.findtext("totalResults")))
    text = body.decode("utf-8", "replace")
    number = first_line
    for item in atom.parse(io.StringIO(text), source):
        if isinstance(item, Record):
            page.add(replace(item, line=number))
            number += 1
        elif isinstance(item, Problem):
            page.add(Problem(source, number, item.reason))
            number += 1
    return page


# ---------------------------------------------------------------- arXiv RSS 2.0

_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<kind>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)$",
    re.DOTALL,
)


def parse_rss(body: bytes, source: str) -> Parsed:
    """arXiv's RSS 2.0 listing for one or more categories (``arxiv:announce_type`` per item)."""
    root = _tree(body, "rss", "an RSS feed")
    channel = root.find("channel")
    if channel is None:
        raise FormatError("not an RSS feed (no <channel>)")
    page = Parsed()
    for number, item in enumerate(channel.findall("item"), start=1):
        page.entries += 1
        description = item.findtext("description")
        match = _DESCRIPTION.match(description)
        abstract = match["abstract"] if match else description
        kind = item.findtext("announce_type").strip().lower() or (
            match["kind"].lower() if match else "new"
        )
        arxiv_id, version = arxiv_fields(
            match["id"] if match else None, item.findtext("guid"), item.findtext("link")
        )
        when = iso_date(item.findtext("pubDate"))
        replaced = kind.startswith("replace")
        page.add(
            build(
                source,
                number,
                title=item.findtext("title"),
                abstract=abstract,
                arxiv_id=arxiv_id,
                version=version,
                authors=split_authors(item.findtext("creator")),
                categories=string_tuple(c.text for c in item.findall("category")),
                published=None if replaced else when,
                updated=when,
                url=item.findtext("link").strip() or None,
            ),
            kind,
        )
    return page


# ---------------------------------------------------------------- OAI-PMH, metadataPrefix=arXiv


class OaiError(FormatError):
    """An OAI-PMH ``<error>``; ``code`` is its code (``noRecordsMatch``, ``badResumptionToken``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"OAI-PMH error {code}: {message}" if message else f"OAI-PMH error {code}")
        self.code = code


def _oai_authors(meta: Element) -> tuple[str, ...]:
    names = []
    authors = meta.find("authors")
    for author in authors.findall("author") if authors is not None else []:
        parts = (author.findtext("forenames"), author.findtext("keyname"), author.findtext("suffix"))
        names.append(" ".join(p.strip() for p in parts if p.strip()))
    return string_tuple(names)


def parse_oai(body: bytes, source: str, first_line: int = 1) -> Parsed:
    """One ListRecords page: records, the resumption token and the response date."""
    root = _tree(body, "OAI-PMH", "an OAI-PMH answer")
    page = Parsed(response_date=iso_date(root.findtext("responseDate")))
    error = root.find("error")
    if error is not None:
        raise OaiError(error.attrs.get("code", "unknown"), " ".join(error.text.split()))
    listing = root.find("ListRecords")
    if listing is None:
        raise FormatError("an OAI-PMH answer without ListRecords")
    for number, record in enumerate(listing.findall("record"), start=first_line):
        page.entries += 1
        header = record.find("header")
        if header is not None and header.attrs.get("status") == "deleted":
            continue
        metadata = record.find("metadata")
        meta = metadata.find("arXiv") if metadata is not None else None
        if meta is None:
            page.add(Problem(source, number, "record without arXiv metadata"))
            continue
        ident = meta.findtext("id") or (header.findtext("identifier") if header is not None else "")
        arxiv_id, version = arxiv_fields(ident)
        page.add(
            build(
                source,
                number,
                title=meta.findtext("title"),
                abstract=meta.findtext("abstract"),
                arxiv_id=arxiv_id,
                version=version,
                authors=_oai_authors(meta),
                categories=string_tuple(meta.findtext("categories").split()),
                published=iso_date(meta.findtext("created")),
                updated=iso_date(meta.findtext("updated")),
                doi=meta.findtext("doi").split()[0] if meta.findtext("doi").split() else None,
                journal_ref=meta.findtext("journal-ref"),
                comment=meta.findtext("comments"),
            )
        )
    token = listing.find("resumptionToken")
    if token is not None:
        page.token = token.text.strip() or None
        page.complete_size = _int(token.attrs.get("completeListSize", ""))
    return page


# ---------------------------------------------------------------- Hugging Face daily papers


def parse_hf_daily(body: bytes, source: str) -> Parsed:
    """``[{"paper": {"id", "title", "summary", "authors": [{"name"}], "publishedAt", ...}, ...}]``."""
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(body.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
        what = "truncated JSON" if cut else "malformed JSON"
        raise FormatError(f"{what} ({exc.msg}: line {exc.lineno}, column {exc.colno})") from None
    if isinstance(data, dict) and "error" in data:
        raise FormatError(f"Hugging Face API error: {str(data['error'])[:200]}")
    if not isinstance(data, list):
        raise FormatError("unexpected JSON (expected a list of daily papers)")
    page = Parsed()
    for number, item in enumerate(data, start=1):
        page.entries += 1
        page.add(_hf_record(item, source, number))
    return page


def _hf_record(item: Any, source: str, number: int) -> Record | Problem:
    if not isinstance(item, dict):
        return Problem(source, number, "daily paper is not an object")
    paper = item.get("paper") if isinstance(item.get("paper"), dict) else item
    arxiv_id, version = arxiv_fields(paper.get("id"), search=False)
    authors = paper.get("authors")
    names = [a.get("name") for a in authors if isinstance(a, dict)] if isinstance(authors, list) else []
    return build(
        source,
        number,
        title=text_or_none(paper.get("title")) or text_or_none(item.get("title")),
        abstract=text_or_none(paper.get("summary")) or text_or_none(item.get("summary")),
        arxiv_id=arxiv_id,
        version=version,
        authors=string_tuple(names),
        published=iso_date(paper.get("publishedAt")) or iso_date(item.get("publishedAt")),
    )
