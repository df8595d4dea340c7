"""A one-line prompt (save-search name, import path) as a modal dialog."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static

from absreader.ui.text import safe

Validator = Callable[[str], str | None]


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; dismisses with the text, or None on Esc."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]

    def __init__(
        self,
        title: str,
        *,
        value: str = "",
        placeholder: str = "",
        hint: str = "",
        validate: Validator | None = None,
        suggester: Suggester | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.prompt_title = title
        self._value = value
        self._placeholder = placeholder
        self._hint = hint
        self._validate = validate
        self._suggester = suggester

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="prompt-dialog"):
            yield Static(
                Text(safe(self.prompt_title), style="bold"), classes="dialog-title", markup=False
            )
            yield Input(
                value=self._value,
                placeholder=self._placeholder,
                id="prompt-input",
                suggester=self._suggester,
            )
            yield Static(Text(safe(self._hint), style="dim"), id="prompt-hint", markup=False)
            yield Static(id="prompt-error", classes="dialog-error", markup=False)

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        problem = (
            self._validate(value) if self._validate else (None if value else "Type something first")
        )
        if problem:
            error = self.query_one("#prompt-error", Static)
            error.update(Text(safe(problem)))
            error.display = True
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PathSuggester(Suggester):
    """Completes a file system path from the entries of the folder typed so far."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        typed = Path(value).expanduser()
        folder, stem = (typed, "") if value.endswith(("/", "\\")) else (typed.parent, typed.name)
        try:
            names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
        except OSError:
            return None
        for name in names:
            if name.startswith(stem) and (stem or not name.startswith(".")):
                return value + name[len(stem) :]
        return None
