"""Full-screen reading (f): the whole paper, next/previous in the list's order, the paper keys,
marking read, following other processes, and back to the list on the paper read last.

The tests read the screen (the SVG screenshot as rows of text) and compare it
with the library.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from absreader.core.catalog import Catalog, ListSpec
from absreader.ui.screens.reading import ReadingScreen
from absreader.ui.widgets.watch import LibraryWatch

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import (  # noqa: E402
    app_for,
    build_home,
    paths_for,
    screen_lines,
    settle,
    type_text,
    widget_text,
)
from conftest_ui import sample_paths as sample_paths  # noqa: E402 (a fixture)

pytest_plugins = ["conftest_ui"]

#: A long abstract (about 50 lines of 60 characters) with LaTeX, decoded at import.
LONG = " ".join(f"word{i:03d}" for i in range(400)) + r" with $\alpha$-sparse and $\mathcal{O}(n^2)$ cost."


@pytest.fixture(scope="module")
def reading_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two papers imported from an arXiv JSON Lines file (so their LaTeX is decoded)."""
    folder = tmp_path_factory.mktemp("reading")
    source = folder / "papers.jsonl"
    rows = [
        {"id": "2401.00001", "title": "A long paper about $\\ell$ norms", "abstract": LONG,
         "authors": "Ada Lovelace and Alan Turing", "categories": "cs.LG stat.ML",
         "update_date": "2024-01-02"},
        {"id": "2401.00002", "title": "A short one", "abstract": "Short abstract here.",
         "categories": "cs.CL", "update_date": "2024-01-01"},
    ]  # fmt: skip
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    home = folder / "home"
    build_home(home, files=[source])
    return home


def reading(app) -> ReadingScreen:
    screen = app.screen
    assert isinstance(screen, ReadingScreen), f"not reading full screen: {screen!r}"
    return screen


def seen_words(app, screen: ReadingScreen) -> set[str]:
    return set(widget_text(app, screen.view).split())


@pytest.mark.parametrize("width", [80, 120])
async def test_every_word_of_the_abstract_and_the_metadata(
    reading_template: Path, tmp_path: Path, width: int
) -> None:
    home = tmp_path / "home"
    shutil.copytree(reading_template, home)
    paths = paths_for(home)
    app = app_for(paths, first_run_files=[])
    async with app.run_test(size=(width, 30)) as pilot:
        await settle(pilot)
        main = app.main_screen
        paper = main.paper_list.current
        assert paper is not None and paper.arxiv_id == "2401.00001"
        await pilot.press("f")
        await settle(pilot)
        screen = reading(app)
        assert "ℓ" in paper.title and "α" in paper.abstract  # decoded at import
        first = "\n".join(screen_lines(app))
        for text in (paper.title, "Ada Lovelace, Alan Turing", "cs.LG · stat.ML", "2024-01-02",
                     "2401.00001", "1 / 2 papers", "Next", "Previous", "Back"):  # fmt: skip
            assert text in first, text
        # The column is centred and about 90 wide on a wide terminal, the whole width on a narrow one.
        title_row = next(line for line in screen_lines(app) if paper.title in line)
        indent = len(title_row) - len(title_row.lstrip())
        assert (indent > 10) if width >= 120 else (indent <= 4)
        words = paper.abstract.split()
        seen: set[str] = set()
        while True:
            seen |= seen_words(app, screen)
            if screen.view.scroll_y >= screen.view.max_scroll_y:
                break
            await pilot.press("space")
            await pilot.pause()
        missing = [w for w in words if w not in seen]
        assert not missing, f"{len(missing)} of {len(words)} words never shown at {width}"
        assert screen.view.max_scroll_y > 0  # it did have to scroll
        await pilot.press("k")  # j/k scroll too
        await pilot.pause()
        assert screen.view.scroll_y < screen.view.max_scroll_y


async def test_next_and_previous_follow_the_list_order_past_the_loaded_page(sample_paths) -> None:  # noqa: F811
    catalog = Catalog.open(sample_paths)
    try:
        order = catalog.select(ListSpec(), limit=None, sort="title").keys
    finally:
        catalog.close()
    assert len(order) > 400
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        main.set_sort("title")
        await settle(pilot)
        assert main.paper_list.loaded_keys[:5] == order[:5]
        main.paper_list.cursor = 398
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        screen = reading(app)
        shown = [screen.paper.key]
        for key in ("J", "right", "l", "J"):  # past row 400: a page the list had not loaded
            await pilot.press(key)
            await settle(pilot)
            shown.append(screen.paper.key)
        assert shown == order[398:403]
        lines = "\n".join(screen_lines(app))
        title = app.catalog.paper(order[402]).title
        assert title[:40] in lines and "403 / 6" in lines
        for key in ("K", "left", "h"):
            await pilot.press(key)
            await settle(pilot)
        assert screen.paper.key == order[399]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is main
        assert main.paper_list.cursor == 399 and main.paper_list.current.key == order[399]
        assert main.detail.paper.key == order[399]


async def test_first_and_last_paper_say_so(reading_template: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(reading_template, home)
    app = app_for(paths_for(home), first_run_files=[])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f", "K")
        await settle(pilot)
        assert any("first paper" in n[2] for n in app.notified)
        await pilot.press("J", "J")
        await settle(pilot)
        assert reading(app).paper.arxiv_id == "2401.00002"
        assert any("last paper" in n[2] for n in app.notified)
        await pilot.press("q")  # q goes back here (it quits only from the main screen)
        await settle(pilot)
        assert app.screen is app.main_screen and app.is_running
        assert app.main_screen.paper_list.cursor == 1


async def test_opening_marks_read_and_the_paper_keys_work_there(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        # Go to the Unread list: opening a paper there marks it read, next keeps the order.
        main.show_list(ListSpec("unread"))
        await settle(pilot)
        first, second = main.paper_list.loaded_keys[:2]
        await pilot.press("f")
        await settle(pilot)
        screen = reading(app)
        assert app.catalog.paper(first).read
        assert "read" in widget_text(app, screen.view) and "● unread" not in widget_text(app, screen.view)
        await pilot.press("b")
        await settle(pilot)
        assert app.catalog.paper(first).bookmarked
        assert "★ bookmarked" in widget_text(app, screen.view)
        await pilot.press("r")  # back to unread: shown at once
        await settle(pilot)
        assert not app.catalog.paper(first).read
        assert "● unread" in widget_text(app, screen.view)
        await pilot.press("J")
        await settle(pilot)
        assert screen.paper.key == second and app.catalog.paper(second).read
        await pilot.press("t")
        await settle(pilot)
        await type_text(pilot, "to-cite")
        await pilot.press("enter", "ctrl+s")  # add it, then save the tags
        await settle(pilot)
        assert app.screen is screen
        assert "to-cite" in app.catalog.paper(second).tags
        assert "#to-cite" in widget_text(app, reading(app).view)
        await pilot.press("escape")
        await settle(pilot)
        # The list shows every change made while reading full screen.
        row = main.paper_list.row_of(first)
        assert main.paper_list.paper_at(row).bookmarked
        assert "to-cite" in main.paper_list.current.tags
        assert main.lists is not None and any(t.name == "to-cite" for t in main.lists.tags)


async def test_another_process_changes_the_paper_being_read(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        screen = reading(app)
        key = screen.paper.key
        other = Catalog.open(sample_paths)  # a second process: the CLI, say
        try:
            other.set_bookmarked(key, True)
            other.set_note(key, "Noted from the command line")
        finally:
            other.close()
        app.main_screen.query_one(LibraryWatch).look_now()  # (instead of waiting half a second)
        await settle(pilot)
        text = widget_text(app, screen.view)
        assert "★ bookmarked" in text and "Noted from the command line" in text


async def test_a_change_before_the_reading_screen_composes_is_drawn(sample_paths) -> None:  # noqa: F811
    """The main screen forwards changes to every screen on the stack, composed or not."""
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        key = app.main_screen.paper_list.current.key
        other = Catalog.open(sample_paths)
        try:
            other.set_bookmarked(key, True)
        finally:
            other.close()
        app.read_full_screen()
        screen = reading(app)
        assert not screen.is_mounted  # pushed, not composed: the race CI once lost
        app.main_screen.paper_changed(app.catalog.paper(key))
        await settle(pilot)
        assert reading(app) is screen and screen.paper.key == key
        assert "★ bookmarked" in widget_text(app, screen.view)


async def test_palette_reads_full_screen(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        key = app.main_screen.paper_list.current.key
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Read full screen")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert reading(app).paper.key == key
        # From the reading screen, the palette's paper commands act on the paper read there.
        await pilot.press("J")
        await settle(pilot)
        second = reading(app).paper.key
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Bookmark the paper")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.catalog.paper(second).bookmarked and not app.catalog.paper(key).bookmarked


async def test_help_lists_the_reading_keys(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = "\n".join(screen_lines(app))
        for words in ("Read full screen", "the next paper in the list", "the previous paper",
                      "Delete the paper", "Edit the paper's title"):  # fmt: skip
            assert words in text, words


async def test_the_footer_says_where_help_is_and_that_q_goes_back(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, ReadingScreen)
        bottom = screen_lines(app)[-1]
        assert "? Help" in bottom and "q Back" in bottom, bottom
        assert "Quit" not in bottom, bottom
        await pilot.press("question_mark")
        await settle(pilot)
        from absreader.ui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)  # ? works here too
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert not isinstance(app.screen, ReadingScreen)  # q went back, the reader still runs
        assert app.is_running
