"""The shared top-k floor across segments ranks exactly what scoring every segment ranks.

An index of the sample papers is built in many small segments. Every query
(single words, several, as-you-type prefixes, phrases, fuzzy words, OR of
phrases, negations, field filters) is ranked three ways: with the floor
(segments after the first score only what can still reach the page), without
it (every segment's own best ``k``), and by brute force (every match scored,
sorted by score then document). The totals, the documents, their order and
their scores must be the same, ties included; and the floor must have left
documents unscored, or the test would prove nothing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from whoosh import query as wq

from absreader.core.models import Paper
from absreader.core.search import evaluate as index_eval
from absreader.core.search import generations
from absreader.core.search import index as index_module
from absreader.core.search.format.terms import iter_bits
from absreader.core.search.index import DEFAULT_RANKING, SearchIndex
from absreader.core.search.query.parser import QueryBuilder
from absreader.core.search.vocabulary import Vocabulary
from test_index_support import sample_papers

TEXTS = [
    "model", "language", "the", "neural network", "large language model", "graph learning",
    "mod", "lang", "trai", "diffu", "pre", "network tra", '"language model"', '"neural network"',
    '"large language" OR "graph neural"', "model -language", "title:model", "transformr~",
    "vision OR speech", "(model AND data) OR graph", "learning^3 model", "author:zhang",
]  # fmt: skip


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return sample_papers()


@pytest.fixture(scope="module")
def small_segments(tmp_path_factory: pytest.TempPathFactory, papers: list[Paper]) -> SearchIndex:
    patch = pytest.MonkeyPatch()
    size = max(4, len(papers) // 12)
    patch.setattr(index_module, "FIRST_SEGMENT", size)
    patch.setattr(index_module, "SEGMENT_SIZE", size)
    patch.setattr(generations, "MERGE_CAP", size)
    try:
        index = SearchIndex(tmp_path_factory.mktemp("topk") / "index")
        list(index.build(iter(papers), len(papers), seq=1))
    finally:
        patch.undo()
    return index


def _builder(papers: list[Paper]) -> QueryBuilder:
    counts: Counter[str] = Counter()
    for p in papers:
        counts.update(set((p.title + " " + p.abstract).lower().split()))
    return QueryBuilder(Vocabulary(dict(counts)))


def _tiers(builder: QueryBuilder, text: str, as_you_type: bool) -> list[wq.Query]:
    parsed = builder.parse(text, as_you_type=as_you_type)
    return [parsed.query] + ([parsed.relaxed] if parsed.relaxed is not None else [])


def _brute_force(snap: index_eval.Snapshot, tiers: list[wq.Query], k: int) -> tuple[list[int], list]:
    """Every match of every tier scored (no candidates, no floor), best ``k`` by score then docnum."""
    scoring = index_eval.scoring_terms(tiers[-1])
    totals, ranked = [], []
    taken = [0] * len(snap.segments)
    for q in tiers:
        scored: list[tuple[float, int]] = []
        total = 0
        for i, base in enumerate(snap.bases):
            seg = index_eval.SegmentSearch(snap, i)
            mask = seg.mask(q) & snap.live_mask(i) & ~taken[i]
            taken[i] |= mask
            total += mask.bit_count()
            count = mask.bit_count()
            scored += [(s, d + base) for s, d in seg.top(mask, scoring, count, DEFAULT_RANKING, tiers[-1])]
        scored.sort(key=lambda sd: (-sd[0], sd[1]))
        totals.append(total)
        ranked.append([(d, s) for s, d in scored[:k]])
    return totals, ranked


def test_many_segments_built(small_segments: SearchIndex) -> None:
    assert len(small_segments._open().segments) >= 8


@pytest.mark.parametrize("k", [1, 3, 10, 40])
@pytest.mark.parametrize("as_you_type", [False, True])
def test_floor_ranks_what_exhaustive_scoring_ranks(
    small_segments: SearchIndex,
    papers: list[Paper],
    monkeypatch: pytest.MonkeyPatch,
    k: int,
    as_you_type: bool,
) -> None:
    snap = small_segments._open()
    builder = _builder(papers)
    scored_docs = {True: 0, False: 0}
    original = index_eval.SegmentSearch._scores

    def counting(self: index_eval.SegmentSearch, docs: list[int], terms: list) -> list[float]:
        scored_docs[index_eval.SHARED_FLOOR] += len(docs)
        return original(self, docs, terms)

    monkeypatch.setattr(index_eval.SegmentSearch, "_scores", counting)
    monkeypatch.setattr(index_eval, "EXACT_LIMIT", 10**9)  # small segments: every match is scored
    matched = 0
    for text in TEXTS:
        tiers = _tiers(builder, text, as_you_type)
        if tiers[0] is wq.NullQuery:
            continue
        runs = {}
        for shared in (True, False):
            monkeypatch.setattr(index_eval, "SHARED_FLOOR", shared)
            runs[shared] = index_eval.search_tiers(snap, tiers, k, ranking=DEFAULT_RANKING)
        expected = _brute_force(snap, tiers, k)
        assert runs[True] == runs[False] == expected, (text, k)
        matched += sum(expected[0]) > k
    assert matched >= len(TEXTS) * 2 // 3
    assert scored_docs[True] < scored_docs[False] / 2, scored_docs


def test_floor_keeps_the_candidates_path(
    small_segments: SearchIndex, papers: list[Paper], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large result sets score candidates only; the floor must not change which win."""
    monkeypatch.setattr(index_eval, "EXACT_LIMIT", 1)
    monkeypatch.setattr(index_eval, "LENGTH_CANDIDATES", 4)
    snap = small_segments._open()
    builder = _builder(papers)
    for text in TEXTS:
        tiers = _tiers(builder, text, True)
        if tiers[0] is wq.NullQuery:
            continue
        runs = {}
        for shared in (True, False):
            monkeypatch.setattr(index_eval, "SHARED_FLOOR", shared)
            runs[shared] = index_eval.search_tiers(snap, tiers, 5, ranking=DEFAULT_RANKING)
        assert runs[True] == runs[False], text


def test_ties_go_to_the_lower_document_whatever_the_visiting_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Identical papers score alike: the page lists the earliest ones, in document order."""
    monkeypatch.setattr(index_module, "FIRST_SEGMENT", 5)
    monkeypatch.setattr(index_module, "SEGMENT_SIZE", 7)
    monkeypatch.setattr(generations, "MERGE_CAP", 7)
    same = "Sparse attention for graph transformers with kernels"
    papers = [
        Paper(key=f"p{i:02d}", title=same, display_title=same, untitled=False, abstract=f"{same}. Filler {i}.")
        for i in range(40)
    ]
    index = SearchIndex(tmp_path / "index")
    list(index.build(iter(papers), len(papers), seq=1))
    snap = index._open()
    assert len(snap.segments) >= 4
    assert index_eval.visiting_order(snap)[0] != 0  # the first-listed segment is not searched first
    total, top = index_eval.search(snap, wq.Term("abstract", "spars"), 6, ranking=DEFAULT_RANKING)
    assert total == 40
    scores = {s for _, s in top}
    assert len(scores) == 1
    everyone = [d for i, base in enumerate(snap.bases) for d in (base + x for x in iter_bits(snap.live_mask(i)))]
    assert [d for d, _ in top] == sorted(everyone)[:6]
    assert [snap.key_of(d) for d, _ in top] == [f"p{i:02d}" for i in range(6)]
    index.close()


@pytest.mark.parametrize("k", [1, 5, 30, 400])
def test_pooled_tiers_fill_the_same_page(
    small_segments: SearchIndex, papers: list[Paper], monkeypatch: pytest.MonkeyPatch, k: int
) -> None:
    """"All the words" then "some of them": ranking the second tier only as deep as the
    first leaves room for gives the page the reader shows, and skips it when the first fills it."""
    snap = small_segments._open()
    builder = _builder(papers)
    ranked_tiers: list[int] = []
    original = index_eval.SegmentSearch.top

    def counting(self: index_eval.SegmentSearch, mask: int, *args: object, **kwargs: object) -> list:
        ranked_tiers.append(mask)
        return original(self, mask, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(index_eval.SegmentSearch, "top", counting)
    relaxed = 0
    texts = ["neural network", "large language model", "graph learning", "model data", "network tra"]
    for text, as_you_type in [(t, a) for t in texts for a in (False, True)]:
        tiers = _tiers(builder, text, as_you_type)
        if len(tiers) < 2:
            continue
        relaxed += 1
        pages = {}
        calls = {}
        for pooled in (False, True):
            ranked_tiers.clear()
            totals, tops = index_eval.search_tiers(snap, tiers, k, ranking=DEFAULT_RANKING, pooled=pooled)
            pages[pooled] = (totals, tops[0] + tops[1][: max(0, k - len(tops[0]))])
            calls[pooled] = len(ranked_tiers)
        assert pages[True] == pages[False], (text, k)
        totals = pages[True][0]
        assert len(pages[True][1]) == min(k, sum(totals))
        if totals[0] >= k:
            assert calls[True] < calls[False], text  # the second tier was not ranked
    assert relaxed >= 3
