"""Journeys through the real reader (tmux) and the real CLI, as a person takes them.

Each scenario types keys into ``absreader`` running in tmux, runs ``absreader``
commands beside it, and checks two things: what the terminal shows, and what
the library holds afterwards (read back with ``absreader show --json``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import Tmux, need_tmux  # noqa: E402

pytest_plugins = ["conftest_ui"]

pytestmark = pytest.mark.tmux

#: A change made elsewhere should show in about a second; the machine may be busy.
LIVE_DEADLINE = 5.0


@pytest.fixture
def home(sample_template: Path, tmp_path: Path) -> Iterator[Path]:
    need_tmux()
    home = tmp_path / "home"
    shutil.copytree(sample_template, home)
    yield home


def cli(home: Path, *args: str) -> str:
    """Run ``absreader ARGS`` as a separate process; its output (fails on a non-zero exit)."""
    env = {**os.environ, "ABSREADER_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "absreader", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"absreader {' '.join(args)}: {done.stderr}"
    return done.stdout


def first_key(home: Path) -> str:
    """The key of the paper the reader starts on (the first of All)."""
    return json.loads(cli(home, "list", "--json", "--limit", "1"))[0]["key"]


def stored(home: Path, key: str) -> dict:
    return json.loads(cli(home, "show", key, "--json"))


def detail_lines(screen: str) -> list[str]:
    """The rows of the detail pane (right of the list) in a 120-column screen."""
    rows = []
    for line in screen.splitlines():
        parts = line.split("││")
        if len(parts) == 3:
            rows.append(parts[2].rstrip("│ ").strip())
    return rows


def test_search_open_bookmark_tag_and_back(home: Path) -> None:
    """/ search, open a result, bookmark and tag it, Esc back to the results, Esc clears."""
    key = json.loads(cli(home, "search", "BeHonest", "--json"))["results"][0]["key"]
    term = Tmux(home)
    try:
        term.wait_for("650 of 650 papers")
        term.send("/")
        term.type("BeHonest")
        term.wait_for("BeHonest: Benchmarking Honesty", "· search")
        term.send("Enter")
        term.quiet()
        term.send("Enter")  # open the first result
        term.wait_for("Status", "BeHonest")
        term.send("b")
        term.wait_for("★ bookmarked")
        term.send("t")
        term.wait_for("Type a tag")
        term.type("to-read")
        term.wait_for("to-read")
        term.send("Enter")
        term.wait_for("#to-read")  # ticked in the editor's list
        term.send("C-s")
        term.wait_without("Type a tag")
        term.wait_for("#to-read")
        # Esc: back to the results, the same paper still selected and shown.
        term.escape()
        screen = term.screen()
        assert "BeHonest" in screen.splitlines()[3]  # the list's title keeps the query
        assert any("BeHonest" in line for line in detail_lines(screen)[:3])
        # Esc again: the search is cleared, the whole list is back.
        term.escape()
        term.wait_for("All · 650 papers")
        term.send("q")
        term.wait_until_gone()
    finally:
        term.kill()
    paper = stored(home, key)
    assert "BeHonest" in paper["title"]
    assert paper["bookmarked"] is True
    assert paper["tags"] == ["to-read"]
    assert paper["read"] is True  # opening it marked it read


def test_cli_changes_show_in_the_open_reader_without_a_key(home: Path, tmp_path: Path) -> None:
    """Bookmark, note, tag, tag rename, saved search and import by the CLI all show up."""
    key = first_key(home)
    term = Tmux(home)
    try:
        term.wait_for("650 of 650 papers", key)
        started = time.monotonic()
        cli(home, "bookmark", key)
        term.wait_for("★ bookmarked", "Bookmarked         1", deadline=LIVE_DEADLINE)
        shown_after = time.monotonic() - started
        cli(home, "note", key, "written from the CLI")
        term.wait_for("written from the CLI", deadline=LIVE_DEADLINE)
        cli(home, "tag", key, "cli-list")
        term.wait_for("#cli-list", "# cli-list", deadline=LIVE_DEADLINE)
        cli(home, "tags", "rename", "cli-list", "renamed-list")
        screen = term.wait_for("#renamed-list", "# renamed-list", deadline=LIVE_DEADLINE)
        assert "cli-list" not in screen
        cli(home, "saved", "add", "Honesty", "honesty")
        screen = term.wait_for("⌕ Honesty", deadline=LIVE_DEADLINE)
        line = next(row for row in screen.splitlines() if "⌕ Honesty" in row)
        count = json.loads(cli(home, "search", "honesty", "--json"))["total"]
        assert line.split("│")[1].split()[-1] == f"{count:,}"  # saved searches have counts
        extra = tmp_path / "zebras.json"
        extra.write_text(json.dumps([{"title": "Zebra stripes confuse biting flies",
                                      "abstract": "Stripes reduce landings.",
                                      "arxiv_id": "2412.99999", "published": "2099-01-01"}]))  # fmt: skip
        cli(home, "import", str(extra))
        screen = term.wait_for("Zebra stripes confuse", "651 of 651 papers",
                               deadline=LIVE_DEADLINE)  # fmt: skip
        assert "All · 651 papers" in screen and "All              651" in screen
        term.send("q")
        term.wait_until_gone()
    finally:
        term.kill()
    assert shown_after < LIVE_DEADLINE


def test_two_readers_see_each_others_changes(home: Path) -> None:
    """b in one reader shows in the other; r there shows back here; the library has both."""
    key = first_key(home)
    one, two = Tmux(home), Tmux(home)
    try:
        one.wait_for("650 of 650 papers", key)
        two.wait_for("650 of 650 papers", key)
        one.send("b")
        one.wait_for("★ bookmarked")
        two.wait_for("★ bookmarked", "Bookmarked         1", deadline=LIVE_DEADLINE)
        two.send("r")
        two.wait_for("Unread           649")
        screen = one.wait_for("Unread           649", deadline=LIVE_DEADLINE)
        assert "● unread" not in "\n".join(detail_lines(screen))
        # Keys act on what is shown: b in the second reader now removes the bookmark.
        two.send("b")
        two.wait_for("not bookmarked")
        one.wait_for("not bookmarked", "Bookmarked         0", deadline=LIVE_DEADLINE)
        for term in (one, two):
            term.send("q")
            term.wait_until_gone()
    finally:
        one.kill()
        two.kill()
    paper = stored(home, key)
    assert paper["bookmarked"] is False
    assert paper["read"] is True


def test_note_changed_underneath_is_never_overwritten(home: Path) -> None:
    """The CLI sets a note while the reader edits it: both are shown, and both can be kept."""
    key = first_key(home)
    term = Tmux(home)
    try:
        term.wait_for("650 of 650 papers", key)
        term.send("n")
        term.wait_for("ctrl+s save")
        term.type("typed in the reader")
        cli(home, "note", key, "set by the CLI meanwhile")
        term.send("C-s")
        term.wait_for("The note changed underneath", "set by the CLI meanwhile",
                      "typed in the reader", "Keep both")  # fmt: skip
        term.send("Enter")  # the first button: keep both
        term.wait_without("The note changed underneath")
        term.wait_for("Note saved.")
        # Esc on an editor with unsaved text asks first.
        term.send("n")
        term.wait_for("ctrl+s save")
        term.type(" and more")
        term.escape()
        term.wait_for("Discard the unsaved note?")
        term.send("Escape")
        term.wait_without("Discard the unsaved note?")
        term.wait_for("ctrl+s save")
        term.send("q")  # typed into the note, not quitting
        term.wait_for(" and moreq")
    finally:
        term.kill()
    assert stored(home, key)["note"] == "set by the CLI meanwhile\n\ntyped in the reader"
