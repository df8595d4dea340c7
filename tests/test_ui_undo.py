"""u takes back the last sweeping action, through the catalog, and the screen follows."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import app_for, screen_lines, settle  # noqa: E402
from conftest_ui import sample_paths as sample_paths  # noqa: E402 (a fixture)


async def test_u_reverses_the_newest_step_then_says_nothing_is_left(sample_paths) -> None:  # noqa: F811
    app = app_for(sample_paths)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        paper = app.main_screen.paper_list.current
        app.main_screen.paper_changed(app.catalog.set_bookmarked(paper.key, True))
        app.push_undo("Bookmarked 1 paper", lambda c: (c.set_bookmarked(paper.key, False), "Bookmark removed")[1])
        await settle(pilot)
        assert any("★ bookmarked" in line for line in screen_lines(app))
        await pilot.press("u")
        await settle(pilot)
        assert not app.catalog.paper(paper.key).bookmarked
        assert not app.main_screen.paper_list.current.bookmarked
        assert not any("★ bookmarked" in line for line in screen_lines(app))
        assert any(n[2] == "Bookmark removed" for n in app.notified)
        await pilot.press("u")
        await settle(pilot)
        assert any(n[2] == "Nothing to undo." for n in app.notified)
