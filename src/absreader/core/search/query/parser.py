"""The query language, parsed forgivingly into Whoosh query trees.

Plain words search the title, abstract, authors and note. A parse gives two
tiers: ``query`` (papers with every word) and ``relaxed`` (papers with at least
one of them, beyond the first tier), ranked after it by BM25F, as Lucene's
minimum-should-match does. ``+word``, ``"phrases"``, fields, negations and
groups are required in both tiers; an explicit ``AND`` or a top-level ``OR``
means exactly what it says (one tier). Stop words count in neither tier
(except inside phrases).

Also: ``"phrases"`` (``"..."~3`` allows gaps), fields ``title: abstract:
author: id: cat: tag: note: date:`` (a field applies to a word, a phrase or a
group: ``title:(a OR b)``), ``is:bookmarked`` ``is:read`` ``is:unread``
``is:untitled`` ``is:tagged`` ``is:noted``, ``AND`` ``OR`` ``NOT`` (upper
case), ``-word``, ``word*`` (prefix), ``word~`` / ``word~2`` (fuzzy). Dates:
``date:2024``, ``date:2024-03``, ``date:2024-03-20``, ranges
``date:2023..2024-06``, ``date:>=2024-01``, ``date:<2020``. Pasted text is
read as words: see :mod:`absreader.core.search.query.lexer` for where syntax is
recognised.

While typing, the last word is a prefix that must match (in both tiers): one
or two letters match every paper (they only rank), three or more match every
known word they begin, uncapped, so adding a letter never widens the list
and a prefix of a real word never empties it.

Nothing a user types raises. Stray operators and unmatched brackets or quotes
are ignored, unknown fields and bad dates become plain words (with a notice),
and a query over 1,000 characters is cut (with a notice).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from whoosh import query as wq

from absreader.core.ids import parse_arxiv_id
from absreader.core.search.format.prefixes import PrefixTerms
from absreader.core.search.format.schema import (
    IS_FLAGS,
    STEMMED_FIELDS,
    normalise_tag,
    term_for,
    word_spans,
    words,
)
from absreader.core.search.query.lexer import (
    FIELD_NAMES,
    IS_ALIASES,
    STOP_WORDS,
    Token,
    parse_date,
    tokenize,
)
from absreader.core.search.vocabulary import Vocabulary

MAX_QUERY_CHARS = 1000
MAX_ATOMS = 64
#: Prefix expansions for ``word*`` and for the last word while typing.
PREFIX_LIMIT = 16
TYPING_PREFIX_LIMIT = 8
FUZZY_LIMIT = 12
TITLE_BOOST = 1.0
DEFAULT_FIELDS = (("title", TITLE_BOOST), ("abstract", 1.0), ("author", 1.0), ("note", 1.0))

_SUFFIX = re.compile(r"(\*|~(\d)?)$")

#: ``(field, prefix, limit) -> terms``: keyword-field terms starting with ``prefix``.
KeywordPrefix = Callable[[str, str, int], list[str]]


@dataclass
class WordSpan:
    """A correctable word of the query: where it is and its folded form."""

    start: int
    end: int
    word: str


@dataclass
class ParsedQuery:
    """The outcome of parsing: the tree, what to tell the user, and what to correct."""

    query: wq.Query
    text: str
    notices: list[str] = field(default_factory=list)
    words: list[WordSpan] = field(default_factory=list)
    arxiv_id: str | None = None
    #: The positive ``(field, term)`` pairs a highlighter should mark, and phrases.
    highlight_terms: set[tuple[str, str]] = field(default_factory=set)
    highlight_phrases: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    #: The wider tier ("some of the words"): matches beyond ``query``, ranked after it.
    relaxed: wq.Query | None = None
    #: How many words (stop words aside) may be missing from a paper of the wider tier.
    optional_words: int = 0


#: One clause of a top-level conjunction: ``(query, is a stop word, required)``.
Item = tuple[wq.Query, bool, bool]


class QueryBuilder:
    """Turns tokens into a Whoosh query tree, expanding prefixes and fuzzy words."""

    def __init__(
        self,
        vocab: Vocabulary | None = None,
        keyword_prefix: KeywordPrefix | None = None,
    ) -> None:
        self.vocab = vocab
        self.keyword_prefix = keyword_prefix

    def parse(self, text: str, as_you_type: bool = False) -> ParsedQuery:
        """Parse ``text``; on any internal error fall back to its plain words."""
        notices: list[str] = []
        text = text or ""
        if len(text) > MAX_QUERY_CHARS:
            cut = text[:MAX_QUERY_CHARS]
            space = cut.rfind(" ")
            text = cut[:space] if space > MAX_QUERY_CHARS // 2 else cut
            notices.append(f"The query was cut to its first {MAX_QUERY_CHARS:,} characters.")
        stripped = text.strip()
        if not stripped:
            return ParsedQuery(wq.Every(), text, notices)
        ident = parse_arxiv_id(stripped)
        if ident is not None:
            return self._arxiv(ident.id, text, notices)
        try:
            parsed = _Parser(self, text, as_you_type).run()
        except Exception:  # the promise: nothing a user types raises
            parsed = self.plain_words(text)
            parsed.notices.append("The query could not be read; searched for its words instead.")
        parsed.notices[:0] = notices
        return parsed

    def _arxiv(self, ident: str, text: str, notices: list[str]) -> ParsedQuery:
        id_words = words(ident)
        q: wq.Query = wq.Term("id", ident.lower())
        if len(id_words) > 1:
            q = wq.Or([q, wq.Phrase("abstract", id_words), wq.Phrase("note", id_words)])
        return ParsedQuery(q, text, notices, arxiv_id=ident.lower())

    def plain_words(self, text: str) -> ParsedQuery:
        """Every word of the text, all required, in the default fields."""
        parsed = ParsedQuery(wq.NullQuery, text)
        parts = []
        for match in re.finditer(r"\S+", text):
            for word in words(match.group()):
                parts.append(self.default_word(word, parsed))
                if len(parts) >= MAX_ATOMS:
                    break
        parsed.query = _and(parts)
        return parsed

    # -- pieces --------------------------------------------------------------------------

    def default_word(
        self,
        word: str,
        parsed: ParsedQuery,
        variants: list[str] | None = None,
        negated: bool = False,
    ) -> wq.Query:
        """A word (or its variants) in every default field."""
        options = variants or [word]
        parts = []
        for fieldname, boost in DEFAULT_FIELDS:
            seen: set[str] = set()
            for w in options:
                term = term_for(fieldname, w)
                if term in seen:
                    continue
                seen.add(term)
                parts.append(wq.Term(fieldname, term, boost=boost))
                if not negated and fieldname in ("title", "abstract"):
                    parsed.highlight_terms.add((fieldname, term))
        return wq.Or(parts)

    def field_word(
        self,
        fieldname: str,
        word: str,
        parsed: ParsedQuery,
        variants: list[str] | None = None,
        negated: bool = False,
    ) -> wq.Query:
        """A word (or its variants) in one text field."""
        terms = []
        for w in variants or [word]:
            term = term_for(fieldname, w)
            if term not in terms:
                terms.append(term)
        if not negated and fieldname in ("title", "abstract"):
            parsed.highlight_terms.update((fieldname, t) for t in terms)
        if len(terms) == 1:
            return wq.Term(fieldname, terms[0])
        return wq.Or([wq.Term(fieldname, t) for t in terms])

    def phrase(
        self,
        fieldname: str | None,
        ws: list[str],
        slop: int,
        parsed: ParsedQuery,
        negated: bool = False,
    ) -> wq.Query:
        """A phrase in one field, or in every default field."""
        targets = [(fieldname, 1.0)] if fieldname else list(DEFAULT_FIELDS)
        parts = []
        for name, boost in targets:
            terms = [term_for(name, w) for w in ws]
            parts.append(wq.Phrase(name, terms, slop=slop, boost=boost))
            if not negated and name in ("title", "abstract"):
                parsed.highlight_phrases.append((name, tuple(terms)))
        return parts[0] if len(parts) == 1 else wq.Or(parts)

    def prefix_word(
        self,
        fieldname: str | None,
        word: str,
        parsed: ParsedQuery,
        negated: bool = False,
        typing: bool = False,
    ) -> wq.Query:
        """``word*``, or the word being typed: every known word it begins, exactly.

        The most used words it begins rank (and are highlighted); the others
        only match, so a longer prefix never finds more. While typing, a word
        of one or two letters matches everything (it only ranks), so a
        half-typed word never empties the list.
        """
        top = self.prefix_variants(word, TYPING_PREFIX_LIMIT if typing else PREFIX_LIMIT)
        if self.vocab is not None and len(top) > 1 and not self.vocab.count(word):
            # Not a word itself: its stem could reach words it does not begin.
            top = top[1:]
        if fieldname is None:
            ranked = self.default_word(word, parsed, top, negated)
        else:
            ranked = self.field_word(fieldname, word, parsed, top, negated)
        if typing and len(word) < 3 and not negated:
            # Matches everything and ranks nothing: ranking by the common words a letter
            # or two begins (``d``: data, deep, different...) tells the reader nothing and
            # cost 0.3-0.8 s a keystroke at a million papers.
            return wq.Every()
        if self.vocab is None:
            return ranked
        fields = [fieldname] if fieldname else [f for f, _ in DEFAULT_FIELDS if f != "note"]
        known = {(t.fieldname, t.text) for t in ranked.leaves() if isinstance(t, wq.Term)}
        extra: list[wq.Query] = []
        for name in fields:
            # Every index term beginning with the prefix (one stored set a segment
            # for 3-4 letters), and the stems of known words that do not begin
            # with it (``modelling`` -> ``model`` for ``modell``).
            extra.append(PrefixTerms(name, word))
            outside = self.vocab.stems_outside(word) if name in STEMMED_FIELDS else []
            for term in outside:
                if (name, term) not in known:
                    extra.append(wq.Term(name, term, boost=0.0))
        return wq.Or([*(ranked.subqueries if isinstance(ranked, wq.Or) else [ranked]), *extra])

    def prefix_variants(self, word: str, limit: int) -> list[str]:
        """The word itself (if known) and the most used words it begins."""
        out = [word]
        if self.vocab is not None:
            out.extend(w for w in self.vocab.expand_prefix(word, limit) if w != word)
        return out[: limit + 1]

    def fuzzy_variants(self, word: str, distance: int) -> list[str]:
        """The word and the most used known words within ``distance`` edits."""
        out = [word]
        if self.vocab is not None:
            out.extend(self.vocab.within(word, distance, FUZZY_LIMIT))
        return out

    def keyword_variants(self, fieldname: str, value: str, limit: int) -> list[str]:
        """Keyword-field terms starting with ``value`` (the value itself first)."""
        out = [value]
        if self.keyword_prefix is not None:
            out.extend(t for t in self.keyword_prefix(fieldname, value, limit) if t != value)
        return out[: limit + 1]


def _and(parts: list[wq.Query]) -> wq.Query:
    parts = [p for p in parts if p is not wq.NullQuery]
    if not parts:
        return wq.NullQuery
    return parts[0] if len(parts) == 1 else wq.And(parts)


class _Parser:
    """Recursive descent over the tokens, forgiving every mistake."""

    def __init__(self, builder: QueryBuilder, text: str, as_you_type: bool) -> None:
        self.b = builder
        self.text = text
        tokens, notices = tokenize(text)
        self.parsed = ParsedQuery(wq.NullQuery, text, notices)
        if sum(1 for t in tokens if t.kind == "(" or t.kind == "field(") != sum(
            1 for t in tokens if t.kind == ")"
        ):
            # Unbalanced brackets: keep the words and operators, drop the grouping.
            tokens = [t for t in tokens if t.kind not in ("(", ")", "field(")]
            self.parsed.notices.append("Unmatched brackets were ignored.")
        self.tokens = tokens
        self.pos = 0
        self.atoms = 0
        self.field_context: str | None = None
        self.typing = as_you_type and bool(text) and text[-1].isalnum()
        self.top_items: list[Item] = []
        self.top_or = False
        self.explicit_and = any(t.kind == "op" and t.text == "AND" for t in tokens)
        self.last_word = max((k for k, t in enumerate(tokens) if t.kind == "word"), default=-1)

    def run(self) -> ParsedQuery:
        """Parse the whole query."""
        query = self.parse_or(0)
        self.parsed.query = query if query is not None else wq.NullQuery
        self.parsed.relaxed = self.relaxed() if query is not None else None
        if self.atoms > MAX_ATOMS:
            self.parsed.notices.append(f"Only the first {MAX_ATOMS} terms were used.")
        return self.parsed

    def peek(self) -> Token | None:
        """The next token, if any."""
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse_or(self, depth: int) -> wq.Query | None:
        """``a OR b OR c``."""
        items = []
        first = self.parse_and(depth)
        if first is not None:
            items.append(first)
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text == "OR":
            self.pos += 1
            if depth == 0:
                self.top_or = True
            nxt = self.parse_and(depth)
            if nxt is not None:
                items.append(nxt)
        if not items:
            return None
        return items[0] if len(items) == 1 else wq.Or(items)

    def parse_and(self, depth: int) -> wq.Query | None:
        """Words side by side (and ``AND``, ``NOT``): all must match."""
        items: list[Item] = []
        negate_next = False
        while (tok := self.peek()) is not None:
            if tok.kind == ")":
                if depth > 0:
                    break
                self.pos += 1  # a stray closing bracket
                continue
            if tok.kind == "op":
                if tok.text == "OR":
                    break
                self.pos += 1
                if tok.text == "NOT":
                    negate_next = True
                continue
            got = self.parse_unary(depth)
            for q, stop, required in got:
                if negate_next:
                    q, stop, required = wq.Not(q), False, True
                items.append((q, stop, required))
            negate_next = False
        if not items:
            return None
        if any(stop for _, stop, _ in items) and not all(stop for _, stop, _ in items):
            items = [item for item in items if not item[1]]
        if depth == 0:
            self.top_items = items
        parts = [q for q, _, _ in items]
        if all(isinstance(p, wq.Not) for p in parts):
            parts.insert(0, wq.Every())
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def relaxed(self) -> wq.Query | None:
        """The wider tier: the required clauses and at least one of the other words.

        None when there is nothing to relax: one word, an explicit ``AND`` or a
        top-level ``OR`` (then the query means exactly what it says).
        """
        if self.top_or or self.explicit_and or not self.top_items:
            return None
        optional = [q for q, _, required in self.top_items if not required]
        if len(optional) < 2:
            return None
        self.parsed.optional_words = len(optional)
        parts = [q for q, _, required in self.top_items if required]
        parts.append(wq.Or(optional))
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def parse_unary(self, depth: int) -> list[Item]:
        """A bracketed group or one word or phrase (a hyphenated word: its words)."""
        tok = self.tokens[self.pos]
        self.pos += 1
        if tok.kind in ("(", "field("):
            saved = self.field_context
            if tok.kind == "field(":
                self.field_context = tok.field
            inner = self.parse_or(depth + 1)
            self.field_context = saved
            if (close := self.peek()) is not None and close.kind == ")":
                self.pos += 1
            if inner is None:
                return []
            return [((wq.Not(inner) if tok.negated else inner), False, True)]
        return self.atom(tok, self.pos - 1)

    def atom(self, tok: Token, index: int) -> list[Item]:
        """One word or phrase, with its field and negation applied."""
        self.atoms += 1
        if self.atoms > MAX_ATOMS:
            return []
        fieldname_raw = tok.field or self.field_context
        fieldname = None
        text = tok.text
        if fieldname_raw is not None:
            fieldname = FIELD_NAMES.get(fieldname_raw.lower())
            if fieldname is None:
                self.parsed.notices.append(
                    f"There is no field {fieldname_raw}:, so its words were searched for."
                )
                text = f"{fieldname_raw} {text}"
        if tok.kind == "phrase":
            q = self.phrase(fieldname, text, tok)
            if q is None:
                return []
            return [((wq.Not(q) if tok.negated else q), False, True)]
        typing = self.typing and index == self.last_word
        required = tok.required or tok.negated or fieldname is not None or typing
        if fieldname is None and not tok.negated and not _SUFFIX.search(text):
            spans = list(word_spans(self.text[tok.start : tok.end]))
            if len(spans) > 1 and [w for _, _, w in spans] == words(text):
                # A hyphenated or dotted word: its words, each a word of the query.
                out: list[Item] = []
                for k, (a, b, w) in enumerate(spans):
                    last = k == len(spans) - 1
                    q = self.word(None, w, tok, index if last else -1, (tok.start + a, tok.start + b))
                    if q is not None:
                        stop = w in STOP_WORDS and not (typing and last)
                        out.append((q, stop, required and last))
                return out
        q = self.word(fieldname, text, tok, index)
        if q is None:
            return []
        stop = (
            tok.kind == "word"
            and fieldname is None
            and not tok.negated
            and not typing  # a word being typed is a prefix, not yet a stop word
            and text.lower() in STOP_WORDS
        )
        return [((wq.Not(q) if tok.negated else q), stop, required)]

    def phrase(self, fieldname: str | None, text: str, tok: Token) -> wq.Query | None:
        """A quoted phrase (one word: a plain word)."""
        if fieldname in ("id", "cat", "tag", "is", "date"):
            return self.keyword(fieldname, text, tok, typing=False)
        ws = words(text)
        if not ws:
            return None
        if len(ws) == 1:
            return self.word(fieldname, ws[0], tok, -1)
        return self.b.phrase(fieldname, ws, tok.slop, self.parsed, tok.negated)

    def word(
        self,
        fieldname: str | None,
        text: str,
        tok: Token,
        index: int,
        span: tuple[int, int] | None = None,
    ) -> wq.Query | None:
        """A word, with ``*`` / ``~`` / typing expansions."""
        typing = self.typing and index == self.last_word
        if fieldname in ("id", "cat", "tag", "is", "date"):
            return self.keyword(fieldname, text, tok, typing)
        mode, distance = "", 0
        suffix = _SUFFIX.search(text)
        if suffix and len(text) > len(suffix.group()):
            if suffix.group() == "*":
                mode = "prefix"
            else:
                mode = "fuzzy"
                distance = min(2, int(suffix.group(2) or 1))
            text = text[: suffix.start()]
        ws = words(text)
        if not ws:
            return None
        if len(ws) > 1:
            return self.b.phrase(fieldname, ws, 1, self.parsed, tok.negated)
        word = ws[0]
        if not mode and not tok.negated:
            if span is None:
                start = tok.start + (len(tok.field) + 1 if tok.field and tok.text == text else 0)
                span = (start, tok.end)
            if words(self.text[span[0] : span[1]]) == [word]:
                self.parsed.words.append(WordSpan(span[0], span[1], word))
        if mode == "prefix" or (typing and not mode):
            return self.b.prefix_word(fieldname, word, self.parsed, tok.negated, typing)
        variants = None
        if mode == "fuzzy":
            variants = self.b.fuzzy_variants(word, distance)
        if fieldname is None:
            return self.b.default_word(word, self.parsed, variants, tok.negated)
        return self.b.field_word(fieldname, word, self.parsed, variants, tok.negated)

    def keyword(self, fieldname: str, text: str, tok: Token, typing: bool) -> wq.Query | None:
        """A value of ``id: cat: tag: is: date:``."""
        value = text.strip()
        if not value:
            return None
        prefix = value.endswith("*")
        value = value.rstrip("*")
        if fieldname == "is":
            flag = IS_ALIASES.get(value.lower())
            if flag is None:
                known = ", ".join(IS_FLAGS)
                self.parsed.notices.append(
                    f"is:{value} is not a flag ({known}); searched for the word instead."
                )
                return self.word(None, value, tok, -1)
            q: wq.Query = wq.Term("is", flag[0])
            return wq.Not(q) if flag[1] else q
        if fieldname == "date":
            terms = parse_date(value)
            if terms is None:
                self.parsed.notices.append(
                    f"{value!r} is not a date (try date:2024, date:2024-03 or "
                    "date:2023..2024); searched for it as words."
                )
                return self.word(None, value, tok, -1)
            return _or_terms("date", terms)
        if fieldname == "tag":
            value = normalise_tag(value)
        elif fieldname == "id":
            ident = parse_arxiv_id(value)
            value = ident.id.lower() if ident else value.lower()
        else:
            value = value.lower()
        if not value:
            return None
        if prefix or (typing and len(value) >= 2):
            return _or_terms(fieldname, self.b.keyword_variants(fieldname, value, PREFIX_LIMIT))
        return wq.Term(fieldname, value)


def _or_terms(fieldname: str, terms: list[str]) -> wq.Query:
    if not terms:
        return wq.NullQuery
    if len(terms) == 1:
        return wq.Term(fieldname, terms[0])
    return wq.Or([wq.Term(fieldname, t) for t in terms])


def suggest_text(parsed: ParsedQuery, vocab: Vocabulary) -> str | None:
    """The query with each likely misspelled word replaced, or None when none is."""
    text = parsed.text
    changed = False
    out = []
    last = 0
    for span in sorted(parsed.words, key=lambda s: s.start):
        better = vocab.correct(span.word)
        if better is None or span.start < last:
            continue
        original = text[span.start : span.end]
        out.append(text[last : span.start])
        out.append(
            better.upper()
            if original.isupper() and len(original) > 1
            else better.capitalize()
            if original[:1].isupper()
            else better
        )
        last = span.end
        changed = True
    if not changed:
        return None
    out.append(text[last:])
    return "".join(out)
