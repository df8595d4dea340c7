"""The first-run screen: progress bars while the sample papers are imported and indexed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static

from absreader.ui.text import safe


class ProgressScreen(ModalScreen[None]):
    """Shows an import's progress (files read, papers added) and then the indexing."""

    def __init__(self, title: str = "Setting up your library") -> None:
        super().__init__(classes="dialog-screen", id="progress-screen")
        self.progress_title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="progress-dialog"):
            yield Static(
                Text(safe(self.progress_title), style="bold"), classes="dialog-title", markup=False
            )
            yield Static(
                Text(
                    "absreader imports the bundled sample papers and builds a search index. "
                    "This happens once.",
                    style="dim",
                ),
                markup=False,
                id="progress-intro",
            )
            yield Static(
                Text("Importing"), id="import-label", classes="progress-label", markup=False
            )
            yield ProgressBar(id="import-bar", show_eta=False)
            yield Static(Text("Indexing"), id="index-label", classes="progress-label", markup=False)
            yield ProgressBar(id="index-bar", show_eta=False)

    def set_import(self, done: float, total: float | None, label: str) -> None:
        """Bytes read of all files, and a line saying which file and how many papers."""
        self.query_one("#import-label", Static).update(Text(safe(label)))
        self.query_one("#import-bar", ProgressBar).update(total=total, progress=done)

    def set_index(self, done: float, total: float | None, label: str) -> None:
        """Papers indexed so far."""
        self.query_one("#index-label", Static).update(Text(safe(label)))
        self.query_one("#index-bar", ProgressBar).update(total=total, progress=done)
