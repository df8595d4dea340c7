"""The real reader in a real terminal: tmux runs it, send-keys types, capture-pane reads.

Skipped only when tmux is missing on a developer's machine; in CI (``CI`` set)
a missing tmux is a failure, since CI installs it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import DEADLINE, Tmux, build_home, need_tmux, record  # noqa: E402, F401 (test_tmux_typing imports them from here)

pytest_plugins = ["conftest_ui"]

pytestmark = pytest.mark.tmux


@pytest.fixture
def tmux_home(sample_template: Path, tmp_path: Path) -> Iterator[Path]:
    need_tmux()
    home = tmp_path / "home"
    shutil.copytree(sample_template, home)
    yield home


def test_reader_in_a_real_terminal(tmux_home: Path) -> None:
    term = Tmux(tmux_home)
    try:
        term.wait_for("of ", "papers", "Bookmark")
        term.send("/")
        term.type("BeHonest")
        screen = term.wait_for("BeHonest: Benchmarking Honesty", "search")
        assert "1 of " in screen or " of " in screen
        term.send("Enter")
        term.send("b")
        term.wait_for("★ bookmarked")
        term.send("?")
        term.wait_for("Remap keys in config.toml")
        term.send("Escape")
        term.wait_without("Remap keys")
        term.send("Escape")  # clears the search
        term.wait_without("· search")
        term.send("q")
        term.wait_until_gone()
    finally:
        term.kill()
    # The bookmark is in the library, and the session state was saved.
    from absreader.core.catalog import Catalog, ListSpec
    from absreader.paths import get_paths

    paths = get_paths({"ABSREADER_HOME": str(tmux_home)})
    catalog = Catalog.open(paths)
    try:
        assert catalog.page("", ListSpec("bookmarked")).total == 1
    finally:
        catalog.close()
    assert paths.state_file.exists()


def test_narrow_terminal_and_hostile_titles(tmux_home: Path) -> None:
    term = Tmux(tmux_home, width=80, height=24)
    try:
        screen = term.wait_for("of ", "papers")
        assert "Lists" not in screen.splitlines()[3]  # the sidebar folded away
        term.send("Enter")
        term.wait_for("Status")
        term.send("Escape")
        term.wait_without("Status")
        term.send("q")
        term.wait_until_gone()
    finally:
        term.kill()


# ----------------------------------------------------------------------------- the whole abstract

LINE_COUNTS = (1, 2, 5, 40)


def _abstract(lines: int) -> str:
    return " ".join(f"t{lines}w{i:03d}z" for i in range(lines * 6))


@pytest.mark.parametrize("width", [80, 120, 200])
def test_every_word_of_the_abstract_in_a_real_terminal(tmp_path: Path, width: int) -> None:
    """Open each paper, page through its abstract: every stored word is on the screen."""
    need_tmux()
    home = tmp_path / "home"
    records = [record(f"Paper with {n} lines", _abstract(n), f"2402.{n:05d}") for n in LINE_COUNTS]
    build_home(home, records=records)
    # Space scrolls by a page with an animation, and a page counts from where the last
    # one will end: a screen read mid-scroll and a Space sent then would skip lines that
    # were never drawn. Without animations each Space draws its final frame once.
    term = Tmux(home, width=width, height=36, extra_env={"TEXTUAL_ANIMATIONS": "none"})
    try:
        screen = term.wait_for("4 of 4 papers", *(f"Paper with {n} lines" for n in LINE_COUNTS))
        rows = sorted(LINE_COUNTS, key=lambda n: screen.index(f"Paper with {n} lines"))
        for position, shown in enumerate(rows, start=1):
            term.send("Enter")
            words = _abstract(shown).split()
            # The detail pane follows the cursor, so its words can be there before Enter
            # is handled; the row losing its unread dot says the paper is open.
            term.wait_without(f"● Paper with {shown} lines")
            term.wait_for("Status", words[0])
            # tmux can be read while a frame is half written (the pane's top lines new,
            # its bottom ones old): only a screen that has stopped changing counts.
            term.quiet()
            screen = term.screen()
            seen = set(screen.split())
            for _ in range(40):
                if words[-1] in seen:
                    break
                term.send("Space")
                term.wait_change(screen)
                term.quiet()
                screen = term.screen()
                seen |= set(screen.split())
            missing = [w for w in words if w not in seen]
            assert not missing, f"{len(missing)} of {len(words)} words never shown:\n{screen}"
            term.send("G")
            term.wait_for(words[-1])
            term.escape()
            term.send("j")
            if position < len(rows):  # the list's position indicator: j was handled
                term.wait_for(f"{position + 1} / {len(rows)} ")
        term.send("q")
        term.wait_until_gone()
    finally:
        term.kill()
