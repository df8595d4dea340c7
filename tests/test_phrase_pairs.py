"""Phrases answered from stored pair sets equal phrases checked position by position.

An index of the sample papers (plus one abstract longer than 16-bit positions)
is built in many segments, every one given its ``.absw`` pair file by the build
(with the size thresholds lowered, so the small sample has covered pairs).
Every phrase (each neighbouring pair of words in the papers, longer phrases,
pairs in the wrong order, phrases of stop words) is matched with the files
and with positions alone: the documents must be the same in every segment,
and searches must give the same totals, papers and scores. The test proves
it can fail: files derived with one document dropped from every set give
different answers. Foreign, damaged, truncated and missing files are ignored
(positions again), and ``absreader reindex --phrases`` gives an index built
without them its files.
"""

from __future__ import annotations

import shutil
from array import array
from collections import Counter
from pathlib import Path

import pytest
from whoosh import query as wq

from absreader.core.models import Paper
from absreader.core.search import evaluate as index_eval
from absreader.core.search import generations
from absreader.core.search import index as index_module
from absreader.core.search.format import pairs
from absreader.core.search.format.schema import MAX_POSITION, SCHEMA, analyse, words
from absreader.core.search.format.segments import SegmentData, open_storage
from absreader.core.search.format.write import SegmentBuilder
from absreader.core.search.index import SearchIndex
from absreader.core.search.pair_phrases import PairFiles
from absreader.core.search.query.parser import QueryBuilder
from absreader.core.search.vocabulary import Vocabulary
from test_index_support import sample_papers

LONG_KEY = "long-abstract"
STOP_PHRASES = ['"of the"', '"in this paper"', '"state of the art"', '"the model"', '"we propose a"']


def _long_paper() -> Paper:
    """An abstract past 16-bit positions, with common pairs before and after the cut."""
    filler = " ".join(["language model of the data"] * (MAX_POSITION // 5 + 400))
    text = f"large language models for the data. {filler} large language models and neural networks"
    title = "A very long abstract about language models"
    return Paper(key=LONG_KEY, title=title, display_title=title, untitled=False, abstract=text)


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return [*sample_papers(), _long_paper()]


def _lowered(patch: pytest.MonkeyPatch) -> None:
    """Pair files for every segment, and pairs stored from two candidates on."""
    patch.setattr(pairs, "MIN_DOCS", 1)
    patch.setattr(pairs, "MIN_CANDIDATES", 2)
    patch.setattr(pairs, "CANDIDATE_SHARE", 10**9)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, papers: list[Paper]) -> SearchIndex:
    patch = pytest.MonkeyPatch()
    size = max(4, len(papers) // 10)
    patch.setattr(index_module, "FIRST_SEGMENT", size)
    patch.setattr(index_module, "SEGMENT_SIZE", size)
    patch.setattr(generations, "MERGE_CAP", size)
    _lowered(patch)
    try:
        index = SearchIndex(tmp_path_factory.mktemp("pairs") / "index")
        list(index.build(iter(papers), len(papers), seq=1))
    finally:
        patch.undo()
    return index


def _folder(index: SearchIndex) -> Path:
    return index.index_dir / (index._current_name() or "")


def _phrases(papers: list[Paper]) -> list[str]:
    """Neighbouring word pairs (the common ones and a spread of the rest), longer phrases,
    reversed pairs and stop-word phrases."""
    counts: Counter[tuple[str, str]] = Counter()
    longer: list[str] = []
    for paper in papers:
        if paper.key == LONG_KEY:
            continue
        for text in (paper.title, paper.abstract):
            ws = words(text)
            counts.update(zip(ws, ws[1:], strict=False))
            if len(ws) > 8:
                longer.append(" ".join(ws[3:6]))
                longer.append(" ".join(ws[-5:-1]))
    common = [p for p, _ in counts.most_common(250)]
    rest = sorted(counts)[:: max(1, len(counts) // 250)]
    chosen = list(dict.fromkeys(common + rest))
    out = [f'"{a} {b}"' for a, b in chosen]
    out += [f'"{b} {a}"' for a, b in common[:80]]
    out += [f'"{t}"' for t in longer[::7][:120]]
    out += STOP_PHRASES + ['"large language models"', '"language model of the data"', "title:\"language models\""]
    return out


def _builder(papers: list[Paper]) -> QueryBuilder:
    counts: Counter[str] = Counter()
    for p in papers:
        counts.update(set((p.title + " " + p.abstract).lower().split()))
    return QueryBuilder(Vocabulary(dict(counts)))


def _masks(index: SearchIndex, queries: list[wq.Query]) -> list[list[int]]:
    """Every query's matching documents in every segment."""
    snap = index._open()
    out = []
    for q in queries:
        out.append([index_eval.SegmentSearch(snap, i).mask(q) for i in range(len(snap.segments))])
    return out


def _positions_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PairFiles, "get", lambda self, seg: None)


@pytest.fixture(scope="module")
def queries(papers: list[Paper]) -> list[wq.Query]:
    builder = _builder(papers)
    parsed = [builder.parse(text).query for text in _phrases(papers)]
    return [q for q in parsed if q is not wq.NullQuery]


@pytest.fixture(scope="module")
def exhaustive(built: SearchIndex, queries: list[wq.Query]) -> list[list[int]]:
    patch = pytest.MonkeyPatch()
    _positions_only(patch)
    try:
        return _masks(built, queries)
    finally:
        patch.undo()


def test_the_build_gives_every_segment_its_pair_file(built: SearchIndex) -> None:
    snap = built._open()
    assert len(snap.segments) >= 8
    folder = _folder(built)
    for seg in snap.segments:
        assert (folder / seg.segment.make_filename(pairs.PAIRS_EXT)).is_file()
        assert snap.pairs.get(seg) is not None
    # The long abstract is left out of the sets (its positions are capped) and listed.
    irregular = [
        snap.pairs.get(seg).irregular("abstract") for seg in snap.segments if LONG_KEY in seg.keys
    ]
    assert irregular and all(irregular)


def test_stored_pairs_match_positions_in_every_segment(
    built: SearchIndex, queries: list[wq.Query], exhaustive: list[list[int]]
) -> None:
    snap = built._open()
    before = snap.pairs.used
    answered = _masks(built, queries)
    assert snap.pairs.used - before > 500, "the pair files answered too few phrases to prove much"
    assert sum(1 for per_seg in exhaustive if any(per_seg)) > 300
    for q, got, want in zip(queries, answered, exhaustive, strict=True):
        assert got == want, q


def test_searches_match_positions(
    built: SearchIndex, papers: list[Paper], monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = _phrases(papers)[::5] + STOP_PHRASES
    with_files = [built.search(t, limit=40) for t in texts]
    _positions_only(monkeypatch)
    built._rankings.clear()
    for text, got in zip(texts, with_files, strict=True):
        want = built.search(text, limit=40)
        assert (got.total, got.strict_total) == (want.total, want.strict_total), text
        assert [(h.key, h.score) for h in got.hits] == [(h.key, h.score) for h in want.hits], text


def _copy(index: SearchIndex, tmp_path: Path) -> SearchIndex:
    target = tmp_path / "index"
    shutil.copytree(index.index_dir, target)
    return SearchIndex(target)


def _pair_files(index: SearchIndex) -> list[Path]:
    return sorted(_folder(index).glob(f"*{pairs.PAIRS_EXT}"))


def test_wrong_pair_sets_would_be_caught(
    built: SearchIndex,
    queries: list[wq.Query],
    exhaustive: list[list[int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copy = _copy(built, tmp_path)
    for path in _pair_files(copy):
        path.unlink()
    real = pairs.derive

    def one_short(seg, field, least):  # noqa: ANN001, ANN202 - the patched signature
        terms, irregular, found = real(seg, field, least)
        return terms, irregular, {k: array("I", sorted(set(v))[:-1]) for k, v in found.items()}

    monkeypatch.setattr(pairs, "derive", one_short)
    _lowered(monkeypatch)
    list(copy.add_phrase_pairs())
    assert copy.pairs_written == len(copy._open().segments)
    wrong = _masks(copy, queries)
    assert sum(got != want for got, want in zip(wrong, exhaustive, strict=True)) > 50


def test_foreign_damaged_or_missing_files_fall_back_to_positions(
    built: SearchIndex,
    queries: list[wq.Query],
    exhaustive: list[list[int]],
    tmp_path: Path,
) -> None:
    copy = _copy(built, tmp_path)
    files = _pair_files(copy)
    assert len(files) >= 8
    # Another segment's file under this one's name; a truncated header; garbage; the
    # data of every set overwritten (the CRCs catch it); one file missing.
    shutil.copyfile(files[1], files[0])
    files[2].write_bytes(files[2].read_bytes()[:40])
    files[3].write_bytes(b"ABQ1" + b"\xff" * 500)
    data = bytearray(files[4].read_bytes())
    start = 12 + int.from_bytes(data[4:12], "little")
    data[start:] = bytes(len(data) - start)
    files[4].write_bytes(bytes(data))
    files[5].unlink()
    snap = copy._open()
    by_name = {seg.segment.make_filename(pairs.PAIRS_EXT): seg for seg in snap.segments}
    for path in (files[0], files[2], files[3], files[5]):
        assert snap.pairs.get(by_name[path.name]) is None, path.name
    assert snap.pairs.get(by_name[files[4].name]) is not None  # its header reads; its sets do not
    assert _masks(copy, queries) == exhaustive
    assert snap.pairs.used > 0  # the intact files still answered


def test_reindex_phrases_adds_the_files_an_older_index_lacks(
    sample, sample_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = sample("search", '"language model"', "--json").json()
    folder = next(p for p in (sample_home / "cache" / "index").iterdir() if p.is_dir())
    assert not list(folder.glob(f"*{pairs.PAIRS_EXT}"))  # the sample's segment is small
    _lowered(monkeypatch)
    done = sample("reindex", "--phrases")
    assert done.code == 0, done.err
    assert "stored word pairs for 1 segments" in done.out
    assert list(folder.glob(f"*{pairs.PAIRS_EXT}"))
    assert sample("search", '"language model"', "--json").json() == before
    again = sample("reindex", "--phrases")
    assert "stored word pairs for 0 segments" in again.out
    # The plain form (one kind of derived file among others): the count written.
    assert pairs.backfill(folder) == 0
    for path in folder.glob(f"*{pairs.PAIRS_EXT}"):
        path.unlink()
    assert pairs.backfill(folder) == 1


@pytest.mark.parametrize("spill_every", [None, 1, 7, 250])
def test_a_builds_own_pair_file_is_the_one_derived_from_positions(
    tmp_path: Path, papers: list[Paper], monkeypatch: pytest.MonkeyPatch, spill_every: int | None
) -> None:
    """A build worker writes its segment's pairs from the papers' term sequences (spilled
    like its postings); the file must be byte for byte what ``write_pairs`` derives from
    the stored positions of the same segment (the long abstract is left out of both)."""
    _lowered(monkeypatch)
    storage = open_storage(tmp_path, create=True)
    builder = SegmentBuilder(storage, SCHEMA, None, spill_every=spill_every, pairs=True)
    for paper in papers:
        builder.add(analyse(paper))
    segment = builder.finish()
    assert segment is not None
    path = tmp_path / segment.make_filename(pairs.PAIRS_EXT)
    own = path.read_bytes()
    path.unlink()
    seg = SegmentData(storage, segment, eager=False)
    try:
        stored = pairs.write_pairs(storage, seg)
        sets = pairs.PairSets.open(storage, segment)
        assert sets is not None and len(sets.fields["abstract"].irregular) == 1
        sets.close()
    finally:
        seg.close()
    assert stored > 1000
    assert path.read_bytes() == own
    assert not list(tmp_path.glob("*.spill.tmp"))  # the spilled streams are gone
