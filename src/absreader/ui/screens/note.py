"""The note editor: a multi-line text area over the reader."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from absreader.core.models import Paper
from absreader.ui.text import one_line, paper_title


class NoteEditor(ModalScreen[str | None]):
    """Edit a paper's note; Ctrl+S saves, Esc leaves it unchanged."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="save_note", priority=True),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    def __init__(self, paper: Paper) -> None:
        super().__init__(classes="dialog-screen")
        self.paper = paper

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="note-dialog"):
            title = Text("Note · ", style="bold")
            title.append(one_line(paper_title(self.paper), 70))
            yield Static(title, classes="dialog-title", markup=False)
            yield TextArea(self.paper.note, id="note-text", soft_wrap=True, show_line_numbers=False)
            with Horizontal(classes="dialog-buttons"):
                yield Static(
                    Text("ctrl+s save · esc cancel", style="dim"),
                    classes="dialog-keys",
                    markup=False,
                )
                yield Button("Save", variant="primary", id="note-save")
                yield Button("Cancel", id="note-cancel")

    def on_mount(self) -> None:
        area = self.query_one("#note-text", TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_save(self) -> None:
        self.dismiss(self.query_one("#note-text", TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#note-save")
    def _save(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#note-cancel")
    def _cancel(self) -> None:
        self.action_cancel()
