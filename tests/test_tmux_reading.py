"""Reading full screen, deleting and undoing in a real terminal (tmux runs the reader).

Skipped only when tmux is missing on a developer's machine (a failure in CI).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from absreader.core.catalog import Catalog, ListSpec
from absreader.paths import get_paths

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import Tmux, need_tmux  # noqa: E402

pytest_plugins = ["conftest_ui"]

pytestmark = pytest.mark.tmux


@pytest.fixture
def tmux_home(sample_template: Path, tmp_path: Path) -> Iterator[Path]:
    need_tmux()
    home = tmp_path / "home"
    shutil.copytree(sample_template, home)
    yield home


def _first_papers(home: Path, count: int = 2):
    catalog = Catalog.open(get_paths({"ABSREADER_HOME": str(home)}))
    try:
        page = catalog.select(ListSpec(), limit=count)
        return catalog.papers(page.keys), page.library_total
    finally:
        catalog.close()


def test_read_full_screen_then_delete_and_undo(tmux_home: Path) -> None:
    (first, second), total = _first_papers(tmux_home)
    term = Tmux(tmux_home, width=120, height=40)
    try:
        term.wait_for(f"{total:,} papers", "Bookmark")
        term.send("f")
        screen = term.wait_for(f"1 / {total:,} papers", "Next", "Previous")
        text = " ".join(screen.split())
        assert first.title in text
        missing = [w for w in first.abstract.split() if w not in text.split()]
        assert not missing, f"words of the abstract not on the screen: {missing[:10]}"
        term.send("J")
        term.wait_for(f"2 / {total:,} papers", second.title)
        term.send("K")
        term.wait_for(f"1 / {total:,} papers", first.title)
        term.escape()
        term.wait_for("Lists", f"{total:,} papers")
        # Delete the paper under the cursor (the one read last), then undo it.
        term.send("d")
        term.wait_for("Delete “", "u undoes this")
        term.send("Enter")
        term.wait_for(f"{total - 1:,} papers")
        term.wait_without("Delete “")
        term.send("u")
        term.wait_for(f"{total:,} papers", "Restored")
        term.send("q")
        term.wait_until_gone()
    finally:
        term.kill()
    papers, after = _first_papers(tmux_home)
    assert after == total and papers[0].key == first.key and papers[0].read
