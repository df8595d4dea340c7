"""An open search in the reader follows a first build as its segments become searchable.

The index build (in process here, segments of 100 papers) pauses after its
first and second committed segments until the test lets it go on, so what
the list shows can be compared with what is searchable at that moment.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator

import pytest

from absreader.core.catalog import Catalog
from absreader.core.search import index as index_module
from absreader.core.search.index import SearchIndex
from absreader.core.search.types import IndexProgress

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import app_for, paste, settle  # noqa: E402

pytest_plugins = ["conftest_ui"]

QUERY = "model"


async def _until(pilot, done: Callable[[], bool], what: str, rounds: int = 600) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until ``done()`` (the build runs in a worker thread meanwhile)."""
    for _ in range(rounds):
        if done():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def test_an_open_search_refreshes_as_segments_commit(sample_paths, monkeypatch) -> None:
    shutil.rmtree(sample_paths.index_dir)
    monkeypatch.setattr(index_module, "FIRST_SEGMENT", 100)
    monkeypatch.setattr(index_module, "SEGMENT_SIZE", 100)
    monkeypatch.setattr(index_module, "PROGRESS_EVERY", 50)
    monkeypatch.setattr("absreader.ui.app.LIVE_REFRESH", 0.0)
    paused = [threading.Event(), threading.Event()]
    resume = [threading.Event(), threading.Event()]

    def update_index(self: Catalog, *, in_child: bool = False, rebuild: bool = False) -> Iterator[IndexProgress]:
        library = self.library
        steps = self.index.build(library.iter_papers(), library.count(), library.current_seq(), unique=True)
        for step in steps:
            yield step
            for k, at in enumerate((100, 200)):
                if step.done >= at and not paused[k].is_set():
                    paused[k].set()  # segment k + 1 is committed (and reported)
                    assert resume[k].wait(60)

    monkeypatch.setattr(Catalog, "update_index", update_index)
    index_dir = sample_paths.index_dir
    app = app_for(sample_paths)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            app.jobs.interval = 0.0  # every progress step reaches the worker at once
            main = app.main_screen
            await _until(pilot, paused[0].is_set, "the first segment")
            await pilot.press("slash")
            await paste(pilot, QUERY)
            main.flush_search()

            def shown() -> int | None:
                results = main.results
                if main.search_pending or results is None or results.query != QUERY:
                    return None
                return main.paper_list.total

            await _until(pilot, lambda: shown() is not None, "the first results")
            first = SearchIndex(index_dir).search(QUERY, as_you_type=True).total
            assert shown() == first > 0
            resume[0].set()
            await _until(pilot, paused[1].is_set, "the second segment")
            second = SearchIndex(index_dir).search(QUERY, as_you_type=True).total
            assert second > first
            # Nothing typed: the list follows the build on its own.
            await _until(pilot, lambda: shown() == second, f"{second} results (shows {shown()})")
            assert main.search_input.value == QUERY
            resume[1].set()
            await settle(pilot)
            full = SearchIndex(index_dir).search(QUERY, as_you_type=True).total
            assert shown() == full >= second
    finally:
        for event in resume:
            event.set()
