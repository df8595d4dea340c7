"""BibTeX and biblatex, as exported by arXiv, Zotero, Google Scholar and DBLP.

A tolerant parser of its own: entries start with ``@type{`` or ``@type(`` at the
start of a line; values may be braced (nested), quoted, bare numbers or
``@string`` macros, joined with ``#``. ``@comment`` and ``@preamble`` are
skipped. Braces and TeX are turned into plain Unicode text. An entry whose
braces never balance is a Problem, and reading resumes at the next ``@`` that
starts a line.

The arXiv id is looked for where each exporter puts it: ``eprint`` (arXiv,
DBLP, biblatex), ``number = {arXiv:...}`` and ``url`` (Zotero), ``journal =
{arXiv preprint arXiv:...}`` (Google Scholar), ``volume = {abs/...}`` (DBLP),
an arXiv DOI. ``primaryClass``/``eprintclass`` become the categories;
``keywords`` are not tags.
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
    invert_name,
    iso_date,
    partial_date,
    split_by_depth,
    string_tuple,
)
from absreader.core.sources._latex import tex_to_text
from absreader.core.sources._text import iter_lines

NAME = "bibtex"

Item = Record | Problem | SavedSearch

_START = re.compile(r"[ \t]*@[ \t]*([A-Za-z][\w-]*)[ \t]*")
_HEAD = re.compile(r"@\s*([A-Za-z][\w-]*)\s*([{(])")
_BLANK = re.compile(r"\s*")
_DELIMS = re.compile(r'[{}()"]')
_BRACES = re.compile(r"[{}]")
_BRACES_QUOTES = re.compile(r'[{}"]')
_FIELD = re.compile(r'([^\s=,{}"#()]+)\s*=\s*')
_BARE = re.compile(r'[^\s,#{}"()]+')
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MACROS = {m[:3].lower(): m for m in _MONTHS}
_SKIPPED = {"comment", "preamble"}
_ARXIV_VENUE = re.compile(r"^\s*(?:arxiv|corr|arxiv e-prints|arxiv preprint)\b", re.IGNORECASE)


class _Bad(Exception):
    """An entry that cannot be read; the message is the Problem's reason."""


class _Scan:
    """Collects one entry's text, line by line, until its delimiters balance."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.parts: list[str] = []
        self.size = 0
        self.mode = ""
        self.depth = 0
        self.quoted = False
        self.dead = False

    def feed(self, text: str, pos: int) -> int | None:
        """Consume ``text`` from ``pos``; the index after the entry when it closes."""
        begin = pos
        if not self.mode:
            pos = _BLANK.match(text, pos).end()  # type: ignore[union-attr]
            if pos < len(text):
                if text[pos] not in "{(":
                    self.dead = True  # "@someone wrote": not an entry
                    return None
                self.mode, self.depth = text[pos], 1 if text[pos] == "{" else 0
                pos += 1
        for match in _DELIMS.finditer(text, pos):
            char = match.group()
            if char == "{":
                self.depth += 1
            elif char == "}":
                self.depth -= 1
                if self.mode == "{" and self.depth == 0:
                    return self._keep(text[begin : match.end()])
                self.depth = max(self.depth, 0)
            elif self.mode == "(" and self.depth == 0:
                if char == '"':
                    self.quoted = not self.quoted
                elif char == ")" and not self.quoted:
                    return self._keep(text[begin : match.end()])
        self._keep(text[begin:])
        return None

    def _keep(self, text: str) -> int:
        self.parts.append(text)
        self.size += len(text)
        return self.size

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _raw_entries(stream: TextIO, source: str) -> Iterator[tuple[int, str] | Problem]:
    """``(line, "@type{...}")`` for each balanced entry, Problems for the others."""
    scan: _Scan | None = None
    for number, line in enumerate(iter_lines(stream), start=1):
        start = _START.match(line)
        if scan is not None and start:
            if scan.mode:
                yield Problem(
                    source,
                    scan.line,
                    f"unbalanced braces: entry not closed before the next entry on line {number}",
                )
            scan = None
        if scan is None:
            if not start:
                continue
            scan = _Scan(number)
            at = line.index("@")
            scan.parts.append(line[at : start.end()])
            closed = scan.feed(line, start.end())
        else:
            closed = scan.feed(line, 0)
        if closed is not None:
            yield scan.line, scan.text
            scan = None
        elif scan.dead:
            scan = None
        elif scan.size > MAX_RECORD_CHARS:
            yield Problem(source, scan.line, "entry too large to read")
            scan = None
    if scan is not None and scan.mode:
        yield Problem(
            source, scan.line, "unbalanced braces: entry not closed at the end of the file"
        )


def _group_end(body: str, pos: int, quoted: bool) -> int:
    """Index of the delimiter closing the value opened at ``pos``."""
    depth = 0
    pattern = _BRACES_QUOTES if quoted else _BRACES
    for match in pattern.finditer(body, pos + 1):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                if quoted:
                    raise _Bad("unbalanced braces inside a quoted value")
                return match.start()
            depth -= 1
        elif depth == 0:  # a closing quote
            return match.start()
    raise _Bad("a value is not closed")


def _value(body: str, pos: int, macros: dict[str, str], name: str) -> tuple[str, int]:
    parts: list[str] = []
    while True:
        pos = _BLANK.match(body, pos).end()  # type: ignore[union-attr]
        char = body[pos : pos + 1]
        if char in ("{", '"'):
            end = _group_end(body, pos, quoted=char == '"')
            parts.append(body[pos + 1 : end])
            pos = end + 1
        else:
            bare = _BARE.match(body, pos)
            if not bare:
                raise _Bad(f"field '{name}' has no value")
            token = bare.group()
            parts.append(token if token.isdigit() else macros.get(token.lower(), token))
            pos = bare.end()
        pos = _BLANK.match(body, pos).end()  # type: ignore[union-attr]
        if body[pos : pos + 1] != "#":
            return "".join(parts), pos
        pos += 1


def _fields(body: str, macros: dict[str, str], has_key: bool) -> dict[str, str]:
    pos = _BLANK.match(body).end()  # type: ignore[union-attr]
    if has_key:
        comma = body.find(",", pos)
        first = body[pos:] if comma < 0 else body[pos:comma]
        if "=" not in first:
            pos = len(body) if comma < 0 else comma + 1
    fields: dict[str, str] = {}
    while True:
        while pos < len(body) and (body[pos].isspace() or body[pos] == ","):
            pos += 1
        if pos >= len(body):
            return fields
        match = _FIELD.match(body, pos)
        if not match:
            raise _Bad(f"expected 'name = value' but found {body[pos : pos + 30].strip()!r}")
        name = match.group(1).lower()
        value, pos = _value(body, match.end(), macros, name)
        fields.setdefault(name, value)


def _authors(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    names = []
    for raw in split_by_depth(value.strip(), _AND):
        parts = split_by_depth(raw, re.compile(r"\s*,\s*"))
        name = invert_name(", ".join(parts)) if len(parts) > 1 else raw
        name = " ".join(tex_to_text(name).split())
        if name and name.lower() != "others":
            names.append(name)
    return string_tuple(names)


def _text(fields: dict[str, str], name: str) -> str | None:
    value = fields.get(name)
    return tex_to_text(value).strip() or None if value else None


def _published(fields: dict[str, str]) -> str | None:
    """``date``, else ``year``/``month``/``day``: kept at the precision given (``2017``)."""
    found = partial_date(_plain(fields.get("date")))
    if found:
        return found
    year, month, day = (_plain(fields.get(n)) for n in ("year", "month", "day"))
    if not re.fullmatch(r"\d{4}", year):
        return None
    if month and day.isdigit():
        full = iso_date(f"{day} {month} {year}")
        if full:
            return full
    if month:
        number = int(month) if month.isdigit() else None
        if number is None:
            return partial_date(f"{month} {year}") or year
        if 1 <= number <= 12:
            return f"{year}-{number:02d}"
    return year


def _plain(value: str | None) -> str:
    return _BRACES.sub("", value or "").strip()


def _journal_ref(fields: dict[str, str]) -> str | None:
    venue = _text(fields, "journal") or _text(fields, "booktitle")
    if not venue or _ARXIV_VENUE.match(venue):
        return None
    ref = venue
    volume = _text(fields, "volume")
    if volume:
        ref += f" {volume}"
    pages = _text(fields, "pages")
    if pages:
        ref += f", {pages}"
    year = _text(fields, "year")
    if year:
        ref += f" ({year})"
    return ref


def record(fields: dict[str, str], source: str, line: int) -> Record | Problem:
    """Map the fields of one entry (names lower-cased, values raw TeX) to a Record."""
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").lower()
    eprint = fields.get("eprint") if "arxiv" in prefix else None
    arxiv_id, version = arxiv_fields(
        eprint,
        fields.get("arxivid"),
        fields.get("arxiv"),
        fields.get("doi"),
        fields.get("url"),
        fields.get("number"),
        fields.get("journal"),
        fields.get("volume"),
        fields.get("note"),
        fields.get("howpublished"),
        fields.get("eid"),
    )
    doi = re.sub(r"[{}]|\\(?=[_&%#])", "", fields.get("doi", "")).strip() or None  # not TeX
    if doi and doi.lower().startswith("10.48550/arxiv."):
        doi = None  # arXiv's own DOI: the id already says it
    note = _text(fields, "note")
    if note and arxiv_fields(note)[0]:
        note = None
    classes = fields.get("primaryclass") or fields.get("eprintclass") or ""
    return build(
        source,
        line,
        title=_text(fields, "title"),
        abstract=_text(fields, "abstract"),
        arxiv_id=arxiv_id,
        version=version,
        authors=_authors(fields.get("author")),
        categories=string_tuple(re.split(r"[\s,;]+", classes)),
        published=_published(fields),
        doi=doi,
        journal_ref=_journal_ref(fields),
        comment=note,
        url=(fields.get("url") or "").strip() or None,
    )


def parse(stream: TextIO, source: str) -> Iterator[Item]:
    """Yield a Record per entry; ``@string`` macros apply to the entries after them."""
    macros = dict(_MACROS)
    for raw in _raw_entries(stream, source):
        if isinstance(raw, Problem):
            yield raw
            continue
        line, text = raw
        head = _HEAD.match(text)
        if head is None:  # pragma: no cover - _raw_entries only yields opened entries
            continue
        kind = head.group(1).lower()
        if kind in _SKIPPED:
            continue
        body = text[head.end() : -1]
        try:
            fields = _fields(body, macros, has_key=kind != "string")
        except _Bad as exc:
            yield Problem(source, line, f"@{kind} entry: {exc}")
            continue
        if kind == "string":
            macros.update({k: v for k, v in fields.items()})
            continue
        yield record(fields, source, line)


def sniff(head: str) -> int:
    """Confidence that ``head`` is BibTeX."""
    kinds = re.findall(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]", head, re.MULTILINE)
    known = {
        "article", "misc", "inproceedings", "conference", "book", "incollection", "inbook",
        "techreport", "report", "phdthesis", "mastersthesis", "thesis", "unpublished",
        "online", "preprint", "electronic", "manual", "proceedings", "software", "dataset",
        "string", "comment", "preamble",
    }  # fmt: skip
    if any(k.lower() in known for k in kinds):
        return 95
    return 60 if kinds else 0
