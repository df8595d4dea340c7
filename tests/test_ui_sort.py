"""The reader's sort key: S orders the list, the screen shows that order, and it is kept
per list across runs."""

from __future__ import annotations

import pytest

from absreader.core.catalog import Catalog, ListSpec
from absreader.ui.state import load_state

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import app_for, screen_lines, settle  # noqa: E402
from conftest_ui import sample_paths as sample_paths  # noqa: E402 (a fixture)


def expected(paths, sort: str | None, query: str = "") -> list[str]:
    catalog = Catalog.open(paths)
    try:
        return catalog.select(ListSpec(), query, limit=10, sort=sort, as_you_type=True).keys
    finally:
        catalog.close()


async def test_s_cycles_the_order_and_it_is_remembered(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        listed = app.main_screen.paper_list
        assert listed.loaded_keys[:10] == expected(sample_paths, None)
        await pilot.press("S")
        await settle(pilot)
        assert listed.loaded_keys[:10] == expected(sample_paths, "oldest")
        assert any("oldest first" in line for line in screen_lines(app))  # the status line says so
        await pilot.press("S")
        await settle(pilot)
        assert listed.loaded_keys[:10] == expected(sample_paths, "title")
        app.save_state_now()
    assert load_state(sample_paths.state_file).sorts == {"all:": "title"}
    app = app_for(sample_paths)  # a new run shows the list in the order chosen
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert app.main_screen.paper_list.loaded_keys[:10] == expected(sample_paths, "title")


async def test_position_indicator_follows_the_cursor(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        total = app.main_screen.paper_list.total
        assert any(f"1 / {total:,}" in line for line in screen_lines(app))
        for _ in range(4):
            await pilot.press("j")
        await settle(pilot)
        assert any(f"5 / {total:,}" in line for line in screen_lines(app))
        await pilot.press("G")
        await settle(pilot)
        assert any(f"{total:,} / {total:,}" in line for line in screen_lines(app))


async def test_an_older_read_of_a_paper_never_overwrites_a_newer_one(sample_paths) -> None:  # noqa: F811
    """Two workers answer out of order (open marks read, b bookmarks): the screen keeps the
    newer state of the paper."""
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        older = screen.paper_list.current
        newer = app.catalog.set_bookmarked(older.key, True)
        screen.paper_changed(newer)
        screen.paper_changed(older)  # the late, stale answer
        # At once (before the library watcher's next look could repair it):
        assert screen.paper_list.current.bookmarked
        assert screen.detail.paper.bookmarked
        await settle(pilot)
        assert screen.paper_list.current.bookmarked
        assert any("★ bookmarked" in line for line in screen_lines(app))
