"""Import at scale: the fingerprint layout, its migration, and bulk-write settings."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from absreader.core import dedupe
from absreader.core.library import Library, schema
from absreader.core.models import Record

ABSTRACT = (
    "Scaling up the size of vision models has been the de facto standard to obtain more "
    "powerful visual representations. In this work, we discuss the point beyond which larger "
    "vision models are not necessary. First, we demonstrate the power of Scaling on Scales (S2), "
    "whereby a pre-trained and frozen smaller vision model (e.g., ViT-B or ViT-L), run over "
    "multiple image scales, can outperform larger models (e.g., ViT-H or ViT-G) on classification."
)
SCRAPED = (
    "Scaling up the size of vision models has been thede factostandard to obtain more "
    "powerful visual representations. In this work, we study the point beyond which larger "
    "vision models arenotnecessary. First, we demonstrate the power ofScaling onScales (S2) , "
    "whereby a pre\u2010trained and frozen smaller vision model (e.g., ViT\u2013B or ViT-L) , run over "
    "multiple image scales, can outperform bigger models (e.g., ViT-H or ViT-G) on classification."
)
WORDS = [
    "model",
    "learning",
    "data",
    "network",
    "training",
    "method",
    "neural",
    "results",
    "performance",
    "task",
    "deep",
    "image",
    "language",
    "graph",
    "optimization",
    "sparse",
    "attention",
    "transformer",
    "robust",
    "adversarial",
    "reinforcement",
    "policy",
    "gradient",
    "kernel",
    "bayesian",
    "inference",
    "causal",
    "federated",
    "privacy",
]


def rec(**kw: object) -> Record:
    kw.setdefault("source", "test.txt")
    kw.setdefault("line", 1)
    return Record(**kw)  # type: ignore[arg-type]


def _abstract(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) + rng.choice(["", "s", "ing", "ed"]) for _ in range(120))


def _old_library(path: Path, papers: list[tuple[str, str, str]]) -> None:
    """A schema-2 library as the previous absreader wrote it (old fingerprint table)."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    schema.MIGRATIONS[1](conn)
    schema.MIGRATIONS[2](conn)
    for n, (key, title, abstract) in enumerate(papers, start=1):
        conn.execute(
            "INSERT INTO papers (id, key, title, title_norm, abstract, added, seq) "
            "VALUES (?, ?, ?, ?, ?, '2026-01-01', 1)",
            (n, key, title, title.lower(), abstract),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO fingerprints (fp, paper_id) VALUES (?, ?)",
            [(hash(abstract[i : i + 12]) & 0xFFFFFFFF, n) for i in range(0, len(abstract), 7)],
        )
    conn.execute("PRAGMA user_version = 2")
    conn.close()


def test_old_library_migrates_and_still_matches_scraped_abstracts(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    _old_library(path, [("pvision", "When Do We Not Need Larger Vision Models?", ABSTRACT)])
    with Library.open(path) as lib:
        stats = lib.upsert([rec(arxiv_id="2403.13043", abstract=SCRAPED, source="dump.txt")])
        assert (stats.added, stats.merged) == (0, 1)
        paper = lib.require("2403.13043")
        assert paper.title == "When Do We Not Need Larger Vision Models?"
        assert lib.count() == 1
    conn = sqlite3.connect(str(path))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    conn.close()


def test_migration_keeps_every_paper_and_personal_data(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    rng = random.Random(5)
    papers = [(f"p{n}", f"Paper number {n}", _abstract(rng)) for n in range(50)]
    _old_library(path, papers)
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("UPDATE papers SET bookmarked = 1, note = 'keep me' WHERE key = 'p7'")
    conn.close()
    with Library.open(path) as lib:
        assert lib.count() == 50
        assert lib.require("p7").bookmarked
        assert lib.require("p7").note == "keep me"
        # Every migrated paper is found again by a scrape of its abstract.
        for key, _title, abstract in papers[:10]:
            scraped = abstract.replace(" ", "", 3).replace("model", "models", 1)
            stats = lib.upsert([rec(abstract=scraped, source="dump.txt")])
            assert stats.merged + stats.unchanged == 1, key
        assert lib.count() == 50


def test_scrapes_are_found_among_many_similar_papers(tmp_path: Path) -> None:
    """Recall of the small sketch: papers in several storage blocks, all with similar text."""
    rng = random.Random(11)
    with Library.open(tmp_path / "lib.sqlite3") as lib, pytest.MonkeyPatch.context() as mp:
        mp.setattr(dedupe, "GENERATION_BITS", 5)  # 32 papers a block: 10 blocks here
        texts = [_abstract(rng) for _ in range(300)]
        lib.upsert([rec(title=f"Paper {n}", abstract=t, source="a") for n, t in enumerate(texts)])
        found = 0
        for n in range(0, 300, 7):
            words = texts[n].split()
            for _ in range(4):  # a word different here and there, some glued together
                i = rng.randrange(len(words) - 1)
                words[i] = rng.choice([words[i] + words.pop(i + 1), "novel"])
            stats = lib.upsert(
                [rec(arxiv_id=f"2401.{n:05d}", abstract=" ".join(words), source="b")]
            )
            found += stats.merged
            assert lib.require(f"2401.{n:05d}").title == f"Paper {n}"
        assert found == len(range(0, 300, 7))
        assert lib.count() == 300


def test_different_abstracts_are_not_merged_among_many(tmp_path: Path) -> None:
    rng = random.Random(12)
    with Library.open(tmp_path / "lib.sqlite3") as lib:
        lib.upsert(
            [rec(title=f"Paper {n}", abstract=_abstract(rng), source="a") for n in range(200)]
        )
        stats = lib.upsert([rec(abstract=_abstract(rng), source="b") for _ in range(20)])
        assert stats.added == 20
        assert lib.count() == 220


def test_fingerprints_follow_a_changed_abstract(tmp_path: Path) -> None:
    short = ABSTRACT[:150]
    with Library.open(tmp_path / "lib.sqlite3") as lib:
        lib.upsert([rec(arxiv_id="2403.13043", abstract=short, source="a")])
        lib.upsert([rec(arxiv_id="2403.13043", abstract=ABSTRACT, source="b")])  # longer: kept
        assert lib.require("2403.13043").abstract == ABSTRACT
        stats = lib.upsert(
            [rec(title="When Do We Not Need Larger Vision Models?", abstract=SCRAPED)]
        )
        assert stats.merged == 1
        assert lib.count() == 1


def test_a_title_shared_by_many_papers_with_ids_costs_one_probe(tmp_path: Path) -> None:
    """A record with an arXiv id merges by title only into a paper without one; the title
    index carries the id, so papers that share the title and have an id are never read."""
    library = Library.open(tmp_path / "lib.sqlite3")
    try:
        same = [Record(source="f", line=i, title="Erratum", abstract=f"Correction number {i} of a paper.",
                       arxiv_id=f"2401.{i:05d}") for i in range(1, 60)]  # fmt: skip
        library.upsert(same)
        assert library.count() == 59  # one title, 59 papers
        library.upsert([Record(source="g", line=1, title="Erratum", abstract="Yet another fix.",
                               arxiv_id="2402.00001")])  # fmt: skip
        assert library.count() == 60
        # A copy without its id still finds its paper by title and abstract.
        library.upsert([Record(source="h", line=1, title="Erratum", abstract="Yet another fix.")])
        assert library.count() == 60
    finally:
        library.close()
    conn = sqlite3.connect(tmp_path / "lib.sqlite3")
    plan = " ".join(str(row) for row in conn.execute(
        "EXPLAIN QUERY PLAN SELECT id, arxiv_id, abstract FROM papers "
        "WHERE title_norm = 'erratum' AND title_norm != '' AND arxiv_id IS NULL"))  # fmt: skip
    conn.close()
    assert "papers_title_norm (title_norm=? AND arxiv_id=?)" in plan


def test_the_write_lock_knows_when_a_writer_waits() -> None:
    """An import commits early only when another writer of the process waits for the lock."""
    import threading

    from absreader.core.library.store import FairLock

    lock = FairLock()
    assert lock.waiting == 0
    done = threading.Event()
    with lock:
        assert lock.waiting == 0  # the holder itself does not count

        def writer() -> None:
            with lock:
                done.set()

        thread = threading.Thread(target=writer)
        thread.start()
        for _ in range(100_000):  # until the thread has queued (it cannot get in yet)
            if lock.waiting:
                break
            threading.Event().wait(0.0005)
        assert lock.waiting == 1 and not done.is_set()
    thread.join(5)
    assert done.is_set() and lock.waiting == 0


def test_reading_papers_by_id_finds_their_aliases_without_a_scan(tmp_path: Path) -> None:
    """An index build reads every paper in batches of ids; their aliases come by index."""
    from absreader.core.library.papers import by_ids

    library = Library.open(tmp_path / "lib.sqlite3")
    try:
        library.upsert([Record(source="f", line=1, title="Scaling on Scales", abstract=ABSTRACT)])
        old_key = next(iter(library.iter_papers())).key
        library.upsert([Record(source="g", line=1, title="Scaling on Scales", abstract=ABSTRACT,
                               arxiv_id="2403.13043")])  # fmt: skip
        (paper,) = list(library.iter_papers())
        assert paper.key == "2403.13043" and old_key in paper.aliases
    finally:
        library.close()
    conn = sqlite3.connect(tmp_path / "lib.sqlite3")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    (again,) = by_ids(conn, [1])
    conn.set_trace_callback(None)
    assert old_key in again.aliases
    alias_reads = [s for s in statements if "FROM aliases" in s]
    assert alias_reads
    for sql in alias_reads:
        plan = " ".join(str(row) for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "SCAN aliases" not in plan and "aliases_paper" in plan, plan
    # A library of the previous schema gets the index when it is opened.
    conn.execute("DROP INDEX aliases_paper")
    conn.execute("PRAGMA user_version = 9")
    conn.commit()
    conn.close()
    Library.open(tmp_path / "lib.sqlite3").close()
    conn = sqlite3.connect(tmp_path / "lib.sqlite3")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    conn.close()
    assert "aliases_paper" in names


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="thanigo xyzÉé—-0", max_size=200))
def test_fingerprints_are_the_anchored_pieces_of_the_despaced_text(text: str) -> None:
    """The sketch is defined by a look-ahead for every anchored 12-character piece; the
    scan that finds anchors instead must pick exactly the same pieces (stored sketches of
    existing libraries must still match)."""
    import re
    import zlib

    flat = dedupe.despace(text)
    if not flat:
        assert dedupe.fingerprints(text) == set()
        return
    pieces = re.findall(r"(?=((?:th|an|ti)[0-9a-z]{10}))", flat)
    expected = set(sorted({zlib.crc32(p.encode()) for p in pieces})[: dedupe.SKETCH_SIZE])
    expected.add(zlib.crc32(b"all:" + flat.encode()))
    assert dedupe.fingerprints(text) == expected
