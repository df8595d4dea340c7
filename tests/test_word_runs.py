"""A parallel build's word counts: run files merged as a stream into the vocabulary file."""

from __future__ import annotations

import marshal
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from absreader.core.search import word_runs
from absreader.core.search.vocabulary import VOCAB_FILE, Vocabulary

WORDS = st.text(alphabet="abcdeéz中0", min_size=1, max_size=8)
RUNS = st.lists(st.dictionaries(WORDS, st.integers(1, 2**31 - 1), max_size=40), max_size=5)


@settings(max_examples=60, deadline=None)
@given(RUNS)
def test_merged_runs_are_the_summed_counts_in_sorted_order(tmp_path_factory: pytest.TempPathFactory, runs: list) -> None:
    build = tmp_path_factory.mktemp("build")
    paths = []
    for number, counts in enumerate(runs):
        paths.append(word_runs.run_file(build, number))
        word_runs.write_run(paths[-1], counts)
    total: Counter[str] = Counter()
    for counts in runs:
        total.update(counts)
    assert list(word_runs.merged(paths)) == sorted(total.items())


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(WORDS, st.integers(1, 2**31 - 1), max_size=300))
def test_a_streamed_vocabulary_loads_as_the_saved_one(tmp_path_factory: pytest.TempPathFactory, counts: dict) -> None:
    saved, streamed = tmp_path_factory.mktemp("saved"), tmp_path_factory.mktemp("streamed")
    Vocabulary(counts).save(saved)
    assert Vocabulary.write_sorted(streamed, sorted(counts.items())) == len(counts)
    raw = (streamed / VOCAB_FILE).read_bytes()
    assert marshal.loads(raw) == marshal.loads((saved / VOCAB_FILE).read_bytes())
    a, b = Vocabulary.load(saved), Vocabulary.load(streamed)
    assert b.sorted_words() == sorted(counts) and [b.count(w) for w in b.sorted_words()] == [
        counts[w] for w in sorted(counts)
    ]
    assert b.shared_lengths() == a.shared_lengths()
    assert [p.name for p in streamed.iterdir()] == [VOCAB_FILE]  # no scratch file left


def test_the_streamed_file_replaces_an_old_vocabulary_and_its_delta(tmp_path: Path) -> None:
    Vocabulary({"old": 9}).save(tmp_path)
    Vocabulary.append_delta(tmp_path, Counter({"stale": 1}))
    Vocabulary.write_sorted(tmp_path, iter([("diffusion", 3), ("model", 7)]))
    vocab = Vocabulary.load(tmp_path)
    assert vocab.sorted_words() == ["diffusion", "model"] and vocab.count("model") == 7
    assert vocab.expand_prefix("mod", 5) == ["model"]


def test_a_damaged_run_file_names_its_line(tmp_path: Path) -> None:
    path = word_runs.run_file(tmp_path, 0)
    path.parent.mkdir()
    path.write_text("alpha\t3\nbeta three\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"run-00000: line 2"):
        list(word_runs.merged([path]))
