"""Reading lists on the command line: bookmark, read, note, tag, tags, list, saved.

Every test runs on a copy of a library that imported the bundled sample data
(built once per module by a real `absreader import` subprocess), so each
command is checked against the real merge results, the real index and the
real SQLite file. Personal data must follow the paper through re-imports,
merges, `absreader reindex` and a deleted cache dir.
"""

from __future__ import annotations

import contextlib
import io
import shlex
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from absreader.core.library import MAX_TAG_LENGTH, Library
from absreader.paths import Paths, get_paths
from tests.conftest import SAMPLE, Result

DUMP = SAMPLE / "dataset-viewer-arxiv-abstracts.txt"
MAR14 = SAMPLE / "daily-papers-listing-mar-14.txt"
# Untitled in the dump, titled ("Yi: Open Foundation Models by 01.AI") in the Mar 14 listing.
YI = "2403.04652"
YI_TITLE = "Yi: Open Foundation Models by 01.AI"
SCALING = "2403.13043"  # in the dump only


def keys(result: Result) -> list[str]:
    assert result.code == 0, result.err
    return [paper["key"] for paper in result.json()]


def search_keys(cli: Callable[..., Result], query: str) -> set[str]:
    result = cli("search", query, "--limit", "1000", "--json")
    assert result.code == 0, result.err
    found = result.json()
    assert found["total"] == len(found["results"])
    return {paper["key"] for paper in found["results"]}


def show(cli: Callable[..., Result], key: str) -> dict:
    result = cli("show", key, "--json")
    assert result.code == 0, result.err
    return result.json()


def seq(paths: Paths) -> int:
    """The library's change counter: any committed write raises it."""
    with Library.open(paths.library_file, create=False) as library:
        return library.current_seq()


def some_keys(cli: Callable[..., Result], n: int) -> list[str]:
    everything = keys(cli("list", "--json"))
    assert len(everything) >= n
    return everything[:n]


# ----------------------------------------------------------------------------- bookmark, read


def test_bookmark_on_and_off(sample) -> None:
    assert keys(sample("list", "--bookmarked", "--json")) == []
    on = sample("bookmark", f"arXiv:{SCALING}v2", "--json")  # any id form finds the paper
    assert on.code == 0, on.err
    assert on.json()["key"] == SCALING and on.json()["bookmarked"] is True
    assert show(sample, SCALING)["bookmarked"] is True
    assert keys(sample("list", "--bookmarked", "--json")) == [SCALING]
    again = sample("bookmark", SCALING)  # idempotent, and says what it did
    assert again.code == 0 and f"bookmarked {SCALING}" in again.out
    assert keys(sample("list", "--bookmarked", "--json")) == [SCALING]

    off = sample("bookmark", SCALING, "--off")
    assert off.code == 0 and "removed the bookmark" in off.out and SCALING in off.out
    assert show(sample, SCALING)["bookmarked"] is False
    assert keys(sample("list", "--bookmarked", "--json")) == []
    assert search_keys(sample, "is:bookmarked") == set()


def test_read_and_unread(sample) -> None:
    total = len(keys(sample("list", "--json")))
    assert len(keys(sample("list", "--unread", "--json"))) == total
    done = sample("read", SCALING, "--json")
    assert done.code == 0 and done.json()["read"] is True
    unread = keys(sample("list", "--unread", "--json"))
    assert len(unread) == total - 1 and SCALING not in unread
    assert SCALING not in search_keys(sample, "is:unread")

    undo = sample("read", SCALING, "--unread")
    assert undo.code == 0 and f"marked {SCALING} unread" in undo.out
    assert show(sample, SCALING)["read"] is False
    assert len(keys(sample("list", "--unread", "--json"))) == total


# ----------------------------------------------------------------------------- notes


def test_note_text_is_kept_as_typed_and_empty_removes(sample) -> None:
    text = "Check the appendix.\n- ablation in §4\n  - the 2× claim\n\nCompare with ViT-H & S2 {later}"
    saved = sample("note", SCALING, text, "--json")
    assert saved.code == 0, saved.err
    assert saved.json()["note"] == text  # line breaks and indentation are the user's
    assert show(sample, SCALING)["note"] == text
    assert SCALING in search_keys(sample, "note:appendix")

    plain = sample("note", SCALING, "second thoughts")
    assert plain.code == 0 and f"note saved on {SCALING}" in plain.out
    assert show(sample, SCALING)["note"] == "second thoughts"

    removed = sample("note", SCALING, "")
    assert removed.code == 0 and f"note removed from {SCALING}" in removed.out
    assert show(sample, SCALING)["note"] == ""
    assert search_keys(sample, "note:thoughts") == set()


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Point $EDITOR at a tiny script; returns a setter for what the script does."""

    def use(body: str) -> Path:
        script = tmp_path / "editor.py"
        seen = tmp_path / "editor-saw.txt"
        script.write_text(
            "import pathlib, sys\n"
            "note = pathlib.Path(sys.argv[-1])\n"
            f"pathlib.Path({str(seen)!r}).write_text(note.read_text(encoding='utf-8'), encoding='utf-8')\n"
            + body,
            encoding="utf-8",
        )
        monkeypatch.delenv("VISUAL", raising=False)
        monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
        return seen

    return use


def test_note_edit_opens_the_editor_on_the_current_note(sample, editor) -> None:
    assert sample("note", SCALING, "first draft").code == 0
    seen = editor(
        "old = note.read_text(encoding='utf-8')\n"
        "note.write_text(old.strip() + '\\nedited in the editor: ünïcode ✓\\n', encoding='utf-8')\n"
    )
    result = sample("note", SCALING, "--edit", "--json")
    assert result.code == 0, result.err
    assert seen.read_text(encoding="utf-8") == "first draft"  # the editor got the old note
    expected = "first draft\nedited in the editor: ünïcode ✓"
    assert result.json()["note"] == expected
    assert show(sample, SCALING)["note"] == expected


def test_note_edit_emptied_removes_and_failed_editor_changes_nothing(sample, editor, paths) -> None:
    assert sample("note", SCALING, "keep me").code == 0
    editor("note.write_text('', encoding='utf-8')\nsys.exit(3)\n")
    before = seq(paths)
    failed = sample("note", SCALING, "--edit")
    assert failed.code == 1
    assert "exited with status 3" in failed.err and "not changed" in failed.err
    assert show(sample, SCALING)["note"] == "keep me"
    assert seq(paths) == before

    editor("note.write_text('\\n  \\n', encoding='utf-8')\n")
    emptied = sample("note", SCALING, "--edit")
    assert emptied.code == 0, emptied.err
    assert "note removed" in emptied.out
    assert show(sample, SCALING)["note"] == ""


def test_note_edit_with_a_missing_editor_is_a_clear_error(sample, monkeypatch, paths) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "/nonexistent/editor-xyz")
    before = seq(paths)
    result = sample("note", SCALING, "--edit")
    assert result.code == 1
    assert "cannot run the editor" in result.err and "Traceback" not in result.err
    assert seq(paths) == before


# ----------------------------------------------------------------------------- tags


def test_tag_names_normalised_for_case_and_spaces_but_shown_as_typed(sample) -> None:
    a, b, c = some_keys(sample, 3)
    tagged = sample("tag", a, "  Reading   List ", "Straße", "--json")
    assert tagged.code == 0, tagged.err
    assert tagged.json()["tags"] == ["Reading List", "Straße"]
    # Other spellings of the same names land on the same lists, still shown as first typed.
    assert sample("tag", b, "reading list", "STRASSE").code == 0
    assert sample("tag", c, "READING\tLIST").code == 0
    assert show(sample, b)["tags"] == ["Reading List", "Straße"]
    tags = sample("tags", "--json")
    assert tags.code == 0
    assert tags.json() == [{"name": "Reading List", "count": 3}, {"name": "Straße", "count": 2}]
    # Tagging twice is harmless.
    assert sample("tag", a, "reading list").code == 0
    assert sample("tags", "--json").json()[0] == {"name": "Reading List", "count": 3}
    assert set(keys(sample("list", "--tag", "rEaDiNg LiSt", "--json"))) == {a, b, c}

    untagged = sample("untag", b, " READING  list ")
    assert untagged.code == 0 and "Straße" in untagged.out
    assert show(sample, b)["tags"] == ["Straße"]
    assert set(keys(sample("list", "--tag", "Reading List", "--json"))) == {a, c}
    # The list stays when its last paper leaves it.
    assert sample("untag", a, "Reading List").code == 0
    assert sample("untag", c, "reading list").code == 0
    assert sample("tags", "--json").json() == [
        {"name": "Reading List", "count": 0}, {"name": "Straße", "count": 2},
    ]


def test_tags_plain_output_lists_counts(sample) -> None:
    empty = sample("tags")
    assert empty.code == 0 and "no tags yet" in empty.out
    a, b = some_keys(sample, 2)
    sample("tag", a, "vision", "to read")
    sample("tag", b, "vision")
    lines = sample("tags").out.splitlines()
    assert [line.split(None, 1) for line in lines] == [["1", "to read"], ["2", "vision"]]


def test_tag_is_searchable_and_follows_untag(sample) -> None:
    a, b = some_keys(sample, 2)
    sample("tag", a, "scaling")
    sample("tag", b, "scaling")
    assert search_keys(sample, "tag:scaling") == {a, b}
    sample("untag", a, "Scaling")
    assert search_keys(sample, "tag:scaling") == {b}


@pytest.fixture
def three_tags(sample) -> tuple[list[str], Callable[..., Result]]:
    """Papers p0..p4: vision {p0,p1,p2}, robots {p2,p3}, llm {p4}."""
    p = some_keys(sample, 5)
    for key in p[:3]:
        assert sample("tag", key, "Vision").code == 0
    for key in p[2:4]:
        assert sample("tag", key, "robots").code == 0
    assert sample("tag", p[4], "LLM").code == 0
    return p, sample


def test_tags_rename(three_tags, paths) -> None:
    p, cli = three_tags
    total = len(keys(cli("list", "--json")))
    done = cli("tags", "rename", "vision", "Perception")
    assert done.code == 0, done.err
    assert "3 papers" in done.out
    assert cli("tags", "--json").json() == [
        {"name": "LLM", "count": 1}, {"name": "Perception", "count": 3}, {"name": "robots", "count": 2},
    ]
    assert show(cli, p[2])["tags"] == ["Perception", "robots"]
    assert set(keys(cli("list", "--tag", "perception", "--json"))) == set(p[:3])
    assert keys(cli("list", "--tag", "vision", "--json")) == []
    # The index followed the rename.
    assert search_keys(cli, "tag:perception") == set(p[:3])
    assert search_keys(cli, "tag:vision") == set()
    # Renaming to a different case of the same name just re-spells it.
    assert cli("tags", "rename", "PERCEPTION", "perception").code == 0
    assert [t["name"] for t in cli("tags", "--json").json()] == ["LLM", "perception", "robots"]
    assert len(keys(cli("list", "--json"))) == total


def test_tags_rename_onto_an_existing_tag_merges(three_tags) -> None:
    p, cli = three_tags
    assert cli("tags", "rename", "Vision", "ROBOTS").code == 0
    assert cli("tags", "--json").json() == [
        {"name": "LLM", "count": 1}, {"name": "robots", "count": 4},
    ]
    assert show(cli, p[2])["tags"] == ["robots"]  # had both: now once


def test_tags_merge(three_tags) -> None:
    p, cli = three_tags
    done = cli("tags", "merge", "robots", "vision")
    assert done.code == 0, done.err
    assert "merged" in done.out
    assert cli("tags", "--json").json() == [
        {"name": "LLM", "count": 1}, {"name": "Vision", "count": 4},
    ]
    assert set(keys(cli("list", "--tag", "vision", "--json"))) == set(p[:4])
    assert show(cli, p[3])["tags"] == ["Vision"]
    assert search_keys(cli, "tag:vision") == set(p[:4])
    assert search_keys(cli, "tag:robots") == set()


def test_tags_delete_keeps_the_papers(three_tags) -> None:
    p, cli = three_tags
    total = len(keys(cli("list", "--json")))
    done = cli("tags", "delete", "VISION")
    assert done.code == 0, done.err
    assert "the papers stay" in done.out and "3 papers" in done.out
    assert cli("tags", "--json").json() == [{"name": "LLM", "count": 1}, {"name": "robots", "count": 2}]
    assert len(keys(cli("list", "--json"))) == total
    for key in p[:3]:
        assert "Vision" not in show(cli, key)["tags"]
    assert show(cli, p[2])["tags"] == ["robots"]
    assert search_keys(cli, "tag:vision") == set()
    assert search_keys(cli, "tag:robots") == {p[2], p[3]}


# ----------------------------------------------------------------------------- list


def test_list_filters_combine(sample) -> None:
    everything = keys(sample("list", "--json"))
    stats = sample("stats", "--json").json()
    assert len(everything) == stats["papers"] > 100  # all papers unless --limit
    a, b, c, d = everything[:4]
    sample("bookmark", a)
    sample("bookmark", c)
    sample("tag", a, "x")
    sample("tag", b, "x", "y")
    sample("tag", d, "y")
    sample("read", b)
    sample("read", c)

    def listed(*args: str) -> set[str]:
        return set(keys(sample("list", *args, "--json")))

    assert listed("--tag", "x") == {a, b}
    assert listed("--tag", "y") == {b, d}
    assert listed("--tag", "x", "--tag", "y") == {b}
    assert listed("--bookmarked") == {a, c}
    assert listed("--bookmarked", "--tag", "x") == {a}
    assert listed("--bookmarked", "--unread") == {a}
    assert listed("--unread", "--tag", "y") == {d}
    assert listed("--unread", "--tag", "x", "--tag", "y") == set()
    unread = keys(sample("list", "--unread", "--json"))
    assert len(unread) == len(everything) - 2 and b not in unread and c not in unread
    # Newest first, the same order the full list has.
    assert unread == [k for k in everything if k not in (b, c)]


def test_list_limit_and_plain_output(sample) -> None:
    everything = keys(sample("list", "--json"))
    assert keys(sample("list", "--limit", "5", "--json")) == everything[:5]
    assert keys(sample("list", "--unread", "--limit", "3", "--json")) == everything[:3]
    assert keys(sample("list", "--limit", str(len(everything) + 10), "--json")) == everything
    sample("bookmark", everything[1])
    sample("tag", everything[1], "later")
    plain = sample("list", "--limit", "3")
    assert plain.code == 0
    lines = plain.out.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("*") and everything[1] in lines[1] and "[later]" in lines[1]
    assert "3 papers" in plain.err


def test_list_json_is_the_paper_record(sample) -> None:
    sample("tag", SCALING, "vision")
    sample("note", SCALING, "look at S2")
    records = sample("list", "--tag", "vision", "--json").json()
    assert records == [show(sample, SCALING)]
    assert records[0]["tags"] == ["vision"] and records[0]["note"] == "look at S2"
    empty = sample("list", "--tag", "vision", "--bookmarked", "--json")
    assert empty.code == 0 and empty.json() == []


def test_list_saved_search(sample) -> None:
    added = sample("saved", "add", "Token Stuff", "tokenformer", "OR", "title:tokens")
    assert added.code == 0, added.err
    found = sample("list", "--saved", "token stuff", "--json")
    assert found.code == 0, found.err
    records = found.json()
    titles = [r["title"] for r in records]
    assert any("TokenFormer" in t for t in titles)
    assert {r["key"] for r in records} == search_keys(sample, "tokenformer OR title:tokens")
    # Combined with a filter: only the bookmarked ones among them.
    first = records[0]["key"]
    sample("bookmark", first)
    assert keys(sample("list", "--saved", "Token Stuff", "--bookmarked", "--json")) == [first]
    assert keys(sample("list", "--saved", "Token Stuff", "--limit", "1", "--json")) == [records[0]["key"]]
    plain = sample("list", "--saved", "Token Stuff")
    assert plain.code == 0 and f"{len(records)} papers in Token Stuff" in plain.err


# ----------------------------------------------------------------------------- saved searches


def test_saved_add_list_delete(sample) -> None:
    assert "no saved searches" in sample("saved", "list").out
    assert sample("saved", "add", "Vision", "cat:cs.CV", "scaling").code == 0
    assert sample("saved", "add", "agents", "title:agent*").code == 0
    listed = sample("saved", "list", "--json")
    assert listed.code == 0
    assert listed.json() == [
        {"name": "agents", "query": "title:agent*"},
        {"name": "Vision", "query": "cat:cs.CV scaling"},
    ]
    assert sample("saved").out == sample("saved", "list").out  # the default action
    assert "Vision: cat:cs.CV scaling" in sample("saved", "list").out
    # Same name in another case replaces the query (and the spelling).
    assert sample("saved", "add", "VISION", "vision").code == 0
    assert sample("saved", "list", "--json").json()[1] == {"name": "VISION", "query": "vision"}
    deleted = sample("saved", "delete", "vision")
    assert deleted.code == 0 and "deleted saved search" in deleted.out
    assert sample("saved", "list", "--json").json() == [{"name": "agents", "query": "title:agent*"}]
    assert sample("list", "--saved", "vision").code == 1


# ----------------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def untouchable_home(sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One library for every bad-input test: each asserts that it changed nothing."""
    from absreader.cli import main

    home = tmp_path_factory.mktemp("untouchable") / "home"
    shutil.copytree(sample_template, home)
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(io.StringIO()):
        patch.setenv("ABSREADER_HOME", str(home))
        assert main(["tag", SCALING, "ml"]) == 0
        assert main(["saved", "add", "mine", "vision"]) == 0
    return home


@pytest.fixture
def untouchable(untouchable_home: Path, cli, monkeypatch: pytest.MonkeyPatch) -> tuple:
    monkeypatch.setenv("ABSREADER_HOME", str(untouchable_home))  # instead of the fresh `home`
    return cli, get_paths()


TOO_LONG = "t" * 500


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("bookmark", "2999.99999"), "no paper matches '2999.99999'"),
        (("bookmark", "no-such-key", "--off"), "no paper matches"),
        (("read", "nope"), "no paper matches 'nope'"),
        (("read", "   "), "no paper matches"),
        (("note", "nope", "text"), "no paper matches 'nope'"),
        (("tag", "nope", "t"), "no paper matches 'nope'"),
        (("untag", "nope", "t"), "no paper matches 'nope'"),
        (("tag", SCALING, ""), "tag name is empty"),
        (("tag", SCALING, " \t "), "tag name is empty"),
        (("tag", SCALING, "fine", ""), "tag name is empty"),  # nothing is half-applied
        (("tag", SCALING, TOO_LONG), f"at most {MAX_TAG_LENGTH}"),
        (("tag", SCALING, "fine", TOO_LONG), "too long"),
        (("note", SCALING, "n" * 100_001), "note is too long"),
        (("tags", "rename", "no-such-tag", "new"), "no tag named 'no-such-tag'"),
        (("tags", "rename", "ml", ""), "tag name is empty"),
        (("tags", "rename", "ml", TOO_LONG), "too long"),
        (("tags", "merge", "ml", "no-such-tag"), "no tag named 'no-such-tag'"),
        (("tags", "merge", "no-such-tag", "ml"), "no tag named 'no-such-tag'"),
        (("tags", "delete", "no-such-tag"), "no tag named 'no-such-tag'"),
        (("saved", "delete", "no-such-search"), "no saved search named 'no-such-search'"),
        (("saved", "add", " ", "query"), "name is empty"),
        (("saved", "add", TOO_LONG, "query"), "too long"),
        (("list", "--saved", "no-such-search"), "no saved search named 'no-such-search'"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(
    untouchable, args: tuple[str, ...], message: str
) -> None:
    cli, paths = untouchable
    before_seq = seq(paths)
    before_paper = show(cli, SCALING)
    assert before_paper["tags"] == ["ml"]
    before_tags = cli("tags", "--json").json()
    result = cli(*args)
    assert result.code == 1, result
    assert result.err.startswith("absreader: error: ") and message in result.err
    assert "Traceback" not in result.err
    assert result.out == ""
    assert seq(paths) == before_seq
    assert show(cli, SCALING) == before_paper
    assert cli("tags", "--json").json() == before_tags
    assert cli("saved", "list", "--json").json() == [{"name": "mine", "query": "vision"}]


@pytest.mark.parametrize(
    "args",
    [
        ("bookmark",),
        ("bookmark", SCALING, "--bogus"),
        ("read",),
        ("tag", SCALING),
        ("untag", SCALING),
        ("note", SCALING),
        ("note", SCALING, "text", "--edit"),
        ("tags", "rename", "only-one"),
        ("tags", "merge"),
        ("tags", "delete"),
        ("tags", "frobnicate"),
        ("list", "--limit", "0"),
        ("list", "--limit", "many"),
        ("list", "--tag"),
        ("saved", "add", "name-without-query"),
        ("saved", "delete"),
    ],
)
def test_argument_misuse_exits_2_and_changes_nothing(untouchable, args: tuple[str, ...]) -> None:
    cli, paths = untouchable
    before = seq(paths)
    result = cli(*args)
    assert result.code == 2, result
    assert "error" in result.err and "Traceback" not in result.err
    assert seq(paths) == before


# ----------------------------------------------------------------------------- persistence


def personal(cli: Callable[..., Result]) -> dict:
    """Every paper's record plus tags and saved searches: what must never change."""
    papers = {p["key"]: p for p in cli("list", "--json").json()}
    return {
        "papers": papers,
        "tags": cli("tags", "--json").json(),
        "saved": cli("saved", "list", "--json").json(),
    }


def decorate(cli: Callable[..., Result]) -> dict[str, set[str]]:
    """Give a spread of papers personal data; return the expected search results."""
    p = keys(cli("list", "--json"))
    chosen = p[:3] + p[-3:] + [SCALING, YI]
    for key in chosen[:4]:
        assert cli("bookmark", key).code == 0
    for key in chosen[2:6]:
        assert cli("tag", key, "keepers", "Second List").code == 0
    for key in chosen[5:]:
        assert cli("read", key).code == 0
    assert cli("note", chosen[0], "a note\nwith two lines").code == 0
    assert cli("note", SCALING, "scales beat size").code == 0
    assert cli("saved", "add", "scales", "scaling vision").code == 0
    return {
        "is:bookmarked": set(chosen[:4]),
        "tag:keepers": set(chosen[2:6]),
        "note:scales": {SCALING},
    }


def test_personal_data_survives_reimport(sample) -> None:
    decorate(sample)
    before = personal(sample)
    again = sample("import", str(SAMPLE), "--json")
    assert again.code == 0, again.err
    assert sum(r["added"] for r in again.json()) == 0
    assert personal(sample) == before


def test_personal_data_survives_reindex(sample) -> None:
    expected = decorate(sample)
    before = personal(sample)
    done = sample("reindex")
    assert done.code == 0, done.err
    assert personal(sample) == before
    for query, wanted in expected.items():
        assert search_keys(sample, query) == wanted, query


def test_personal_data_survives_deleting_the_cache(sample, paths: Paths) -> None:
    expected = decorate(sample)
    before = personal(sample)
    assert paths.index_dir.exists()
    shutil.rmtree(paths.cache_dir)
    # The first search rebuilds the index from the library, personal data included.
    for query, wanted in expected.items():
        assert search_keys(sample, query) == wanted, query
    assert paths.index_dir.exists()
    assert personal(sample) == before
    # A bookmark made while the cache is gone is not lost either.
    shutil.rmtree(paths.cache_dir)
    extra = next(k for k in before["papers"] if k not in expected["is:bookmarked"])
    assert sample("bookmark", extra).code == 0
    assert search_keys(sample, "is:bookmarked") == expected["is:bookmarked"] | {extra}


def test_untitled_paper_keeps_its_data_when_a_listing_gives_it_a_title(home: Path, cli) -> None:
    assert cli("import", str(DUMP)).code == 0
    before = show(cli, YI)
    assert before["untitled"] is True and before["title"] == ""
    total = cli("stats", "--json").json()["papers"]
    assert cli("tag", YI, "foundation", "Open Models").code == 0
    assert cli("bookmark", YI).code == 0
    assert cli("read", YI).code == 0
    assert cli("note", YI, "compare with LLaMA").code == 0

    merged = cli("import", str(MAR14), "--json")
    assert merged.code == 0, merged.err
    after = show(cli, YI)
    assert after["untitled"] is False and after["title"] == YI_TITLE
    assert after["key"] == YI
    assert after["tags"] == ["foundation", "Open Models"]
    assert (after["bookmarked"], after["read"], after["note"]) == (True, True, "compare with LLaMA")
    assert len(after["sources"]) == 2
    # One paper, not two: the listing record merged into the tagged one.
    titled = [p for p in cli("list", "--json").json() if p["title"] == YI_TITLE]
    assert [p["key"] for p in titled] == [YI]
    added = merged.json()[0]["added"]
    assert cli("stats", "--json").json()["papers"] == total + added
    assert search_keys(cli, "tag:foundation") == {YI}
    assert YI in search_keys(cli, "is:bookmarked")


def test_titled_paper_keeps_its_data_when_the_dump_gives_it_an_id(home: Path, cli) -> None:
    assert cli("import", str(MAR14)).code == 0
    old_key = next(p["key"] for p in cli("list", "--json").json() if p["title"] == YI_TITLE)
    assert old_key != YI  # no arXiv id yet
    assert cli("tag", old_key, "foundation").code == 0
    assert cli("bookmark", old_key).code == 0
    assert search_keys(cli, "tag:foundation") == {old_key}

    assert cli("import", str(DUMP)).code == 0
    after = show(cli, old_key)  # the old key still finds the paper
    assert after["key"] == YI and after["arxiv_id"] == YI
    assert after["tags"] == ["foundation"] and after["bookmarked"] is True
    assert keys(cli("list", "--tag", "foundation", "--json")) == [YI]
    # The index dropped the old key: no ghost result under it.
    assert search_keys(cli, "tag:foundation") == {YI}
    assert search_keys(cli, "is:bookmarked") == {YI}
    assert cli("bookmark", old_key, "--off").code == 0
    assert show(cli, YI)["bookmarked"] is False
