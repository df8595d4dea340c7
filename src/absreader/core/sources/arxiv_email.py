"""arXiv's daily listing e-mail (the plain-text digest), saved as a text file.

Entries sit between long dashed rules::

    \\\\
    arXiv:2403.13043
    Date: Tue, 19 Mar 2024 17:59:58 GMT   (1234kb,D)

    Title: When Do We Not Need Larger
      Vision Models?
    Authors: Baifeng Shi, Ziyang Wu and Trevor Darrell
    Categories: cs.CV cs.LG
    Comments: Code: https://github.com/bfshi/scaling_on_scales
    \\\\
      Scaling up the size of vision models ...
    \\\\ ( https://arxiv.org/abs/2403.13043 ,  1234kb)

Headers wrap onto indented continuation lines. Cross-lists carry
``(*cross-listing*)`` after the id; replacements say ``replaced with revised
version <date>`` and often have no abstract, and may carry nothing but the id:
those bare notices are skipped, since there is no paper text to read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TextIO

from absreader.core.models import Problem, Record, SavedSearch
from absreader.core.sources._fields import (
    MAX_RECORD_CHARS,
    arxiv_fields,
    build,
    iso_date,
    split_authors,
    string_tuple,
)
from absreader.core.sources._text import iter_lines

NAME = "arxiv-email"

Item = Record | Problem | SavedSearch

_RULE = re.compile(r"^(?:-{20,}|%-%-%-%-|%%--%%--|%%%---%%%---)")
_ID_LINE = re.compile(r"^(?:arXiv:|Paper(?:\s*\(\*cross-listing\*\))?:)\s*(\S+)")
_REPLACED = re.compile(r"^replaced with revised version\s+(.*)$", re.IGNORECASE)
_HEADER = re.compile(r"^([A-Za-z][A-Za-z\-]*(?:\s*\([^)]*\))?):\s?(.*)$")
_REVISED = re.compile(r"^date\s*\(revised\s*v?(\d+)\)$", re.IGNORECASE)
_END = re.compile(r"^\\\\\s*\(\s*([^\s,]+)\s*,?")
_SIZE = re.compile(r"\s*\(\s*\d+\s*kb[^)]*\)\s*$", re.IGNORECASE)


class _Entry:
    """One digest entry as it is read."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.ident: str | None = None
        self.replaced: str | None = None
        self.headers: dict[str, list[str]] = {}
        self.current: str | None = None
        self.abstract: list[str] = []
        self.size = 0
        self.url: str | None = None

    def header(self, name: str, value: str) -> None:
        key = " ".join(name.lower().split())
        if key in self.headers:
            self.current = None  # a repeated header: keep the first
            return
        self.headers[key] = [value.strip()]
        self.current = key
        self.size += len(value)

    def continue_header(self, text: str) -> None:
        if self.current is not None:
            self.headers[self.current].append(text.strip())
            self.size += len(text)

    def values(self) -> dict[str, str]:
        """Each header with its continuation lines joined by single spaces."""
        return {k: " ".join(p for p in parts if p) for k, parts in self.headers.items()}


def _finish(entry: _Entry, source: str) -> Record | Problem | None:
    headers = entry.values()
    abstract = "".join(entry.abstract).strip("\n") or None
    title = headers.get("title") or None
    if entry.ident is None and title is None and abstract is None:
        return None  # not an entry at all (stray "\\" in the mail header)
    if title is None and abstract is None and entry.replaced is not None:
        return None  # a bare replacement notice: no paper text to read
    arxiv_id, version = arxiv_fields(entry.ident, entry.url)
    published = updated = None
    for name, value in headers.items():
        revised = _REVISED.match(name)
        if revised:
            version = version or revised.group(1)
            updated = updated or iso_date(_SIZE.sub("", value))
        elif name == "date":
            published = iso_date(_SIZE.sub("", value))
    if entry.replaced is not None:
        updated = updated or iso_date(_SIZE.sub("", entry.replaced))
    return build(
        source,
        entry.line,
        tex=True,
        title=title,
        abstract=abstract,
        arxiv_id=arxiv_id,
        version=version if arxiv_id else None,
        authors=split_authors(headers.get("authors", headers.get("author", ""))),
        categories=string_tuple(headers.get("categories", "").split()),
        published=published,
        updated=updated,
        doi=headers.get("doi") or None,
        journal_ref=headers.get("journal-ref") or None,
        comment=headers.get("comments") or None,
        url=entry.url,
    )


def parse(stream: TextIO, source: str) -> Iterator[Item]:
    """Yield a Record per digest entry (new, cross-listed or replaced with text)."""
    entry: _Entry | None = None
    in_abstract = False
    for number, raw in enumerate(iter_lines(stream), start=1):
        stripped = raw.strip()
        if not stripped:  # the common case in padded files: keep it cheap
            if entry is not None:
                if in_abstract:
                    entry.abstract.append("\n")
                    entry.size += 1
                else:
                    entry.current = None
            continue
        line = raw.rstrip("\r\n")
        end = _END.match(stripped)
        if entry is not None and (end or _RULE.match(line)):
            if end:
                entry.url = end.group(1)
            done = _finish(entry, source)
            if done is not None:
                yield done
            entry, in_abstract = None, False
            continue
        if entry is None:
            if stripped == "\\\\":
                entry = _Entry(number)
            elif _ID_LINE.match(line):
                entry = _Entry(number)
                entry.ident = _ID_LINE.match(line).group(1)  # type: ignore[union-attr]
            continue
        if in_abstract:
            entry.abstract.append(raw if raw.endswith("\n") else raw + "\n")
            entry.size += len(raw)
            if entry.size > MAX_RECORD_CHARS:
                yield Problem(source, entry.line, "entry too large to read")
                entry, in_abstract = None, False
            continue
        if stripped == "\\\\":
            in_abstract = True
            continue
        _head_line(entry, line, number)
        if entry.size > MAX_RECORD_CHARS:
            yield Problem(source, entry.line, "entry too large to read")
            entry = None
    if entry is not None:  # the file ends inside an entry (a digest cut short)
        done = _finish(entry, source)
        if done is not None:
            yield done


def _head_line(entry: _Entry, line: str, number: int) -> None:
    """One line of an entry's header block."""
    if not line.strip():
        entry.current = None
        return
    ident = _ID_LINE.match(line)
    if ident and entry.ident is None:
        entry.ident, entry.line = ident.group(1), number
        return
    replaced = _REPLACED.match(line)
    if replaced:
        entry.replaced = replaced.group(1)
        return
    if line[:1].isspace():
        entry.continue_header(line)
        return
    header = _HEADER.match(line)
    if header:
        entry.header(header.group(1), header.group(2))
    else:
        entry.continue_header(line)


def sniff(head: str) -> int:
    """Confidence that ``head`` is an arXiv listing digest."""
    ids = len(re.findall(r"^(?:arXiv:\d|arXiv:[a-z\-]+/\d|Paper:)", head, re.MULTILINE))
    titles = len(re.findall(r"^Title: ", head, re.MULTILINE))
    marks = len(re.findall(r"^\\\\[ \t]*$", head, re.MULTILINE))
    if ids and (titles or marks):
        return 90
    if re.search(r"Subj-class mailing|^[ \t]*received from\s", head, re.MULTILINE) and titles:
        return 60
    return 0
