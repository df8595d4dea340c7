"""A small modal question with a few answers (discard a note? keep which version?)."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from absreader.ui.text import safe


class ChoiceScreen(ModalScreen[str | None]):
    """Ask ``question``; dismisses with the id of the button pressed, or None on Esc."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]

    def __init__(
        self,
        title: str,
        body: RenderableType,
        choices: list[tuple[str, str]],
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen", id=id)
        self.choice_title = title
        self.body = body
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="choice-dialog"):
            yield Static(Text(safe(self.choice_title), style="bold"), classes="dialog-title",
                         markup=False)  # fmt: skip
            with VerticalScroll(id="choice-body"):
                yield Static(self.body, markup=False)
            with Horizontal(classes="dialog-buttons"):
                for number, (choice, label) in enumerate(self.choices):
                    yield Button(label, id=f"choice-{choice}",
                                 variant="primary" if number == 0 else "default")  # fmt: skip

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_cancel(self) -> None:
        self.dismiss(None)
