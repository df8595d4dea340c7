"""The evaluator's fast paths give what the slow, obvious ones give.

Phrases are checked per document or in bulk depending on how many
candidates they have; prefixes read stored sets or OR their terms. Each path
is forced here and compared with a brute-force reading of the papers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from absreader.core.models import Paper
from absreader.core.search import evaluate as index_eval
from absreader.core.search.format.prefixes import PREFIX_EXT, PrefixTerms
from absreader.core.search.format.schema import term_for, words
from absreader.core.search.format.terms import iter_bits
from absreader.core.search.index import SearchIndex
from test_index_support import sample_papers


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return sample_papers()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, papers: list[Paper]) -> SearchIndex:
    index = SearchIndex(tmp_path_factory.mktemp("paths") / "index")
    list(index.build(iter(papers), len(papers), seq=1))
    return index


_TERMS: dict[str, list[str]] = {}


def _terms(paper: Paper) -> list[str]:
    if paper.key not in _TERMS:
        _TERMS[paper.key] = [term_for("abstract", w) for w in words(paper.abstract)]
    return _TERMS[paper.key]


def _holding(papers: list[Paper], pair: tuple[str, ...]) -> set[str]:
    out = set()
    n = len(pair)
    for p in papers:
        terms = _terms(p)
        if any(terms[i : i + n] == list(pair) for i in range(len(terms) - n + 1)):
            out.add(p.key)
    return out


def _keys(index: SearchIndex, q: wq.Query) -> set[str]:
    snap = index._open()
    _, top = index_eval.search(snap, q, 2_000)
    return {snap.key_of(d) for d, _ in top}


@pytest.mark.parametrize("per_doc", [0, 10**9])
def test_phrases_per_document_and_in_bulk(
    built: SearchIndex, papers: list[Paper], monkeypatch: pytest.MonkeyPatch, per_doc: int
) -> None:
    monkeypatch.setattr(index_eval, "PHRASE_PER_DOC", per_doc)
    if per_doc == 0:  # never per document, however few the candidates
        monkeypatch.setattr(index_eval, "PHRASE_DF_SHARE", 10**9)
    built.close()  # fresh snapshot: nothing cached from the other path
    pairs: list[tuple[str, ...]] = [("languag", "model"), ("larg", "languag"), ("neural", "network"), ("model", "the")]
    # Three words, and a word repeated (its later occurrences, not its first, make the phrase).
    pairs += [("larg", "languag", "model"), ("model", "model"), ("the", "model", "the")]
    for p in papers[:25]:
        terms = _terms(p)
        pairs += [tuple(terms[i : i + 2]) for i in range(0, len(terms) - 1, 29)]
        pairs += [tuple(terms[i : i + 3]) for i in range(5, len(terms) - 2, 31)]
    for pair in dict.fromkeys(pairs):
        assert _keys(built, wq.Phrase("abstract", list(pair))) == _holding(papers, pair), pair


def test_prefix_sets_match_their_terms(built: SearchIndex, papers: list[Paper], tmp_path: Path) -> None:
    folder = built.index_dir / (built.index_dir / "CURRENT").read_text().strip()
    assert list(folder.glob(f"*{PREFIX_EXT}")), "the build writes prefix sets"
    for prefix in ("mod", "lang", "pre", "con", "trai", "diffu", "zzz", "qu"):
        expected = {p.key for p in papers if any(t.startswith(prefix) for t in _terms(p))}
        built.close()
        assert _keys(built, PrefixTerms("abstract", prefix)) == expected, prefix
        for f in folder.glob(f"*{PREFIX_EXT}"):
            f.rename(tmp_path / f.name)  # an index without them: the terms are OR-ed
        built.close()
        try:
            assert _keys(built, PrefixTerms("abstract", prefix)) == expected, prefix
        finally:
            for f in tmp_path.glob(f"*{PREFIX_EXT}"):
                f.rename(folder / f.name)


@settings(max_examples=200, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=5000)))
def test_bitmap_positions_sparse_and_dense(docs: set[int]) -> None:
    """Both ways of listing a bitmap's documents (sparse: regex, dense: compress) list them all."""
    mask = sum(1 << d for d in docs)
    assert iter_bits(mask) == sorted(docs)
    # Every other bit as well: one document in two, the dense path.
    dense = mask | int("01" * (max(docs, default=0) // 2 + 1), 2)
    assert iter_bits(dense) == [d for d in range(dense.bit_length()) if dense >> d & 1]
