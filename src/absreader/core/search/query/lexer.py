"""Reading a query's text: tokens with their offsets, and ``date:`` values.

Pasted text is text: syntax is recognised only where it is unambiguous, and
everything else is words. The tokenizer never fails.

* ``field:`` only with a known field name; ``foo:bar`` is the words ``foo bar``
  (with a notice).
* ``-word`` negates only at the start of a word after a space, and only in a
  short query (at most :data:`SHORT_QUERY` words); ``+word`` makes a word
  required. In a pasted paragraph both are just punctuation.
* A quote opens a phrase only when a closing quote pairs with it; an unpaired
  quote is dropped (with a notice) and its words read as words.
* Brackets group only in a query that uses operators (``AND OR NOT``, ``&&``,
  ``||``) or a field group (``title:(...)``); otherwise they are punctuation.
* ``*`` and ``~`` are syntax only at the end of a word; ``?``, ``!``, ``:``,
  `` - `` and hyphens are punctuation.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from absreader.core.ids import parse_arxiv_id

FIELD_NAMES = {
    "title": "title",
    "abstract": "abstract",
    "abs": "abstract",
    "author": "author",
    "authors": "author",
    "by": "author",
    "id": "id",
    "arxiv": "id",
    "cat": "cat",
    "category": "cat",
    "categories": "cat",
    "tag": "tag",
    "tags": "tag",
    "list": "tag",
    "note": "note",
    "notes": "note",
    "is": "is",
    "date": "date",
    "year": "date",
    "published": "date",
}
IS_ALIASES = {
    "bookmarked": ("bookmarked", False),
    "bookmark": ("bookmarked", False),
    "starred": ("bookmarked", False),
    "unbookmarked": ("bookmarked", True),
    "read": ("read", False),
    "unread": ("unread", False),
    "new": ("unread", False),
    "untitled": ("untitled", False),
    "titled": ("untitled", True),
    "tagged": ("tagged", False),
    "untagged": ("tagged", True),
    "noted": ("noted", False),
    "annotated": ("noted", False),
}
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "for",
        "from",
        "has",
        "have",
        "if",
        "in",
        "is",
        "it",
        "may",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "which",
        "will",
        "with",
        "within",
        "you",
        "your",
        # Words of questions and requests: they say how, not what.
        "about",
        "after",
        "all",
        "also",
        "am",
        "among",
        "any",
        "been",
        "being",
        "between",
        "both",
        "but",
        "could",
        "did",
        "do",
        "does",
        "done",
        "during",
        "each",
        "either",
        "etc",
        "eg",
        "ie",
        "how",
        "i",
        "into",
        "its",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "no",
        "nor",
        "not",
        "only",
        "other",
        "our",
        "ought",
        "over",
        "shall",
        "should",
        "so",
        "some",
        "such",
        "than",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "those",
        "through",
        "thus",
        "under",
        "us",
        "very",
        "where",
        "whether",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "would",
    ]  # noqa: SIM905
)

OPERATORS = {"AND", "OR", "NOT", "&&", "||"}
#: ``-word`` negates only in queries of at most this many words.
SHORT_QUERY = 6
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_FIELD = re.compile(r"^([A-Za-z]+):(.*)$", re.DOTALL)


@dataclass
class Token:
    """One piece of a query: a bracket, an operator, or a word or phrase."""

    kind: str  # "(", ")", "op", "word", "phrase", "field("
    text: str = ""
    field: str | None = None
    negated: bool = False
    start: int = 0
    end: int = 0
    slop: int = 1
    #: ``+word``: required even when the other words are relaxed.
    required: bool = False


def _uses_syntax(text: str) -> bool:
    """Whether brackets can be groups: the query has an operator or a field group."""
    return bool(
        re.search(r"(?:^|[\s(])(?:AND|OR|NOT|&&|\|\|)(?=[\s(]|$)", text)
        or re.search(r"(?:^|[\s(])[-+]?([A-Za-z]+):\(", text)
    )


def tokenize(text: str) -> tuple[list[Token], list[str]]:
    """Split a query into tokens; never fails (stray quotes become plain text)."""
    tokens: list[Token] = []
    notices: list[str] = []
    i, n = 0, len(text)
    groups = _uses_syntax(text)
    short = len(text.split()) <= SHORT_QUERY
    pending_field: str | None = None
    pending_neg = False
    pending_start = 0
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            pending_field, pending_neg = None, False
            continue
        if ch in "()" and not groups:
            i += 1  # punctuation in pasted text
            pending_field, pending_neg = None, False
            continue
        if ch == "(":
            tokens.append(
                Token(
                    "field(" if pending_field else "(",
                    field=pending_field,
                    negated=pending_neg,
                    start=pending_start if pending_field else i,
                    end=i + 1,
                )
            )
            pending_field, pending_neg = None, False
            i += 1
            continue
        if ch == ")":
            tokens.append(Token(")", start=i, end=i + 1))
            i += 1
            continue
        if ch == '"':
            close = text.find('"', i + 1)
            if close < 0:
                notices.append("A quote was not closed; searched for the words instead.")
                i += 1
                pending_field, pending_neg = None, False
                continue
            slop = 1
            end = close + 1
            m = re.match(r"~(\d{1,2})", text[end:])
            if m:
                slop = max(1, int(m.group(1)))
                end += m.end()
            tokens.append(
                Token(
                    "phrase",
                    text[i + 1 : close],
                    pending_field,
                    pending_neg,
                    pending_start if pending_field or pending_neg else i,
                    end,
                    slop,
                )
            )
            pending_field, pending_neg = None, False
            i = end
            continue
        # A bare run of text up to whitespace, a bracket or a quote.
        j = i
        while j < n and not text[j].isspace() and text[j] not in '()"':
            j += 1
        chunk = text[i:j]
        start = i
        i = j
        if chunk in OPERATORS and pending_field is None and not pending_neg:
            tokens.append(
                Token("op", {"&&": "AND", "||": "OR"}.get(chunk, chunk), start=start, end=j)
            )
            continue
        neg = pending_neg
        required = False
        at_word_start = start == 0 or text[start - 1].isspace() or text[start - 1] == "("
        if (
            pending_field is None
            and not neg
            and len(chunk) > 1
            and chunk[0] == "-"
            and chunk[1] not in "-+"
            and at_word_start
            and short
        ):
            neg, chunk, start = True, chunk[1:], start + 1
        elif pending_field is None and chunk.startswith("+") and len(chunk) > 1:
            chunk, start, required = chunk[1:], start + 1, True
        match = _FIELD.match(chunk)
        if match and pending_field is None and parse_arxiv_id(chunk) is None:
            name, rest = match.group(1), match.group(2)
            if name.lower() not in FIELD_NAMES:
                # Not a field: "foo:bar" is the words foo and bar.
                if rest and not rest.startswith(":"):
                    notices.append(f"There is no field {name}:, so its words were searched for.")
                tokens.append(Token("word", name, None, neg, start, start + len(name), required=required))
                rest_start = start + len(name) + 1
                if rest.strip(":"):
                    tokens.append(Token("word", rest, None, False, rest_start, j))
                pending_field, pending_neg = None, False
                continue
            if not rest:
                # "title:" followed by a quote or a bracket
                if i < n and text[i] in '"(':
                    pending_field, pending_neg, pending_start = name, neg, start - (1 if neg else 0)
                    continue
                if name.lower() in FIELD_NAMES:
                    # "vision title:" while typing: the field has no value yet, so it
                    # narrows nothing (searching for the word "title" would find nothing).
                    continue
                tokens.append(Token("word", name, None, neg, start, j))
                continue
            tokens.append(Token("word", rest, name, neg, start, j, required=required))
            continue
        if chunk == "-" or not chunk:
            continue
        tokens.append(Token("word", chunk, pending_field, neg, start, j, required=required))
        pending_field, pending_neg = None, False
    return tokens, notices


def parse_date(value: str) -> list[str] | None:
    """``date:`` value -> the date terms it covers; None when it is not a date."""
    value = value.strip()
    for op in (">=", "<=", ">", "<"):
        if value.startswith(op):
            bound = _date_bounds(value[len(op) :])
            if bound is None:
                return None
            lo, hi = bound
            if op == ">=":
                return _date_range(lo, date(2100, 12, 31))
            if op == ">":
                return _date_range(_next_day(hi), date(2100, 12, 31))
            if op == "<=":
                return _date_range(date(1900, 1, 1), hi)
            return _date_range(date(1900, 1, 1), _prev_day(lo))
    if ".." in value:
        left, _, right = value.partition("..")
        lo_b = _date_bounds(left) if left else (date(1900, 1, 1), date(1900, 1, 1))
        hi_b = _date_bounds(right) if right else (date(2100, 12, 31), date(2100, 12, 31))
        if lo_b is None or hi_b is None:
            return None
        return _date_range(lo_b[0], hi_b[1])
    bound = _date_bounds(value)
    if bound is None:
        return None
    return [value if len(value) == 4 else _canonical_date(value)]


def _canonical_date(value: str) -> str:
    parts = value.split("-")
    return "-".join([parts[0], *(p.zfill(2) for p in parts[1:])])


def _date_bounds(value: str) -> tuple[date, date] | None:
    match = _DATE.match(value.strip())
    if not match:
        return None
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else None
    day = int(match.group(3)) if match.group(3) else None
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        last = calendar.monthrange(year, month)[1]
        if day is None:
            return date(year, month, 1), date(year, month, last)
        d = date(year, month, day)
        return d, d
    except ValueError:
        return None


def _next_day(d: date) -> date:
    return date.fromordinal(min(d.toordinal() + 1, date(2100, 12, 31).toordinal()))


def _prev_day(d: date) -> date:
    return date.fromordinal(max(d.toordinal() - 1, date(1900, 1, 1).toordinal()))


_LAST_DAY = date(2100, 12, 31)


def _date_range(lo: date, hi: date) -> list[str]:
    """The fewest year, month and day terms covering ``lo..hi`` (inclusive)."""
    terms: list[str] = []
    lo = max(lo, date(1900, 1, 1))
    hi = min(hi, date(date.today().year + 1, 12, 31))
    cur = lo
    while cur <= hi and len(terms) < 400:
        year_end = date(cur.year, 12, 31)
        month_end = date(cur.year, cur.month, calendar.monthrange(cur.year, cur.month)[1])
        if cur.month == 1 and cur.day == 1 and year_end <= hi:
            terms.append(f"{cur.year:04d}")
            reached = year_end
        elif cur.day == 1 and month_end <= hi:
            terms.append(f"{cur.year:04d}-{cur.month:02d}")
            reached = month_end
        else:
            terms.append(cur.isoformat())
            reached = cur
        if reached >= _LAST_DAY:
            break
        cur = _next_day(reached)
    return terms
