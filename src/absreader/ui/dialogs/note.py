"""The note editor: a multi-line text area over the reader that never loses what was typed.

Saving runs in a worker and the editor stays open until the library has the
note: a failed save (disk full, read-only library) keeps the text here with
the error. If the note changed underneath (the CLI, a second reader) since the
editor opened, both versions are shown and the user chooses. Esc with unsaved
text asks before discarding it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea
from textual.worker import Worker

from absreader.core.models import Paper
from absreader.ui.dialogs.confirm import ChoiceScreen
from absreader.ui.text import literal, one_line, paper_title


class NoteEditor(ModalScreen[Paper | None]):
    """Edit a paper's note; Ctrl+S saves (dismissing with the saved paper), Esc cancels."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="save_note", priority=True),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    @dataclass
    class Saved(Message):
        """The library now holds the note."""

        paper: Paper

    @dataclass
    class SaveFailed(Message):
        """The note could not be saved; ``reason`` says why."""

        reason: str

    @dataclass
    class ChangedUnderneath(Message):
        """The stored note is no longer the one the editor opened with."""

        theirs: str
        mine: str

    def __init__(self, paper: Paper) -> None:
        super().__init__(classes="dialog-screen", id="note-screen")
        self.paper = paper
        #: The note as it was when the editor opened (to tell whether it changed underneath).
        self.original = paper.note or ""
        self.saving = False
        #: The error shown under the text ("" when none).
        self.error = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="note-dialog"):
            title = Text("Note · ", style="bold")
            title.append(one_line(paper_title(self.paper), 70))
            yield Static(title, classes="dialog-title", markup=False)
            yield TextArea(self.original, id="note-text", soft_wrap=True, show_line_numbers=False)
            yield Static(id="note-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Static(Text("ctrl+s save · esc cancel", style="dim"),
                             classes="dialog-keys", markup=False)  # fmt: skip
                yield Button("Save", variant="primary", id="note-save")
                yield Button("Cancel", id="note-cancel")

    def on_mount(self) -> None:
        area = self.text_area
        area.focus()
        area.move_cursor(area.document.end)

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#note-text", TextArea)

    # ------------------------------------------------------------------ saving

    def action_save(self) -> None:
        if not self.saving:
            self._save(self.text_area.text, check=True)

    def _save(self, text: str, *, check: bool) -> None:
        """Save ``text`` in a worker; with ``check``, first make sure nobody changed the note."""
        self.saving = True
        catalog = self.app.catalog  # type: ignore[attr-defined]
        key, original = self.paper.key, self.original

        def work() -> None:
            try:
                if check:
                    stored = catalog.paper(key).note or ""
                    if stored != original and stored != text:
                        self.post_message(self.ChangedUnderneath(stored, text))
                        return
                self.post_message(self.Saved(catalog.set_note(key, text)))
            except Exception as exc:  # noqa: BLE001 - shown in the editor, the text stays
                self.post_message(self.SaveFailed(str(exc) or type(exc).__name__))

        self.run_worker(work, thread=True, group="note", exit_on_error=False,
                        description="Saving the note")  # fmt: skip

    @on(Saved)
    def _saved(self, event: Saved) -> None:
        self.saving = False
        self.dismiss(event.paper)

    @on(SaveFailed)
    def _failed(self, event: SaveFailed) -> None:
        self.saving = False
        self.error = f"Not saved: {event.reason} · your text is still here"
        error = self.query_one("#note-error", Static)
        error.update(literal(self.error))
        error.display = True
        self.text_area.focus()

    @on(ChangedUnderneath)
    def _conflict(self, event: ChangedUnderneath) -> None:
        self.saving = False
        body = Text()
        body.append("The note was changed elsewhere while you edited it.\n\n", style="bold")
        body.append("Saved meanwhile:\n", style="underline")
        body.append_text(literal(event.theirs or "(empty)"))
        body.append("\n\nYours:\n", style="underline")
        body.append_text(literal(event.mine or "(empty)"))

        def chosen(choice: str | None) -> None:
            if choice == "mine":
                self._save(event.mine, check=False)
            elif choice == "both":
                self._save(f"{event.theirs}\n\n{event.mine}".strip(), check=False)
            elif choice == "theirs":
                self.original = event.theirs
                self.text_area.load_text(event.theirs)
            # None (Esc): back to the editor as it was; saving asks again.

        self.app.push_screen(
            ChoiceScreen("The note changed underneath", body,
                         [("both", "Keep both"), ("mine", "Keep mine"), ("theirs", "Keep theirs")],
                         id="note-conflict"),
            chosen,
        )  # fmt: skip

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.app.report_worker(event.worker, event.state)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ leaving

    @property
    def unsaved(self) -> bool:
        return self.text_area.text != self.original

    def action_cancel(self) -> None:
        if not self.unsaved:
            self.dismiss(None)
            return

        def chosen(choice: str | None) -> None:
            if choice == "discard":
                self.dismiss(None)
            elif choice == "save":
                self.action_save()

        self.app.push_screen(
            ChoiceScreen("Discard the unsaved note?",
                         Text("The note has changes that are not saved."),
                         [("keep", "Keep editing"), ("save", "Save"), ("discard", "Discard")],
                         id="note-discard"),
            chosen,
        )  # fmt: skip

    @on(Button.Pressed, "#note-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#note-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
