"""The ``?`` help screen: every key, grouped, from the same bindings the footer uses."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from absreader.ui.keys import SECTION_ORDER, KeyInfo

QUERY_HELP = [
    ("words", "all must match; the last word matches as a prefix while you type"),
    ('"a phrase"', "the words next to each other"),
    ("title: author: abstract:", "search one field (also id: cat: tag: note:)"),
    ("is:bookmarked  is:unread", "only bookmarked / unread papers"),
    ("a OR b   -word   NOT x", "either word / leave out a word"),
    ("trans*   transfomer~", "any ending / spelling mistakes allowed"),
]


class HelpScreen(ModalScreen[None]):
    """A table of keys and the query language; any of Esc, q or ? closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="close_help"),
        Binding("q", "close", "Close", show=False),
        Binding("question_mark", "close", "Close", show=False),
        Binding("j", "scroll_down", show=False),
        Binding("k", "scroll_up", show=False),
    ]

    def __init__(self, keys: list[KeyInfo]) -> None:
        super().__init__(classes="dialog-screen")
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog"):
            yield Static(
                Text("absreader · keys", style="bold"), classes="dialog-title", markup=False
            )
            with VerticalScroll(id="help-body"):
                yield Static(self._keys_table(), markup=False, id="help-keys")
                yield Static(self._query_table(), markup=False, id="help-query")
            yield Static(
                Text(
                    'Remap keys in config.toml under [keys], e.g. bookmark = "B" · esc closes',
                    style="dim",
                ),
                markup=False,
                id="help-foot",
            )

    def _keys_table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(justify="right", style="bold", no_wrap=True, min_width=14)
        table.add_column()
        table.add_column(style="dim", no_wrap=True)
        for section in SECTION_ORDER:
            rows = [k for k in self.keys if k.section == section]
            if not rows:
                continue
            table.add_row(Text(section, style="underline"), Text(""), Text(""))
            for info in rows:
                table.add_row(Text(info.keys), Text(info.description), Text(info.id))
            table.add_row(Text(""), Text(""), Text(""))
        return table

    def _query_table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(justify="right", style="bold", no_wrap=True, min_width=14)
        table.add_column()
        table.add_row(Text("Queries", style="underline"), Text(""))
        for syntax, meaning in QUERY_HELP:
            table.add_row(Text(syntax), Text(meaning))
        return table

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll_down(self) -> None:
        self.query_one("#help-body", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#help-body", VerticalScroll).scroll_up()
