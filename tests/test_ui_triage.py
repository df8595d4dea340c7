"""Triage in the reader: next/previous unread, mark all shown read, the selection's bulk keys,
export, and u taking each back. Every check compares the screen or a file with the library."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import bibtexparser
import pytest

pytest.register_assert_rewrite("conftest_ui")
from absreader.core.catalog import Catalog, Filters  # noqa: E402
from absreader.ui.triage import CONFIRM_ABOVE  # noqa: E402
from absreader.ui.widgets.paper_list import SELECTED_MARK  # noqa: E402
from conftest_ui import (  # noqa: E402
    app_for,
    paste,
    row_texts,
    screen_lines,
    settle,
    type_text,
    widget_text,
)
from conftest_ui import sample_paths as sample_paths  # noqa: E402 (a fixture)


def personal_state(paths) -> dict[str, tuple[bool, bool, tuple[str, ...]]]:
    """Every paper's read state, bookmark and tags, and every tag's name (what undo restores)."""
    catalog = Catalog.open(paths)
    try:
        state = {p.key: (p.read, p.bookmarked, p.tags) for p in catalog.iter_papers()}
        state["-tags"] = tuple(t.name for t in catalog.tags())  # type: ignore[assignment]
        return state
    finally:
        catalog.close()


def list_keys(paths, query: str = "", filters: Filters | None = None) -> list[str]:
    catalog = Catalog.open(paths)
    try:
        return catalog.select(filters or Filters(), query, limit=None, as_you_type=True).keys
    finally:
        catalog.close()


def sidebar_count(app, label: str) -> str:
    """The count the sidebar shows beside ``label`` (as the user reads it)."""
    for line in widget_text(app, app.main_screen.sidebar).splitlines():
        if line[2:].startswith(label + " "):
            return line.split()[-1]
    raise AssertionError(f"no {label!r} row in the sidebar")


async def test_brackets_jump_to_the_next_and_previous_unread_beyond_the_loaded_page(
    sample_paths,  # noqa: F811
) -> None:
    keys = list_keys(sample_paths)
    assert len(keys) > 450
    catalog = Catalog.open(sample_paths)
    try:
        catalog.set_read_many(keys, True)
        catalog.set_read_many([keys[5], keys[450]], False)  # 450: far past the first page
    finally:
        catalog.close()
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        papers = app.main_screen.paper_list
        assert papers.paper_at(450) is None  # not loaded yet
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert papers.cursor == 5 and papers.current.key == keys[5]
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert papers.cursor == 450 and papers.current.key == keys[450]
        assert not papers.current.read
        assert any(f"451 / {len(keys)}" in line for line in screen_lines(app))
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert papers.cursor == 450
        assert app.notified[-1][2] == "No unread papers below this one in the list."
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert papers.cursor == 5
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert papers.cursor == 5
        assert app.notified[-1][2] == "No unread papers above this one in the list."


async def test_A_marks_the_searched_papers_read_in_one_go_and_u_restores_exactly_them(
    sample_paths,  # noqa: F811
) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        before = personal_state(sample_paths)
        await pilot.press("slash")
        await type_text(pilot, "diffusion")
        await pilot.press("enter")
        await settle(pilot)
        shown = list_keys(sample_paths, "diffusion")
        assert 0 < len(shown) <= CONFIRM_ABOVE
        assert app.main_screen.paper_list.total == len(shown)
        await pilot.press("A")
        await settle(pilot)
        after = personal_state(sample_paths)
        assert {k for k in before if k != "-tags" and after[k] != before[k]} == set(shown)
        assert all(after[k][0] for k in shown)
        # The rows lost their unread mark and the sidebar counts what the library says.
        assert all(" ● " not in row for row in row_texts(app, 3))
        catalog = Catalog.open(sample_paths)
        try:
            unread = catalog.lists().unread
        finally:
            catalog.close()
        assert unread == len(before) - 1 - len(shown)
        assert sidebar_count(app, "Unread") == f"{unread:,}"
        await pilot.press("u")
        await settle(pilot)
        assert personal_state(sample_paths) == before
        assert sidebar_count(app, "Unread") == f"{len(before) - 1:,}"


async def test_A_asks_first_for_many_papers_and_cancel_changes_nothing(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        before = personal_state(sample_paths)
        await pilot.press("A")
        await settle(pilot)
        assert app.screen.id == "confirm-read"
        assert any("Mark 650 papers read?" in line for line in screen_lines(app))
        await pilot.press("escape")
        await settle(pilot)
        assert personal_state(sample_paths) == before
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("enter")  # "Mark read" has the focus
        await settle(pilot)
        assert all(state[0] for key, state in personal_state(sample_paths).items() if key != "-tags")
        assert sidebar_count(app, "Unread") == "0"
        assert "Marked 650 papers read · u undoes" in [n[2] for n in app.notified]
        await pilot.press("A")
        await settle(pilot)
        assert app.notified[-1][2] == "All 650 papers shown are read already."
        await pilot.press("u")
        await settle(pilot)
        assert personal_state(sample_paths) == before


async def test_selection_marks_rows_and_b_r_t_act_on_all_of_it_undoably(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        main = app.main_screen
        before = personal_state(sample_paths)
        await pilot.press("space", "shift+down", "shift+down")
        await settle(pilot)
        chosen = [main.paper_list.paper_at(i).key for i in range(3)]
        assert list(main.paper_list.selected) == chosen
        rows = row_texts(app, 4)
        assert [row.startswith(SELECTED_MARK) for row in rows] == [True, True, True, False]
        assert "· 3 selected" in str(main.paper_list.border_title)
        await pilot.press("shift+up", "shift+up", "shift+up")  # up from row 2 to 0: nothing new
        await pilot.press("space")  # space on row 0 takes it out again ...
        assert list(main.paper_list.selected) == chosen[1:]
        await pilot.press("space")  # ... and back in
        assert set(main.paper_list.selected) == set(chosen)

        await pilot.press("b")
        await settle(pilot)
        state = personal_state(sample_paths)
        assert {k for k in before if k != "-tags" and state[k] != before[k]} == set(chosen)
        assert all(state[k][1] for k in chosen)
        assert all("★" in row for row in row_texts(app, 3))
        await pilot.press("b")  # all bookmarked already: b takes the bookmarks off
        await settle(pilot)
        assert personal_state(sample_paths) == before
        await pilot.press("b", "r")
        await settle(pilot)
        state = personal_state(sample_paths)
        assert all(state[k][0] and state[k][1] for k in chosen)
        await pilot.press("u")  # the read marks go ...
        await settle(pilot)
        state = personal_state(sample_paths)
        assert not any(state[k][0] for k in chosen) and all(state[k][1] for k in chosen)
        await pilot.press("u")  # ... then the bookmarks
        await settle(pilot)
        assert personal_state(sample_paths) == before

        await pilot.press("t")
        await settle(pilot)
        assert any("3 selected papers" in line for line in screen_lines(app))
        await type_text(pilot, "triage")
        await pilot.press("enter", "ctrl+s")
        await settle(pilot)
        state = personal_state(sample_paths)
        assert all(state[k][2] == ("triage",) for k in chosen)
        assert sum(1 for k, v in state.items() if k != "-tags" and "triage" in v[2]) == 3
        assert main.lists is not None and [(t.name, t.count) for t in main.lists.tags] == [("triage", 3)]
        await pilot.press("u")
        await settle(pilot)
        assert personal_state(sample_paths) == before  # the tag made for it is gone too

        await pilot.press("escape")
        await settle(pilot)
        assert not main.paper_list.selected
        assert "selected" not in str(main.paper_list.border_title)
        assert not any(row.startswith(SELECTED_MARK) for row in row_texts(app, 4))


async def test_space_still_pages_the_detail_pane_when_it_has_the_focus(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 24)) as pilot:
        await settle(pilot)
        main = app.main_screen
        await pilot.press("enter")  # open the paper: the detail pane has the focus
        await settle(pilot)
        assert app.focused is main.detail
        assert main.detail.max_scroll_y > 0
        await pilot.press("space")
        await settle(pilot)
        assert main.detail.scroll_y > 0
        assert not main.paper_list.selected


async def export_through_the_dialog(pilot, app, target: Path) -> None:
    await pilot.press("x")
    await settle(pilot)
    await paste(pilot, str(target))
    await pilot.press("enter")
    await settle(pilot)


async def test_x_exports_exactly_the_selected_papers(sample_paths, tmp_path: Path) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        main = app.main_screen
        await pilot.press("space", "j", "j", "space", "j", "space")
        await settle(pilot)
        chosen = list(main.paper_list.selected)
        assert len(chosen) == 3
        target = tmp_path / "chosen.json"
        await export_through_the_dialog(pilot, app, target)
        data = json.loads(target.read_text(encoding="utf-8"))
        assert [p["key"] for p in data["papers"]] == chosen
        assert app.notified[-1][2] == f"Exported 3 papers to {target} (JSON)."

        bib = tmp_path / "chosen.bib"
        await export_through_the_dialog(pilot, app, bib)
        library = bibtexparser.parse_string(bib.read_text(encoding="utf-8"))
        catalog = Catalog.open(sample_paths)
        try:
            titles = [catalog.paper(k).title for k in chosen]
        finally:
            catalog.close()
        assert [e.fields_dict["title"].value.strip("{}") for e in library.entries] == titles


async def test_x_without_a_selection_exports_the_list_shown(sample_paths, tmp_path: Path) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "language")
        await pilot.press("enter")
        await settle(pilot)
        target = tmp_path / "language.csv"
        await export_through_the_dialog(pilot, app, target)
        with target.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert [r["key"] for r in rows] == list_keys(sample_paths, "language")
        assert len(rows) == app.main_screen.paper_list.total > PAGE_ROWS


PAGE_ROWS = 20


async def test_export_refuses_absreaders_own_folders_and_unknown_suffixes(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        inside = sample_paths.data_dir / "papers.bib"
        await export_through_the_dialog(pilot, app, inside)
        assert app.screen.id != "main"  # the dialog stays, saying why
        shown = "\n".join(screen_lines(app))
        assert "refusing to export into absreader's data folder" in shown
        assert not inside.exists()
        field = app.screen.query_one("#prompt-input")
        field.value = str(sample_paths.data_dir.parent / "papers.txt")
        await pilot.press("enter")
        await settle(pilot)
        assert "Say the format by the suffix" in "\n".join(screen_lines(app))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main_screen


async def test_the_palette_names_the_triage_actions_and_runs_them(sample_paths, tmp_path: Path) -> None:  # noqa: F811
    from textual.command import CommandPalette

    from absreader.ui.commands import ReaderCommands

    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        texts = {c.text: c.help for c in ReaderCommands(app.main_screen).commands()}
        assert texts["Go to the next unread paper in the list"] == "Key: ]"
        assert texts["Mark all shown as read (the list, search and filters; u undoes)"] == "Key: A"
        assert any(t.startswith("Export selection…") for t in texts)
        assert any(t.startswith("Clear filters") for t in texts)
        assert "Clear selection" in texts
        assert any(t.startswith("Filter: only year ") for t in texts)
        await pilot.press("space")
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await type_text(pilot, "export selection")
        await app.screen.query_one("CommandList").workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert any("Export 1 selected paper" in line for line in screen_lines(app))
        await paste(pilot, str(tmp_path / "one.ris"))
        await pilot.press("enter")
        await settle(pilot)
        import rispy

        entries = rispy.loads((tmp_path / "one.ris").read_text(encoding="utf-8"))
        chosen = app.main_screen.paper_list.paper_at(0)
        assert [e.get("title") or e.get("primary_title") for e in entries] == [chosen.title]
        assert app.notified[-1][2] == f"Exported 1 paper to {tmp_path / 'one.ris'} (RIS)."
