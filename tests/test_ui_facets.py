"""The sidebar's facets: the top categories and years of the list shown, each a filter to toggle.

Every count on screen is compared with the catalog's own figures for the same
list, query and filters; the rows shown are compared with ``Catalog.select``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.register_assert_rewrite("conftest_ui")
from absreader.core.catalog import Catalog, Filters  # noqa: E402
from absreader.paths import Paths  # noqa: E402
from conftest_ui import (  # noqa: E402
    app_for,
    build_home,
    record,
    settle,
    type_text,
    widget_text,
)

CATEGORIES = [("cs.LG",), ("cs.AI", "cs.LG"), ("math.ST",), ("cs.CL",)]


def facet_records(count: int = 40, start: int = 0) -> list:
    return [
        record(
            f"Paper {i} on {'graph' if i % 2 == 0 else 'sparse'} models",
            f"Abstract {i} about {'graph' if i % 2 == 0 else 'sparse'} things.",
            f"2301.{i:05d}",
            categories=CATEGORIES[i % 4],
            published=f"{2022 + i % 3}-03-0{1 + i % 5}",
        )
        for i in range(start, start + count)
    ]


@pytest.fixture
def facet_paths(tmp_path: Path) -> Paths:
    return build_home(tmp_path / "home", records=facet_records())


def sidebar_rows(app) -> dict[str, str]:
    """The facet rows of the sidebar as the user reads them: label -> count text."""
    text = widget_text(app, app.main_screen.sidebar)
    rows = {}
    for line in text.splitlines():
        if line[:2] in ("□ ", "■ "):
            label, _, count = line[2:].rpartition(" ")
            rows[f"{line[:1]} {label.strip()}"] = count.strip()
    return rows


def catalog_of(paths: Paths):
    """A second catalog on the same library (as another process would open it)."""
    return Catalog.open(paths)


def expected_rows(facets: dict, chosen: set[str] = frozenset()) -> dict[str, str]:
    """The facet rows the sidebar should show for the catalog's figures."""
    rows = {}
    for cat, n in facets["categories"]:
        rows[f"{'■' if cat in chosen else '□'} {cat}"] = f"{n:,}"
    for year, n in facets["years"]:
        rows[f"{'■' if str(year) in chosen else '□'} {year}"] = f"{n:,}"
    return rows


async def choose_in_sidebar(pilot, app, option: str) -> None:
    """Move the sidebar's highlight to ``option`` with j/k only, then press Enter."""
    sidebar = app.main_screen.sidebar
    if app.focused is not sidebar:
        await pilot.press("l")
    for _ in range(60):
        if sidebar.highlighted_option is not None and sidebar.highlighted_option.id == option:
            break
        index = sidebar.get_option_index(option)
        await pilot.press("j" if (sidebar.highlighted or 0) < index else "k")
    assert sidebar.highlighted_option.id == option
    await pilot.press("enter")
    await settle(pilot)


async def test_facets_show_the_catalog_counts_and_toggle_filters(facet_paths) -> None:
    app = app_for(facet_paths)
    catalog = catalog_of(facet_paths)
    try:
        async with app.run_test(size=(140, 50)) as pilot:
            await settle(pilot)
            main = app.main_screen
            assert sidebar_rows(app) == expected_rows(catalog.facets())
            assert sidebar_rows(app)["□ cs.LG"] == "20"  # 10 cs.LG alone + 10 with cs.AI

            await choose_in_sidebar(pilot, app, "facet:category:cs.LG")
            want = catalog.select(Filters(categories=("cs.LG",)), limit=None)
            assert main.paper_list.total == want.total == 20
            assert set(main.paper_list.loaded_keys) == set(want.keys)
            assert "cs.LG · 20 papers" in str(main.paper_list.border_title)
            assert "filter: cs.LG" in widget_text(app, main.status)
            chosen = Filters(categories=("cs.LG",))
            assert sidebar_rows(app) == expected_rows(catalog.facets(chosen), {"cs.LG"})
            # The highlight stayed on the row toggled: Enter again there switches it off.
            assert main.sidebar.highlighted_option.id == "facet:category:cs.LG"

            # A second category widens (OR), a year narrows (AND).
            await choose_in_sidebar(pilot, app, "facet:category:math.ST")
            both = Filters(categories=("cs.LG", "math.ST"))
            assert main.paper_list.total == catalog.select(both).total == 30
            await choose_in_sidebar(pilot, app, "facet:year:2023")
            narrowed = Filters(categories=("cs.LG", "math.ST"), years=((2023, 2023),))
            want = catalog.select(narrowed, limit=None)
            assert 0 < want.total < 30
            assert main.paper_list.total == want.total
            assert set(main.paper_list.loaded_keys) == set(want.keys)
            rows = sidebar_rows(app)
            assert rows == expected_rows(catalog.facets(narrowed), {"cs.LG", "math.ST", "2023"})
            title = str(main.paper_list.border_title)
            assert "cs.LG or math.ST · 2023" in title and f"{want.total} papers" in title

            # c clears them all: the whole list again.
            await pilot.press("escape")  # back to the list
            await pilot.press("c")
            await settle(pilot)
            assert main.paper_list.total == 40
            assert "filter" not in widget_text(app, main.status)
            assert sidebar_rows(app) == expected_rows(catalog.facets())
    finally:
        catalog.close()


async def test_facets_follow_the_query_and_the_library(facet_paths) -> None:
    app = app_for(facet_paths)
    catalog = catalog_of(facet_paths)
    try:
        async with app.run_test(size=(140, 50)) as pilot:
            await settle(pilot)
            await pilot.press("slash")
            await type_text(pilot, "graph")
            await settle(pilot)
            figures = catalog.facets(Filters(), "graph", as_you_type=True)
            assert sum(n for _, n in figures["years"]) == 20
            assert sidebar_rows(app) == expected_rows(figures)
            assert "□ cs.AI" not in sidebar_rows(app)  # no "graph" paper is in cs.AI

            # Another process adds papers: the counts follow.
            other = catalog_of(facet_paths)
            try:
                other.library.upsert(facet_records(8, start=100))
                for _ in other.sync_index():
                    pass
            finally:
                other.close()
            app.main_screen.query_one("#watch").look_now()
            await settle(pilot)
            figures = catalog.facets(Filters(), "graph", as_you_type=True)
            assert sum(n for _, n in figures["years"]) == 24
            assert sidebar_rows(app) == expected_rows(figures)
    finally:
        catalog.close()


async def test_a_long_name_never_runs_into_its_count(tmp_path: Path) -> None:
    """A reading list whose name fills the sidebar's width still reads as name, gap, count.

    Names of every length around the sidebar's width: each row on screen is the
    name (whole, or cut with …), at least one blank cell, then the count.
    """
    tags = tuple(f"list-{'x' * n}" for n in range(6, 22))
    records = [
        record(f"Paper {i} on graphs", f"Abstract {i}.", f"2301.{i:05d}", tags=tags)
        for i in range(12)
    ]
    paths = build_home(tmp_path / "home", records=records)
    app = app_for(paths)
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot)
        text = widget_text(app, app.main_screen.sidebar)
    rows = [line for line in text.splitlines() if line.startswith("# ")]
    assert len(rows) == len(tags), text
    for line in rows:
        label, gap, count = line[2:].rpartition(" ")
        assert gap and count == "12", line
        shown = label.rstrip()
        whole = shown in tags
        cut = shown.endswith("…") and any(t.startswith(shown[:-1]) for t in tags)
        assert whole or cut, line
