"""The reading-list sidebar: All, Unread, Bookmarked, New, each tag and saved search,
then the facets of the list shown (its top categories and years, each a filter to toggle)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from absreader.core.catalog import Lists, ListSpec
from absreader.ui.facets import FacetChoice, counted_row, facet_options, parse_option
from absreader.ui.text import safe


def option_id(spec: ListSpec) -> str:
    """The option id for a reading list (``tag:reading``, ``all``...)."""
    return f"{spec.kind}:{spec.name}" if spec.kind in ("tag", "saved") else spec.kind


def spec_of(option: str) -> ListSpec:
    kind, _, name = option.partition(":")
    return ListSpec(kind, name)


def _row(label: str, count: int | None, icon: str = "") -> Table:
    return counted_row(Text(f"{icon}{safe(label)}", end=""), count)


class ListSidebar(OptionList):
    """Chooses the reading list the result list shows."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="cursor_down"),
        Binding("k", "cursor_up", "Up", show=False, id="cursor_up"),
        Binding("g", "first", "Top", show=False, id="first"),
        Binding("G", "last", "Bottom", show=False, id="last"),
        Binding("enter", "select", "Show list", id="open"),
    ]

    @dataclass
    class FacetToggled(Message):
        """The user switched a facet (``kind`` "category" or "year") on or off."""

        sidebar: ListSidebar
        kind: str
        value: str | int

        @property
        def control(self) -> ListSidebar:
            return self.sidebar

    @dataclass
    class Chosen(Message):
        """The user picked a reading list."""

        sidebar: ListSidebar
        spec: ListSpec

        @property
        def control(self) -> ListSidebar:
            return self.sidebar

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lists: Lists | None = None
        self.saved_counts: dict[str, int] = {}
        self.current = ListSpec()
        self.facets: dict = {}
        self.choice = FacetChoice()
        self._list_options: list[Option | None] = []

    def count_of(self, spec: ListSpec) -> int | None:
        """The count the sidebar shows for ``spec`` (None when it shows none)."""
        lists = self.lists
        if lists is None:
            return None
        if spec.kind in ("all", "unread", "bookmarked"):
            return int(getattr(lists, spec.kind))
        if spec.kind == "tag":
            return next((t.count for t in lists.tags if t.name == spec.name), None)
        return self.saved_counts.get(spec.name)

    def set_lists(
        self, lists: Lists, current: ListSpec, saved_counts: dict[str, int] | None = None
    ) -> None:
        """Rebuild the options from fresh counts, keeping ``current`` highlighted."""
        self.lists = lists
        self.saved_counts = dict(saved_counts or {})
        self.current = current
        options: list[Option | None] = [
            Option(_row("All", lists.all, "◆ "), id="all"),
            Option(_row("Unread", lists.unread, "● "), id="unread"),
            Option(_row("Bookmarked", lists.bookmarked, "★ "), id="bookmarked"),
            Option(_row("New", lists.new, "✦ "), id="new"),  # feeds: papers the fetches added
        ]
        if lists.tags:
            options.append(Option(Text("Tags", style="bold dim"), id="-tags", disabled=True))
            options += [
                Option(_row(tag.name, tag.count, "# "), id=option_id(ListSpec("tag", tag.name)))
                for tag in lists.tags
            ]
        if lists.saved:
            options.append(
                Option(Text("Saved searches", style="bold dim"), id="-saved", disabled=True)
            )
            options += [
                Option(
                    _row(saved.name, self.saved_counts.get(saved.name), "⌕ "),
                    id=option_id(ListSpec("saved", saved.name)),
                )
                for saved in lists.saved
            ]
        self._list_options = options
        self._rebuild(keep=self.has_focus)

    def set_facets(self, facets: dict, choice: FacetChoice) -> None:
        """Show the facets of the list shown (the highlighted row stays where it was)."""
        self.facets = facets
        self.choice = choice
        self._rebuild(keep=True)

    def facet_count(self, kind: str, value: str | int) -> int | None:
        """The count the facet row for ``value`` shows (None when there is no such row)."""
        pairs = dict(self.facets.get("categories" if kind == "category" else "years", []))
        if value in pairs:
            return int(pairs[value])
        return 0 if self.choice.has(kind, value) else None

    def _rebuild(self, *, keep: bool) -> None:
        """Lists, then facets; the highlight stays on its row if ``keep``, else on the current list."""
        highlighted = self.highlighted_option.id if (keep and self.highlighted_option) else None
        self.clear_options()
        self.add_options([*self._list_options, *facet_options(self.facets, self.choice)])
        if highlighted is not None:
            try:
                self.highlighted = self.get_option_index(highlighted)
                return
            except OptionDoesNotExist:
                pass
        self.mark(self.current)

    def mark(self, spec: ListSpec) -> None:
        """Highlight the option for ``spec`` (if it exists)."""
        self.current = spec
        try:
            self.highlighted = self.get_option_index(option_id(spec))
        except OptionDoesNotExist:  # a tag that was just removed
            self.highlighted = 0

    def has_list(self, spec: ListSpec) -> bool:
        """Whether the sidebar offers ``spec`` (tags and saved searches come and go)."""
        if spec.kind not in ("tag", "saved"):
            return True
        if self.lists is None:
            return False
        if spec.kind == "tag":
            return any(t.name == spec.name for t in self.lists.tags)
        return any(s.name == spec.name for s in self.lists.saved)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        facet = parse_option(event.option.id or "")
        if facet is not None:
            self.post_message(self.FacetToggled(self, *facet))
            return
        if event.option.id and not event.option.id.startswith("-"):
            spec = spec_of(event.option.id)
            self.current = spec
            self.post_message(self.Chosen(self, spec))
