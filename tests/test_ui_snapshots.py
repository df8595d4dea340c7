"""Snapshot tests (pytest-textual-snapshot): main screen, help, tag editor, narrow, first run.

Each shot uses its own copy of the sample library, timings hidden and the
default theme, so the pictures only change when the interface does. Update
them with ``pytest tests/test_ui_snapshots.py --snapshot-update`` and look at
the SVGs before committing.

A picture compared with the last approved picture cannot see a line that was
never there, so before each shot the screen's text is also checked against
the library: the rows, the counts, the paper in the detail pane.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from absreader.core.catalog import Catalog, ListSpec
from absreader.core.models import Paper
from absreader.paths import Paths
from absreader.ui.app import AbsReaderApp
from absreader.ui.screens.progress import ProgressScreen
from absreader.ui.text import paper_title
from absreader.ui.widgets.paper_list import row_title

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import SAMPLE, app_for, screen_lines, settle, widget_text  # noqa: E402

pytest_plugins = ["conftest_ui"]


@pytest.fixture
def sample_paths(sample_paths: Paths) -> Paths:  # noqa: F811 (the shared fixture, made portable)
    """The shared sample library with its sources named ``sample_data/FILE``: the detail pane
    shows where a paper came from, and the picture must not depend on where the checkout is."""
    con = sqlite3.connect(sample_paths.library_file)
    try:
        with con:
            for (source,) in con.execute("SELECT DISTINCT source FROM sources").fetchall():
                con.execute("UPDATE sources SET source = ? WHERE source = ?",
                            (f"sample_data/{Path(source).name}", source))  # fmt: skip
    finally:
        con.close()
    return sample_paths


async def _ready(pilot: Pilot) -> None:
    await settle(pilot)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


def _papers(paths: Paths, query: str = "", limit: int = 10) -> tuple[list[Paper], int]:
    """The first papers of the All list (or of a search), and the library's size."""
    catalog = Catalog.open(paths)
    try:
        page = catalog.page(query, ListSpec(), limit=limit)
        return catalog.papers(page.keys), page.library_total
    finally:
        catalog.close()


def _words(text: str) -> list[str]:
    return " ".join(text.split()).split(" ")


def check_main_screen(app: AbsReaderApp, papers: list[Paper], total: int, cursor: int,
                      shown: int, where: str) -> None:  # fmt: skip
    """The screen shows the rows, the counts and the paper under the cursor, as stored."""
    main = app.main_screen
    screen = "\n".join(screen_lines(app))
    rows = widget_text(app, main.paper_list)
    for paper in papers[: min(len(papers), main.paper_list.size.height // 2)]:
        start = " ".join(_words(row_title(paper))[:3])
        assert start[:20] in rows, f"row for {paper.key} missing"
    papers_word = "paper" if total == 1 else "papers"
    assert f"{shown:,} of {total:,} {papers_word} · {where}" in screen
    assert f"{shown:,} paper" in screen.splitlines()[3]  # the list's title
    sidebar = widget_text(app, main.sidebar).splitlines()
    assert sidebar[0].startswith("◆ All") and sidebar[0].endswith(f"{total:,}")
    detail = " ".join(widget_text(app, main.detail).split())
    paper = papers[cursor]
    assert (paper.arxiv_id or paper.key) in detail
    assert " ".join(_words(paper.abstract)[:4]) in detail


def test_main_screen(snap_compare, sample_paths) -> None:
    app = app_for(sample_paths)
    papers, total = _papers(sample_paths)

    async def ready(pilot: Pilot) -> None:
        await _ready(pilot)
        await pilot.press("j", "j")
        await _ready(pilot)
        check_main_screen(app, papers, total, 2, total, "All")

    assert snap_compare(app, terminal_size=(120, 36), run_before=ready)


def test_main_screen_with_search(snap_compare, sample_paths) -> None:
    app = app_for(sample_paths)

    async def search(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("slash", *"honesty", "enter")
        await _ready(pilot)
        papers = app.main_screen.results.first
        shown = app.main_screen.results.total
        assert papers and all("honest" in (p.title + p.abstract).casefold() for p in papers[:3])
        check_main_screen(app, papers, _papers(sample_paths)[1], 0, shown, "All · search")

    assert snap_compare(app, terminal_size=(120, 36), run_before=search)


def test_help_screen(snap_compare, sample_paths) -> None:
    app = app_for(sample_paths)

    async def ready(pilot: Pilot) -> None:
        await _ready(pilot)
        await pilot.press("question_mark")
        await _ready(pilot)
        screen = " ".join(" ".join(screen_lines(app)).split())
        for info in app.key_infos()[:12]:  # what fits above the fold
            assert " ".join(info.description.split()[:3]) in screen, info.id

    assert snap_compare(app, terminal_size=(120, 36), run_before=ready)


def test_tag_editor(snap_compare, sample_paths) -> None:
    app = app_for(sample_paths)

    async def tag(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("t", *"to-read", "enter", *"survey", "enter", *"to")
        await _ready(pilot)
        screen = "\n".join(screen_lines(app))
        assert "#to-read" in screen and "#survey" not in screen  # "to" filters the list
        assert paper_title(app.main_screen.current_paper)[:30] in screen

    assert snap_compare(app, terminal_size=(120, 36), run_before=tag)


def test_narrow_layout(snap_compare, sample_paths) -> None:
    app = app_for(sample_paths)
    papers, total = _papers(sample_paths)

    async def ready(pilot: Pilot) -> None:
        await _ready(pilot)
        await pilot.press("j")
        await _ready(pilot)
        main = app.main_screen
        assert not main.sidebar.display and not main.detail.display  # folded away
        rows = widget_text(app, main.paper_list)
        for paper in papers[:5]:
            assert " ".join(_words(row_title(paper))[:3])[:20] in rows
        last = screen_lines(app)[-1]
        assert "? Help" in last and "q Quit" in last

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)


def test_narrow_layout_detail_open(snap_compare, sample_paths) -> None:
    app = app_for(sample_paths)
    papers, _ = _papers(sample_paths)

    async def ready(pilot: Pilot) -> None:
        await _ready(pilot)
        await pilot.press("enter")
        await _ready(pilot)
        detail = " ".join(widget_text(app, app.main_screen.detail).split())
        assert (papers[0].arxiv_id or papers[0].key) in detail
        assert " ".join(_words(papers[0].abstract)[:4]) in detail

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)


class FrozenFirstRun(AbsReaderApp):
    """The first-run screen held at a fixed point (the import itself is tested elsewhere)."""

    def start_first_run(self, files: list[Path]) -> None:
        self.progress_screen = ProgressScreen()
        self.push_screen(self.progress_screen)
        self.call_after_refresh(self._freeze)

    def _freeze(self) -> None:
        assert self.progress_screen is not None
        self.progress_screen.set_import(
            61_440, 163_840, "Importing daily-papers-listing-mar-14.txt · 202 records · 193 new"
        )
        self.progress_screen.set_index(0, 650, "Indexing 0 of 650 papers")


def test_first_run_progress(snap_compare, empty_paths) -> None:
    from absreader.core.catalog import Catalog

    app = FrozenFirstRun(empty_paths, Catalog.open(empty_paths), show_timings=False,
                         first_run_files=sorted(SAMPLE.iterdir()))  # fmt: skip

    async def ready(pilot: Pilot) -> None:
        await pilot.pause()
        await pilot.pause()
        screen = "\n".join(screen_lines(app))
        assert "Importing daily-papers-listing-mar-14.txt · 202 records · 193 new" in screen
        assert "Indexing 0 of 650 papers" in screen

    assert snap_compare(app, terminal_size=(120, 36), run_before=ready)
