"""Derived per-segment files answer exactly what the segments themselves answer.

The stored term frequencies (``.abst``) and five-letter prefix sets
(``.absq``) are made from a segment after it is written. An index of the
sample papers is built in several segments with nearly every term "frequent"
(a stored bitmap, so a stored frequency list too). The same searches are run
on it and on a copy without the files: same totals, the same papers in the
same order, the same scores. Files that say one more occurrence than the
truth must rank differently, and a five-letter prefix must be answered
without OR-ing terms (the files are really read); damaged files and a
backfill of an index that lacks them leave the answers unchanged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from absreader.core.models import Paper
from absreader.core.search import evaluate, generations, sidecars
from absreader.core.search import index as index_module
from absreader.core.search.format import frequencies, long_prefixes, write
from absreader.core.search.format.prefixes import PrefixSets
from absreader.core.search.format.segments import SegmentData, open_storage, read_toc
from absreader.core.search.index import SearchIndex
from test_index_support import sample_papers

QUERIES = [
    "model", "language model", "neural network training", "graph", "diffusion models",
    "vision transformer", "learning", "data", "title:model", "author:zhang", "mod", "lan",
    "trans", "network tra", "large language m", '"language model"', "model -language",
    "inter", "learn", "netwo", "model gener", "repre", "atten", "deep learn",
]  # fmt: skip
SIDECARS = (frequencies.FREQ_EXT, long_prefixes.LONG_EXT)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    papers: list[Paper] = sample_papers()
    folder = tmp_path_factory.mktemp("freqs") / "index"
    patch = pytest.MonkeyPatch()
    size = max(4, len(papers) // 4)
    patch.setattr(index_module, "FIRST_SEGMENT", size)
    patch.setattr(index_module, "SEGMENT_SIZE", size)
    patch.setattr(generations, "MERGE_CAP", size)
    patch.setattr(write, "bitmap_threshold", lambda doc_count: 2)  # nearly every term frequent
    try:
        list(SearchIndex(folder).build(iter(papers), len(papers), seq=1))
    finally:
        patch.undo()
    sidecars.backfill(_live(folder))  # what the reader's background child adds after a build
    return folder


def _live(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text().strip()


def _answers(index_dir: Path) -> dict[tuple[str, bool], tuple]:
    index = SearchIndex(index_dir)
    try:
        out = {}
        for text in QUERIES:
            for typing in (False, True):
                r = index.search(text, limit=60, as_you_type=typing)
                out[(text, typing)] = (r.total, r.strict_total, [(h.key, h.score) for h in r.hits])
        return out
    finally:
        index.close()


def _copy(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(built, target)
    return target


def _abst_files(index_dir: Path, exts: tuple[str, ...] = SIDECARS) -> list[Path]:
    return sorted(p for ext in exts for p in _live(index_dir).glob(f"*{ext}"))


def test_a_build_writes_one_file_per_segment(built: Path) -> None:
    segments = read_toc(open_storage(_live(built))).segments
    assert len(segments) >= 3
    for ext in SIDECARS:
        assert len(_abst_files(built, (ext,))) == len(segments)


def test_five_letter_prefixes_are_read_from_the_files(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _answers(built)
    scanned: set[tuple[str, str, str]] = set()
    original = evaluate.scan_union

    def scan(seg, field, prefix):  # noqa: ANN001, ANN202
        scanned.add((seg.segment.segment_id(), field, prefix))
        return original(seg, field, prefix)

    monkeypatch.setattr(evaluate, "scan_union", scan)
    assert _answers(built) == expected
    storage = open_storage(_live(built))
    held = set()
    for segment in read_toc(storage).segments:
        seg = SegmentData(storage, segment, eager=False)
        sets = PrefixSets.open(storage, seg, long_prefixes.LONG_EXT)
        assert sets is not None
        for text in QUERIES:
            for field in ("title", "abstract", "author"):
                if len(text) == 5 and sets.get(field, text) is not None:
                    held.add((segment.segment_id(), field, text))
        sets.close()
        seg.close()
    assert len(held) >= 5  # the test is about something
    assert not held & scanned  # what the files hold, no search OR-ed terms for
    assert any(len(prefix) == 5 for _, _, prefix in scanned)  # the rest still is


def test_stored_frequencies_rank_as_the_posting_lists(built: Path, tmp_path: Path) -> None:
    bare = _copy(built, tmp_path)
    for path in _abst_files(bare):
        path.unlink()
    with_files, without = _answers(built), _answers(bare)
    assert with_files == without
    assert sum(len(hits) for _, _, hits in with_files.values()) > 200


def test_the_files_are_read(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files that count one occurrence too many for every listed document change the scores."""
    original = frequencies.StoredFrequencies.get

    def inflated(self: frequencies.StoredFrequencies, field: str, term: str):  # noqa: ANN202
        got = original(self, field, term)
        if got is None:
            return None
        ids, tfs = got
        return ids, [t + 1 for t in tfs]

    honest = _answers(built)
    monkeypatch.setattr(frequencies.StoredFrequencies, "get", inflated)
    assert _answers(built) != honest


def test_backfill_gives_an_older_index_the_files(built: Path, tmp_path: Path) -> None:
    older = _copy(built, tmp_path)
    for path in _abst_files(older):
        path.unlink()
    expected = {p.name: p.read_bytes() for p in _abst_files(built)}
    assert sidecars.missing(_live(older)) and not sidecars.missing(_live(built))
    child = SearchIndex(older).start_sidecars()  # what the reader starts after its sync
    assert child is not None and child.wait(timeout=120) == 0
    assert {p.name: p.read_bytes() for p in _abst_files(older)} == expected
    assert not sidecars.missing(_live(older))
    assert SearchIndex(older).start_sidecars() is None  # nothing left to write
    assert sidecars.backfill(_live(older)) == 0


def test_command_backfills(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    older = _copy(built, tmp_path)
    for path in _abst_files(older):
        path.unlink()
    assert sidecars.main([str(_live(older))]) == 0
    segments = len(_abst_files(built, (frequencies.FREQ_EXT,)))
    assert f"{segments} segment(s) given their derived files" in capsys.readouterr().out
    assert {p.name for p in _abst_files(older)} == {p.name for p in _abst_files(built)}
    assert sidecars.main([str(tmp_path / "nowhere")]) == 2
    assert "usage" in capsys.readouterr().err


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_damaged_files_only_cost_time(built: Path, tmp_path: Path, damage: str) -> None:
    spoiled = _copy(built, tmp_path)
    for path in _abst_files(spoiled):
        data = path.read_bytes()
        if damage == "truncated":
            path.write_bytes(data[: len(data) * 2 // 3])
        elif damage == "garbage":
            path.write_bytes(bytes(reversed(data)))
        else:
            path.write_bytes(b"")
    assert _answers(spoiled) == _answers(built)
