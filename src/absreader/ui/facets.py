"""Facet filters: the categories and years chosen in the sidebar, and their sidebar rows.

A :class:`FacetChoice` is what the user has switched on. The categories chosen
are OR'ed (any of them), the years too, and the two kinds are AND'ed with each
other, with the reading list and with the query: ``cs.LG, cs.AI · 2024`` shows
the list's papers in cs.LG or cs.AI that are from 2024 and match the query.
The choice stays when another list is chosen (like the query does); ``c`` or
the palette's "Clear filters" switches everything off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.table import Table
from rich.text import Text
from textual.widgets.option_list import Option

from absreader.core.catalog import Filters
from absreader.ui.text import safe

#: Option ids of facet rows start with this (``facet:category:cs.LG``, ``facet:year:2024``).
FACET_PREFIX = "facet:"
#: How many years the sidebar offers (the newest; a chosen year is always shown).
YEARS_SHOWN = 12
ON_MARK = "■ "
OFF_MARK = "□ "


@dataclass(frozen=True)
class FacetChoice:
    """The categories and years switched on (each kind OR'ed, the kinds AND'ed)."""

    categories: tuple[str, ...] = ()
    years: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.categories or self.years)

    def has(self, kind: str, value: str | int) -> bool:
        return value in (self.categories if kind == "category" else self.years)

    def toggled(self, kind: str, value: str | int) -> FacetChoice:
        """This choice with ``value`` switched on, or off if it was on."""
        if kind == "category":
            cats = tuple(c for c in self.categories if c != value)
            return replace(
                self, categories=cats if len(cats) < len(self.categories) else (*cats, str(value))
            )
        years = tuple(y for y in self.years if y != value)
        chosen = years if len(years) < len(self.years) else (*years, int(value))
        return replace(self, years=tuple(sorted(chosen, reverse=True)))

    def applied(self, filters: Filters) -> Filters:
        """``filters`` narrowed by this choice (what ``Catalog.select`` is asked for)."""
        if not self:
            return filters
        return replace(
            filters,
            categories=self.categories,
            years=tuple((year, year) for year in self.years),
        )

    @property
    def label(self) -> str:
        """``cs.LG or cs.AI · 2024 or 2023`` (empty when nothing is on)."""
        parts = [" or ".join(self.categories), " or ".join(str(y) for y in self.years)]
        return " · ".join(p for p in parts if p)


def option_id(kind: str, value: str | int) -> str:
    return f"{FACET_PREFIX}{kind}:{value}"


def parse_option(option: str) -> tuple[str, str | int] | None:
    """``(kind, value)`` for a facet row's option id; None for any other row."""
    if not option.startswith(FACET_PREFIX):
        return None
    kind, _, value = option[len(FACET_PREFIX) :].partition(":")
    if kind == "year":
        return (kind, int(value))
    return (kind, value)


def counted_row(label: Text, count: int | None) -> Table:
    """A sidebar row: ``label`` on the left (cut with … when it is too long), the count
    right-aligned, and always at least one cell between them (``# bench-field 100,265``,
    never ``# bench-field100,265``)."""
    grid = Table.grid(expand=True, padding=(0, 0, 0, 1), pad_edge=False)
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(justify="right", no_wrap=True)
    grid.add_row(label, Text("" if count is None else f"{count:,}", style="dim", end=""))
    return grid


def _row(label: str, count: int, on: bool) -> Table:
    mark = Text(ON_MARK if on else OFF_MARK, style="bold" if on else "dim", end="")
    return counted_row(mark + Text(safe(label), style="bold" if on else "", end=""), count)


def facet_options(facets: dict, choice: FacetChoice) -> list[Option]:
    """The sidebar's facet section: a heading and a row per category, then per year.

    A chosen value is shown even when the list holds none of it (count 0), so
    it can always be switched off where it was switched on.
    """
    cats = dict(facets.get("categories", []))
    years = dict(facets.get("years", []))
    options: list[Option] = []
    cat_rows = list(cats) + [c for c in choice.categories if c not in cats]
    if cat_rows:
        options.append(Option(Text("Categories", style="bold dim"), id="-facet-categories",
                              disabled=True))  # fmt: skip
        options += [
            Option(_row(c, cats.get(c, 0), choice.has("category", c)), id=option_id("category", c))
            for c in cat_rows
        ]
    shown = list(years)[:YEARS_SHOWN]
    year_rows = sorted(set(shown) | set(choice.years), reverse=True)
    if year_rows:
        options.append(Option(Text("Years", style="bold dim"), id="-facet-years", disabled=True))
        options += [
            Option(_row(str(y), years.get(y, 0), choice.has("year", y)), id=option_id("year", y))
            for y in year_rows
        ]
    return options
