"""More like this: the papers sharing the most words, scored exactly, against scoring every match."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh import query as wq

from absreader.core.models import Paper
from absreader.core.search import evaluate as index_eval
from absreader.core.search import generations as index_commit
from absreader.core.search import index as index_module
from absreader.core.search import similar
from absreader.core.search.index import SearchIndex
from test_index_support import sample_papers, with_personal


@given(st.lists(st.sets(st.integers(0, 199)), min_size=1, max_size=24), st.integers(1, 220))
def test_sharing_most_keeps_the_documents_with_the_highest_counts(
    sets: list[set[int]], want: int
) -> None:
    masks = [sum(1 << d for d in docs) for docs in sets]
    counts = {d: sum(d in docs for docs in sets) for d in range(200)}
    chosen = similar.sharing_most(masks, want)
    got = {d for d in range(200) if chosen >> d & 1}
    held = {d for d, c in counts.items() if c}
    # The largest m whose "at least m" set still has `want` documents (every document when none has).
    m = next((m for m in range(len(sets), 1, -1) if sum(c >= m for c in counts.values()) >= want), 1)
    assert got == {d for d in held if counts[d] >= m}
    for m in range(1, len(sets) + 2):
        at = similar.at_least(_slices(masks), m)
        assert {d for d in range(200) if at >> d & 1} == {d for d, c in counts.items() if c >= m}


def _slices(masks: list[int]) -> list[int]:
    """Bit-sliced counts, the plain way (one document at a time)."""
    width = max(len(masks).bit_length(), 1)
    out = [0] * width
    for d in range(200):
        c = sum(m >> d & 1 for m in masks)
        for j in range(width):
            if c >> j & 1:
                out[j] |= 1 << d
    return out


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return with_personal(sample_papers())


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory, papers: list[Paper]) -> SearchIndex:
    """The sample in segments of at most 150 papers, so results come from several."""
    patch = pytest.MonkeyPatch()
    patch.setattr(index_module, "FIRST_SEGMENT", 60)
    patch.setattr(index_module, "SEGMENT_SIZE", 120)
    patch.setattr(index_commit, "MERGE_CAP", 150)
    try:
        index = SearchIndex(tmp_path_factory.mktemp("cache") / "index")
        list(index.build(iter(papers), len(papers), seq=1, unique=True))
    finally:
        patch.undo()
    return index


def _every_match_scored(index: SearchIndex, paper: Paper, k: int) -> list[tuple[str, float]]:
    """The reference: the same OR of the same words, every matching paper scored."""
    with index._mutex:
        snap = index._open()
        parts = similar.text_query(snap, paper)
        own = snap.key_docnum(paper.key)
        patch = pytest.MonkeyPatch()
        patch.setattr(index_eval, "EXACT_LIMIT", 10**9)
        patch.setattr(index_eval, "SHARED_FLOOR", False)
        try:
            _, top = index_eval.search(snap, wq.Or(parts), k, None, own)
        finally:
            patch.undo()
        return [(snap.key_of(d), s) for d, s in top]


def test_more_like_this_is_scored_as_every_match_would_be(
    segmented: SearchIndex, papers: list[Paper], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each segment has at most 150 papers: with a quorum that large, every match is scored,
    # and the results must be exactly the reference, scores and order included.
    monkeypatch.setattr(similar, "QUORUM", 150)
    for paper in papers[::41]:
        hits = segmented.more_like(paper, limit=10)
        reference = _every_match_scored(segmented, paper, 10)
        assert [h.key for h in hits] == [key for key, _ in reference], paper.key
        assert [h.score for h in hits] == pytest.approx([s for _, s in reference]), paper.key
        assert paper.key not in {h.key for h in hits}


def test_a_small_quorum_still_finds_the_best_papers(
    segmented: SearchIndex, papers: list[Paper], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A quorum far under each segment's matches: only the papers sharing the most words are
    # scored. Their scores are exact, and they hold nearly all of the reference's top three.
    monkeypatch.setattr(similar, "QUORUM", 1)  # then four per paper asked for: 12 a segment
    cut = []
    sharing_most = similar.sharing_most

    def counted(masks: list[int], want: int) -> int:
        chosen = sharing_most(masks, want)
        union = 0
        for mask in masks:
            union |= mask
        cut.append(chosen.bit_count() < union.bit_count())
        return chosen

    monkeypatch.setattr(similar, "sharing_most", counted)
    found = wanted = 0
    for paper in papers[::23]:
        reference = dict(_every_match_scored(segmented, paper, 3))
        hits = segmented.more_like(paper, limit=3)
        exact = dict(_every_match_scored(segmented, paper, 10_000))
        for hit in hits:
            assert hit.score == pytest.approx(exact[hit.key]), hit.key
        found += len(reference.keys() & {h.key for h in hits})
        wanted += len(reference)
    assert found >= 0.9 * wanted, (found, wanted)
    assert sum(cut) > len(cut) // 2  # most segments did leave matches unscored


def test_the_same_words_as_counting_every_segment(
    tmp_path: Path, papers: list[Paper], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Words are judged by the largest segment first when one is large enough; the query must
    # be the one counting every word in every segment gives.
    monkeypatch.setattr(similar, "_SAMPLE_DOCS", 50)
    monkeypatch.setattr(index_module, "FIRST_SEGMENT", 60)
    monkeypatch.setattr(index_module, "SEGMENT_SIZE", 200)
    monkeypatch.setattr(index_commit, "MERGE_CAP", 300)
    index = SearchIndex(tmp_path / "index")
    list(index.build(iter(papers), len(papers), seq=1, unique=True))
    judged = 0
    narrowed = []
    likely_best = similar._likely_best

    def spy(snap: object, words: list, n: int) -> list:
        out = likely_best(snap, words, n)  # type: ignore[arg-type]
        narrowed.append(len(out) < len(words))
        return out

    monkeypatch.setattr(similar, "_likely_best", spy)
    with index._mutex:
        snap = index._open()
        assert len(snap.segments) > 1
        for paper in papers[::13]:
            quick = [(q.fieldname, q.text, q.boost) for q in similar.text_query(snap, paper)]
            with monkeypatch.context() as m:
                m.setattr(similar, "_likely_best", lambda _snap, words, _n: words)
                full = [(q.fieldname, q.text, q.boost) for q in similar.text_query(snap, paper)]
            assert quick == full, paper.key
            judged += len(full) > 0
    assert judged > 10
    assert any(narrowed)  # some papers' words were judged by the one segment
