"""The library: merge rules, identity, personal data, migrations and damage."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from absreader.core.library import Library, LibraryError, NotFound
from absreader.core.library.schema import SCHEMA_VERSION
from absreader.core.models import Record

ABSTRACT = (
    "Scaling up the size of vision models has been the de facto standard to obtain more "
    "powerful visual representations. In this work, we discuss the point beyond which larger "
    "vision models are not necessary. First, we demonstrate the power of Scaling on Scales (S2), "
    "whereby a pre-trained and frozen smaller vision model (e.g., ViT-B or ViT-L), run over "
    "multiple image scales, can outperform larger models (e.g., ViT-H or ViT-G) on classification."
)
# The same abstract as a dataset dump scraped it: words glued, dashes and quotes changed,
# and a word different here and there.
SCRAPED = (
    "Scaling up the size of vision models has been thede factostandard to obtain more "
    "powerful visual representations. In this work, we study the point beyond which larger "
    "vision models arenotnecessary. First, we demonstrate the power ofScaling onScales (S2) , "
    "whereby a pre\u2010trained and frozen smaller vision model (e.g., ViT\u2013B or ViT-L) , run over "
    "multiple image scales, can outperform bigger models (e.g., ViT-H or ViT-G) on classification."
)


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    library = Library.open(tmp_path / "lib.sqlite3")
    yield library
    library.close()


def rec(**kw: object) -> Record:
    kw.setdefault("source", "test.txt")
    kw.setdefault("line", 1)
    return Record(**kw)  # type: ignore[arg-type]


def test_same_id_merges_and_fills_gaps(lib: Library) -> None:
    lib.upsert([rec(arxiv_id="2403.13043", abstract=ABSTRACT)])
    stats = lib.upsert([rec(arxiv_id="arXiv:2403.13043v2", title="When Do We Not Need Larger Vision Models?",
                            authors=("Baifeng Shi",), categories=("cs.CV",), source="b.bib")])
    assert (stats.added, stats.merged) == (0, 1)
    paper = lib.require("2403.13043")
    assert paper.title == "When Do We Not Need Larger Vision Models?"
    assert paper.abstract == ABSTRACT
    assert paper.version == "2"
    assert paper.authors == ("Baifeng Shi",)
    assert paper.sources == ("test.txt", "b.bib")
    assert not paper.untitled


def test_same_title_without_ids_merges(lib: Library) -> None:
    lib.upsert([rec(title="Attention Is All You Need", abstract="The dominant sequence models...")])
    stats = lib.upsert([rec(title="Attention is all you need!", arxiv_id="1706.03762", source="x.csv")])
    assert stats.merged == 1
    assert lib.count() == 1
    assert lib.require("1706.03762").title == "Attention Is All You Need"


def test_same_title_different_ids_stay_apart(lib: Library) -> None:
    lib.upsert([rec(title="A Survey of Large Language Models", arxiv_id="2303.18223")])
    stats = lib.upsert([rec(title="A survey of large language models", arxiv_id="2402.06196")])
    assert stats.added == 1
    assert lib.count() == 2


def test_untitled_record_matches_titled_paper_by_abstract(lib: Library) -> None:
    lib.upsert([rec(title="When Do We Not Need Larger Vision Models?", abstract=ABSTRACT, source="page.txt")])
    stats = lib.upsert([rec(arxiv_id="2403.13043", abstract=SCRAPED, source="dump.txt")])
    assert stats.merged == 1, stats
    assert lib.count() == 1
    paper = lib.require("2403.13043")
    assert paper.title == "When Do We Not Need Larger Vision Models?"
    assert paper.key == "2403.13043"


def test_titled_record_matches_untitled_paper_by_abstract(lib: Library) -> None:
    lib.upsert([rec(arxiv_id="2403.13043", abstract=SCRAPED, source="dump.txt")])
    assert lib.require("2403.13043").untitled
    stats = lib.upsert([rec(title="When Do We Not Need Larger Vision Models?", abstract=ABSTRACT)])
    assert stats.merged == 1
    paper = lib.require("2403.13043")
    assert not paper.untitled
    assert paper.display_title == "When Do We Not Need Larger Vision Models?"


def test_different_abstracts_stay_apart(lib: Library) -> None:
    lib.upsert([rec(arxiv_id="2403.13043", abstract=ABSTRACT)])
    other = ("We empirically study a simple layer-pruning strategy for popular families of open-weight "
             "pretrained LLMs, finding minimal degradation of performance on different question-answering "
             "benchmarks until after a large fraction of the layers are removed.")
    stats = lib.upsert([rec(title="The Unreasonable Ineffectiveness of the Deeper Layers", abstract=other)])
    assert stats.added == 1


def test_abstract_match_refuses_conflicting_ids(lib: Library) -> None:
    lib.upsert([rec(arxiv_id="2403.13043", abstract=ABSTRACT)])
    stats = lib.upsert([rec(arxiv_id="2403.99999", abstract=SCRAPED)])
    assert stats.added == 1


def test_untitled_display_title(lib: Library) -> None:
    lib.upsert([rec(arxiv_id="2403.13043", abstract=ABSTRACT)])
    paper = lib.require("2403.13043")
    assert paper.untitled
    assert paper.title == ""
    assert paper.display_title.startswith("2403.13043: Scaling up the size of vision models")


def test_key_without_id_is_stable_and_becomes_alias(lib: Library) -> None:
    lib.upsert([rec(title="Attention Is All You Need", abstract="x")])
    key = lib.list_keys()[0]
    assert key.startswith("p")
    lib.add_tags(key, ["classics"])
    lib.upsert([rec(title="Attention Is All You Need", arxiv_id="1706.03762")])
    assert lib.require(key).key == "1706.03762"  # the old key still resolves
    assert lib.require("1706.03762").tags == ("classics",)
    assert key in lib.deleted_since(0)


def test_cleaning_applied_on_upsert(lib: Library) -> None:
    lib.upsert([rec(title="Evil\x1b[31m title\u202e", abstract="a\x00b  c\n\n\nd", arxiv_id="2401.00001")])
    paper = lib.require("2401.00001")
    assert paper.title == "Evil title"
    assert paper.abstract == "ab c\n\nd"


def test_record_with_nothing_is_skipped(lib: Library) -> None:
    stats = lib.upsert([rec(title="  ", abstract="\x1b[0m")])
    assert stats.skipped == 1
    assert lib.count() == 0


def test_resolve_any_form(lib: Library) -> None:
    lib.upsert([rec(arxiv_id="hep-th/9901001", abstract="old style")])
    for form in ("hep-th/9901001", "arXiv:hep-th/9901001v2", "https://arxiv.org/abs/hep-th/9901001"):
        assert lib.require(form).key == "hep-th/9901001"
    with pytest.raises(NotFound):
        lib.require("2501.00001")


def test_personal_data(lib: Library) -> None:
    lib.upsert([rec(arxiv_id="2401.00001", title="A"), rec(arxiv_id="2401.00002", title="B")])
    lib.set_bookmarked("2401.00001")
    lib.set_read("2401.00002")
    lib.set_note("2401.00001", "check the  appendix\n\nand fig 3")
    lib.add_tags("2401.00001", ["To Read", "to  read", "ML"])
    paper = lib.require("2401.00001")
    assert paper.bookmarked and not paper.read
    assert paper.note == "check the appendix\n\nand fig 3"
    assert paper.tags == ("ML", "To Read")
    assert lib.list_keys(bookmarked=True) == ["2401.00001"]
    assert lib.list_keys(unread=True) == ["2401.00001"]
    assert lib.list_keys(tags=["TO READ"]) == ["2401.00001"]
    lib.remove_tags("2401.00001", ["ml"])
    assert lib.require("2401.00001").tags == ("To Read",)


def test_tag_rename_merge_delete(lib: Library) -> None:
    lib.upsert([rec(arxiv_id="2401.00001", title="A"), rec(arxiv_id="2401.00002", title="B")])
    lib.add_tags("2401.00001", ["ml"])
    lib.add_tags("2401.00002", ["deep learning"])
    assert lib.rename_tag("ML", "Machine Learning") == 1
    assert [t.name for t in lib.tags()] == ["deep learning", "Machine Learning"]
    assert lib.merge_tags("deep learning", "machine learning") == 1
    assert [(t.name, t.count) for t in lib.tags()] == [("Machine Learning", 2)]
    assert lib.delete_tag("machine learning") == 2
    assert lib.tags() == []
    assert lib.count() == 2
    with pytest.raises(NotFound):
        lib.delete_tag("nope")


@pytest.mark.parametrize("bad", ["", "   ", "x" * 81])
def test_bad_tag_names(lib: Library, bad: str) -> None:
    lib.upsert([rec(arxiv_id="2401.00001", title="A")])
    with pytest.raises(LibraryError):
        lib.add_tags("2401.00001", [bad])
    assert lib.tags() == []


def test_saved_searches(lib: Library) -> None:
    lib.save_search("Vision", "cat:cs.CV scaling")
    lib.save_search("vision", "vision transformer")
    assert [(s.name, s.query) for s in lib.saved_searches()] == [("vision", "vision transformer")]
    lib.delete_search("VISION")
    assert lib.saved_searches() == []
    with pytest.raises(NotFound):
        lib.delete_search("vision")


def test_seq_tracks_changes(lib: Library) -> None:
    lib.upsert([rec(arxiv_id="2401.00001", title="A"), rec(arxiv_id="2401.00002", title="B")])
    seq = lib.current_seq()
    lib.set_bookmarked("2401.00002")
    assert [p.key for p in lib.changed_since(seq)] == ["2401.00002"]
    assert lib.count_changed_since(seq) == 1
    lib.upsert([rec(arxiv_id="2401.00001", title="A")])  # nothing new
    assert [p.key for p in lib.changed_since(seq)] == ["2401.00002"]


def test_dry_run_changes_nothing(lib: Library) -> None:
    stats = lib.upsert_preview([rec(arxiv_id="2401.00001", title="A")])
    assert stats.added == 1
    assert lib.count() == 0


def test_newest_first(lib: Library) -> None:
    lib.upsert([
        rec(arxiv_id="2101.00001", title="old"),
        rec(arxiv_id="2403.00001", title="new"),
        rec(title="dated", published="2023-06-01"),
    ])
    assert [lib.require(k).title for k in lib.list_keys()] == ["new", "dated", "old"]


def test_schema_version_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    Library.open(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(LibraryError, match="newer absreader"):
        Library.open(path)


def test_garbage_library_is_reported_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LibraryError, match="damaged") as info:
        Library.open(path)
    assert str(path) in str(info.value)
    assert path.read_bytes().startswith(b"this is not a database")


def test_count_follows_writes_of_another_connection(tmp_path: Path) -> None:
    """The count is kept per change counter: another process's add or delete shows at once."""
    path = tmp_path / "lib.sqlite3"
    reader, writer = Library.open(path), Library.open(path)
    try:
        writer.upsert([rec(arxiv_id="2303.18223", title="A Survey of Large Language Models")])
        assert reader.count() == 1
        assert reader.count() == 1  # kept
        writer.upsert([rec(arxiv_id="2402.06196", title="Large Language Models: A Survey")])
        assert reader.count() == 2
        assert writer.delete_papers(["2303.18223"]) == 1
        assert reader.count() == 1
    finally:
        reader.close()
        writer.close()
