"""The search index on the sample data: building, every query form, ranking, updates."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq

from absreader.core.models import Paper
from absreader.core.search.format.schema import normalise_tag, stem_of, words
from absreader.core.search.index import SearchIndex
from test_index_support import (
    field_terms,
    has_phrase,
    has_word,
    sample_papers,
    with_personal,
)


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return with_personal(sample_papers())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, papers: list[Paper]) -> SearchIndex:
    """One index of the sample data, shared by the read-only tests of this module."""
    index = SearchIndex(tmp_path_factory.mktemp("cache") / "index")
    progress = list(index.build(iter(papers), len(papers), seq=len(papers)))
    assert progress[-1].phase == "done"
    return index


def keys_of(index: SearchIndex, query: str, **kwargs: object) -> list[str]:
    """The papers that match the query fully (those with all its words)."""
    result = index.search(query, limit=10_000, **kwargs)  # type: ignore[arg-type]
    assert result.total == len(result.hits)
    strict = result.total if result.strict_total is None else result.strict_total
    return [h.key for h in result.hits[:strict]]


def expected(papers: list[Paper], predicate: object) -> set[str]:
    return {p.key for p in papers if predicate(p)}  # type: ignore[operator]


def test_build_reports_progress_and_state(built: SearchIndex, papers: list[Paper]) -> None:
    assert built.state() == "ok"
    assert built.doc_count() == len(papers)
    assert built.synced_seq == len(papers)


def test_progress_counts_up_to_the_total(tmp_path: Path, papers: list[Paper]) -> None:
    index = SearchIndex(tmp_path / "index")
    steps = list(index.build(iter(papers), len(papers), seq=1))
    assert steps[0].done == 0 and steps[0].phase == "indexing"
    done = [s.done for s in steps]
    assert done == sorted(done)
    assert steps[-1].done == steps[-1].total == len(papers)


@pytest.mark.parametrize(
    "query",
    ["unlearning", "code generation", "vision transformer", "Retrieval", "diffusion models"],
)
def test_plain_words_all_must_match(built: SearchIndex, papers: list[Paper], query: str) -> None:
    want = expected(papers, lambda p: all(has_word(p, w) for w in words(query)))
    assert want, "the sample data should contain these words"
    assert set(keys_of(built, query)) == want


@pytest.mark.parametrize(
    "phrase", ["code generation", "large language models", "in-context learning"]
)
def test_phrases_match_consecutive_words(
    built: SearchIndex, papers: list[Paper], phrase: str
) -> None:
    ws = words(phrase)
    want = expected(
        papers, lambda p: any(has_phrase(p, ws, f) for f in ("title", "abstract", "author", "note"))
    )
    loose = expected(papers, lambda p: all(has_word(p, w) for w in ws))
    assert want and want < loose, "a phrase is stricter than its words"
    assert set(keys_of(built, f'"{phrase}"')) == want


def test_phrase_with_slop_allows_gaps(built: SearchIndex, papers: list[Paper]) -> None:
    exact = set(keys_of(built, '"language models"'))
    loose = set(keys_of(built, '"language models"~3'))
    assert exact < loose


@pytest.mark.parametrize(
    ("query", "fieldname", "word"),
    [
        ("title:unlearning", "title", "unlearning"),
        ("abstract:unlearning", "abstract", "unlearning"),
        ("title:Transformers", "title", "transformers"),
    ],
)
def test_text_fields(
    built: SearchIndex, papers: list[Paper], query: str, fieldname: str, word: str
) -> None:
    want = expected(papers, lambda p: stem_of(word) in field_terms(p, fieldname))
    assert want
    assert set(keys_of(built, query)) == want


def test_author_field_folds_accents(built: SearchIndex, papers: list[Paper]) -> None:
    want = expected(papers, lambda p: "Ana Müller" in p.authors)
    assert set(keys_of(built, "author:muller")) == want
    assert set(keys_of(built, "author:Müller")) == want
    assert set(keys_of(built, 'author:"ana muller"')) == want
    # A phrase never spans two authors.
    spans = expected(papers, lambda p: any(a.endswith("Müller") for a in p.authors))
    assert set(keys_of(built, 'author:"muller wei"')) <= spans


def test_id_category_date_fields(built: SearchIndex, papers: list[Paper]) -> None:
    paper = next(p for p in papers if p.arxiv_id)
    assert keys_of(built, f"id:{paper.arxiv_id}") == [paper.key]
    assert keys_of(built, f"id:arXiv:{paper.arxiv_id}v3") == [paper.key]
    assert set(keys_of(built, "cat:cs.CL")) == expected(papers, lambda p: "cs.CL" in p.categories)
    assert set(keys_of(built, "cat:cs")) == expected(
        papers, lambda p: any(c.startswith("cs.") for c in p.categories)
    )
    assert set(keys_of(built, "date:2021")) == expected(papers, lambda p: p.published[:4] == "2021")
    assert set(keys_of(built, "date:2021-03")) == expected(
        papers, lambda p: p.published[:7] == "2021-03"
    )
    assert set(keys_of(built, "date:2020-06..2021-02-10")) == expected(
        papers, lambda p: "2020-06-01" <= p.published <= "2021-02-10"
    )
    assert set(keys_of(built, "date:>=2023-07")) == expected(
        papers, lambda p: p.published >= "2023-07-01"
    )
    assert set(keys_of(built, "date:<2020")) == expected(papers, lambda p: p.published < "2020")


def test_personal_fields(built: SearchIndex, papers: list[Paper]) -> None:
    to_read = expected(papers, lambda p: "To Read" in p.tags)
    assert to_read
    for spelling in ('tag:"to read"', "tag:to-read", "tag:TO_READ", 'tag:"To  Read"'):
        assert set(keys_of(built, spelling)) == to_read, spelling
    assert set(keys_of(built, "is:bookmarked")) == expected(papers, lambda p: p.bookmarked)
    assert set(keys_of(built, "is:unread")) == expected(papers, lambda p: not p.read)
    assert set(keys_of(built, "is:read")) == expected(papers, lambda p: p.read)
    assert set(keys_of(built, "is:untitled")) == expected(papers, lambda p: p.untitled)
    assert set(keys_of(built, "is:tagged")) == expected(papers, lambda p: bool(p.tags))
    assert set(keys_of(built, "note:cafe")) == expected(papers, lambda p: "café" in p.note)
    assert set(keys_of(built, "is:noted")) == expected(papers, lambda p: bool(p.note))


def test_boolean_operators(built: SearchIndex, papers: list[Paper]) -> None:
    a = expected(papers, lambda p: has_word(p, "unlearning"))
    b = expected(papers, lambda p: has_word(p, "diffusion"))
    assert set(keys_of(built, "unlearning OR diffusion")) == a | b
    assert set(keys_of(built, "unlearning AND diffusion")) == a & b
    assert set(keys_of(built, "unlearning NOT diffusion")) == a - b
    assert set(keys_of(built, "unlearning -diffusion")) == a - b
    assert set(keys_of(built, "(unlearning OR diffusion) is:bookmarked")) == (a | b) & expected(
        papers, lambda p: p.bookmarked
    )
    everything = {p.key for p in papers}
    assert set(keys_of(built, "-unlearning")) == everything - a
    assert set(keys_of(built, "title:(unlearning OR diffusion)")) == expected(
        papers,
        lambda p: {stem_of("unlearning"), stem_of("diffusion")} & set(field_terms(p, "title")),
    )


def test_prefix_and_fuzzy(built: SearchIndex, papers: list[Paper]) -> None:
    retrieval = expected(papers, lambda p: has_word(p, "retrieval"))
    assert retrieval <= set(keys_of(built, "retr*"))
    assert retrieval <= set(keys_of(built, "retrival~"))
    assert retrieval <= set(keys_of(built, "retreival~2"))
    # While typing, the last word is also a prefix (from three letters on).
    typed = set(keys_of(built, "unlea", as_you_type=True))
    assert expected(papers, lambda p: has_word(p, "unlearning")) <= typed
    assert keys_of(built, "unlea") == []


def test_stemming_and_accent_folding(tmp_path: Path) -> None:
    papers = [
        Paper("a", "Un café à Paris", "x", False, "Résumé of naïve models."),
        Paper("b", "Running fast", "y", False, "The runner runs."),
    ]
    index = SearchIndex(tmp_path / "index")
    list(index.build(iter(papers), 2, seq=2))
    assert keys_of(index, "cafe") == ["a"]
    assert keys_of(index, "CAFÉ") == ["a"]
    assert keys_of(index, "resume naive model") == ["a"]
    assert keys_of(index, "run") == ["b"]


def test_title_match_outranks_abstract_only(tmp_path: Path) -> None:
    filler = "We study many things in detail across several settings and tasks. " * 3
    papers = [
        Paper("abstract-only", "A study of models", "x", False, filler + "Unlearning helps."),
        Paper("title", "Machine Unlearning in Practice", "y", False, filler + "Unlearning helps."),
        Paper("none", "Something else", "z", False, filler),
    ]
    index = SearchIndex(tmp_path / "index")
    list(index.build(iter(papers), 3, seq=3))
    assert keys_of(index, "unlearning") == ["title", "abstract-only"]


def test_ranking_on_sample_data_prefers_title_matches(
    built: SearchIndex, papers: list[Paper]
) -> None:
    hits = keys_of(built, "unlearning")
    in_title = {p.key for p in papers if stem_of("unlearning") in field_terms(p, "title")}
    first = hits[: len(in_title)]
    assert len(set(first) & in_title) >= 0.8 * len(in_title)


def test_restrict_keeps_only_given_keys(built: SearchIndex, papers: list[Paper]) -> None:
    keys = frozenset(p.key for p in papers[::4])
    result = built.search("model", restrict=keys, limit=10_000)
    want = expected(papers, lambda p: has_word(p, "model")) & keys
    assert {h.key for h in result.hits} == want
    assert result.total == len(want)
    assert built.search("", restrict=keys, limit=10_000).total == len(keys)
    assert built.search("model", restrict=frozenset()).total == 0


def test_paging(built: SearchIndex) -> None:
    whole = built.search("model", limit=10_000)
    page = built.search("model", limit=7, offset=5)
    assert [h.key for h in page.hits] == [h.key for h in whole.hits[5:12]]
    assert page.total == whole.total


def test_arxiv_id_or_url_finds_that_paper_first(built: SearchIndex, papers: list[Paper]) -> None:
    paper = next(p for p in papers if p.arxiv_id)
    for text in (
        paper.arxiv_id,
        f"arXiv:{paper.arxiv_id}v2",
        f"https://arxiv.org/abs/{paper.arxiv_id}",
        f"https://arxiv.org/pdf/{paper.arxiv_id}v1.pdf",
    ):
        result = built.search(text or "")
        assert result.hits and result.hits[0].key == paper.key, text


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("retrival", "retrieval"),
        ("langauge", "language"),
        ("halucination", "hallucination"),
        ("benchmakr", "benchmark"),
        ("unlerning", "unlearning"),
        ("efficeint", "efficient"),
        ("transfomer", "transformer"),
        ("architecure", "architecture"),
        ("diffusoin", "diffusion"),
    ],
)
def test_did_you_mean_real_misspellings(built: SearchIndex, typo: str, meant: str) -> None:
    assert built.suggest(typo) == meant
    result = built.search(typo)
    assert result.total < 3
    assert result.suggestion == meant


def test_did_you_mean_keeps_the_rest_of_the_query(built: SearchIndex) -> None:
    assert built.suggest("Retrival augmented generation") == "Retrieval augmented generation"
    assert built.suggest('title:langauge -"code generation"') == 'title:language -"code generation"'
    assert built.suggest("retrieval augmented generation") is None
    result = built.search("retrival augmentd generation")
    assert result.suggestion == "retrieval augmented generation"
    assert built.search("unlearning").suggestion is None


def test_suggestions_are_real_words_not_stems(built: SearchIndex) -> None:
    suggestion = built.suggest("studis")
    assert suggestion in {"studies", "study", "studied"}


def test_more_like_this(built: SearchIndex, papers: list[Paper]) -> None:
    paper = next(p for p in papers if "unlearning" in p.title.lower())
    hits = built.more_like(paper, limit=10)
    keys = [h.key for h in hits]
    assert paper.key not in keys
    assert len(keys) == 10
    by_key = {p.key: p for p in papers}
    on_topic = sum(has_word(by_key[k], "unlearning") for k in keys)
    assert on_topic >= 7


def test_more_like_this_from_a_key(built: SearchIndex, papers: list[Paper]) -> None:
    paper = next(p for p in papers if "unlearning" in p.title.lower())
    keys = [h.key for h in built.more_like(paper.key, limit=10)]
    assert paper.key not in keys and len(keys) == 10
    by_key = {p.key: p for p in papers}
    assert sum(has_word(by_key[k], "unlearning") for k in keys) >= 7
    assert built.more_like("no-such-key") == []


def test_more_like_this_after_an_update(tmp_path: Path, papers: list[Paper]) -> None:
    index = SearchIndex(tmp_path / "index")
    list(index.build(iter(papers), len(papers), seq=1))
    paper = next(p for p in papers if "unlearning" in p.title.lower())
    list(index.update([replace(paper, tags=("x",))], [], seq=2))  # now in its own segment
    keys = [h.key for h in index.more_like(paper.key, limit=10)]
    by_key = {p.key: p for p in papers}
    assert paper.key not in keys
    assert sum(has_word(by_key[k], "unlearning") for k in keys) >= 7


def test_update_changes_only_what_changed(tmp_path: Path, papers: list[Paper]) -> None:
    index = SearchIndex(tmp_path / "index")
    list(index.build(iter(papers), len(papers), seq=10))
    before = {q: keys_of(index, q) for q in ("model", "diffusion", "unlearning")}
    target = next(p for p in papers if has_word(p, "diffusion") and not has_word(p, "zebra"))
    changed = replace(target, abstract=target.abstract.replace("diffusion", "zebra") + " zebra")
    steps = list(index.update([changed], [], seq=11))
    assert steps[-1].phase == "done"
    assert index.synced_seq == 11
    assert index.doc_count() == len(papers)
    assert keys_of(index, "zebra") == [target.key]
    assert set(keys_of(index, "diffusion")) == set(before["diffusion"]) - (
        set() if has_word(changed, "diffusion") else {target.key}
    )
    assert set(keys_of(index, "unlearning")) == set(before["unlearning"])
    # Only one document was written: the live index grew by exactly one segment of one.
    ix = whoosh_index.open_dir(str(tmp_path / "index" / _current(tmp_path)), indexname="MAIN")
    sizes = sorted(s.doc_count_all() for s in ix._segments())
    assert sizes[0] == 1 and sum(sizes) == len(papers) + 1


def test_update_deletes_and_adds(tmp_path: Path, papers: list[Paper]) -> None:
    index = SearchIndex(tmp_path / "index")
    list(index.build(iter(papers[:300]), 300, seq=1))
    gone = papers[0]
    list(index.update(papers[300:], [gone.key], seq=2))
    assert index.doc_count() == len(papers) - 1
    assert gone.key not in keys_of(index, f"id:{gone.key}")
    want = expected(papers[1:], lambda p: has_word(p, "unlearning"))
    assert set(keys_of(index, "unlearning")) == want


def test_personal_data_update_is_visible(tmp_path: Path, papers: list[Paper]) -> None:
    index = SearchIndex(tmp_path / "index")
    list(index.build(iter(papers), len(papers), seq=1))
    paper = next(p for p in papers if not p.tags and not p.bookmarked and not p.read)
    assert paper.key not in keys_of(index, 'tag:"deep reading"')
    tagged = replace(paper, tags=("Deep Reading",), bookmarked=True, read=True, note="wow")
    list(index.update([tagged], [], seq=2))
    assert keys_of(index, 'tag:"deep reading"') == [paper.key]
    assert keys_of(index, "tag:deep-reading") == [paper.key]
    assert paper.key in keys_of(index, "is:bookmarked")
    assert paper.key in keys_of(index, "is:read")
    assert paper.key not in keys_of(index, "is:unread")
    assert keys_of(index, "note:wow") == [paper.key]
    # ...and undone again.
    list(index.update([paper], [], seq=3))
    assert keys_of(index, "tag:deep-reading") == []
    assert paper.key in keys_of(index, "is:unread")


def test_many_updates_stay_correct(tmp_path: Path, papers: list[Paper]) -> None:
    index = SearchIndex(tmp_path / "index")
    current = {p.key: p for p in papers}
    list(index.build(iter(papers), len(papers), seq=1))
    for step, paper in enumerate(papers[:40]):
        current[paper.key] = replace(paper, tags=(f"round {step % 3}",), bookmarked=step % 2 == 0)
        list(index.update([current[paper.key]], [], seq=step + 2))
    for r in range(3):
        want = {k for k, p in current.items() if f"round {r}" in p.tags}
        assert set(keys_of(index, f'tag:"round {r}"')) == want
    assert set(keys_of(index, "is:bookmarked")) == {k for k, p in current.items() if p.bookmarked}
    assert index.doc_count() == len(papers)
    assert set(keys_of(index, "unlearning")) == expected(
        list(current.values()), lambda p: has_word(p, "unlearning")
    )


def test_multi_segment_build_then_optimise(
    tmp_path: Path, papers: list[Paper], monkeypatch: pytest.MonkeyPatch
) -> None:
    from absreader.core.search import index as index_module

    monkeypatch.setattr(index_module, "FIRST_SEGMENT", 50)
    monkeypatch.setattr(index_module, "SEGMENT_SIZE", 100)
    index = SearchIndex(tmp_path / "index")
    phases = [s.phase for s in index.build(iter(papers), len(papers), seq=1)]
    assert "optimising" in phases
    ix = whoosh_index.open_dir(str(tmp_path / "index" / _current(tmp_path)), indexname="MAIN")
    assert len(ix._segments()) == 1
    for query in ("model", '"language models"', "unlearning diffusion", "tag:to-read"):
        assert set(keys_of(index, query)) == set(keys_of(_reference(tmp_path, papers), query))


def _reference(tmp_path: Path, papers: list[Paper]) -> SearchIndex:
    folder = tmp_path / "reference"
    index = SearchIndex(folder / "index")
    if index.state() != "ok":
        list(index.build(iter(papers), len(papers), seq=1))
    return index


def _current(tmp_path: Path) -> str:
    return (tmp_path / "index" / "CURRENT").read_text().strip()


def test_highlights_mark_stemmed_words(built: SearchIndex) -> None:
    paper = Paper(
        "h", "Modelling Models", "h", False, "A model, two models; the modeller modelled it."
    )
    spans = built.highlights(paper, "model")
    marked = [paper.abstract[s:e] for s, e in spans["abstract"]]
    assert marked == ["model", "models", "modeller", "modelled"]
    assert [paper.title[s:e] for s, e in spans["title"]] == ["Modelling", "Models"]


def test_highlights_phrase_accent_and_exclusion(built: SearchIndex) -> None:
    paper = Paper(
        "h", "Café culture", "h", False, "Large language models are large. Language models again."
    )
    spans = built.highlights(paper, '"language models" cafe -large')
    assert [paper.abstract[s:e] for s, e in spans["abstract"]] == [
        "language models",
        "Language models",
    ]
    assert [paper.title[s:e] for s, e in spans["title"]] == ["Café"]


def test_highlights_past_32k_characters(built: SearchIndex) -> None:
    filler = "lorem ipsum dolor sit amet " * 4000  # 108,000 characters
    abstract = filler + "the Unlearning step naïve ends here"
    paper = Paper("big", "", "big", True, abstract)
    spans = built.highlights(paper, "unlearning naive")
    assert len(abstract) > 100_000
    assert [abstract[s:e] for s, e in spans["abstract"]] == ["Unlearning", "naïve"]
    assert spans["title"] == []


def test_highlights_while_typing_use_prefixes(built: SearchIndex) -> None:
    paper = Paper("h", "Unlearning", "h", False, "Retrieval and retrievers.")
    spans = built.highlights(paper, "unlearning retri", as_you_type=True)
    assert [paper.abstract[s:e] for s, e in spans["abstract"]] == ["Retrieval", "retrievers"]


def test_long_query_is_cut_with_a_notice(built: SearchIndex) -> None:
    result = built.search("model " * 400)
    assert result.notice and "1,000 characters" in result.notice
    assert result.total > 0


@pytest.mark.parametrize(
    "query",
    ['"unclosed phrase', "((unlearning", "unlearning)))", "foo:bar unlearning", "date:2024-13",
     "is:sleepy", "AND OR NOT", "-", "*", "~", "title:", 'title:"', "\x00\x1b[31m", "(((((((((("],
)  # fmt: skip
def test_malformed_queries_fall_back(built: SearchIndex, query: str) -> None:
    result = built.search(query)
    assert result.total >= 0
    built.search(query, as_you_type=True)
    built.highlights(Paper("x", "t", "t", False, "a"), query)
    built.suggest(query)


def test_unknown_field_and_bad_date_become_words(built: SearchIndex, papers: list[Paper]) -> None:
    result = built.search("foo:unlearning")
    assert result.notice and "foo:" in result.notice
    assert built.search("date:2024-13").notice
    assert built.search("is:sleepy").notice


def test_evaluator_agrees_with_whoosh(built: SearchIndex) -> None:
    """Whoosh's own searcher on the same files returns the same documents."""
    folder = built.index_dir / (built.index_dir / "CURRENT").read_text().strip()
    ix = whoosh_index.open_dir(str(folder), indexname="MAIN")
    queries = [
        wq.Term("abstract", stem_of("unlearning")),
        wq.And([wq.Term("abstract", "model"), wq.Term("title", "languag")]),
        wq.Or([wq.Term("title", "diffus"), wq.Term("abstract", "retriev")]),
        wq.Phrase("abstract", ["larg", "languag", "model"]),
        wq.And([wq.Term("tag", normalise_tag("To Read")), wq.Not(wq.Term("is", "read"))]),
        wq.Term("author", "muller"),
    ]
    snapshot = built._open()
    from absreader.core.search import evaluate as index_eval

    with ix.searcher() as searcher:
        for q in queries:
            theirs = searcher.search(q, limit=None)
            total, ours = index_eval.search(snapshot, q, 10_000)
            assert total == len(theirs), q
            assert {snapshot.key_of(d) for d, _ in ours} == {hit["key"] for hit in theirs}, q
            if isinstance(q, wq.Term) and q.fieldname in ("abstract", "author"):
                scores = {hit["key"]: hit.score for hit in theirs}
                for doc, score in ours:
                    assert score == pytest.approx(scores[snapshot.key_of(doc)], rel=1e-4)


def test_evaluator_agrees_with_whoosh_after_updates(
    tmp_path: Path, papers: list[Paper], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several segments with deleted documents: still the same answers as Whoosh."""
    from absreader.core.search import evaluate as index_eval
    from absreader.core.search import index as index_module

    monkeypatch.setattr(index_module, "FIRST_SEGMENT", 120)
    monkeypatch.setattr(index_module, "SEGMENT_SIZE", 120)
    index = SearchIndex(tmp_path / "index")
    list(index.build(iter(papers[:400]), 400, seq=1))
    for step in range(6):
        batch = [replace(p, tags=(f"pass {step}",)) for p in papers[step * 7 : step * 7 + 5]]
        list(
            index.update(
                batch + papers[400 + step * 30 : 430 + step * 30],
                [papers[300 + step].key],
                2 + step,
            )
        )
    folder = tmp_path / "index" / _current(tmp_path)
    ix = whoosh_index.open_dir(str(folder), indexname="MAIN")
    assert len(ix._segments()) > 1
    snapshot = index._open()
    queries = [
        wq.Term("abstract", "model"),
        wq.Phrase("abstract", ["languag", "model"]),
        wq.And([wq.Term("tag", "pass-3"), wq.Term("abstract", "model")]),
        wq.Or([wq.Term("title", "diffus"), wq.Term("is", "unread")]),
    ]
    with ix.searcher() as searcher:
        for q in queries:
            theirs = {hit["key"] for hit in searcher.search(q, limit=None)}
            total, ours = index_eval.search(snapshot, q, 10_000)
            assert total == len(theirs), q
            assert {snapshot.key_of(d) for d, _ in ours} == theirs, q


def test_search_notice_mentions_nothing_for_ordinary_queries(built: SearchIndex) -> None:
    result = built.search("large language models")
    assert result.notice is None
    assert result.elapsed_ms >= 0
    assert all(re.match(r"^(t:|\d)", h.key) for h in result.hits)
