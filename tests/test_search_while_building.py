"""Searching while a first build runs: every committed segment's words count at once.

The build is stopped after its third committed segment (of 100 papers each);
another reader then searches what is committed. The word looked for first
appears in the latest segment, so only a vocabulary written per committed
segment (not only at doubling sizes) lets fuzzy search and the prefix's
ranked expansions know it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from absreader.core.models import Paper
from absreader.core.search import index as index_module
from absreader.core.search.format.schema import words
from absreader.core.search.index import SearchIndex
from absreader.core.search.vocabulary import Vocabulary
from test_index_support import sample_papers


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return sample_papers()


def _words_of(paper: Paper) -> set[str]:
    return set(words(paper.title + " " + paper.abstract))


def _keys(index: SearchIndex, query: str, **kw: object) -> set[str]:
    return {h.key for h in index.search(query, limit=10_000, **kw).hits}  # type: ignore[arg-type]


def test_words_of_the_latest_committed_segment_are_searchable(
    tmp_path: Path, papers: list[Paper], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "FIRST_SEGMENT", 100)
    monkeypatch.setattr(index_module, "SEGMENT_SIZE", 100)
    monkeypatch.setattr(index_module, "PROGRESS_EVERY", 50)
    assert len(papers) > 350
    index_dir = tmp_path / "index"
    steps = SearchIndex(index_dir).build(iter(papers), len(papers), seq=1, unique=True)
    for step in steps:
        if step.done >= 300:
            break
    reader = SearchIndex(index_dir)
    indexed = _keys(reader, "")
    assert indexed == {p.key for p in papers[:300]}  # three committed segments, no more
    earlier = set().union(*map(_words_of, papers[:200]))
    later = set().union(*map(_words_of, papers[300:]))
    fresh = sorted(
        w
        for p in papers[200:300]
        for w in _words_of(p) - earlier - later
        if len(w) >= 8 and w.isalpha()
    )
    assert fresh, "the sample data has words first used in papers 200-300"
    word = fresh[0]
    holders = {p.key for p in papers[200:300] if word in _words_of(p)}

    folder = next(index_dir.glob("*.new"))
    assert Vocabulary.load(folder).count(word) == len(holders)
    typed = _keys(reader, word[:5], as_you_type=True)
    assert holders <= typed <= indexed
    assert holders <= _keys(reader, word[:-1] + "q~")  # one letter wrong: fuzzy finds it

    for _ in steps:
        pass
    final = SearchIndex(index_dir)
    assert final.search("").total == len(papers)
    vocab = Vocabulary.load(index_dir / (index_dir / "CURRENT").read_text().strip())
    assert vocab.count(word) == len(holders)
    assert not any(index_dir.glob("g*/vocab.delta"))


def test_a_reloaded_delta_keeps_lookups_exact(tmp_path: Path) -> None:
    from collections import Counter

    Vocabulary({"models": 3, "modelling": 1, "zebra": 1, "ties": 2}).save(tmp_path)
    Vocabulary.append_delta(tmp_path, Counter({"modular": 2, "models": 1, "generalization": 1}))
    loaded = Vocabulary.load(tmp_path)
    merged = {"models": 4, "modelling": 1, "zebra": 1, "ties": 2, "modular": 2, "generalization": 1}
    assert loaded.sorted_words() == sorted(merged)
    assert {w: loaded.count(w) for w in merged} == merged
    fresh = Vocabulary(merged)  # the same words, stemmed from scratch
    for prefix in ("mod", "model", "models", "modell", "genera", "tie", "ties", "zeb"):
        assert loaded.stems_outside(prefix) == fresh.stems_outside(prefix), prefix
    assert loaded.stems_outside("models") == ["model"]
    assert loaded.stems_outside("genera") == ["gener"]
    assert loaded.expand_prefix("mod", 2) == ["models", "modular"]


def test_a_vocabulary_saved_by_an_older_version_still_answers(tmp_path: Path) -> None:
    import marshal

    (tmp_path / "vocab.bin").write_bytes(marshal.dumps((["generalization", "models"], [1, 2])))
    old = Vocabulary.load(tmp_path)
    assert old.count("models") == 2
    assert old.stems_outside("models") == ["model"]
    assert old.stems_outside("genera") == ["gener"]
    old.save(tmp_path)  # and what this version writes, an older one reads
    assert marshal.loads((tmp_path / "vocab.bin").read_bytes()) == (["generalization", "models"], [1, 2])
