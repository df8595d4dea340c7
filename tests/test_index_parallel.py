"""A full build on two cores finds what a one-process build finds, segment caps respected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from absreader.core.catalog import Catalog
from absreader.core.search import build_parallel, generations
from absreader.core.search import index as index_module
from absreader.core.search.build_parallel import WORKERS_ENV, plan_runs
from absreader.core.search.vocabulary import Vocabulary
from absreader.paths import get_paths

QUERIES = ["model", '"language models"', "unlearning diffusion", "vision -model", "title:diffusion",
           "tag:zz-later", "is:bookmarked", "author:wang", "cat:cs", ""]  # fmt: skip


def _segments(index_dir: Path) -> list:
    current = (index_dir / "CURRENT").read_text().strip()
    return whoosh_index.open_dir(str(index_dir / current), indexname="MAIN")._segments()


def _vocabulary(index_dir: Path) -> tuple[list[str], list[int], bytes | None]:
    vocab = Vocabulary.load(index_dir / (index_dir / "CURRENT").read_text().strip())
    words = vocab.sorted_words()
    return words, [vocab.count(w) for w in words], vocab.shared_lengths()


def _keys(catalog: Catalog, query: str, **kw: object) -> list[str]:
    return [h.key for h in catalog.index.search(query, limit=10_000, **kw).hits]  # type: ignore[arg-type]


def test_plan_cuts_the_library_into_a_first_run_and_capped_runs() -> None:
    ids = list(range(10, 10 + 1000 * 3, 3))  # row ids with gaps
    runs = plan_runs(lambda n: ids[n - 1] if n <= len(ids) else None, len(ids), first=50, cap=300)
    assert [r.papers for r in runs] == [50, 300, 300, 300, 50]
    assert runs[0].after == 0 and runs[-1].until is None
    for before, after in zip(runs, runs[1:], strict=False):
        assert before.until == after.after
    inside = [[i for i in ids if r.after < i and (r.until is None or i <= r.until)] for r in runs]
    assert [len(x) for x in inside] == [r.papers for r in runs]


def test_a_two_worker_build_answers_as_the_one_process_build(
    sample_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home_one = tmp_path / "one"
    shutil.copytree(sample_home, home_one)
    paths_two = get_paths({"ABSREADER_HOME": str(sample_home)})
    two = Catalog.open(paths_two)
    keys = [p.key for p in two.iter_papers()]
    two.add_tags(keys[3], ["zz-later"])
    two.set_bookmarked(keys[400])
    one = Catalog.open(get_paths({"ABSREADER_HOME": str(home_one)}))
    one.add_tags(keys[3], ["zz-later"])
    one.set_bookmarked(keys[400])
    try:
        monkeypatch.setenv(WORKERS_ENV, "1")
        list(one.rebuild_index())
        assert len(_segments(one.paths.index_dir)) == 1

        monkeypatch.setenv(WORKERS_ENV, "2")
        monkeypatch.setattr(build_parallel, "PARALLEL_FROM", 100)
        monkeypatch.setattr(index_module, "FIRST_SEGMENT", 40)
        monkeypatch.setattr(index_module, "SEGMENT_SIZE", 100)
        monkeypatch.setattr(generations, "MERGE_CAP", 250)
        events = list(two.rebuild_index())
        assert events[-1].phase == "done" and events[-1].done == len(keys)
        segments = _segments(two.paths.index_dir)
        sizes = [s.doc_count_all() for s in segments]
        assert sizes[0] == 40 and all(size <= 250 for size in sizes) and sum(sizes) == len(keys)
        assert len(segments) == 1 + -(-(len(keys) - 40) // 250)
        leftovers = [p.name for p in two.paths.index_dir.rglob("*.tmp")]
        assert leftovers == []
        assert two.index_state() == "ok" and two.index.doc_count() == len(keys)
        assert two.index.synced_seq == two.current_seq()
        for query in QUERIES:
            assert sorted(_keys(two, query)) == sorted(_keys(one, query)), query
        assert _keys(two, "tag:zz-later") == [keys[3]]
        assert sorted(_keys(two, "diffu", as_you_type=True)) == sorted(_keys(one, "diffu", as_you_type=True))
        assert two.index.suggest("transfomer") == one.index.suggest("transfomer")
        # The parent merged the runs' word files: the same words, counts and stem lengths.
        words, counts, shared = _vocabulary(two.paths.index_dir)
        assert (words, counts, shared) == _vocabulary(one.paths.index_dir)
        assert len(words) > 1000 and shared is not None
        for key in keys[::97]:  # "more like this" works from every segment's signatures
            assert two.index.more_like(key, 5), key
    finally:
        one.close()
        two.close()


def test_a_library_smaller_than_a_merged_segment_builds_in_workers_too(
    sample_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From ``PARALLEL_FROM`` papers a build is a first small run and one spilled segment
    of the rest (no segments written and merged again), and it answers as before."""
    catalog = Catalog.open(get_paths({"ABSREADER_HOME": str(sample_home)}))
    try:
        total = catalog.library.count()
        before = {q: sorted(_keys(catalog, q)) for q in QUERIES}
        monkeypatch.setenv(WORKERS_ENV, "2")
        monkeypatch.setattr(index_module, "FIRST_SEGMENT", 40)
        monkeypatch.setattr(build_parallel, "PARALLEL_FROM", total + 1)
        assert catalog._build_plan(total) is None  # below it: one process
        monkeypatch.setattr(build_parallel, "PARALLEL_FROM", total)
        plan = catalog._build_plan(total)
        assert plan is not None and [r.papers for r in plan.runs] == [40, total - 40]
        list(catalog.rebuild_index())
        sizes = [s.doc_count_all() for s in _segments(catalog.paths.index_dir)]
        assert sizes == [40, total - 40]
        for query in QUERIES:
            assert sorted(_keys(catalog, query)) == before[query], query
    finally:
        catalog.close()


def test_a_worker_run_collects_by_hand_and_leaves_the_collector_as_it_found_it(
    sample_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cyclic collector is off through a run (its full passes walked the whole pool),
    collected by hand every ``segment_size`` papers, and on again afterwards, also when
    the run fails: an in-process caller is not left without it."""
    import gc

    catalog = Catalog.open(get_paths({"ABSREADER_HOME": str(sample_home)}))
    total = catalog.library.count()
    library_file = str(catalog.paths.library_file)
    catalog.close()
    seen: list[bool] = []
    collect = gc.collect

    def counting_collect(*args: object) -> int:
        seen.append(gc.isenabled())
        return collect(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(build_parallel.gc, "collect", counting_collect)
    run = build_parallel.Run(0, 0, None, total)
    assert gc.isenabled()
    assert total >= 300
    number, segment, words, done = build_parallel._index_run(str(tmp_path), library_file, run, 100)
    assert gc.isenabled()
    assert done == total and segment is not None and segment.doc_count_all() == total
    assert len(seen) == total // 100 and not any(seen)  # off meanwhile, a pass a spill
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the library raises
        build_parallel._index_run(str(tmp_path), str(tmp_path / "missing.sqlite3"), run, 100)
    assert gc.isenabled()
