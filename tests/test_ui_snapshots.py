"""Snapshot tests (pytest-textual-snapshot): main screen, help, tag editor, narrow, first run.

Each shot uses its own copy of the sample library, timings hidden and the
default theme, so the pictures only change when the interface does. Update
them with ``pytest tests/test_ui_snapshots.py --snapshot-update`` and look at
the SVGs before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from absreader.ui.app import AbsReaderApp
from absreader.ui.screens.progress import ProgressScreen

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import SAMPLE, app_for, settle  # noqa: E402

pytest_plugins = ["conftest_ui"]


async def _ready(pilot: Pilot) -> None:
    await settle(pilot)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


def test_main_screen(snap_compare, sample_paths) -> None:
    app = app_for(sample_paths)
    assert snap_compare(app, press=["j", "j"], terminal_size=(120, 36), run_before=_ready)


def test_main_screen_with_search(snap_compare, sample_paths) -> None:
    app = app_for(sample_paths)

    async def search(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("slash", *"honesty", "enter")
        await _ready(pilot)

    assert snap_compare(app, terminal_size=(120, 36), run_before=search)


def test_help_screen(snap_compare, sample_paths) -> None:
    app = app_for(sample_paths)
    assert snap_compare(app, press=["question_mark"], terminal_size=(120, 36), run_before=_ready)


def test_tag_editor(snap_compare, sample_paths) -> None:
    app = app_for(sample_paths)

    async def tag(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("t", *"to-read", "enter", *"survey", "enter", *"to")
        await _ready(pilot)

    assert snap_compare(app, terminal_size=(120, 36), run_before=tag)


def test_narrow_layout(snap_compare, sample_paths) -> None:
    app = app_for(sample_paths)
    assert snap_compare(app, press=["j"], terminal_size=(80, 24), run_before=_ready)


def test_narrow_layout_detail_open(snap_compare, sample_paths) -> None:
    app = app_for(sample_paths)
    assert snap_compare(app, press=["enter"], terminal_size=(80, 24), run_before=_ready)


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

    assert snap_compare(app, terminal_size=(120, 36), run_before=ready)
