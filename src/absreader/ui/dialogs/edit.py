"""Correcting a paper's title, authors and year (scraped records come with errors) in a dialog.

The dialog only checks and collects: it dismisses with an :class:`EditResult`
holding the fields that changed (or None on Esc), and the caller saves them in
a worker through ``Catalog.edit_paper``. Authors are one line separated by
``;`` (as ``absreader edit --authors`` takes them).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from absreader.core.models import Paper
from absreader.ui.text import one_line, safe


@dataclass(frozen=True)
class EditResult:
    """What to change (None: leave as it is)."""

    title: str | None = None
    authors: list[str] | None = None
    year: int | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.title, self.authors, self.year))


def paper_year(paper: Paper) -> str:
    """The year the paper is shown with (its date's first four digits), or ''."""
    date = (paper.published or "")[:4]
    return date if date.isdigit() else ""


def split_authors(text: str) -> list[str]:
    """``A. Li; B. Chen`` as names (blanks dropped)."""
    return [name for name in (part.strip() for part in text.split(";")) if name]


def check(paper: Paper, title: str, authors: str, year: str) -> EditResult | str:
    """The changes the fields ask for, or what is wrong with them (in words for a person)."""
    title, year = " ".join(title.split()), year.strip()
    changes: dict[str, object] = {}
    if not title:
        if not (paper.untitled or not paper.title):
            return "The title is empty. Type one (Esc leaves the paper as it is)."
    elif title != paper.title:
        changes["title"] = title
    names = split_authors(authors)
    if names != list(paper.authors):
        changes["authors"] = names
    if year and year != paper_year(paper):
        if not (len(year) == 4 and year.isdigit() and year >= "1000"):
            return f"The year must have four digits, like 2024 (not {one_line(year, 20)!r})."
        changes["year"] = int(year)
    elif not year and paper_year(paper):
        return "The year is empty. Type one, like 2024 (Esc leaves the paper as it is)."
    return EditResult(**changes)  # type: ignore[arg-type]


class EditDialog(ModalScreen[EditResult | None]):
    """Title, authors and year of one paper; Enter or Save checks and returns the changes."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        Binding("ctrl+s", "save", "Save", id="save_edit"),
    ]

    def __init__(self, paper: Paper) -> None:
        super().__init__(classes="dialog-screen", id="edit-screen")
        self.paper = paper

    def compose(self) -> ComposeResult:
        paper = self.paper
        title = "" if paper.untitled else safe(paper.title)
        with Vertical(classes="dialog", id="edit-dialog"):
            yield Static(Text(f"Edit {safe(paper.arxiv_id or paper.key)}", style="bold"),
                         classes="dialog-title", markup=False)  # fmt: skip
            yield Label("Title")
            yield Input(value=title, placeholder="The paper's title", id="edit-title")
            yield Label("Authors (separated by ;)")
            yield Input(value="; ".join(safe(a) for a in paper.authors),
                        placeholder="A. Li; B. Chen", id="edit-authors")  # fmt: skip
            yield Label("Year")
            yield Input(value=paper_year(paper), placeholder="2024", id="edit-year",
                        max_length=8)  # fmt: skip
            yield Static(id="edit-error", classes="dialog-error", markup=False)
            yield Static(Text("↵ or ctrl+s saves · esc cancels · u undoes the edit later",
                              style="dim"), markup=False)  # fmt: skip
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="edit-save", variant="primary")
                yield Button("Cancel", id="edit-cancel")

    def on_mount(self) -> None:
        self.query_one("#edit-title", Input).focus()

    @property
    def error(self) -> str:
        """The message the dialog shows now ('' when none)."""
        widget = self.query_one("#edit-error", Static)
        return str(widget.render()) if widget.display else ""

    def action_save(self) -> None:
        answer = check(
            self.paper,
            self.query_one("#edit-title", Input).value,
            self.query_one("#edit-authors", Input).value,
            self.query_one("#edit-year", Input).value,
        )
        if isinstance(answer, str):
            error = self.query_one("#edit-error", Static)
            error.update(Text(answer))
            error.display = True
            return
        self.dismiss(answer)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#edit-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#edit-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
