"""Index builds in bounded memory: capped merges, and search during a first build."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from absreader.core.models import Paper
from absreader.core.search import generations as index_commit
from absreader.core.search import index as index_module
from absreader.core.search.index import SearchIndex
from test_index_support import sample_papers, with_personal

QUERIES = ["model", '"language models"', "unlearning diffusion", "tag:to-read", "vision -model",
           "title:diffusion", "is:bookmarked"]  # fmt: skip


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return with_personal(sample_papers())


def _keys(index: SearchIndex, query: str, **kw: object) -> set[str]:
    result = index.search(query, limit=10_000, **kw)  # type: ignore[arg-type]
    return {h.key for h in result.hits}


def _segments(index_dir: Path) -> list:
    current = (index_dir / "CURRENT").read_text().strip()
    return whoosh_index.open_dir(str(index_dir / current), indexname="MAIN")._segments()


def test_a_build_bigger_than_the_merge_cap_answers_as_one_segment(
    tmp_path: Path, papers: list[Paper], monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = SearchIndex(tmp_path / "reference")
    list(reference.build(iter(papers), len(papers), seq=1))
    assert len(_segments(tmp_path / "reference")) == 1

    monkeypatch.setattr(index_module, "FIRST_SEGMENT", 50)
    monkeypatch.setattr(index_module, "SEGMENT_SIZE", 100)
    monkeypatch.setattr(index_commit, "MERGE_CAP", 250)
    capped = SearchIndex(tmp_path / "capped")
    phases = [p.phase for p in capped.build(iter(papers), len(papers), seq=1, unique=True)]
    assert phases[-1] == "done"
    segments = _segments(tmp_path / "capped")
    assert len(segments) >= len(papers) // 250
    assert all(s.doc_count_all() <= 250 for s in segments)
    assert sum(s.doc_count_all() for s in segments) == len(papers)
    for query in QUERIES:
        assert _keys(capped, query) == _keys(reference, query), query
    assert _keys(capped, "diffu", as_you_type=True) == _keys(reference, "diffu", as_you_type=True)
    # "More like this" works from every segment's signatures.
    for paper in papers[::97]:
        assert capped.more_like(paper.key, 5), paper.key


def test_updates_keep_segments_under_the_cap(
    tmp_path: Path, papers: list[Paper], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "FIRST_SEGMENT", 50)
    monkeypatch.setattr(index_module, "SEGMENT_SIZE", 100)
    monkeypatch.setattr(index_commit, "MERGE_CAP", 200)
    index = SearchIndex(tmp_path / "index")
    list(index.build(iter(papers[:400]), 400, seq=1))
    list(index.update(papers[400:], [], seq=2))  # many new papers: an optimise
    segments = _segments(tmp_path / "index")
    assert all(s.doc_count_all() - s.deleted_count() <= 200 for s in segments)
    assert index.search("").total == len(papers)


def test_prefix_and_fuzzy_work_during_a_first_build(
    tmp_path: Path, papers: list[Paper], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "FIRST_SEGMENT", 100)
    monkeypatch.setattr(index_module, "SEGMENT_SIZE", 100)
    monkeypatch.setattr(index_module, "PROGRESS_EVERY", 50)
    index_dir = tmp_path / "index"
    steps = SearchIndex(index_dir).build(iter(papers), len(papers), seq=1, unique=True)
    for step in steps:
        if step.done >= 250:
            break
    reader = SearchIndex(index_dir)
    assert "Still indexing" in (reader.search("").notice or "")
    indexed = _keys(reader, "")
    word = next(
        w
        for p in papers
        if p.key in indexed
        for w in p.title.lower().split()
        if len(w) >= 8 and w.isalpha()
    )
    prefix = _keys(reader, word[:5], as_you_type=True)
    assert prefix and prefix <= indexed
    assert _keys(reader, word[:-1] + "q~")  # one letter wrong, fuzzy
    for _ in steps:
        pass
    assert reader.search("").total == len(papers)
