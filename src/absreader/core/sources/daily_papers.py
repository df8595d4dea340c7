"""Scraped "daily papers" listing pages: a title line, then its abstract line.

The pages carry chrome that is not a paper (``new``, ``Subscribe``, ``Get
trending papers in your email inbox!``, ``byAK and the research community``,
date lines like ``Mar 20``), sometimes glued to the first title
(``SubscribeDeepArchitect: ...``). Blank lines between items are optional.

Titles are short single lines; abstracts are long prose. Items normally
alternate, but a title without an abstract (the end of a truncated page) or an
abstract without a title still comes in, and a line is only taken for a short
abstract when it reads like a sentence and the next line is not an abstract.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TextIO

from absreader.core.models import Problem, Record, SavedSearch
from absreader.core.sources._fields import build
from absreader.core.sources._text import iter_lines

NAME = "daily-papers"

_CHROME = {
    "new",
    "subscribe",
    "get trending papers in your email inbox!",
    "get trending papers in your email inbox once a day!",
    "byak and the research community",
    "by ak and the research community",
    "daily papers",
    "trending papers",
}
_GLUED = re.compile(
    r"(?:Get trending papers in your email inbox(?: once a day)?!"
    r"|by ?AK and the research community|Subscribe)",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}"
    r"(?:st|nd|rd|th)?(?:,?\s+\d{4})?",
    re.IGNORECASE,
)
_LETTER = re.compile(r"[^\W\d_]")
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z(]")


def strip_chrome(line: str) -> str:
    """The line without page chrome: empty when it is all chrome."""
    text = line.strip()
    for _ in range(5):
        match = _GLUED.match(text)
        if not match:
            break
        rest = text[match.end() :]
        if rest[:1].islower() or (rest[:1].isspace() and rest.lstrip()[:1].islower()):
            break  # "Subscriber churn ...", "Subscribe to ..." are real words
        text = rest.strip()
    if text.lower() in _CHROME or _DATE.fullmatch(text) or not _LETTER.search(text):
        return ""
    return text


def is_abstract(text: str) -> bool:
    """Clearly prose: long, or more than one sentence ending in a full stop.

    Titles can hold a question mark or ``vs.`` mid-line, but rarely end in a full stop.
    """
    if len(text) >= 300:
        return True
    return text.endswith(".") and len(text.split()) >= 12 and bool(_SENTENCE_BREAK.search(text))


def _is_sentence(text: str) -> bool:
    """Could be a short abstract: ends like a sentence and has a few words."""
    return text.endswith(".") and len(text.split()) >= 6


def _content(stream: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(iter_lines(stream), start=1):
        if not line.strip():
            continue
        text = strip_chrome(line)
        if text:
            yield number, text


def parse(stream: TextIO, source: str) -> Iterator[Record | Problem | SavedSearch]:
    """Yield one Record per title/abstract pair (or lone title or abstract)."""
    lines = _content(stream)
    pending: tuple[int, str] | None = None
    lookahead: tuple[int, str] | None = None
    while True:
        if lookahead is not None:
            current, lookahead = lookahead, None
        else:
            current = next(lines, None)
            if current is None:
                break
        number, text = current
        if pending is None:
            if is_abstract(text):
                yield build(source, number, tex=True, abstract=text)
            else:
                pending = current
            continue
        if is_abstract(text):
            yield build(source, pending[0], tex=True, title=pending[1], abstract=text)
            pending = None
            continue
        # Two short lines in a row: a short abstract, or a title that had none.
        lookahead = next(lines, None)
        if _is_sentence(text) and not (lookahead and is_abstract(lookahead[1])):
            yield build(source, pending[0], tex=True, title=pending[1], abstract=text)
            pending = None
        else:
            yield build(source, pending[0], tex=True, title=pending[1])
            pending = current
    if pending is not None:
        yield build(source, pending[0], tex=True, title=pending[1])


def sniff(head: str) -> int:
    """Confidence that ``head`` is a daily-papers listing page."""
    lines = [line.strip() for line in head.splitlines()[:200] if line.strip()]
    if not lines:
        return 0
    chrome = sum(
        1
        for line in lines[:12]
        if line.lower() in _CHROME
        or line.lower().startswith(("get trending papers", "subscribe"))
        or "byak and the research community" in line.lower()
    )
    if chrome >= 2:
        return 90
    if lines[0][:1] in "{[<@":
        return 0
    kinds = [is_abstract(line) for line in lines]
    if len(kinds) < 2 or not any(kinds):
        return 0
    alternating = sum(1 for a, b in zip(kinds, kinds[1:], strict=False) if a != b)
    share = alternating / (len(kinds) - 1)
    return 40 if share > 0.8 else 15 if share > 0.5 else 0
