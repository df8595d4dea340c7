"""Highlighting: which characters of a title or abstract a query matched.

Spans are plain ``(start, end)`` character offsets into the text as stored,
found by re-analysing the text with the index's own analyser (so ``models``
marks ``modelling``, ``cafe`` marks ``café``). No HTML, no size limit: a
100,000-character abstract is scanned like any other.
"""

from __future__ import annotations

from absreader.core.search.format.schema import term_for, word_spans
from absreader.core.search.query.parser import ParsedQuery

Span = tuple[int, int]


def find_spans(
    fieldname: str,
    text: str,
    terms: set[str],
    phrases: list[tuple[str, ...]],
) -> list[Span]:
    """Spans of ``text`` whose words become one of ``terms``, plus whole phrases.

    A phrase is marked from its first word to its last; single terms are marked
    word by word. Overlapping spans are merged; the result is sorted.
    """
    if not text or (not terms and not phrases):
        return []
    tokens = [(start, end, term_for(fieldname, word)) for start, end, word in word_spans(text)]
    spans = [(start, end) for start, end, term in tokens if term in terms]
    for phrase in phrases:
        size = len(phrase)
        if not size:
            continue
        first = phrase[0]
        for i in range(len(tokens) - size + 1):
            if tokens[i][2] == first and all(tokens[i + k][2] == phrase[k] for k in range(1, size)):
                spans.append((tokens[i][0], tokens[i + size - 1][1]))
    return merge_spans(spans)


def merge_spans(spans: list[Span]) -> list[Span]:
    """Sort spans and merge the ones that overlap or touch."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def highlight_parsed(parsed: ParsedQuery, title: str, abstract: str) -> dict[str, list[Span]]:
    """``{"title": spans, "abstract": spans}`` for a parsed query."""
    out: dict[str, list[Span]] = {}
    for fieldname, text in (("title", title), ("abstract", abstract)):
        terms = {t for f, t in parsed.highlight_terms if f == fieldname}
        phrases = [p for f, p in parsed.highlight_phrases if f == fieldname]
        out[fieldname] = find_spans(fieldname, text, terms, phrases)
    return out
