"""Keystrokes whose queries parse alike share one evaluation, and show what a fresh search shows.

``graph n`` and ``graph ne`` both mean "graph" while the last word is one or
two letters long (it matches everything, ranks nothing): the second keystroke
reuses the first one's evaluation. Its page, total and scores must be exactly
those of a search that never saw the first; a real difference (a third letter,
another word, a field) must evaluate again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import query as wq

from absreader.core.search import evaluate
from absreader.core.search.index import SearchIndex
from absreader.core.search.query.canonical import tree_key
from test_index_support import sample_papers


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    papers = sample_papers()
    where = tmp_path_factory.mktemp("reuse") / "index"
    list(SearchIndex(where).build(iter(papers), len(papers), seq=1))
    return where


def _page(index: SearchIndex, text: str) -> tuple:
    r = index.search(text, limit=40, as_you_type=True)
    return r.total, r.strict_total, [(h.key, h.score) for h in r.hits]


def test_second_keystroke_reuses_and_matches_a_fresh_search(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    original = evaluate.search_tiers

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(evaluate, "search_tiers", counting)
    typing = SearchIndex(folder)
    pairs = [("graph n", "graph ne"), ("language m", "language mo"), ("neural network t", "neural network tr")]
    for first, second in pairs:
        _page(typing, first)
        before = len(calls)
        reused = _page(typing, second)
        assert len(calls) == before  # no second evaluation
        fresh = _page(SearchIndex(folder), second)
        assert reused == fresh and reused[2]
    for text in ("graph net", "graph ne model", "title:graph ne"):
        before = len(calls)
        _page(typing, text)
        assert len(calls) == before + 1  # a different search: evaluated


def test_keys_tell_apart_what_ranks_differently() -> None:
    a, b = wq.Term("title", "graph"), wq.Term("abstract", "graph")
    assert tree_key(wq.And([a, wq.Every()])) == tree_key(a)
    assert tree_key(wq.And([a, b, wq.Every()])) == tree_key(wq.And([a, b]))
    assert tree_key(wq.Or([a, wq.Every()])) != tree_key(a)  # OR with everything matches everything
    assert tree_key(wq.And([a, wq.Every()], boost=2.0)) != tree_key(a)
    assert tree_key(wq.And([a, b])) != tree_key(wq.And([b, a]))  # summing order
    assert tree_key(wq.Term("title", "graph", boost=2.0)) != tree_key(a)
    assert tree_key(wq.Phrase("title", ["graph", "net"], slop=1)) != tree_key(
        wq.Phrase("title", ["graph", "net"], slop=2)
    )
