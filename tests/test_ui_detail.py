"""The detail pane shows the whole paper: every word of the abstract, at any width.

These tests read the screen (an SVG screenshot turned back into rows of text)
and compare it with the library, so a line that is never drawn fails them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual import events

from absreader.core.catalog import Catalog

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import (  # noqa: E402
    app_for,
    build_home,
    paths_for,
    record,
    settle,
    widget_text,
)

pytest_plugins = ["conftest_ui"]

#: Abstract sizes in lines of about 60 characters (6 words of 9-10 characters each).
LINE_COUNTS = (1, 2, 5, 40)


def _abstract(lines: int) -> str:
    return " ".join(f"l{lines}w{i:03d}x" for i in range(lines * 6))


@pytest.fixture(scope="module")
def detail_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("detail") / "home"
    records = [
        record(
            f"Paper with {n} lines",
            _abstract(n),
            f"2401.{n:05d}",
            published=f"2024-01-{min(n, 28):02d}",
        )
        for n in LINE_COUNTS
    ]
    build_home(home, records=records)
    return home


@pytest.mark.parametrize("width", [80, 120, 200])
async def test_every_word_of_the_abstract_is_on_screen(
    detail_template: Path, tmp_path: Path, width: int
) -> None:
    home = tmp_path / "home"
    shutil.copytree(detail_template, home)
    paths = paths_for(home)
    catalog = Catalog.open(paths)
    try:
        stored = {p.key: p.abstract for p in catalog.papers(catalog.page("").keys)}
    finally:
        catalog.close()
    app = app_for(paths, first_run_files=[])
    async with app.run_test(size=(width, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main.paper_list.total == len(LINE_COUNTS)
        for row in range(len(LINE_COUNTS)):
            main.paper_list.cursor = row
            await settle(pilot)
            paper = main.paper_list.current
            assert paper is not None
            await pilot.press("enter")
            await settle(pilot)
            detail = main.detail
            assert app.focused is detail
            words = stored[paper.key].split()
            seen: set[str] = set()
            await pilot.press("g")
            await pilot.pause()
            while True:
                seen |= set(widget_text(app, detail).split())
                if detail.scroll_y >= detail.max_scroll_y:
                    break
                await pilot.press("space")
                await pilot.pause()
            missing = [w for w in words if w not in seen]
            assert not missing, f"{len(missing)} of {len(words)} words never shown at {width}"
            # Scrolled to the end, the last line of the abstract is what the pane ends on.
            await pilot.press("G")
            await pilot.pause()
            assert words[-1] in widget_text(app, detail).split()
            await pilot.press("escape")
            await settle(pilot)


async def test_keys_typed_right_after_enter_go_to_the_opened_paper(
    detail_template: Path, tmp_path: Path
) -> None:
    """Enter then Space as fast as fingers go: the Space pages the paper just opened
    (it used to reach the list, still focused until a message came back, and select the row)."""
    home = tmp_path / "home"
    shutil.copytree(detail_template, home)
    app = app_for(paths_for(home), first_run_files=[])
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(pilot)
        main = app.main_screen
        long_row = next(
            row for row in range(main.paper_list.total)
            if main.paper_list.paper_at(row).title == "Paper with 40 lines"
        )  # fmt: skip
        main.paper_list.cursor = long_row
        await settle(pilot)
        assert app.focused is main.paper_list
        driver = app._driver
        assert driver is not None
        # Both keys are queued before either is handled (Pilot's press waits between keys).
        driver.send_message(events.Key("enter", "\r"))
        driver.send_message(events.Key("space", " "))
        await settle(pilot)
        assert app.focused is main.detail
        assert not main.paper_list.selected, "the Space selected the row instead of paging"
        assert main.detail.scroll_y > 0, "the opened paper did not page down"
