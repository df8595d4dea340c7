"""The real reader in a real terminal: tmux runs it, send-keys types, capture-pane reads.

Skipped only when tmux is missing on a developer's machine; in CI (``CI`` set)
a missing tmux is a failure, since CI installs it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["conftest_ui"]

pytestmark = pytest.mark.tmux

DEADLINE = 30.0


def reader_command() -> str:
    """The command a user types: ``absreader`` (from this interpreter's environment)."""
    override = os.environ.get("ABSREADER_TMUX_CMD")
    if override:
        return override
    script = Path(sys.executable).with_name("absreader")
    if script.exists():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m absreader"


class Tmux:
    """One detached tmux session running the reader."""

    def __init__(self, home: Path, width: int = 120, height: int = 36) -> None:
        self.name = f"absreader-{uuid.uuid4().hex[:8]}"
        env = {**os.environ, "ABSREADER_HOME": str(home), "TERM": "xterm-256color"}
        env.pop("TMUX", None)
        subprocess.run(
            ["tmux", "-f", "/dev/null", "new-session", "-d", "-s", self.name,
             "-x", str(width), "-y", str(height),
             f"ABSREADER_HOME={shlex.quote(str(home))} {reader_command()}"],
            check=True, env=env,
        )  # fmt: skip

    def alive(self) -> bool:
        return (
            subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True).returncode
            == 0
        )

    def screen(self, colours: bool = False) -> str:
        """The text on the terminal (with its colour escapes when ``colours``)."""
        result = subprocess.run(
            ["tmux", "capture-pane", "-p", *(["-e"] if colours else []), "-t", self.name],
            capture_output=True,
            text=True,
        )
        return result.stdout

    def send(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)

    def wait_for(self, *texts: str, deadline: float = DEADLINE) -> str:
        """Poll the screen until every text is on it (fails with the last screen after ``deadline``)."""
        end = time.monotonic() + deadline
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            if not self.alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"waited for {texts!r}; the screen shows:\n{screen}")

    def wait_without(self, text: str, deadline: float = DEADLINE) -> str:
        """Poll until ``text`` has left the screen."""
        end = time.monotonic() + deadline
        screen = self.screen()
        while time.monotonic() < end and text in screen:
            time.sleep(0.05)
            screen = self.screen()
        if text in screen:
            raise AssertionError(f"waited for {text!r} to go; the screen shows:\n{screen}")
        return screen

    def wait_until_gone(self, deadline: float = 10.0) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if not self.alive():
                return
            time.sleep(0.05)
        raise AssertionError(f"the reader did not exit; the screen shows:\n{self.screen()}")

    def wait_change(self, before: str, deadline: float = 3.0, colours: bool = False) -> str:
        """Poll until the screen differs from ``before`` (or ``deadline``: it stayed the same)."""
        end = time.monotonic() + deadline
        screen = self.screen(colours)
        while time.monotonic() < end and screen == before:
            time.sleep(0.05)
            screen = self.screen(colours)
        return screen

    def quiet(self, deadline: float = 5.0) -> str:
        """Poll until two looks at the screen, 0.1 s apart, agree (nothing is redrawing)."""
        end = time.monotonic() + deadline
        screen = self.screen(colours=True)
        while time.monotonic() < end:
            time.sleep(0.1)
            again = self.screen(colours=True)
            if again == screen:
                break
            screen = again
        return screen

    def escape(self) -> None:
        """Esc, then wait for the screen to react (so the next key is not read as Alt+key)."""
        before = self.quiet()
        self.send("Escape")
        self.wait_change(before, colours=True)
        self.quiet()

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def need_tmux() -> None:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is not installed (CI must install it)")
        pytest.skip("tmux is not installed")


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
    from conftest_ui import build_home, record

    home = tmp_path / "home"
    records = [record(f"Paper with {n} lines", _abstract(n), f"2402.{n:05d}") for n in LINE_COUNTS]
    build_home(home, records=records)
    term = Tmux(home, width=width, height=36)
    try:
        screen = term.wait_for("4 of 4 papers", *(f"Paper with {n} lines" for n in LINE_COUNTS))
        rows = sorted(LINE_COUNTS, key=lambda n: screen.index(f"Paper with {n} lines"))
        for shown in rows:
            term.send("Enter")
            words = _abstract(shown).split()
            # Only the detail pane shows abstracts: the first word says this paper is open.
            screen = term.wait_for("Status", words[0])
            seen = set(screen.split())
            for _ in range(40):
                if words[-1] in seen:
                    break
                term.send("Space")
                screen = term.wait_change(screen)
                seen |= set(screen.split())
            missing = [w for w in words if w not in seen]
            assert not missing, f"{len(missing)} of {len(words)} words never shown:\n{screen}"
            term.send("G")
            term.wait_for(words[-1])
            term.escape()
            term.send("j")
        term.send("q")
        term.wait_until_gone()
    finally:
        term.kill()
