"""Facets, selection, bulk bookmark with undo, export and mark-all-read in the real reader (tmux).

What the terminal shows is checked at every step, and what the library holds
afterwards is read back with the CLI, as a second process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import Tmux, build_home, need_tmux  # noqa: E402
from test_ui_facets import facet_records  # noqa: E402

pytestmark = pytest.mark.tmux


def cli(home: Path, *args: str) -> str:
    env = {**os.environ, "ABSREADER_HOME": str(home)}
    done = subprocess.run([sys.executable, "-m", "absreader", *args], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, f"absreader {' '.join(args)}: {done.stderr}"
    return done.stdout


def keys_of(home: Path, *args: str) -> list[str]:
    return [p["key"] for p in json.loads(cli(home, "list", "--json", "--limit", "1000", *args))]


def test_facet_filter_selection_bulk_bookmark_undo_export_and_mark_all_read(tmp_path: Path) -> None:
    need_tmux()
    home = tmp_path / "home"
    build_home(home, records=facet_records())
    target = tmp_path / "picked.json"
    term = Tmux(home)
    try:
        screen = term.wait_for("All · 40 papers", "Categories", "□ cs.LG", "Years", "□ 2024")
        assert any(line.split("│")[1].strip().endswith("20") for line in screen.splitlines()
                   if "□ cs.LG" in line)  # fmt: skip
        # Keyboard only: l to the sidebar, j past the lists to cs.LG, Enter toggles it on.
        term.send("l")
        term.quiet()
        term.send("g")  # the first row (All), whatever the sidebar highlighted
        term.quiet()
        for _ in range(4):
            term.send("j")
            term.quiet()  # one row at a time: each move drawn before the next key
        term.send("Enter")
        screen = term.wait_for("cs.LG · 20 papers", "■ cs.LG", "filter: cs.LG")
        term.escape()  # back to the list
        term.send("Space")
        term.send("S-Down")
        screen = term.wait_for("2 selected")
        marked = [line for line in screen.splitlines() if "✓" in line]
        assert len(marked) == 2
        term.send("b")
        term.wait_for("Bookmarked 2 papers · u undoes")
        bookmarked = keys_of(home, "--bookmarked")
        assert len(bookmarked) == 2
        cs_lg = set(keys_of(home, "--category", "cs.LG"))
        assert set(bookmarked) <= cs_lg
        term.send("u")
        term.wait_for("Undone: Took the bookmark off 2 papers again")
        assert keys_of(home, "--bookmarked") == []

        term.send("x")
        term.wait_for("Export 2 selected papers")
        term.type(str(target))
        term.send("Enter")
        term.wait_for("Exported 2 papers")
        exported = [p["key"] for p in json.loads(target.read_text(encoding="utf-8"))["papers"]]
        assert set(exported) == set(bookmarked)

        term.send("c")
        term.wait_for("All · 40 papers", "Filters cleared.")
        term.send("A")  # 40 papers: no question asked
        term.wait_for("Marked 40 papers read · u undoes")
        assert keys_of(home, "--unread") == []
        term.send("q")
        term.wait_until_gone()
    finally:
        term.kill()
