"""The command palette: every keyed action, each reading list, import and themes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from absreader.core.catalog import ListSpec
from absreader.ui.text import safe

if TYPE_CHECKING:
    from absreader.ui.app import AbsReaderApp

SKIP = {"cursor_down", "cursor_up", "first", "last", "page_down", "page_up", "command_palette",
        "next_pane", "previous_pane", "back", "open", "submit_search"}  # fmt: skip


@dataclass(frozen=True)
class Command:
    """One palette entry: what it says, its help line, and what it runs."""

    text: str
    help: str
    run: Callable[[], object]


class ReaderCommands(Provider):
    """Actions from the bindings, "Go to tag X", saved searches, import, rebuild, themes."""

    def commands(self) -> Iterator[Command]:
        app: AbsReaderApp = self.app  # type: ignore[assignment]
        main = app.main_screen
        for info in app.key_infos():
            if info.id in SKIP:
                continue
            target = main if info.owner is type(main) else app
            method = getattr(target, f"action_{info.action}", None)
            if method is not None:
                yield Command(info.description, f"{info.keys} · {info.id}", method)
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
                    f"{tag.count} papers",
                    partial(main.show_list, ListSpec("tag", tag.name)),
                )
            for saved in lists.saved:
                yield Command(
                    f"Go to saved search: {safe(saved.name)}",
                    safe(saved.query),
                    partial(main.show_list, ListSpec("saved", saved.name)),
                )
        yield Command("Import file…", "Import papers from a file or folder", app.action_import_file)
        yield Command(
            "Rebuild search index", "Rebuild the index from the library", app.action_rebuild_index
        )
        for name in sorted(app.available_themes):
            if name != app.theme:
                yield Command(
                    f"Theme: {name}", "Switch the colour theme", partial(app.set_theme, name)
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
