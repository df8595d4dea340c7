"""One view of every key binding, for the help screen, the palette and config checks.

The bindings themselves live in the classes that own them (``BINDINGS``); this
module only reads them, applies the user's keymap, and groups them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode

SECTIONS = {
    "search": "Search",
    "accept_suggestion": "Search",
    "submit_search": "Search",
    "cursor_down": "Move",
    "cursor_up": "Move",
    "first": "Move",
    "last": "Move",
    "page_down": "Move",
    "page_up": "Move",
    "open": "Move",
    "back": "Move",
    "next_pane": "Move",
    "previous_pane": "Move",
    "lists": "Move",
    "next_unread": "Move",
    "previous_unread": "Move",
    "toggle_select": "Select",
    "select_down": "Select",
    "select_up": "Select",
    "export": "Select",
    "mark_all_read": "Lists",
    "clear_filters": "Lists",
    "cycle_sort": "Lists",
    "bookmark": "Paper",
    "tag": "Paper",
    "toggle_read": "Paper",
    "note": "Paper",
    "open_browser": "Paper",
    "open_pdf": "Paper",
    "open_doi": "Paper",
    "copy_id": "Paper",
    "copy_bibtex": "Paper",
    "more_like_this": "Paper",
    "undo": "Paper",
    "delete_paper": "Paper",
    "edit_paper": "Paper",
    "read_full_screen": "Reading",
    "next_paper": "Reading",
    "previous_paper": "Reading",
    "close_reading": "Reading",
    "save_search": "Lists",
    "help": "App",
    "command_palette": "App",
    "quit": "App",
}
SECTION_ORDER = ("Search", "Move", "Paper", "Reading", "Select", "Lists", "App")


@dataclass(frozen=True)
class KeyInfo:
    """A binding as the user sees it: where it belongs, its keys, what it does."""

    id: str
    section: str
    keys: str
    description: str
    action: str
    owner: type[DOMNode]


def bindings_of(owner: type[DOMNode]) -> list[Binding]:
    """The ``Binding`` objects a class declares (strings and tuples included)."""
    found: list[Binding] = []
    for item in owner.BINDINGS:
        if isinstance(item, Binding):
            found.append(item)
        elif isinstance(item, tuple):
            found.append(Binding(*item))
    return found


def binding_ids(owners: Iterable[type[DOMNode]]) -> set[str]:
    """Every binding id the user may remap."""
    return {b.id for owner in owners for b in bindings_of(owner) if b.id}


def key_display(app: App, binding: Binding, keys: str) -> str:
    """``keys`` (comma separated) the way the footer shows them."""
    shown = []
    for key in keys.split(","):
        key = key.strip()
        if key:
            shown.append(app.get_key_display(replace(binding, key=key)))
    return " / ".join(dict.fromkeys(shown))


def describe_keys(
    app: App, owners: Iterable[type[DOMNode]], keymap: Mapping[str, str]
) -> list[KeyInfo]:
    """Every binding with an id, with the user's remapping applied and alternates merged."""
    infos: dict[str, KeyInfo] = {}
    for owner in owners:
        bindings = bindings_of(owner)
        for binding in bindings:
            if not binding.id or binding.id in infos:
                continue
            keys = [keymap.get(binding.id, binding.key)]
            keys += [b.key for b in bindings if b.action == binding.action and not b.id]
            description = binding.tooltip or binding.description or binding.action
            infos[binding.id] = KeyInfo(
                id=binding.id,
                section=SECTIONS.get(binding.id, "App"),
                keys=key_display(app, binding, ",".join(keys)),
                description=description,
                action=binding.action,
                owner=owner,
            )
    order = {name: i for i, name in enumerate(SECTION_ORDER)}
    return sorted(infos.values(), key=lambda k: order.get(k.section, 99))
