"""Helpers for the index tests: the sample data as Papers, synthetic papers, an oracle.

Not a test module (``__test__ = False``). The sample loader is deliberately
simple and independent of ``core.sources``: a listing page is title line then
abstract line, the dataset viewer dump is id line then abstract line.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import replace
from pathlib import Path

from absreader.core.clean import clean_line, clean_text, display_title, normalise_title
from absreader.core.models import Paper
from absreader.core.search.format.schema import STEMMED_FIELDS, stem_of, words

__test__ = False

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
_CHROME = re.compile(
    r"^(new|subscribe|get trending papers.*|byak and the research community|"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec) \d{1,2}|arxiv_id|abstract|"
    r"stringlengths|\d+(\.\d+)?k?)$",
    re.IGNORECASE,
)
_ID = re.compile(r"^(\d{4}\.\d{4,5})(v\d+)?$")
CATEGORIES = ("cs.CL", "cs.LG", "cs.CV", "cs.AI", "stat.ML")
AUTHORS = ("Ana Müller", "Wei Zhang", "José García", "Olga Ivanova", "Kenji Tanaka", "Sara Smith")


def sample_papers() -> list[Paper]:
    """Every paper in ``sample_data/``, merged by title, id and abstract, with made-up
    authors, categories and dates (deterministic) so every field has something in it."""
    titled: dict[str, tuple[str, str]] = {}
    by_id: dict[str, str] = {}
    for path in sorted(SAMPLE.iterdir()):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        lines = [line for line in lines if line and (_ID.match(line) or not _CHROME.match(line))]
        for i, line in enumerate(lines):
            if len(line) < 200 or i == 0:
                continue
            head = lines[i - 1]
            ident = _ID.match(head)
            if ident:
                by_id[ident.group(1)] = clean_text(line)
            elif len(head) < 300:
                title = clean_line(re.sub(r"^Subscribe", "", head))
                titled.setdefault(normalise_title(title), (title, clean_text(line)))
    abstracts = {abstract: title for title, abstract in titled.values()}
    papers: list[Paper] = []
    rng = random.Random(3)
    used_titles: set[str] = set()
    for arxiv_id, abstract in sorted(by_id.items()):
        title = abstracts.get(abstract, "")
        if title:
            used_titles.add(title)
        papers.append(_paper(arxiv_id, arxiv_id, title, abstract, rng))
    for title, abstract in sorted(titled.values()):
        if title in used_titles:
            continue
        key = "t:" + hashlib.sha1(normalise_title(title).encode()).hexdigest()[:12]
        papers.append(_paper(key, None, title, abstract, rng))
    return papers


def _paper(key: str, arxiv_id: str | None, title: str, abstract: str, rng: random.Random) -> Paper:
    authors = tuple(rng.sample(AUTHORS, rng.randint(1, 3)))
    cats = tuple(rng.sample(CATEGORIES, rng.randint(1, 2)))
    published = f"{rng.randint(2019, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return Paper(
        key=key,
        title=title,
        display_title=title or display_title(arxiv_id, abstract),
        untitled=not title,
        abstract=abstract,
        arxiv_id=arxiv_id,
        authors=authors,
        categories=cats,
        published=published,
    )


def with_personal(papers: list[Paper]) -> list[Paper]:
    """Give a few papers tags, bookmarks, read marks and notes (deterministic)."""
    out = []
    for i, paper in enumerate(papers):
        changes: dict = {}
        if i % 7 == 0:
            changes["tags"] = ("To Read",)
        if i % 11 == 0:
            changes["tags"] = (*changes.get("tags", ()), "thesis")
        if i % 5 == 0:
            changes["bookmarked"] = True
        if i % 3 == 0:
            changes["read"] = True
        if i % 13 == 0:
            changes["note"] = "Compare with the café benchmark later"
        out.append(replace(paper, seq=i + 1, **changes))
    return out


def synthetic_papers(count: int, seed: int = 1, start: int = 0) -> list[Paper]:
    """Quick made-up papers (for big builds): words drawn from the sample abstracts."""
    rng = random.Random(seed)
    pool = [w for p in sample_papers()[:80] for w in p.abstract.split()]
    out = []
    for i in range(start, start + count):
        abstract = " ".join(rng.choice(pool) for _ in range(rng.randint(60, 160)))
        title = " ".join(rng.choice(pool) for _ in range(8))
        out.append(
            Paper(
                key=f"syn:{i}",
                title=title,
                display_title=title,
                untitled=False,
                abstract=abstract,
                seq=i + 1,
            )
        )
    return out


# -- a brute-force oracle ---------------------------------------------------------------------


def field_terms(paper: Paper, fieldname: str) -> list[str]:
    """The terms a paper has in a text field, in order (what the index holds)."""
    if fieldname == "title":
        text = "" if paper.untitled else paper.title
    elif fieldname == "abstract":
        text = paper.abstract
    elif fieldname == "note":
        text = paper.note
    else:
        return [w for name in paper.authors for w in words(name)]
    found = words(text)
    return [stem_of(w) for w in found] if fieldname in STEMMED_FIELDS else found


def has_word(paper: Paper, word: str) -> bool:
    """Does a plain query word match the paper (title, abstract, author or note)?"""
    stem = stem_of(word)
    return (
        stem in field_terms(paper, "title")
        or stem in field_terms(paper, "abstract")
        or word in field_terms(paper, "author")
        or stem in field_terms(paper, "note")
    )


def has_phrase(paper: Paper, phrase: list[str], fieldname: str) -> bool:
    """Does the field contain the words (folded) consecutively?"""
    terms = field_terms(paper, fieldname)
    want = [stem_of(w) if fieldname in STEMMED_FIELDS else w for w in phrase]
    size = len(want)
    return any(terms[i : i + size] == want for i in range(len(terms) - size + 1))
