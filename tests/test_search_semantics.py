"""What people type: all words first then some, pasted text, typing, paging, did-you-mean."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from absreader.core.models import Paper
from absreader.core.search.format.schema import words
from absreader.core.search.index import SearchIndex
from absreader.core.search.query import parser as query_module
from absreader.core.search.vocabulary import Vocabulary
from test_index_support import has_word, sample_papers


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return sample_papers()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, papers: list[Paper]) -> SearchIndex:
    index = SearchIndex(tmp_path_factory.mktemp("cache") / "index")
    list(index.build(iter(papers), len(papers), seq=len(papers)))
    return index


@pytest.fixture(scope="module")
def vocab_words(built: SearchIndex) -> list[str]:
    built.search("warm", as_you_type=True)
    vocab = built._vocabulary()
    return [w for w in vocab.sorted_words() if w.isalpha() and len(w) >= 4 and vocab.count(w) >= 2]


def all_keys(index: SearchIndex, query: str, **kwargs: object) -> list[str]:
    result = index.search(query, limit=100_000, **kwargs)  # type: ignore[arg-type]
    assert len(result.hits) == result.total
    return [h.key for h in result.hits]


def test_all_words_first_then_papers_with_some(built: SearchIndex, papers: list[Paper]) -> None:
    query = "unlearning diffusion"
    both = {p.key for p in papers if has_word(p, "unlearning") and has_word(p, "diffusion")}
    some = {p.key for p in papers if has_word(p, "unlearning") or has_word(p, "diffusion")}
    assert both and len(some) > len(both)
    result = built.search(query, limit=100_000)
    keys = [h.key for h in result.hits]
    assert result.strict_total == len(both)
    assert set(keys[: len(both)]) == both
    assert set(keys) == some
    assert result.divider == len(both)
    assert result.status == f"{len(both):,} {'has' if len(both) == 1 else 'have'} all words · {len(some) - len(both):,} have some"


@pytest.mark.parametrize("query", ["unlearning AND diffusion", "+unlearning +diffusion", '"machine unlearning"'])
def test_and_plus_and_quotes_force_strictness(built: SearchIndex, papers: list[Paper], query: str) -> None:
    result = built.search(query, limit=100_000)
    assert result.strict_total is None and result.status is None
    for key in (h.key for h in result.hits):
        paper = next(p for p in papers if p.key == key)
        assert has_word(paper, "unlearning")


def test_plus_word_is_required_in_the_wider_part(built: SearchIndex, papers: list[Paper]) -> None:
    result = built.search("+unlearning diffusion models", limit=100_000)
    assert result.total > 0
    for hit in result.hits:
        paper = next(p for p in papers if p.key == hit.key)
        assert has_word(paper, "unlearning")


def test_stop_words_count_in_neither_part(built: SearchIndex) -> None:
    assert all_keys(built, "the unlearning of the models") == all_keys(built, "unlearning models")


@pytest.mark.parametrize(
    "pasted",
    [
        "What are the risks of machine unlearning?",
        "Unlearning: how (and why) do models forget - a survey!",
        'He said "unlearning is hard and then left',
        "state-of-the-art unlearning methods for large language models, e.g. LLMs...",
        "Is unlearning possible? -- no idea :) [see refs] {x} *",
    ],
)
def test_pasted_text_finds_papers(built: SearchIndex, pasted: str) -> None:
    result = built.search(pasted, limit=20)
    assert result.total > 0
    assert result.hits
    assert {h.key for h in result.hits} & set(all_keys(built, "unlearning"))


def test_unknown_field_searches_both_words_with_a_notice(built: SearchIndex) -> None:
    result = built.search("problem:unlearning", limit=100_000)
    assert result.notice and "problem:" in result.notice
    assert {h.key for h in result.hits} >= set(all_keys(built, "unlearning"))


def test_a_long_pasted_paragraph_negates_nothing(built: SearchIndex) -> None:
    text = "models that forget data on request -unlearning is the word for it in recent work"
    result = built.search(text, limit=100_000)
    assert set(all_keys(built, "unlearning")) <= {h.key for h in result.hits}
    assert len(all_keys(built, "diffusion -unlearning")) < len(all_keys(built, "diffusion"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_typing_never_widens_and_never_empties(
    built: SearchIndex, vocab_words: list[str], data: st.DataObject
) -> None:
    """For a word of the index and every prefix of it: results(prefix) ⊇ results(longer)."""
    word = data.draw(st.sampled_from(vocab_words), label="word")
    context = data.draw(st.sampled_from(["", "models ", "the ", "learning "]), label="context")
    previous: set[str] | None = None
    for end in range(1, len(word) + 1):
        typed = context + word[:end]
        found = set(all_keys(built, typed, as_you_type=True))
        if not context:
            assert found, typed
        if previous is not None:
            assert found <= previous, typed
        previous = found


def test_typing_single_word_counts_fall_steadily(built: SearchIndex) -> None:
    counts = [built.search("transformer"[:n], as_you_type=True).total for n in range(1, 12)]
    assert all(a >= b for a, b in zip(counts, counts[1:], strict=False)), counts
    assert counts[-1] > 0


def test_a_page_continues_the_same_ranking(
    built: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    parse = query_module.QueryBuilder.parse

    def counting(self: query_module.QueryBuilder, text: str, as_you_type: bool = False) -> object:
        calls.append(text)
        return parse(self, text, as_you_type)

    monkeypatch.setattr(query_module.QueryBuilder, "parse", counting)
    built._rankings.clear()
    query = "models learning data"
    pages = [built.search(query, limit=50, offset=off) for off in range(0, 600, 50)]
    assert calls == [query]  # parsed once, whatever the page
    keys = [h.key for page in pages for h in page.hits]
    assert len(keys) == len(set(keys))
    assert all(page.total == pages[0].total for page in pages)
    assert len(keys) == min(600, pages[0].total)


def test_did_you_mean_when_all_words_are_few_but_some_are_many(built: SearchIndex) -> None:
    result = built.search("unlerning models")
    assert result.total > 3  # "models" alone finds many
    assert result.strict_total is not None and result.strict_total < 3
    assert result.suggestion == "unlearning models"


def test_vocabulary_prefix_set_is_uncapped() -> None:
    vocab = Vocabulary({f"mod{i:03d}": i + 1 for i in range(300)})
    assert len(vocab.with_prefix("mod")) == 300
    assert vocab.with_prefix("mod1") == [f"mod{i}" for i in range(100, 200)]
    assert words("mod")  # the analyser keeps short words
