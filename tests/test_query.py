"""The query language: parsing, forgiveness, and a fuzzed promise that nothing raises."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from absreader.core.models import Paper
from absreader.core.search.format.prefixes import PrefixTerms
from absreader.core.search.index import SearchIndex
from absreader.core.search.query.highlight import find_spans, merge_spans
from absreader.core.search.query.parser import (
    MAX_QUERY_CHARS,
    TITLE_BOOST,
    QueryBuilder,
    parse_date,
    tokenize,
)
from absreader.core.search.vocabulary import Vocabulary, edits1
from test_index_support import sample_papers


def parse(text: str, **kwargs: object) -> wq.Query:
    return QueryBuilder().parse(text, **kwargs).query  # type: ignore[arg-type]


def test_plain_words_become_an_and_over_default_fields() -> None:
    q = parse("Large models")
    assert isinstance(q, wq.And)
    first = q.subqueries[0]
    assert isinstance(first, wq.Or)
    fields = {(t.fieldname, t.text, t.boost) for t in first.subqueries}
    assert ("title", "larg", TITLE_BOOST) in fields
    assert ("abstract", "larg", 1.0) in fields
    assert ("author", "large", 1.0) in fields


def test_stop_words_are_dropped_beside_other_words() -> None:
    assert parse("the model") == parse("model")
    assert parse("the") != wq.NullQuery


def test_hyphenated_words_are_words() -> None:
    """Pasted text: a hyphenated word is its words, each one of the query's words."""
    parsed = QueryBuilder().parse("GPT-4 model")
    assert parsed.query == parse("GPT 4 model")
    assert parsed.relaxed is not None and parsed.optional_words == 3
    assert parse('"GPT-4"').__class__ is wq.Or  # a quoted one is still a phrase


def test_fields_operators_and_negation() -> None:
    q = parse('title:"machine unlearning" -survey OR is:bookmarked')
    assert isinstance(q, wq.Or)
    left, right = q.subqueries
    assert isinstance(left, wq.And)
    assert left.subqueries[0] == wq.Phrase("title", ["machin", "unlearn"])
    assert isinstance(left.subqueries[1], wq.Not)
    assert right == wq.Term("is", "bookmarked")


def test_field_groups_and_aliases() -> None:
    q = parse("authors:(zhang OR müller)")
    assert q == wq.Or([wq.Term("author", "zhang"), wq.Term("author", "muller")])
    assert parse("is:unbookmarked") == wq.And([wq.Every(), wq.Not(wq.Term("is", "bookmarked"))])
    assert parse("tags:To_Read") == wq.Term("tag", "to-read")


@pytest.mark.parametrize(
    ("value", "terms"),
    [
        ("2024", ["2024"]),
        ("2024-3", ["2024-03"]),
        ("2024-03-05", ["2024-03-05"]),
        ("2023-11-30..2024-02", ["2023-11-30", "2023-12", "2024-01", "2024-02"]),
        ("2022..2023", ["2022", "2023"]),
        ("<2019-02-02", None),
        ("2024-13", None),
        ("2024-02-30", None),
        ("soon", None),
        ("2024..never", None),
    ],
)
def test_dates(value: str, terms: list[str] | None) -> None:
    got = parse_date(value)
    if value.startswith("<"):
        assert got is not None
        assert {"2018", "2019-01", "2019-02-01"} <= set(got)
        assert "2019-02-02" not in got and "2019" not in got
        return
    assert got == terms


def test_tokenizer_keeps_offsets() -> None:
    text = 'title:"a b" -c (d OR e*)'
    tokens, notices = tokenize(text)
    assert not notices
    assert [t.kind for t in tokens] == ["phrase", "word", "(", "word", "op", "word", ")"]
    assert text[tokens[1].start : tokens[1].end] == "c"
    assert tokens[1].negated


def test_unbalanced_input_is_forgiven() -> None:
    parsed = QueryBuilder().parse('"open phrase')
    assert parsed.notices
    assert isinstance(parsed.query, wq.And)
    parsed = QueryBuilder().parse("(a OR b")
    assert parsed.notices and "brackets" in parsed.notices[0]
    assert parse("a OR") == parse("a")
    assert parse("NOT") == wq.NullQuery


def test_over_long_query_is_cut() -> None:
    parsed = QueryBuilder().parse("word " * 500)
    assert len(parsed.text) <= MAX_QUERY_CHARS
    assert any("1,000" in n for n in parsed.notices)


def test_whole_query_arxiv_id() -> None:
    parsed = QueryBuilder().parse("https://arxiv.org/abs/2403.13043v2")
    assert parsed.arxiv_id == "2403.13043"


def test_typing_expands_the_last_word_only() -> None:
    vocab = Vocabulary({"model": 50, "models": 40, "modern": 5, "moderate": 2, "large": 9})
    builder = QueryBuilder(vocab)
    typed = builder.parse("large mod", as_you_type=True).query
    assert isinstance(typed, wq.And)
    branches = typed.subqueries[1].subqueries
    last = {t.text for t in branches if isinstance(t, wq.Term) and t.fieldname == "abstract"}
    assert last == {"model", "modern", "moder"}  # "mod" is no word: its stem could reach others
    # Every other index term beginning "mod" matches too (without ranking).
    assert PrefixTerms("abstract", "mod") in branches
    assert builder.parse("large mod ", as_you_type=True).query != typed
    # One or two letters being typed filter nothing and rank nothing (at a million
    # papers ranking by every word "mo" begins cost most of a keystroke).
    short = builder.parse("large mo", as_you_type=True).query
    assert isinstance(short, wq.And) and isinstance(short.subqueries[1], wq.Every)
    assert not [t for t in short.subqueries[1:] if isinstance(t, wq.Term)]


def test_vocabulary_prefix_fuzzy_and_corrections() -> None:
    vocab = Vocabulary({"retrieval": 30, "retrieve": 10, "retry": 1, "revival": 2, "model": 90})
    assert vocab.expand_prefix("retr", 2) == ["retrieval", "retrieve"]
    assert vocab.within("retrival", 1, 5) == ["retrieval"]
    assert set(vocab.within("retreival", 2, 5)) >= {"retrieval"}
    assert vocab.correct("retrival") == "retrieval"
    assert vocab.correct("modle") == "model"
    assert vocab.correct("model") is None
    assert vocab.correct("zzzzzz") is None
    assert "ab" in edits1("ba")


def test_vocabulary_round_trip(tmp_path: Path) -> None:
    vocab = Vocabulary({"alpha": 3, "beta": 1})
    vocab.save(tmp_path)
    from collections import Counter

    Vocabulary.append_delta(tmp_path, Counter({"beta": 2, "gamma": 1}))
    loaded = Vocabulary.load(tmp_path)
    assert loaded.counts == {"alpha": 3, "beta": 3, "gamma": 1}
    assert loaded.sorted_words() == ["alpha", "beta", "gamma"]


def test_span_helpers() -> None:
    assert merge_spans([(5, 7), (0, 2), (1, 3), (7, 9)]) == [(0, 3), (5, 9)]
    text = "Naïve café models, modelled naïvely"
    spans = find_spans("abstract", text, {"naiv", "model"}, [])
    assert [text[s:e] for s, e in spans] == ["Naïve", "models", "modelled", "naïvely"]


# -- the fuzzed promise ------------------------------------------------------------------------

QUERY_PIECES = st.sampled_from(
    ['"', "(", ")", "-", "*", "~", "~2", ":", "AND", "OR", "NOT", "title:", "tag:", "is:",
     "date:", "date:2024..", "id:", "cat:", "author:", "foo:", "model", "unlearning", "café",
     "2403.13043", "https://arxiv.org/abs/", "\x1b[31m", "\u202e", " ", "  ", "é", "\x00"]
)  # fmt: skip
QUERIES = st.one_of(
    st.text(max_size=60),
    st.lists(QUERY_PIECES, max_size=14).map("".join),
    st.lists(st.one_of(QUERY_PIECES, st.text(max_size=4)), max_size=10).map(" ".join),
)


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    papers = sample_papers()[:150]
    index = SearchIndex(tmp_path_factory.mktemp("fuzz") / "index")
    for _ in index.build(iter(papers), len(papers), seq=1):
        pass
    return index


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=QUERIES, as_you_type=st.booleans())
def test_nothing_a_user_types_raises(
    small_index: SearchIndex, text: str, as_you_type: bool
) -> None:
    result = small_index.search(text, as_you_type=as_you_type, limit=5)
    assert result.total >= len(result.hits)
    assert result.suggestion is None or isinstance(result.suggestion, str)
    small_index.suggest(text)
    paper = Paper("x", "Café models", "x", False, "Unlearning models (2403.13043).")
    spans = small_index.highlights(paper, text, as_you_type=as_you_type)
    for name, source in (("title", paper.title), ("abstract", paper.abstract)):
        for start, end in spans[name]:
            assert 0 <= start < end <= len(source)


@settings(max_examples=200, deadline=None)
@given(text=QUERIES)
def test_parser_alone_never_raises(text: str) -> None:
    parsed = QueryBuilder(Vocabulary({"model": 3, "unlearning": 2})).parse(text, as_you_type=True)
    assert isinstance(parsed.query, wq.Query)


@pytest.mark.parametrize("typed", ["vision title:", "vision author:", "title: vision", "vision tag:"])
def test_a_field_with_no_value_yet_narrows_nothing(typed: str) -> None:
    """Half-typed fields (as the reader sees them while typing) are ignored, not searched for."""
    assert parse(typed) == parse("vision")
    assert parse(typed, as_you_type=True) == parse("vision", as_you_type=True)
