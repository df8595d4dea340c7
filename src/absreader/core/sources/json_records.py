"""JSON Lines and JSON arrays of paper objects, streamed; also absreader backups.

Three shapes of object are understood, by their fields rather than a flag:

* the Kaggle arXiv metadata snapshot (``id``, ``authors_parsed``, ``versions``,
  ``update_date``, ``journal-ref`` ...: hard-wrapped text, old-style ids);
* plain objects: ``title``, ``abstract`` or ``summary``, and any of ``id``,
  ``arxiv_id``, ``url``, ``doi``, ``authors``, ``categories``,
  ``published``/``date``, ``tags``;
* papers from an absreader backup or ``absreader search --json`` (with
  ``untitled``, ``bookmarked``, ``read``, ``note``, ``tags``).

A backup is a top-level object ``{"absreader_backup": 1, "saved_searches": [...],
"papers": [...]}``; when its first key is one of those, ``papers`` is streamed.
JSON Lines are read line by line; anything else goes through
:class:`~absreader.core.sources._jsonstream.JsonStream`. Every malformed item is
a Problem with its line, and reading goes on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

from absreader.core.models import Problem, Record, SavedSearch, TagInfo
from absreader.core.sources._fields import (
    arxiv_fields,
    build,
    iso_date,
    partial_date,
    split_authors,
    string_tuple,
    text_or_none,
)
from absreader.core.sources._jsonstream import JsonStream, Value, describe
from absreader.core.sources._text import iter_lines

NAME = "json"

Item = Record | Problem | SavedSearch | TagInfo

_BACKUP_START = re.compile(r'\{\s*"(?:absreader_backup|exported|saved_searches|papers)"\s*:')
_TAG_SPLIT = re.compile(r"\s*[,;]\s*")
_CATEGORY_SPLIT = re.compile(r"[\s,;]+")


def kind(value: object) -> str:
    """A JSON type in words: ``a list``, ``a number``..."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return "a number"
    return "null"


def _authors(obj: dict[str, Any]) -> tuple[str, ...]:
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = []
        for entry in parsed:  # ["Last", "First", "Suffix"] -> "First Last Suffix"
            if type(entry) is not list or not entry:
                continue
            try:
                last = entry[0].strip()
                first = entry[1].strip() if len(entry) > 1 else ""
                suffix = entry[2].strip() if len(entry) > 2 else ""
            except AttributeError:  # not text
                continue
            names.append(" ".join(p for p in (first, last, suffix) if p))
        if names:
            return string_tuple(names)
    authors = obj.get("authors", obj.get("author"))
    if isinstance(authors, list):
        names = [a.get("name") if isinstance(a, dict) else a for a in authors]
        return string_tuple(names)
    if isinstance(authors, str):
        return split_authors(authors)
    return ()


def _words(value: object, splitter: re.Pattern[str] | None = None) -> tuple[str, ...]:
    if isinstance(value, list):
        return string_tuple(value)
    if isinstance(value, str):
        return string_tuple(splitter.split(value) if splitter else value.split())
    return ()


def _version(obj: dict[str, Any], found: str | None) -> str | None:
    version = obj.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        return str(version)
    if isinstance(version, str) and version.strip().lstrip("vV").isdigit():
        return version.strip().lstrip("vV")
    versions = obj.get("versions")
    if isinstance(versions, list) and versions:
        last = versions[-1]
        label = last.get("version") if isinstance(last, dict) else last
        if isinstance(label, str) and label.strip().lstrip("vV").isdigit():
            return label.strip().lstrip("vV")
    return found


def _published(obj: dict[str, Any]) -> str | None:
    versions = obj.get("versions")
    if isinstance(versions, list) and versions and isinstance(versions[0], dict):
        created = iso_date(versions[0].get("created"))
        if created:
            return created
    for name in ("published", "date", "published_date", "update_date", "year"):
        value = obj.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        found = partial_date(value)
        if found:
            return found
    return None


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def paper(obj: object, source: str, line: int) -> Record | Problem:
    """Map one JSON object (any of the three shapes) to a Record, or say what is wrong."""
    if not isinstance(obj, dict):
        return Problem(source, line, f"expected a JSON object, found {kind(obj)}")
    title = obj.get("title")
    abstract = obj.get("abstract", obj.get("summary"))
    for name, value in (("title", title), ("abstract", abstract)):
        if value is not None and not isinstance(value, str):
            return Problem(source, line, f"'{name}' should be text, not {kind(value)}")
    if obj.get("untitled") is True:
        title = None
    arxiv_id, found_version = arxiv_fields(
        obj.get("arxiv_id"), obj.get("id"), obj.get("eprint"), obj.get("url"), obj.get("doi")
    )
    return build(
        source,
        line,
        title=title,
        abstract=abstract,
        arxiv_id=arxiv_id,
        version=_version(obj, found_version) if arxiv_id else None,
        authors=_authors(obj),
        categories=_words(obj.get("categories", obj.get("category")), _CATEGORY_SPLIT),
        published=_published(obj),
        updated=iso_date(obj.get("updated", obj.get("update_date"))),
        doi=text_or_none(obj.get("doi")),
        journal_ref=text_or_none(obj.get("journal_ref", obj.get("journal-ref"))),
        comment=text_or_none(obj.get("comment", obj.get("comments"))),
        url=text_or_none(obj.get("url")),
        tags=_words(obj.get("tags"), _TAG_SPLIT),
        bookmarked=_flag(obj.get("bookmarked")),
        read=_flag(obj.get("read")),
        note=text_or_none(obj.get("note")),
    )


def saved_search(obj: object, source: str, line: int) -> SavedSearch | Problem:
    """Map one ``saved_searches`` entry of a backup."""
    if isinstance(obj, dict):
        name, query = obj.get("name"), obj.get("query")
        if isinstance(name, str) and name.strip() and isinstance(query, str):
            return SavedSearch(name=name, query=query)
    return Problem(source, line, "saved search needs a text 'name' and 'query'")


def reading_list(obj: object, source: str, line: int) -> TagInfo | Problem:
    """Map one entry of a backup's ``tags`` (every reading list, even an empty one)."""
    if isinstance(obj, str) and obj.strip():
        return TagInfo(name=obj, count=0)
    return Problem(source, line, "a reading list in 'tags' must be a non-empty text")


def _top(value: object, source: str, line: int) -> Iterator[Item]:
    """A whole top-level value: a backup read in memory, a paper, or a list of papers."""
    if isinstance(value, dict) and (
        "absreader_backup" in value or isinstance(value.get("papers"), list)
    ):
        for entry in value.get("saved_searches") or []:
            yield saved_search(entry, source, line)
        for entry in value.get("tags") or []:
            yield reading_list(entry, source, line)
        for entry in value.get("papers") or []:
            yield paper(entry, source, line)
    elif isinstance(value, list):
        for entry in value:
            yield paper(entry, source, line)
    else:
        yield paper(value, source, line)


def _lines(lines: Iterator[str], source: str, first: tuple[int, str]) -> Iterator[Item]:
    """JSON Lines: each non-blank line is one value."""
    number, line = first
    while True:
        if line.strip():
            try:
                value = json.loads(line)
            except RecursionError:
                yield Problem(source, number, "JSON nested too deeply")
            except json.JSONDecodeError as exc:
                yield Problem(source, number, describe(exc, number, 1))
            except ValueError as exc:
                yield Problem(source, number, f"invalid JSON: {exc}")
            else:
                yield from _top(value, source, number)
        line = next(lines, "")
        if not line:
            return
        number += 1


def _array(js: JsonStream, source: str, mapper: Any) -> Iterator[Item]:
    """The elements of the array whose ``[`` was just consumed."""
    indent: str | None = None  # the text before each element, when elements start lines
    first = True
    while True:
        char = js.peek()
        if char == "]":
            js.skip()
            return
        if char == ",":
            js.skip()
            continue
        if not char:
            yield Problem(source, js.line, "the file ends inside a JSON array (missing ']')")
            return
        if first:
            prefix = js.line_prefix()
            indent = prefix if prefix is not None and not prefix.strip() else None
            first = False
        item: Value = js.value()
        if item.ok:
            yield mapper(item.value, source, item.line)
            continue
        yield Problem(source, item.line, item.reason)
        if item.fatal:
            js.finish()
            return
        if item.broken and indent is not None:
            # One element per line or pretty-printed: resume where the next one starts.
            start = indent + "{"
            js.skip_to_line(
                lambda head, start=start: head.startswith(start) or head.lstrip()[:1] == "]"
            )


def _backup(js: JsonStream, source: str) -> Iterator[Item]:
    """A top-level backup object, streaming its ``papers`` and ``saved_searches``."""
    js.skip()
    while True:
        char = js.peek()
        if char == "}":
            js.skip()
            return
        if char == ",":
            js.skip()
            continue
        if char != '"':
            where = "the file ends" if not char else f"found {char!r}"
            yield Problem(source, js.line, f"invalid JSON: expected a key in the backup, {where}")
            js.finish()
            return
        key = js.value()
        if js.peek() != ":" or not key.ok:
            yield Problem(source, key.line, "invalid JSON: expected ':' after a key in the backup")
            js.finish()
            return
        js.skip()
        if key.value in ("papers", "saved_searches", "tags") and js.peek() == "[":
            js.skip()
            mapper = {"papers": paper, "saved_searches": saved_search, "tags": reading_list}[
                key.value
            ]
            yield from _array(js, source, mapper)
        else:
            item = js.value() if js.peek() else Value(js.line, 0, False, reason="", fatal=True)
            if not item.ok:
                yield Problem(source, item.line, item.reason or "the file ends inside the backup")
                js.finish()
                return


def _values(stream: TextIO, source: str) -> Iterator[Item]:
    """Arrays, pretty-printed objects and backups, one top-level value after another."""
    js = JsonStream(stream)
    while True:
        char = js.peek()
        if not char:
            return
        if char == "[":
            js.skip()
            yield from _array(js, source, paper)
        elif char == "{" and _BACKUP_START.match(js.ahead(4096)):
            yield from _backup(js, source)
        else:
            item = js.value()
            if item.ok:
                yield from _top(item.value, source, item.line)
            else:
                yield Problem(source, item.line, item.reason)
                if item.fatal:
                    return
                js.skip_to_line(lambda _head: True)  # one Problem per broken line, not per token


def parse(stream: TextIO, source: str) -> Iterator[Item]:
    """Yield a Record per paper object (and SavedSearch items from a backup)."""
    number = 0
    lines = iter_lines(stream)
    for line in lines:
        number += 1
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("{") and stripped.endswith("}"):
            yield from _lines(lines, source, (number, line))
        else:
            # Hand the rest to the streaming reader, starting with this line.
            yield from _values(_Prefixed(line, stream, number - 1), source)
        return


class _Prefixed:
    """A stream that replays blank lines and one already-read line before the rest."""

    def __init__(self, first: str, rest: TextIO, blank_lines: int) -> None:
        self._pending = "\n" * blank_lines + first
        self._rest = rest

    def read(self, size: int = -1) -> str:
        if self._pending:
            text, self._pending = self._pending, ""
            return text
        return self._rest.read(size)


def sniff(head: str) -> int:
    """Confidence that ``head`` is JSON or JSON Lines."""
    text = head.lstrip("\ufeff \t\r\n")
    if not text or text[0] not in "[{":
        return 0
    if re.match(r'[\[{]\s*(?:[\[{]\s*)*("|\]|\}|$)', text):
        return 90 if re.search(r'"(?:title|abstract|summary|id|arxiv_id)"\s*:', text) else 70
    return 30
