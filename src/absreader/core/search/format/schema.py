"""What the search index stores for a paper, and the one analyser every path uses.

Indexing, query parsing, highlighting and "more like this" all turn text into
terms through :func:`words` and :func:`stem_of`, so a word in a query always
meets the same term the document produced: lowercased, accent-folded (``café``
-> ``cafe``) and Porter-stemmed for the text fields; folded but unstemmed for
author names. Stop words are indexed (so ``"state of the art"`` is an exact
phrase); plain-word queries drop them when other words remain.

Tags are matched in a normalised form: accents folded, lowercased, and every
run of spaces, ``-`` and ``_`` turned into one ``-``. ``To Read``,
``to-read``, ``to_read`` and ``tag:"to read"`` are all the same tag.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from itertools import accumulate, compress, repeat
from operator import is_
from typing import Any

from whoosh import fields, formats
from whoosh.analysis import StemmingAnalyzer
from whoosh.lang.porter import stem as _porter_stem

from absreader.core.clean import fold
from absreader.core.ids import parse_arxiv_id
from absreader.core.library.tags import normalise_tag
from absreader.core.models import Paper

# SCHEMA_VERSION lives in search/state.py, which commands that do not search read without Whoosh.
from absreader.core.search.state import SCHEMA_VERSION  # noqa: F401 - re-exported

#: Fields holding running text, with positions (phrases work in all of them).
TEXT_FIELDS = ("title", "abstract", "author", "note")
#: Fields whose terms are whole keywords (no positions, no scoring by length).
KEYWORD_FIELDS = ("cat", "date", "id", "is", "key", "tag")
#: Text fields whose terms are stemmed (``author`` is folded only).
STEMMED_FIELDS = frozenset({"title", "abstract", "note"})
#: The flags ``is:`` understands.
IS_FLAGS = ("bookmarked", "read", "unread", "untitled", "tagged", "noted")
#: Positions between two author names, so a phrase never spans two people.
AUTHOR_GAP = 100

#: The standard Whoosh types, so the segment files are an ordinary Whoosh index
#: (the analysers here only document the terms; absreader analyses itself).
_TEXT_ANALYZER = StemmingAnalyzer(stoplist=None, minsize=1)


#: Positions are stored as 16-bit numbers; words past this one share its position.
MAX_POSITION = 0xFFFF
#: The position bitmap of a term seen once (relative to its first position).
ONE = b"\x01"


def position_bitmap(positions: list[int]) -> tuple[int, bytes]:
    """``(first position, bitmap of the positions relative to it)`` for one posting.

    Phrase matching shifts and ANDs these bitmaps, so checking thousands of
    documents is a handful of C-level ``map`` calls rather than a Python loop.
    """
    first = positions[0]
    if len(positions) == 1:
        return min(first, MAX_POSITION), ONE
    # A bytearray, not one big int: OR-ing into an int copies it every time
    # (quadratic for a term with a million positions in a 5 MB abstract).
    bitmap = bytearray(((max(positions) - first) >> 3) + 1)
    for pos in positions:
        offset = pos - first
        bitmap[offset >> 3] |= 1 << (offset & 7)
    return min(first, MAX_POSITION), bytes(bitmap)


def encode_positions(positions: list[int]) -> bytes:
    """One posting's positions as bytes: the first (16-bit) and a relative bitmap."""
    first, bitmap = position_bitmap(positions)
    return first.to_bytes(2, "little") + bitmap


def decode_positions(value: bytes) -> list[int]:
    """Absolute positions from :func:`encode_positions` bytes."""
    if len(value) < 3:
        return []
    first = int.from_bytes(value[:2], "little")
    return bitmap_positions(first, value[2:])


def bitmap_positions(first: int, bitmap: bytes) -> list[int]:
    """Positions from a first position and a relative bitmap."""
    if bitmap == ONE:
        return [first]
    bits = int.from_bytes(bitmap, "little")
    out = []
    k = 0
    while bits:
        if bits & 1:
            out.append(first + k)
        bits >>= 1
        k += 1
    return out


class PackedValues:
    """The position values of one block of postings, packed into three fields.

    Whoosh's W3 reader indexes a block's values per posting (each value is
    :func:`encode_positions` bytes); absreader's reader takes the fields whole.
    ``firsts`` holds 16-bit little-endian first positions, ``blob`` the relative
    bitmaps back to back, ``lens`` their lengths (None when every bitmap is
    :data:`ONE`, i.e. every term frequency is 1).
    """

    __slots__ = ("firsts", "blob", "lens", "_ends")

    def __init__(self, firsts: bytes, blob: bytes, lens: array | None) -> None:
        self.firsts = firsts
        self.blob = blob
        self.lens = lens
        self._ends: list[int] | None = None

    def __reduce__(self) -> tuple[type, tuple[bytes, bytes, array | None]]:
        return PackedValues, (self.firsts, self.blob, self.lens)

    def __len__(self) -> int:
        return len(self.firsts) // 2

    def bitmaps(self) -> list[bytes]:
        """Every posting's relative bitmap."""
        if self.lens is None:
            return [ONE] * len(self)
        ends = list(accumulate(self.lens))
        starts = [0, *ends[:-1]]
        return list(map(self.blob.__getitem__, map(slice, starts, ends)))

    def __getitem__(self, i: int) -> bytes:
        if i < 0:
            i += len(self)
        first = self.firsts[2 * i : 2 * i + 2]
        if self.lens is None:
            return first + ONE
        if self._ends is None:
            self._ends = list(accumulate(self.lens))
        end = self._ends[i]
        return first + self.blob[end - self.lens[i] : end]


class PackedPositions(formats.Positions):
    """Whoosh's ``Positions``, with values packed as a first position and a bitmap."""

    def encode(self, poslist: list[int]) -> bytes:
        """One posting's value (Whoosh API)."""
        return encode_positions(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        """Positions of one posting (Whoosh API)."""
        return decode_positions(valuestring)

    def decode_frequency(self, valuestring: bytes) -> int:
        """How often the term occurs in the document (Whoosh API)."""
        return len(decode_positions(valuestring))

    def decode_weight(self, valuestring: bytes) -> float:
        """The posting's weight: its frequency (Whoosh API)."""
        return float(self.decode_frequency(valuestring)) * self.field_boost


def _text_field(**kwargs: object) -> fields.TEXT:
    field = fields.TEXT(phrase=True, **kwargs)
    field.format = PackedPositions()
    return field


def make_schema() -> fields.Schema:
    """The Whoosh schema written into every segment's table of contents."""
    return fields.Schema(
        **{
            "key": fields.ID(stored=True, unique=True),
            "id": fields.KEYWORD(lowercase=True),
            "title": _text_field(analyzer=_TEXT_ANALYZER),
            "abstract": _text_field(analyzer=_TEXT_ANALYZER),
            "author": _text_field(),
            "note": _text_field(analyzer=_TEXT_ANALYZER),
            "cat": fields.KEYWORD(lowercase=True),
            "tag": fields.KEYWORD(lowercase=True),
            "date": fields.KEYWORD(),
            "is": fields.KEYWORD(),
        }
    )


SCHEMA = make_schema()

_WORD = re.compile(r"[^\W_]+(?:[\u0300-\u036f]+[^\W_]*)*")
_STEMS: dict[str, str] = {}
_FOLDS: dict[str, str] = {}
_CACHE_LIMIT = 500_000


def fold_word(token: str) -> str:
    """Lowercase and accent-fold one token (cached; ASCII tokens are just lowered)."""
    if token.isascii():
        return token.lower()
    folded = _FOLDS.get(token)
    if folded is None:
        if len(_FOLDS) > _CACHE_LIMIT:
            _FOLDS.clear()
        folded = re.sub(r"[\W_]+", "", fold(token))
        _FOLDS[token] = folded
    return folded


def stem_of(word: str) -> str:
    """The index term for a folded word in a stemmed field (cached Porter stem)."""
    term = _STEMS.get(word)
    if term is None:
        if len(_STEMS) > _CACHE_LIMIT:
            _STEMS.clear()
        term = _STEMS[word] = stem_uncached(word)
    return term


def stem_uncached(word: str) -> str:
    """:func:`stem_of` without the cache (for one pass over distinct words)."""
    return _porter_stem(word) if word.isalpha() and len(word) > 2 else word


#: ASCII bytes -> themselves for letters and digits, a space for anything else: in ASCII
#: text the word pattern finds exactly the runs of letters and digits (``_`` is no letter).
_ASCII_WORDS = bytes(c if chr(c).isalnum() and c < 128 else 32 for c in range(256))


def words(text: str) -> list[str]:
    """The folded, unstemmed words of a text, in order (positions are indexes)."""
    if text.isascii():
        # Same words as _WORD.findall(text.lower()), three C calls instead of a regex scan.
        return text.lower().encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()
    out = []
    for token in _WORD.findall(text):
        folded = fold_word(token)
        if folded:
            out.append(folded)
    return out


def word_spans(text: str) -> Iterable[tuple[int, int, str]]:
    """Every word of ``text`` as ``(start, end, folded word)``; same words as :func:`words`."""
    for match in _WORD.finditer(text):
        folded = fold_word(match.group())
        if folded:
            yield match.start(), match.end(), folded


def term_for(fieldname: str, word: str) -> str:
    """The term a folded word becomes in the given text field."""
    return stem_of(word) if fieldname in STEMMED_FIELDS else word


def date_terms(date: str | None) -> list[str]:
    """``2024-03-20`` -> ``["2024", "2024-03", "2024-03-20"]`` (what ``date:`` matches)."""
    if not date:
        return []
    match = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", date)
    if not match:
        return []
    year, month, day = match.groups()
    terms = [year]
    if month:
        terms.append(f"{year}-{month}")
        if day:
            terms.append(f"{year}-{month}-{day}")
    return terms


def id_terms(paper: Paper) -> list[str]:
    """The terms ``id:`` matches: key, arXiv id (with and without version), DOI."""
    terms = {paper.key.lower()}
    if paper.arxiv_id:
        parsed = parse_arxiv_id(paper.arxiv_id)
        base = parsed.id if parsed else paper.arxiv_id
        terms.add(base.lower())
        if paper.version:
            terms.add(f"{base}v{paper.version}".lower())
    if paper.doi:
        terms.add(paper.doi.lower())
    return sorted(t for t in terms if t)


def is_flags(paper: Paper) -> list[str]:
    """The ``is:`` flags a paper carries."""
    flags = ["read" if paper.read else "unread"]
    if paper.bookmarked:
        flags.append("bookmarked")
    if paper.untitled:
        flags.append("untitled")
    if paper.tags:
        flags.append("tagged")
    if paper.note.strip():
        flags.append("noted")
    return flags


def category_terms(categories: Iterable[str]) -> list[str]:
    """``cs.CL`` indexes as ``cs.cl`` and its archive ``cs`` (so ``cat:cs`` finds all)."""
    terms = set()
    for cat in categories:
        cat = cat.strip().lower()
        if cat:
            terms.add(cat)
            terms.add(cat.split(".")[0])
    return sorted(terms)


@dataclass
class AnalysedDoc:
    """One paper turned into index data: positions per term for each field."""

    key: str
    positions: dict[str, dict[str, list[int]]]
    keywords: dict[str, list[str]]
    lengths: dict[str, int]
    surface: set[str]
    #: The terms of each stemmed field in word order (a build's pair sets: pair_streams.py).
    sequences: dict[str, list[str]] = dataclass_field(default_factory=dict)


def _positions(tokens: list[str], stemmed: bool, start: int = 0) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    get = out.get
    if stemmed:
        stems = _STEMS
        for pos, word in enumerate(tokens, start):
            term = stems.get(word) or stem_of(word)
            lst = get(term)
            if lst is None:
                out[term] = [pos]
            else:
                lst.append(pos)
    else:
        for pos, word in enumerate(tokens, start):
            lst = get(word)
            if lst is None:
                out[word] = [pos]
            else:
                lst.append(pos)
    return out


def _stemmed(tokens: list[str]) -> tuple[dict[str, list[int]], list[str]]:
    """``_positions(tokens, True)`` and the terms in order (stems looked up in C)."""
    seq: list[Any] = list(map(_STEMS.get, tokens))
    for i in compress(range(len(seq)), map(is_, seq, repeat(None))):  # words new to the cache
        seq[i] = stem_of(tokens[i])
    out: dict[str, list[int]] = {}
    get = out.get
    for pos, term in enumerate(seq):
        lst = get(term)
        if lst is None:
            out[term] = [pos]
        else:
            lst.append(pos)
    return out, seq


def analyse(paper: Paper) -> AnalysedDoc:
    """Analyse a paper for indexing (the hot path of a build: keep it lean)."""
    positions: dict[str, dict[str, list[int]]] = {}
    lengths: dict[str, int] = {}
    title_words = words(paper.title) if paper.title and not paper.untitled else []
    abstract_words = words(paper.abstract) if paper.abstract else []
    surface = set(title_words)
    surface.update(abstract_words)
    sequences: dict[str, list[str]] = {}
    if title_words:
        positions["title"], sequences["title"] = _stemmed(title_words)
        lengths["title"] = len(title_words)
    if abstract_words:
        positions["abstract"], sequences["abstract"] = _stemmed(abstract_words)
        lengths["abstract"] = len(abstract_words)
    if paper.authors:
        author_pos: dict[str, list[int]] = {}
        count = 0
        for i, name in enumerate(paper.authors):
            name_words = words(name)
            surface.update(name_words)
            count += len(name_words)
            for term, plist in _positions(name_words, False, i * AUTHOR_GAP).items():
                author_pos.setdefault(term, []).extend(plist)
        if author_pos:
            positions["author"] = author_pos
            lengths["author"] = count
    if paper.note and paper.note.strip():
        note_words = words(paper.note)
        if note_words:
            positions["note"], sequences["note"] = _stemmed(note_words)
            lengths["note"] = len(note_words)
    keywords = {
        "key": [paper.key],
        "id": id_terms(paper),
        "cat": category_terms(paper.categories),
        "tag": sorted({normalise_tag(t) for t in paper.tags} - {""}),
        "date": date_terms(paper.published or paper.updated),
        "is": is_flags(paper),
    }
    return AnalysedDoc(paper.key, positions, keywords, lengths, surface, sequences)
