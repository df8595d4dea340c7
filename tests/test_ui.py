"""Pilot tests of the reader's flows: first run, search as you type, lists, layout, state."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from textual.widgets import Input

from absreader.core.catalog import Catalog, ListSpec
from absreader.ui.screens.progress import ProgressScreen
from absreader.ui.state import load_state
from absreader.ui.widgets.detail import DetailPane
from absreader.ui.widgets.sidebar import ListSidebar

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import (  # noqa: E402
    SAMPLE,
    app_for,
    build_home,
    first_paper,
    paste,
    plain,
    record,
    row_texts,
    settle,
    type_text,
)

pytest_plugins = ["conftest_ui"]

# ----------------------------------------------------------------------------- first run


async def test_first_run_imports_sample_with_progress_then_lists(empty_paths) -> None:
    files = sorted(SAMPLE.iterdir())[:2]
    app = app_for(empty_paths, first_run_files=files)
    seen_progress = []
    push_screen = app.push_screen

    def record_push(screen, *args, **kwargs):  # type: ignore[no-untyped-def]
        # The progress screen leaves with the first committed batch (maybe before we look).
        seen_progress.append(isinstance(screen, ProgressScreen))
        return push_screen(screen, *args, **kwargs)

    app.push_screen = record_push  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert not isinstance(app.screen, ProgressScreen)
        main = app.main_screen
        assert main.paper_list.total > 10
        assert main.status.counts_text.startswith(f"{main.paper_list.total:,} of ")
        assert any(title == "Welcome to absreader" for _, title, _ in app.notified)
    assert seen_progress[1:2] == [True]  # after the main screen
    catalog = Catalog.open(empty_paths)
    try:
        assert not catalog.is_empty()
        assert catalog.index_state() == "ok"
    finally:
        catalog.close()


async def test_empty_library_without_first_run_files_shows_empty_list(empty_paths) -> None:
    app = app_for(empty_paths, first_run_files=[])
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.main_screen.paper_list.total == 0
        assert "No papers" in row_texts(app, 1)[0]


async def test_broken_index_is_rebuilt_in_background_while_list_is_usable(sample_paths) -> None:
    shutil.rmtree(sample_paths.index_dir)
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.main_screen.paper_list.total > 100
        await pilot.press("slash")
        await paste(pilot, "vision")
        await settle(pilot)
        assert app.main_screen.results.query == "vision"
        assert app.main_screen.paper_list.total > 0
    catalog = Catalog.open(sample_paths)
    try:
        assert catalog.index_state() == "ok"
    finally:
        catalog.close()


# ----------------------------------------------------------------------------- search


async def test_search_as_you_type_debounces_and_shows_best_match_first(
    sample_paths, monkeypatch
) -> None:
    # A long pause, so the test does not depend on how fast Pilot types.
    monkeypatch.setattr("absreader.ui.screens.main.SEARCH_DELAY", 5.0)
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        before = main.searches_run
        main._last_search_at = 0.0  # the start-up search was long ago
        await pilot.press("slash")
        assert app.focused is main.search_input
        await type_text(pilot, "BeHonest")
        # Every keystroke landed in the input at once; the first key searched at
        # once, the keys typed quickly after it wait for a pause.
        assert main.search_input.value == "BeHonest"
        assert main.searches_run == before + 1  # "B", at once
        assert main.search_pending  # "eHonest" waits for the pause
        await settle(pilot)
        assert main.searches_run == before + 2
        assert "BeHonest" in first_paper(app).title
        assert "BeHonest" in row_texts(app, 1)[0]
        assert main.status.counts_text.endswith("All · search")


async def test_stale_search_results_are_dropped(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        main = app.main_screen
        main.search_input.value = "vision"
        main.flush_search()
        main.search_input.value = "BeHonest"
        main.flush_search()
        await settle(pilot)
        assert main.results.query == "BeHonest"
        assert "BeHonest" in first_paper(app).title


async def test_enter_in_search_moves_to_first_result_and_esc_clears(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        main = app.main_screen
        total = main.paper_list.total
        main.paper_list.cursor = 5
        await pilot.press("slash")
        await type_text(pilot, "language")
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is main.paper_list
        assert main.paper_list.cursor == 0
        assert main.results.query == "language"
        assert main.paper_list.total < total
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert main.search_input.value == ""
        assert app.focused is main.paper_list
        assert main.paper_list.total == total


async def test_did_you_mean_is_offered_and_accepted_with_a_key(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        await pilot.press("slash")
        await type_text(pilot, "transfomers ")
        await settle(pilot)
        suggestion = main.results.suggestion
        assert suggestion and "transform" in suggestion
        hint = app.screen.query_one("#search-hint")
        assert hint.display and "Did you mean" in str(hint.render())
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert main.search_input.value == suggestion
        assert main.paper_list.total > 0


async def test_no_query_shows_list_newest_first(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        catalog = Catalog.open(sample_paths)
        try:
            expected = catalog.page("", ListSpec(), limit=20).keys
        finally:
            catalog.close()
        assert app.main_screen.paper_list.loaded_keys[:20] == expected


# ----------------------------------------------------------------------------- reading lists


async def test_sidebar_lists_and_tag_combines_with_query(sample_paths) -> None:
    catalog = Catalog.open(sample_paths)
    try:
        keys = [
            p.key for p in catalog.papers(catalog.page("", ListSpec(), limit=400).keys) if p.title
        ]
        for key in keys[:3]:
            catalog.add_tags(key, ["to read"])
        catalog.set_bookmarked(keys[0])
        tagged = catalog.papers(keys[:3])
    finally:
        catalog.close()
    word = max(tagged[1].title.split(), key=len).strip(":,.()")
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        sidebar = app.screen.query_one(ListSidebar)
        ids = [sidebar.get_option_at_index(i).id for i in range(sidebar.option_count)]
        assert ids[:3] == ["all", "unread", "bookmarked"]
        assert "tag:to read" in ids
        await pilot.press("l")
        assert app.focused is sidebar
        sidebar.highlighted = ids.index("tag:to read")
        await pilot.press("enter")
        await settle(pilot)
        assert main.spec == ListSpec("tag", "to read")
        assert sorted(main.paper_list.loaded_keys) == sorted(keys[:3])
        assert app.focused is main.paper_list
        await pilot.press("slash")
        await paste(pilot, word)
        await settle(pilot)
        assert main.paper_list.total >= 1
        assert set(main.paper_list.loaded_keys) <= set(keys[:3])
        main.show_list(ListSpec("bookmarked"))
        await settle(pilot)
        assert main.paper_list.loaded_keys in ([keys[0]], [])


async def test_unread_list_and_counts(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        main = app.main_screen
        total = main.paper_list.total
        await pilot.press("r")
        await settle(pilot)
        main.show_list(ListSpec("unread"))
        await settle(pilot)
        assert main.paper_list.total == total - 1
        assert main.lists.unread == total - 1


# ----------------------------------------------------------------------------- layout


async def test_tab_and_shift_tab_move_between_panes(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert app.focused is main.paper_list
        await pilot.press("tab")
        assert isinstance(app.focused, DetailPane)
        await pilot.press("tab")
        assert isinstance(app.focused, Input)
        await pilot.press("tab")
        assert isinstance(app.focused, ListSidebar)
        await pilot.press("shift+tab")
        assert isinstance(app.focused, Input)


async def test_narrow_terminal_folds_sidebar_and_opens_detail_over_list(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main.has_class("-narrow")
        assert not main.sidebar.display or main.sidebar.region.width == 0
        assert main.detail.region.width == 0
        await pilot.press("enter")
        await settle(pilot)
        assert main.has_class("-detail-open")
        assert main.detail.region.width > 70
        assert main.paper_list.region.width == 0
        await pilot.press("escape")
        assert not main.has_class("-detail-open")
        assert app.focused is main.paper_list
        await pilot.press("l")
        assert main.sidebar.region.width > 0
        await pilot.press("escape")
        assert main.sidebar.region.width == 0
        await pilot.resize_terminal(120, 36)
        await pilot.pause()
        assert not main.has_class("-narrow")
        assert main.sidebar.region.width > 0 and main.detail.region.width > 0


async def test_detail_pane_shows_fields_and_highlights_query_terms(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        await pilot.press("slash")
        await paste(pilot, "honesty")
        await pilot.press("enter")
        await settle(pilot)
        detail = main.detail
        assert detail.paper is not None and detail.paper.key == first_paper(app).key
        assert detail.spans.get("abstract")
        start, end = detail.spans["abstract"][0]
        assert detail.paper.abstract[start:end].lower().startswith("hones")
        meta = plain(detail.meta_table(detail.paper))
        assert "Status" in meta and "unread" in meta
        assert (detail.paper.arxiv_id or detail.paper.key) in meta


# ----------------------------------------------------------------------------- state


async def test_state_is_remembered_between_runs(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        main = app.main_screen
        await pilot.press("slash")
        await paste(pilot, "language")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("j", "j")
        await settle(pilot)
        selected = main.paper_list.current.key
        app.theme = "nord"
        await pilot.pause()
    saved = json.loads(Path(sample_paths.state_file).read_text())
    assert saved["query"] == "language" and saved["selected"] == selected
    assert saved["theme"] == "nord"
    state = load_state(sample_paths.state_file)
    assert state.query == "language"

    again = app_for(sample_paths)
    async with again.run_test() as pilot:
        await settle(pilot)
        main = again.main_screen
        assert main.search_input.value == "language"
        assert main.paper_list.current.key == selected
        assert again.theme == "nord"


async def test_damaged_state_file_means_fresh_start(sample_paths) -> None:
    sample_paths.config_dir.mkdir(parents=True, exist_ok=True)
    sample_paths.state_file.write_text("{not json")
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.main_screen.search_input.value == ""
        assert app.main_screen.paper_list.total > 0


# ----------------------------------------------------------------------------- scale


async def test_large_library_is_paged_not_loaded(tmp_path: Path) -> None:
    records = [
        record(f"Paper number {i} about topic {i % 7}", f"Abstract {i} words here.",
               f"2401.{i:05d}", published=f"2024-01-{1 + i % 28:02d}")
        for i in range(3000)
    ]  # fmt: skip
    paths = build_home(tmp_path / "big", records=records)
    app = app_for(paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        papers = app.main_screen.paper_list
        assert papers.total == 3000
        assert len(papers.loaded_keys) <= 400
        await pilot.press("G")
        await settle(pilot)
        assert papers.cursor == 2999
        assert papers.current is not None
        assert len(papers.loaded_keys) <= 600
        await pilot.press("g", "pagedown")
        await settle(pilot)
        assert 10 < papers.cursor < 40
        await pilot.press("pageup")
        assert papers.cursor == 0
