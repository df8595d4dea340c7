"""The queries the benchmark issues, drawn from a corpus with a fixed seed.

Query words come from the corpus itself (a deterministic, evenly spread
sample of its papers), so every query kind meets the vocabulary it would meet
in a real library: common words with long posting lists, mid-frequency
technical words and the long tail of rare invented words, in proportion to
how often they occur in abstracts.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from corpus import STOPWORDS

_TOKEN = re.compile(r"[A-Za-z][A-Za-z]+")
_KEYBOARD_NEIGHBOURS = {
    "a": "qsz", "b": "vgn", "c": "xdv", "d": "sfe", "e": "wrd", "f": "dgr", "g": "fht",
    "h": "gjy", "i": "uok", "j": "hku", "k": "jli", "l": "kop", "m": "nj", "n": "bmh",
    "o": "ipl", "p": "ol", "q": "wa", "r": "etf", "s": "adw", "t": "ryg", "u": "yij",
    "v": "cbf", "w": "qes", "x": "zcs", "y": "tuh", "z": "xa",
}  # fmt: skip

#: The query kinds, in the order they are run and reported.
KINDS = (
    "single",
    "several",
    "phrase",
    "field_title",
    "field_author",
    "field_cat",
    "prefix",
    "fuzzy",
    "tag_small",
    "tag_large",
    "list",
    "suggest",
    "highlight",
    "more_like",
    "fetch",
)

#: What each kind is, for the table.
LABELS = {
    "single": "single word",
    "several": "several words (2-3)",
    "phrase": '"phrase" (2 words)',
    "field_title": "field title:word",
    "field_author": "field author:name",
    "field_cat": "field cat:xx.YY",
    "prefix": "as-you-type prefix (3-5)",
    "fuzzy": "fuzzy word~",
    "tag_small": "tag list (small) + words",
    "tag_large": "tag list (10%) + words",
    "list": "list, no query (All)",
    "suggest": "did you mean (suggest)",
    "highlight": "highlight shown paper",
    "more_like": "more like this (50)",
    "fetch": "fetch a page (200 papers)",
}

SMALL_TAG = "bench-reading"
LARGE_TAG = "bench-field"


@dataclass(frozen=True)
class SamplePaper:
    """What the workload needs to know about one corpus paper."""

    arxiv_id: str
    title_words: list[str]
    abstract_words: list[str]  # content words, in order, lowercase
    abstract_pairs: list[tuple[str, str]]  # adjacent word pairs within a sentence
    authors: list[str]  # last names
    primary: str


def _content(word: str) -> bool:
    return len(word) >= 3 and word.lower() not in STOPWORDS


def _spread(corpus: Path, limit: int) -> Iterator[str]:
    """Up to ``limit`` lines spread evenly through the file, streamed.

    The file is never held in memory: the phases that build a workload also
    report their peak memory, and a 100,000-paper corpus is 200 MB.
    """
    with Path(corpus).open("rb") as fh:
        total = sum(1 for _ in fh)
    step = max(1, total // limit)
    taken = 0
    with Path(corpus).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh):
            if number % step == 0 and taken < limit:
                taken += 1
                yield line


def read_sample(corpus: Path, limit: int = 3000) -> list[SamplePaper]:
    """Up to ``limit`` papers spread evenly through the corpus file."""
    papers = []
    for line in _spread(corpus, limit):
        obj = json.loads(line)
        abstract = " ".join(obj["abstract"].split())
        words = [w.lower() for w in _TOKEN.findall(abstract)]
        pairs: list[tuple[str, str]] = []
        for sentence in re.split(r"[.;:,()]", abstract):
            toks = [w.lower() for w in sentence.split() if _TOKEN.fullmatch(w)]
            pairs += [
                (a, b) for a, b in zip(toks, toks[1:], strict=False) if _content(a) and _content(b)
            ]
        papers.append(
            SamplePaper(
                arxiv_id=obj["id"],
                title_words=[w for w in _TOKEN.findall(" ".join(obj["title"].split())) if _content(w)],
                abstract_words=[w for w in words if _content(w)],
                abstract_pairs=pairs,
                authors=[entry[0] for entry in obj.get("authors_parsed") or [] if entry and entry[0]],
                primary=obj["categories"].split()[0],
            )
        )
    return papers


def misspell(word: str, rng: random.Random, vocabulary: set[str]) -> str:
    """One typing slip: a dropped, doubled, swapped or neighbouring letter."""
    for _ in range(20):
        i = rng.randrange(1, len(word) - 1)
        how = rng.randrange(4)
        if how == 0:
            typo = word[:i] + word[i + 1 :]
        elif how == 1:
            typo = word[:i] + word[i] + word[i:]
        elif how == 2:
            typo = word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
        else:
            typo = word[:i] + rng.choice(_KEYBOARD_NEIGHBOURS.get(word[i], "e")) + word[i + 1 :]
        if typo != word and typo not in vocabulary:
            return typo
    return word[:-1] + "q"


@dataclass
class Workload:
    """Query strings per kind (and for the reader's keystroke test)."""

    queries: dict[str, list[str]]
    #: arXiv ids for "more like this" (resolved to keys in the child).
    similar_ids: list[str]
    #: Words to type into the reader, one character at a time.
    typing: list[str]


def build(corpus: Path, count: int = 100, seed: int = 1, sample: int = 3000) -> Workload:
    """``count`` queries of every kind, the same for the same corpus and seed.

    Words are drawn from ``sample`` papers spread through the corpus (fewer
    keeps the memory of a phase that measures its own peak small).
    """
    rng = random.Random(seed)
    papers = [p for p in read_sample(corpus, sample) if len(p.abstract_words) >= 6]
    vocabulary = {w for p in papers for w in p.abstract_words}

    def paper() -> SamplePaper:
        return papers[rng.randrange(len(papers))]

    def word(min_len: int = 3) -> str:
        for _ in range(50):
            w = rng.choice(paper().abstract_words)
            if len(w) >= min_len:
                return w
        return "model"

    def several() -> str:
        p = paper()
        distinct = list(dict.fromkeys(p.abstract_words))
        return " ".join(rng.sample(distinct, k=min(len(distinct), rng.choice((2, 2, 3)))))

    def phrase() -> str:
        for _ in range(50):
            p = paper()
            if p.abstract_pairs:
                a, b = rng.choice(p.abstract_pairs)
                return f'"{a} {b}"'
        return f'"{word()} {word()}"'

    def title_field() -> str:
        for _ in range(50):
            p = paper()
            if p.title_words:
                return f"title:{rng.choice(p.title_words).lower()}"
        return f"title:{word()}"

    def fuzzy() -> str:
        w = word(5)
        return (misspell(w, rng, vocabulary) if rng.random() < 0.5 else w) + "~"

    def tagged() -> str:
        return " ".join(word(4) for _ in range(rng.choice((1, 1, 2))))

    q: dict[str, list[str]] = {
        "single": [word() for _ in range(count)],
        "several": [several() for _ in range(count)],
        "phrase": [phrase() for _ in range(count)],
        "field_title": [title_field() for _ in range(count)],
        "field_author": [f"author:{rng.choice(paper().authors or ['Smith'])}" for _ in range(count)],
        "field_cat": [f"cat:{paper().primary}" for _ in range(count)],
        "prefix": [word(6)[: rng.choice((3, 4, 5))] for _ in range(count)],
        "fuzzy": [fuzzy() for _ in range(count)],
        "tag_small": [tagged() for _ in range(count)],
        "tag_large": [tagged() for _ in range(count)],
        "list": ["" for _ in range(count)],
        "suggest": [misspell(word(6), rng, vocabulary) for _ in range(count)],
        "highlight": [several() for _ in range(count)],
    }
    similar_ids = [paper().arxiv_id for _ in range(count)]
    typing = [several() for _ in range(4)]
    return Workload(q, similar_ids, typing)


def tag_lines(corpus: Path, fraction: float = 0.1, seed: int = 1) -> Iterator[str]:
    """Lines of ``corpus`` for the large reading list (about ``fraction`` of it)."""
    rng = random.Random(seed + 17)
    with Path(corpus).open(encoding="utf-8") as fh:
        for line in fh:
            if rng.random() < fraction:
                yield line
