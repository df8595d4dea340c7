"""The evaluator against Whoosh's own searcher, over an index Whoosh itself wrote.

Random small corpora go through absreader's build (its writer, its segments)
and, separately, through Whoosh's ``ix.writer()`` with the same schema. Random
query trees (words, prefixes, phrases, fields, negations, nested AND/OR, built
by absreader's query builder) then must give exactly the same documents, and
the same top 20 with the same scores (except under ``NOT``, which Whoosh
scores as a constant), from ``index_eval.search`` and from Whoosh's
``searcher.search(q, limit=None)``; also with ``EXACT_LIMIT`` forced low, so
large result sets take the approximate (candidates) path.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh import query as wq

from absreader.core.models import Paper
from absreader.core.search import evaluate as index_eval
from absreader.core.search.format.schema import make_schema
from absreader.core.search.index import SearchIndex
from absreader.core.search.query.parser import QueryBuilder
from absreader.core.search.vocabulary import Vocabulary

WORDS = [
    "model", "models", "learning", "learned", "network", "graph", "graphs", "retrieval",
    "retrieve", "vision", "language", "languages", "diffusion", "robust", "robustness",
    "sparse", "attention", "training", "trained", "data", "kernel", "kernels", "proof",
]
AUTHORS = ["ana muller", "wei zhang", "kenji tanaka", "olga ivanova"]


def _text(draw: st.DrawFn, low: int, high: int) -> str:
    return " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=low, max_size=high)))


@st.composite
def corpora(draw: st.DrawFn) -> list[Paper]:
    count = draw(st.integers(min_value=3, max_value=45))
    papers = []
    for i in range(count):
        title = _text(draw, 0, 6)
        papers.append(
            Paper(
                key=f"p{i:03d}",
                title=title,
                display_title=title or f"p{i}",
                untitled=not title,
                abstract=_text(draw, 1, 40),
                authors=tuple(draw(st.lists(st.sampled_from(AUTHORS), max_size=2, unique=True))),
            )
        )
    return papers


ATOMS = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(WORDS).map(lambda w: w[:4] + "*"),
    st.sampled_from(WORDS).map(lambda w: "title:" + w),
    st.sampled_from(WORDS).map(lambda w: "abstract:" + w),
    st.sampled_from(["author:muller", "author:zhang", "by:tanaka"]),
    st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS)).map(lambda p: f'"{p[0]} {p[1]}"'),
)


@st.composite
def queries(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["atom", "atom", "not", "and", "or"] if depth < 2 else ["atom"]))
    if kind == "atom":
        return draw(ATOMS)
    if kind == "not":
        return "-" + draw(ATOMS)
    parts = draw(st.lists(queries(depth + 1), min_size=2, max_size=3))
    joined = f" {kind.upper()} ".join(parts)
    return f"({joined})" if depth else joined


def _build_both(tmp: Path, papers: list[Paper]) -> tuple[SearchIndex, object]:
    ours = SearchIndex(tmp / "ours")
    list(ours.build(iter(papers), len(papers), seq=1))
    theirs_dir = tmp / "whoosh"
    theirs_dir.mkdir()
    ix = whoosh_index.create_in(str(theirs_dir), make_schema())
    with ix.writer() as w:
        for p in papers:
            w.add_document(
                key=p.key,
                title=p.title,
                abstract=p.abstract,
                author=" ".join(p.authors),
            )
    return ours, ix


def _scored_normally(q: wq.Query) -> bool:
    """Trees both engines score alike: Whoosh gives documents a ``NOT`` matched a constant."""
    return not any(isinstance(n, (wq.Not, wq.AndMaybe, wq.Every)) for n in _nodes(q))


def _nodes(q: wq.Query) -> list[wq.Query]:
    out = [q]
    for child in q.children():
        out.extend(_nodes(child))
    return out


@pytest.mark.parametrize("exact_limit", [index_eval.EXACT_LIMIT, 1])
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(papers=corpora(), texts=st.lists(queries(), min_size=1, max_size=6))
def test_evaluator_matches_whoosh(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    exact_limit: int,
    papers: list[Paper],
    texts: list[str],
) -> None:
    monkeypatch.setattr(index_eval, "EXACT_LIMIT", exact_limit)
    ours, ix = _build_both(tmp_path_factory.mktemp("eq"), papers)
    counts: dict[str, int] = {}
    for p in papers:
        for w in set((p.title + " " + p.abstract).split()):
            counts[w] = counts.get(w, 0) + 1
    builder = QueryBuilder(Vocabulary(counts))
    snapshot = ours._open()
    try:
        with ix.searcher() as searcher:  # type: ignore[attr-defined]
            for text in texts:
                q = builder.parse(text).query
                if q is wq.NullQuery:
                    continue
                theirs = searcher.search(q, limit=None)
                total, mine = index_eval.search(snapshot, q, 20)
                their_keys = {hit["key"] for hit in theirs}
                full_total, full = index_eval.search(snapshot, q, 10_000)
                assert total == full_total == len(their_keys), (text, q)
                assert {snapshot.key_of(d) for d, _ in full} == their_keys, (text, q)
                if not _scored_normally(q):
                    continue
                their_top = [(hit["key"], hit.score) for hit in theirs][:20]
                assert len(mine) == len(their_top)
                for (doc, score), (key, their_score) in zip(mine, their_top, strict=True):
                    assert score == pytest.approx(their_score, rel=1e-4, abs=1e-6), (text, q)
                    tied = sum(1 for _, s in their_top if s == pytest.approx(their_score, rel=1e-6))
                    if tied == 1:
                        assert snapshot.key_of(doc) == key, (text, q)
    finally:
        ours.close()
        ix.close()  # type: ignore[attr-defined]


def test_the_term_index_writer_writes_whooshs_bytes(tmp_path: Path) -> None:
    """``TermIndexWriter`` against Whoosh's ``OrderedHashWriter``: the same file, byte for
    byte, past 64 KiB (where Whoosh widens its index array), and it reads back."""
    import random

    from whoosh.filedb.filestore import FileStorage
    from whoosh.filedb.filetables import OrderedHashReader, OrderedHashWriter

    from absreader.core.search.format.term_index import TermIndexWriter

    rng = random.Random(7)
    keys = sorted(
        {bytes([0, rng.randrange(3)]) + "".join(rng.choices("abcdéz0", k=rng.randrange(1, 14))).encode() for _ in range(6000)}
    )
    values = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40))) for _ in keys]
    storage = FileStorage(str(tmp_path))
    for name, cls in (("whoosh", OrderedHashWriter), ("ours", TermIndexWriter)):
        writer = cls(storage.create_file(name))
        writer.extras["fieldmap"] = {"title": 0}
        for key, value in zip(keys, values, strict=True):
            writer.add(key, value)
        with pytest.raises(ValueError):
            writer.add(keys[0], b"")  # keys must increase
        writer.close()
    ours = (tmp_path / "ours").read_bytes()
    assert ours == (tmp_path / "whoosh").read_bytes()
    assert len(ours) > 1 << 17
    reader = OrderedHashReader.open(storage, "ours")
    for i in range(0, len(keys), 97):
        assert reader[keys[i]] == values[i]
    assert reader.closest_key(keys[len(keys) // 2]) == keys[len(keys) // 2]
    reader.close()
