"""The command palette: every keyed action by its human label, each reading list, import.

Themes are the palette's own single "Theme" entry (Textual's system commands),
not one entry per theme.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.markup import escape

from absreader.core.catalog import SORT_LABELS, SORTS, ListSpec
from absreader.ui.screens.reading import ReadingScreen
from absreader.ui.text import plural, safe

SKIP = {"cursor_down", "cursor_up", "first", "last", "page_down", "page_up", "command_palette",
        "next_pane", "previous_pane", "back", "open", "submit_search", "select_down",
        "select_up"}  # fmt: skip


@dataclass(frozen=True)
class Command:
    """One palette entry: what it says, its help line, and what it runs."""

    text: str
    help: str
    run: Callable[[], object]


class ReaderCommands(Provider):
    """Actions from the bindings, "Go to tag X", saved searches, import, rebuild, themes."""

    def _target(self, owner: type[DOMNode], action: str = "") -> DOMNode | None:
        """The node on screen whose class declared a binding (the app, the screen, a pane).

        From the reading screen, the paper keys act on the paper read there.
        """
        app = self.app
        main = app.main_screen  # type: ignore[attr-defined]
        if isinstance(self.screen, ReadingScreen) and hasattr(self.screen, f"action_{action}"):
            return self.screen
        if isinstance(app, owner):
            return app
        if isinstance(main, owner):
            return main
        found = main.query(owner)
        return found.first() if found else None

    def commands(self) -> Iterator[Command]:
        app = self.app
        main = app.main_screen  # type: ignore[attr-defined]
        for info in app.key_infos():  # type: ignore[attr-defined]
            if info.id in SKIP:
                continue
            target = self._target(info.owner, info.action)
            method = getattr(target, f"action_{info.action}", None) if target else None
            if method is not None:
                yield Command(info.description, f"Key: {info.keys}", method)
        yield Command(
            "Go to: All papers", "Show every paper", partial(main.show_list, ListSpec("all"))
        )
        yield Command(
            "Go to: Unread", "Papers not read yet", partial(main.show_list, ListSpec("unread"))
        )
        yield Command(
            "Go to: Bookmarked",
            "Bookmarked papers",
            partial(main.show_list, ListSpec("bookmarked")),
        )
        yield Command(  # feeds
            "Go to: New", "Papers the last fetches added", partial(main.show_list, ListSpec("new"))
        )
        lists = main.lists
        if lists is not None:
            for tag in lists.tags:
                yield Command(
                    f"Go to tag: {safe(tag.name)}",
                    plural(tag.count, "paper"),
                    partial(main.show_list, ListSpec("tag", tag.name)),
                )
            for saved in lists.saved:
                count = main.saved_counts.get(saved.name)
                found = f" · {plural(count, 'paper')}" if count is not None else ""
                yield Command(
                    f"Go to saved search: {safe(saved.name)}",
                    safe(saved.query) + found,
                    partial(main.show_list, ListSpec("saved", saved.name)),
                )
        yield Command("Clear selection", "Unselect every selected paper (Esc in the list)",
                      main.paper_list.clear_selection)  # fmt: skip
        facets = main.sidebar.facets
        for kind, pairs in (("category", facets.get("categories", [])), ("year", facets.get("years", []))):
            for value, count in pairs:
                on = main.triage.facet_choice.has(kind, value)
                yield Command(
                    f"Filter: {'stop showing only' if on else 'only'} {kind} {safe(value)}",
                    f"{plural(count, 'paper')} in the list shown",
                    partial(main.triage.set_facets, main.triage.facet_choice.toggled(kind, value)),
                )
        for sort in SORTS:
            yield Command(
                f"Sort: {SORT_LABELS[sort]}",
                "Order this list (kept for it)" if sort != "relevance" else "Best matches first (searches)",
                partial(main.set_sort, sort),
            )
        yield Command("Import file…", "Import papers from a file or folder", app.action_import_file)  # type: ignore[attr-defined]
        yield Command(
            "Rebuild search index",
            "Rebuild the index from the library",
            app.action_rebuild_index,  # type: ignore[attr-defined]
        )

    async def discover(self) -> Hits:
        for command in self.commands():
            yield DiscoveryHit(
                Text(command.text), command.run, text=command.text, help=escape(command.help)
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands():
            score = matcher.match(command.text)
            if score > 0:
                yield Hit(
                    score,
                    highlight(command.text, query),
                    command.run,
                    text=command.text,
                    help=escape(command.help),
                )


def highlight(candidate: str, query: str) -> Text:
    """``candidate`` as literal text with the query's letters (in order) in bold.

    (Textual's ``Matcher.highlight`` parses the candidate as markup, and tag
    names are untrusted.)
    """
    text = Text(candidate)
    wanted = [c for c in query.casefold() if not c.isspace()]
    position = 0
    for index, char in enumerate(candidate.casefold()):
        if position < len(wanted) and char == wanted[position]:
            text.stylize("bold underline", index, index + 1)
            position += 1
    return text
