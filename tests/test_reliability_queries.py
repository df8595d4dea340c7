"""Hostile queries: fuzzed, enormous, unbalanced, unknown fields, impossible dates.

Nothing a user types raises. Every query gets an answer: hits that are real
papers of the library, a total at least as large as the page, highlight spans
inside the text they point into, and a notice when the query was cut or
partly ignored. Timing is not asserted (CI machines vary); the note reports it.

The in-process fuzzing runs a modest number of examples in CI; ``--run-slow``
runs thousands.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.register_assert_rewrite("reliability_helpers")
from absreader.core.catalog import Catalog, ListSpec  # noqa: E402
from reliability_helpers import copy_sample, paths_of  # noqa: E402

# Pieces of the query language and of what breaks parsers, so fuzzed text reaches deep.
TOKENS = [
    "vision", "transformer", "model", "language", "diffusion", "café", "Ünïcödé", "数据",
    " ", "  ", '"', "'", "(", ")", "[", "]", "{", "}", "\\", "/", ":", "*", "?", "~", "~2",
    "^", "-", "+", "!", "&&", "||", "AND", "OR", "NOT", "and", "or", "TO", "..", ">=", "<",
    "title:", "abstract:", "author:", "id:", "cat:", "tag:", "note:", "is:", "date:", "year:",
    "foo:", "title:(", "is:bookmarked", "is:nonsense", "date:2024", "date:2024-13-45",
    "date:yesterday", "date:>=2023-01", "date:2023..", "date:..", "cat:cs.", "id:2403.",
    "2403.13043", "arXiv:2403.13043v2", "https://arxiv.org/abs/2403.13043", "hep-th/9901001",
    "10.48550/arXiv.2403.13043", "\x00", "\x1b[31m", "\u202e", "\ud800", "\t", "\n", "%", "_",
    "a" * 300, "*" * 20, "~" * 10, "(" * 50, ")" * 50, '"' * 9,
]  # fmt: skip
queries = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(TOKENS) | st.text(max_size=6), max_size=30).map("".join),
)
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
SLOW_FUZZ = settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))

LONG = {
    "100k-words": "vision " * 14_286,
    "100k-one-word": "v" * 100_000,
    "100k-open-brackets": "(" * 100_000,
    "100k-quotes": '"' * 100_000,
    "100k-or": "vision OR " * 10_000,
    "100k-fields": "title:" * 16_667,
    "100k-wildcards": "a*" * 50_000,
    "100k-fuzzy": "vision~2 " * 11_111,
    "100k-not": "NOT " * 25_000 + "vision",
    "100k-unicode": "数据" * 50_000,
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    home = copy_sample(tmp_path_factory.mktemp("queries") / "home")
    catalog = Catalog.open(paths_of(home))
    keys = catalog.library.list_keys()
    catalog.set_bookmarked(keys[0])
    catalog.add_tags(keys[1], ["Reading List"])
    catalog.set_note(keys[2], "a note about vision")
    for _ in catalog.sync_index():
        pass
    yield catalog
    catalog.close()


@pytest.fixture(scope="module")
def all_keys(catalog: Catalog) -> set[str]:
    return set(catalog.library.list_keys())


def check_answer(catalog: Catalog, all_keys: set[str], query: str, **kw: object) -> object:
    """Run ``query`` every way the CLI and the reader do; check each answer is sound."""
    for as_you_type in (False, True):
        result = catalog.search(query, limit=20, as_you_type=as_you_type, **kw)  # type: ignore[arg-type]
        keys = [h.key for h in result.hits]
        assert set(keys) <= all_keys
        assert len(keys) == len(set(keys)) <= 20
        assert result.total >= len(keys)
        assert all(h.score == h.score for h in result.hits)  # no NaN
        assert result.notice is None or isinstance(result.notice, str)
        assert result.suggestion is None or isinstance(result.suggestion, str)
        for paper in catalog.papers(keys[:3]):
            spans = catalog.highlights(paper, query)
            for field, text in (("title", paper.title), ("abstract", paper.abstract)):
                for start, end in spans.get(field, []):
                    assert 0 <= start < end <= len(text), (field, start, end)
    page = catalog.page(query, ListSpec("bookmarked"), as_you_type=True)
    assert set(page.keys) <= all_keys
    return result


@FUZZ
@given(query=queries)
def test_fuzzed_queries_always_get_a_sound_answer(
    catalog: Catalog, all_keys: set[str], query: str
) -> None:
    check_answer(catalog, all_keys, query)


@pytest.mark.slow
@SLOW_FUZZ
@given(query=queries)
def test_fuzzed_queries_long_run(catalog: Catalog, all_keys: set[str], query: str) -> None:
    check_answer(catalog, all_keys, query)
    check_answer(catalog, all_keys, query, restrict=frozenset(list(all_keys)[:50]))


@pytest.mark.parametrize("name", list(LONG))
def test_hundred_thousand_character_queries(
    catalog: Catalog, all_keys: set[str], name: str
) -> None:
    query = LONG[name]
    assert len(query) >= 99_990
    started = time.perf_counter()
    result = check_answer(catalog, all_keys, query)
    assert time.perf_counter() - started < 60  # generous: a hang fails, a slow CI does not
    assert "cut to its first 1,000 characters" in (result.notice or "")


@pytest.mark.parametrize(
    ("query", "same_as", "notice"),
    [
        ('"vision transformer', "vision transformer", "quote was not closed"),
        ('vision "', "vision", None),
        ("(vision OR transformer", "vision OR transformer", "Unmatched brackets"),
        ("vision) transformer)", "vision transformer", None),  # no operators: punctuation
        ("((((vision))))", "vision", None),
        ("title:(vision", None, "Unmatched brackets"),
        ("foo:vision", "foo vision", None),
        ("nosuchfield:vision", "nosuchfield vision", None),
        ("AND OR NOT", None, None),
        ("vision AND", "vision", None),
        ("OR vision", "vision", None),
        ("-", None, None),
        ("*", None, None),
        ("~", None, None),
        ("vision~99", None, None),
        ("is:nonsense vision", None, None),
        ("date:2024-13-45 vision", None, None),
        ("date:yesterday vision", None, None),
        ("date:2024-02-30 vision", None, None),
        ("date:..", None, None),
        ("date:>=", None, None),
        ("date:9999999999", None, None),
        ("id:", None, None),
        ("tag:", None, None),
        (":::", None, None),
        ("\\", None, None),
        ("\x00\x1b[2J\u202e", None, None),
    ],
)
def test_malformed_queries_fall_back_to_words(
    catalog: Catalog, all_keys: set[str], query: str, same_as: str | None, notice: str | None
) -> None:
    result = check_answer(catalog, all_keys, query)
    if same_as is not None:  # the same papers match (order may differ among equal scores)
        expected = catalog.search(same_as, limit=1000)
        got = catalog.search(query, limit=1000)
        assert {h.key for h in got.hits} == {h.key for h in expected.hits}, query
        assert got.total == expected.total
        assert result.total > 0 or "nosuchfield" in query or "foo" in query
    if notice is not None:
        assert notice in (result.notice or ""), result.notice


def test_unknown_fields_and_bad_dates_are_said(catalog: Catalog, all_keys: set[str]) -> None:
    for query in ("nosuchfield:vision", "date:2024-13-45 vision", "date:yesterday vision"):
        result = check_answer(catalog, all_keys, query)
        assert result.notice, query  # the user learns part of the query was not understood


def test_search_command_with_hostile_queries(cli, home: Path) -> None:
    copy_sample(home)
    for query in [
        '"unbalanced',
        "(((",
        "foo:bar",
        "date:2024-99-99",
        "v" * 100_000,
        "\x1b]2;x\x07",
    ]:
        plain = cli("search", query)
        assert plain.code == 0, (query[:40], plain.err)
        assert "Traceback" not in plain.err
        assert "matches" in plain.out
        found = cli("search", query, "--json")
        assert found.code == 0
        data = json.loads(found.out)
        assert data["total"] >= len(data["results"])
    long = json.loads(cli("search", "v" * 100_000, "--json").out)
    assert "cut" in long["notice"]
    assert len(long["query"]) == 100_000  # the answer says what was asked


async def test_reader_search_bar_takes_hostile_queries(tmp_path: Path) -> None:
    from conftest_ui import app_for, settle

    home = copy_sample(tmp_path / "home")
    app = app_for(paths_of(home))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for query in ['"vision', "((((", "title:(", "date:2024-13-45", "x" * 100_000, "vision"]:
            await pilot.press("slash")
            app.main_screen.search_input.value = query
            await settle(pilot)
            assert app.is_running
            errors = [n for n in app.notified if n[0] == "error"]
            assert not errors, errors
        assert app.main_screen.paper_list.total > 0  # "vision" found papers at the end
