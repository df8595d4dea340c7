"""What start-up loaded is kept out of the cyclic collector while the reader runs, and only then."""

from __future__ import annotations

import gc

import pytest

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import app_for, settle  # noqa: E402
from conftest_ui import sample_paths as sample_paths  # noqa: E402 (a fixture)


async def test_start_up_is_frozen_while_the_reader_runs(sample_paths) -> None:  # noqa: F811
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)  # the start-up sync and its warm-up search have run
        assert gc.get_freeze_count() > 10_000  # the app and the opened index, at least
        await pilot.press("slash", "d", "i", "f")
        await settle(pilot)
        assert app.screen.results.total > 0  # searching goes on as before
    assert gc.get_freeze_count() == 0  # gone with the app: its objects can be collected again
