"""Stored best documents of typed prefixes (``.absk``) rank exactly what scoring every match ranks.

An index of the sample papers is built in several segments, and its
prefix-tops files are derived with the thresholds lowered (every prefix
with a few matches is stored, a few documents each) and a page of a few
papers, so that the stored path answers. Typed prefixes (and a few other
queries, which must not use the files) are ranked three ways: with the
files, without them, and by scoring every match. Totals, papers, order and
scores must agree with exhaustive scoring wherever the files answered, and
they must have answered often (or the test proves nothing). A file whose
stored documents are wrong ranks differently (it is read and trusted);
damaged, foreign and missing files are not used and change nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from whoosh import query as wq

from absreader.core.models import Paper
from absreader.core.search import evaluate, generations, prefix_terms, prefix_tops, sidecars
from absreader.core.search import index as index_module
from absreader.core.search.format import prefix_tops as tops_format
from absreader.core.search.format.segments import SegmentData, open_storage, read_toc
from absreader.core.search.index import DEFAULT_RANKING
from absreader.core.search.query.parser import QueryBuilder
from absreader.core.search.vocabulary import Vocabulary
from test_index_support import sample_papers

PREFIXES = ["mod", "lan", "tra", "net", "lea", "gra", "dat", "pre", "mode", "lang", "trai",
            "netw", "lear", "repr", "inte", "learn", "model", "trans", "atten", "gener", "dif"]  # fmt: skip
OTHERS = ["model", "network tra", "large language m", "graph learning", "model -language"]
K = 5
#: The real stored paths (the tests replace them with spies): from the file alone, and
#: with the terms looked up.
_PATHS = {"stored_top": prefix_tops.stored_top, "top": prefix_tops.top}


def _spy(monkeypatch: pytest.MonkeyPatch, used: bool, answered: list[str] | None = None) -> None:
    """Route the stored paths through counters (``used`` False: the files are not used)."""
    for name, real in _PATHS.items():

        def spy(*args: object, _real: object = real, _name: str = name, **kwargs: object) -> object:
            if not used:
                return None
            found = _real(*args, **kwargs)  # type: ignore[operator]
            if answered is not None and found is not None:
                answered.append(_name)
            return found

        monkeypatch.setattr(evaluate.prefix_tops, name, spy)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    papers: list[Paper] = sample_papers()
    folder = tmp_path_factory.mktemp("tops") / "index"
    patch = pytest.MonkeyPatch()
    size = max(4, len(papers) // 5)
    patch.setattr(index_module, "FIRST_SEGMENT", size)
    patch.setattr(index_module, "SEGMENT_SIZE", size)
    patch.setattr(generations, "MERGE_CAP", size)
    try:
        list(index_module.SearchIndex(folder).build(iter(papers), len(papers), seq=1))
    finally:
        patch.undo()
    live = _live(folder)
    assert not list(live.glob(f"*{tops_format.TOPS_EXT}"))  # a build leaves them to the reader's child
    _derive(live)
    return folder


def _derive(live: Path, keep: int = 12) -> None:
    patch = pytest.MonkeyPatch()
    patch.setattr(tops_format, "MIN_MATCHES", 6)
    patch.setattr(tops_format, "KEEP", keep)
    try:
        storage = open_storage(live)
        for segment in read_toc(storage).segments:
            seg = SegmentData(storage, segment, eager=False)
            try:
                prefix_terms.write_for(storage, seg)
            finally:
                seg.close()
    finally:
        patch.undo()


def _live(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text().strip()


def _copy(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(built, target)
    return target


def _snapshot(index_dir: Path) -> evaluate.Snapshot:
    storage = open_storage(_live(index_dir))
    toc = read_toc(storage)
    return evaluate.Snapshot(storage, toc.segments, toc.generation)


def _rank(
    index_dir: Path,
    texts: list[str],
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    answered: list[str] | None = None,
    apart: int = 0,
) -> dict[str, tuple]:
    """Each text typed, ranked ``K`` deep: ``files`` (the stored path), ``without`` or ``exhaustive``.

    ``apart``: documents of rare terms scored besides the stored ones (at this size every
    term is rare, so by default none: the stored documents and bound do all the work).
    """
    monkeypatch.setattr(prefix_tops, "UNCOVERED_LIMIT", apart)
    vocab = Vocabulary.load(_live(index_dir))
    builder = QueryBuilder(vocab)
    monkeypatch.setattr(evaluate, "EXACT_LIMIT", 10**9 if mode == "exhaustive" else 3)
    monkeypatch.setattr(evaluate, "LENGTH_CANDIDATES", 2)
    _spy(monkeypatch, mode == "files", answered)
    snap = _snapshot(index_dir)
    try:
        out = {}
        for text in texts:
            parsed = builder.parse(text, as_you_type=True)
            tiers = [parsed.query] + ([parsed.relaxed] if parsed.relaxed is not None else [])
            if tiers[0] is wq.NullQuery:
                continue
            out[text] = evaluate.search_tiers(snap, tiers, K, ranking=DEFAULT_RANKING, pooled=True)
        return out
    finally:
        snap.close()


def test_every_segment_has_a_file_with_prefixes(built: Path) -> None:
    storage = open_storage(_live(built))
    segments = read_toc(storage).segments
    assert len(segments) >= 4
    stored = 0
    for segment in segments:
        tops = tops_format.PrefixTops.open(_live(built), segment)
        assert tops is not None
        stored += sum(tops.get(p) is not None for p in PREFIXES)
        tops.close()
    assert stored >= 3 * len(segments)


@pytest.mark.parametrize("apart", [0, 40, 2000])
def test_stored_tops_rank_what_exhaustive_scoring_ranks(
    built: Path, monkeypatch: pytest.MonkeyPatch, apart: int
) -> None:
    answered: list[str] = []
    files = _rank(built, PREFIXES + OTHERS, monkeypatch, "files", answered, apart)
    exhaustive = _rank(built, PREFIXES + OTHERS, monkeypatch, "exhaustive")
    for text in PREFIXES:
        assert files[text] == exhaustive[text], text
    assert len(answered) >= len(PREFIXES)  # the stored paths answered, segment by segment
    assert "stored_top" in answered  # ... from the file alone too
    without = _rank(built, OTHERS, monkeypatch, "without")
    for text in OTHERS:  # not a typed prefix alone: the files change nothing
        assert files[text] == without[text], text


def test_the_files_are_read_and_trusted(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file listing the second-best documents, and claiming the rest score nothing, is
    believed: the page changes (so the files are read, and what they say is used)."""
    index_dir = _copy(built, tmp_path)
    live = _live(index_dir)
    original = tops_format.derive

    def wrong(seg: SegmentData, vocab: Vocabulary, terms_of: tops_format.TermsOf) -> dict:
        out = {}
        for prefix, (terms, dfs, ids, values, _, *rest) in original(seg, vocab, terms_of).items():
            out[prefix] = (terms, dfs, ids[12:], values[12:], 1e-9, *rest)  # the best twelve left out
        return out

    monkeypatch.setattr(tops_format, "derive", wrong)
    _derive(live, keep=24)
    monkeypatch.undo()
    truth = _rank(built, PREFIXES, monkeypatch, "exhaustive")
    told = _rank(index_dir, PREFIXES, monkeypatch, "files")
    assert sum(told[t] != truth[t] for t in PREFIXES) >= 3


@pytest.mark.parametrize("damage", ["garbage", "truncated", "entries", "foreign", "missing"])
def test_damaged_or_foreign_files_are_not_used(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    index_dir = _copy(built, tmp_path)
    live = _live(index_dir)
    files = sorted(live.glob(f"*{tops_format.TOPS_EXT}"))
    assert len(files) >= 4
    for j, path in enumerate(files):
        data = path.read_bytes()
        if damage == "garbage":
            path.write_bytes(b"\x00junk" * 50)
        elif damage == "truncated":  # the header reads, the entries are cut off
            head = 12 + int.from_bytes(data[4:12], "little")
            path.write_bytes(data[: head + 10])
        elif damage == "entries":  # the header reads, every entry's bytes are flipped
            head = 12 + int.from_bytes(data[4:12], "little")
            path.write_bytes(data[:head] + bytes(b ^ 0x5A for b in data[head:]))
        elif damage == "foreign":
            shutil.copyfile(files[(j + 1) % len(files)], path.with_suffix(".swap"))
        else:
            path.unlink()
    if damage == "foreign":
        for path in files:
            path.with_suffix(".swap").replace(path)
    answered: list[str] = []
    damaged = _rank(index_dir, PREFIXES, monkeypatch, "files", answered)
    without = _rank(built, PREFIXES, monkeypatch, "without")
    assert answered == []
    assert damaged == without


def test_search_index_pages_agree_with_and_without_files(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through ``SearchIndex.search`` (the reader's call), a page of ``K``: same hits, totals, scores."""
    monkeypatch.setattr(index_module, "PAGE_DEPTH", K)
    monkeypatch.setattr(evaluate, "EXACT_LIMIT", 3)
    bare = _copy(built, tmp_path)
    for path in _live(bare).glob(f"*{tops_format.TOPS_EXT}"):
        path.unlink()
    answered: list[str] = []
    _spy(monkeypatch, True, answered)
    pages = {}
    for name, folder in (("files", built), ("bare", bare)):
        index = index_module.SearchIndex(folder)
        try:
            pages[name] = [
                (r.total, [h.key for h in r.hits])
                for r in (index.search(t, limit=K, as_you_type=True) for t in PREFIXES)
            ]
        finally:
            index.close()
    assert answered
    assert [t for t, _ in pages["files"]] == [t for t, _ in pages["bare"]]  # totals stay exact


def test_backfill_writes_the_missing_files(built: Path, tmp_path: Path) -> None:
    index_dir = _copy(built, tmp_path)
    live = _live(index_dir)
    for path in live.glob(f"*{tops_format.TOPS_EXT}"):
        path.unlink()
    assert sidecars.missing(live)
    sidecars.backfill(live)
    assert not sidecars.missing(live)
    assert len(list(live.glob(f"*{tops_format.TOPS_EXT}"))) == len(read_toc(open_storage(live)).segments)

