"""The status line says how a search went on past the papers with every word."""

from __future__ import annotations

import pytest

from absreader.core.catalog import Catalog, ListSpec

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import app_for, settle  # noqa: E402
from conftest_ui import sample_paths as sample_paths  # noqa: E402 (a fixture)


async def test_status_line_counts_all_words_and_some(sample_paths) -> None:  # noqa: F811
    query = "diffusion language retrieval"
    catalog = Catalog.open(sample_paths)
    try:
        page = catalog.page(query, ListSpec(), limit=200, as_you_type=True)
    finally:
        catalog.close()
    assert page.status and page.strict_total is not None  # the words never all meet here
    app = app_for(sample_paths)
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        for ch in query:
            await pilot.press("space" if ch == " " else ch)
        await settle(pilot)
        shown = app.screen.status.counts_text
        assert f"{page.total:,} of " in shown
        assert page.status in shown
        assert f"{page.strict_total} have all words" in shown
