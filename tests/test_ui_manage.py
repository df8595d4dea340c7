"""Managing papers in the reader: delete (d, with confirmation and u), edit (E, with
validation and u), and where a paper came from (its sources in the detail pane).

Each test checks what the screen shows against what the library holds.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from absreader.core.catalog import Catalog
from absreader.core.models import Paper, Record
from absreader.ui.dialogs.confirm import ChoiceScreen
from absreader.ui.dialogs.edit import EditDialog
from absreader.ui.screens.reading import ReadingScreen

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import (  # noqa: E402
    app_for,
    build_home,
    paths_for,
    record,
    row_texts,
    screen_lines,
    settle,
    type_text,
    widget_text,
)
from conftest_ui import sample_paths as sample_paths  # noqa: E402 (a fixture)

pytest_plugins = ["conftest_ui"]


def state(paths) -> dict[str, dict]:
    """The whole library as the user knows it: every paper with its personal data."""
    catalog = Catalog.open(paths)
    try:
        keys = catalog.select(limit=None).keys
        return {p.key: _fields(p) for p in catalog.papers(keys)}
    finally:
        catalog.close()


def _fields(paper: Paper) -> dict:
    fields = paper.to_json()
    fields["source_lines"] = paper.extra.get("source_lines")
    return fields


async def test_delete_asks_naming_the_paper_then_u_restores_it_whole(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        main = app.main_screen
        main.paper_list.cursor = 3
        await settle(pilot)
        paper = main.paper_list.current
        after = main.paper_list.paper_at(4)
        # Personal data that must come back with it.
        app.catalog.set_bookmarked(paper.key, True)
        app.catalog.add_tags(paper.key, ["keep-me"])
        app.catalog.set_note(paper.key, "A note that must survive")
        app.catalog.set_read(paper.key, True)
        before = state(sample_paths)
        total = main.paper_list.total
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        dialog = "\n".join(screen_lines(app))
        assert f"Delete “{paper.title[:40]}" in dialog and "u undoes this" in dialog
        await pilot.press("enter")  # Delete has the focus
        await settle(pilot)
        assert app.screen is main
        with pytest.raises(Exception, match="no paper|not found|No paper"):
            app.catalog.paper(paper.key)
        # The row is gone, the next paper has the cursor, the counts follow.
        assert main.paper_list.row_of(paper.key) is None
        assert main.paper_list.current.key == after.key and main.paper_list.cursor == 3
        assert main.paper_list.total == total - 1
        assert f"{total - 1:,} papers" in "\n".join(screen_lines(app))
        assert main.lists.all == total - 1
        assert not any(paper.title[:40] in row for row in row_texts(app, 8))
        await pilot.press("u")
        await settle(pilot)
        assert state(sample_paths) == before
        assert main.paper_list.row_of(paper.key) == 3 and main.paper_list.current.key == paper.key
        assert main.lists.all == total
        text = widget_text(app, main.detail)
        assert "A note that must survive" in text and "#keep-me" in text and "★ bookmarked" in text


async def test_escape_in_the_question_deletes_nothing(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        before = state(sample_paths)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen
        assert state(sample_paths) == before


async def test_delete_the_last_row_and_while_reading_full_screen(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        main = app.main_screen
        keys = main.paper_list.loaded_keys
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        # Still reading full screen, now the paper after the deleted one.
        screen = app.screen
        assert isinstance(screen, ReadingScreen) and screen.paper.key == keys[1]
        assert keys[0] not in state(sample_paths)
        assert "1 / " in "\n".join(screen_lines(app))
        await pilot.press("escape")
        await settle(pilot)
        assert main.paper_list.current.key == keys[1]


async def test_edit_checks_the_year_saves_and_u_puts_back_every_value(sample_paths, monkeypatch) -> None:  # noqa: F811
    catalog = Catalog.open(sample_paths)
    try:  # a paper with authors and a full date (the undo must give back the day, not only the year)
        key = next(p.key for p in catalog.iter_papers() if p.arxiv_id and not p.untitled)
        paper = catalog.edit_paper(key, authors=["Grace Hopper", "Edsger Dijkstra"],
                                   published="2023-05-17")  # fmt: skip
    finally:
        catalog.close()
    assert paper.published == "2023-05-17"
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        main = app.main_screen
        await pilot.press("slash")
        await type_text(pilot, paper.arxiv_id)
        await pilot.press("enter")
        await settle(pilot)
        assert main.paper_list.current.key == paper.key
        before = state(sample_paths)
        await pilot.press("E")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, EditDialog)
        title = dialog.query_one("#edit-title")
        assert title.value == paper.title
        title.value = "Zebras Considered Harmful"
        dialog.query_one("#edit-authors").value = "A. Li; B. Chen"
        dialog.query_one("#edit-year").value = "20x"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog  # still open, saying what is wrong
        assert "four digits" in "\n".join(screen_lines(app))
        assert state(sample_paths) == before
        dialog.query_one("#edit-year").value = "1999"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is main
        stored = app.catalog.paper(paper.key)
        assert stored.title == "Zebras Considered Harmful" and stored.authors == ("A. Li", "B. Chen")
        assert stored.published.startswith("1999")
        # The row and the detail show it; a search finds it by the new title.
        assert "Zebras Considered Harmful" in widget_text(app, main.detail)
        assert "A. Li, B. Chen" in widget_text(app, main.detail)
        row = main.paper_list.cursor
        assert "Zebras Considered Harmful" in row_texts(app, row + 1)[row]
        await pilot.press("slash")
        main.search_input.value = ""
        await type_text(pilot, "zebras")
        await pilot.press("enter")
        await settle(pilot)
        assert main.search_input.value == "zebras"
        assert main.paper_list.loaded_keys[:1] == [paper.key]
        # `absreader show` (another process) sees the edit.
        from absreader.cli import main as cli_main

        monkeypatch.setenv("ABSREADER_HOME", str(sample_paths.data_dir.parent))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli_main(["show", paper.key]) == 0
        shown = out.getvalue()
        assert shown.startswith("Zebras Considered Harmful") and "A. Li, B. Chen" in shown
        assert "1999" in shown
        # u: every value as it was, the full date included.
        await pilot.press("u")
        await settle(pilot)
        assert state(sample_paths) == before
        assert paper.title in widget_text(app, main.detail)


async def test_edit_an_untitled_paper_and_undo_makes_it_untitled_again(sample_paths) -> None:  # noqa: F811
    catalog = Catalog.open(sample_paths)
    try:
        key = next(p.key for p in catalog.iter_papers() if p.untitled)
    finally:
        catalog.close()
    before = state(sample_paths)[key]
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        main = app.main_screen
        await pilot.press("slash")
        await type_text(pilot, key)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert main.paper_list.current.key == key
        await pilot.press("E")
        await settle(pilot)
        dialog = app.screen
        assert dialog.query_one("#edit-title").value == ""
        await type_text(pilot, "Now It Has a Title")
        await pilot.press("enter")
        await settle(pilot)
        assert app.catalog.paper(key).title == "Now It Has a Title"
        assert not app.catalog.paper(key).untitled
        await pilot.press("u")
        await settle(pilot)
        after = state(sample_paths)[key]
        assert after | {"seq": 0} == before | {"seq": 0}
        assert app.catalog.paper(key).untitled


def test_the_edit_rules() -> None:
    from absreader.ui.dialogs.edit import EditResult, check

    paper = Paper(key="k", title="Old", display_title="Old", untitled=False,
                  authors=("A", "B"), published="2020-03-04")  # fmt: skip
    assert check(paper, "Old", "A; B", "2020") == EditResult()
    assert not check(paper, "  Old ", " A ;B; ", "2020")
    assert check(paper, "New  title", "A", "2021") == EditResult("New title", ["A"], 2021)
    assert "four digits" in check(paper, "Old", "A; B", "99")
    assert "four digits" in check(paper, "Old", "A; B", "0999")
    assert "title is empty" in check(paper, "", "A; B", "2020")
    assert "year is empty" in check(paper, "Old", "A; B", "")


# ----------------------------------------------------------------------------- sources


@pytest.fixture
def hostile_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    records = [
        record("From a hostile file", "Abstract.", "2401.00009", published="2024-01-01")
    ]
    paths = build_home(home, records=records)
    catalog = Catalog.open(paths)
    try:
        # A second source named like markup and carrying an escape sequence.
        catalog.library.upsert([
            Record(source="[bold red]evil[/] \x1b[31mfeeds.jsonl", line=42,
                   title="From a hostile file", abstract="Abstract.", arxiv_id="2401.00009"),
        ])  # fmt: skip
    finally:
        catalog.close()
    return home


async def test_detail_and_reading_screen_show_the_sources_literally(hostile_home: Path) -> None:
    paths = paths_for(hostile_home)
    app = app_for(paths, first_run_files=[])
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        main = app.main_screen
        text = " ".join(widget_text(app, main.detail).split())
        assert "Sources" in text and "test, line 1" in text
        assert "[bold red]evil[/]" in text and "feeds.jsonl, line 42" in text
        assert "\x1b" not in "".join(screen_lines(app))
        assert "Added" in text
        await pilot.press("f")
        await settle(pilot)
        text = " ".join(widget_text(app, app.screen.view).split())
        assert "[bold red]evil[/]" in text and "feeds.jsonl, line 42" in text


async def test_sample_papers_name_their_file_and_line(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        paper = app.main_screen.paper_list.current
        ((source, line),) = list(paper.extra["source_lines"].items())[:1] or [("", 0)]
        assert line > 0
        await pilot.press("enter", "G")  # the detail pane, scrolled to its end: where it came from
        await settle(pilot)
        text = "".join(widget_text(app, app.main_screen.detail).split())  # (long paths fold)
        assert "".join(f"{source}, line {line:,}".split()) in text
        assert "Added" in text


async def test_edit_while_reading_full_screen_shows_everywhere(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        main = app.main_screen
        key = main.paper_list.current.key
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
        app.screen.query_one("#edit-title").value = "Retitled While Reading"
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReadingScreen)
        assert "Retitled While Reading" in widget_text(app, screen.view)
        assert app.catalog.paper(key).title == "Retitled While Reading"
        await pilot.press("escape")
        await settle(pilot)
        assert "Retitled While Reading" in row_texts(app, 1)[0]
        assert "Retitled While Reading" in widget_text(app, main.detail)


async def test_d_with_a_selection_deletes_every_selected_paper_and_u_brings_all_back(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        main = app.main_screen
        before = state(sample_paths)
        total = main.paper_list.total
        await pilot.press("space", "shift+down", "shift+down")
        await settle(pilot)
        chosen = list(main.paper_list.selected)
        assert len(chosen) == 3
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        assert "3 papers" in "\n".join(screen_lines(app))
        await pilot.press("enter")
        await settle(pilot)
        for key in chosen:
            assert main.paper_list.row_of(key) is None
            with pytest.raises(Exception, match="no paper|not found|No paper"):
                app.catalog.paper(key)
        assert not main.paper_list.selected  # the deleted papers left the selection
        assert main.paper_list.total == total - 3
        await pilot.press("u")
        await settle(pilot)
        assert state(sample_paths) == before
        assert main.paper_list.total == total


async def test_u_pressed_right_after_the_delete_waits_for_it_and_restores(sample_paths) -> None:  # noqa: F811
    """The row leaves at once; u pressed before the deletion has committed still takes it back."""
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        main = app.main_screen
        before = state(sample_paths)
        total = main.paper_list.total
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter", "u")  # no pause between the two
        await settle(pilot)
        assert state(sample_paths) == before
        assert main.paper_list.total == total
        assert not any("Nothing to undo" in n[2] for n in app.notified)
