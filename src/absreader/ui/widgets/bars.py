"""The search bar on top, the status line at the bottom, and the ever-present key hints."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, ProgressBar, Static

from absreader.ui.text import safe

SEARCH_PLACEHOLDER = 'Search: words, "phrases", author:, tag:, is:unread, -word …'


class SearchBar(Horizontal):
    """The query input, with a "did you mean" hint beside it."""

    def compose(self) -> ComposeResult:
        yield Static(Text(" ⌕ "), id="search-icon", markup=False)
        yield Input(placeholder=SEARCH_PLACEHOLDER, id="search", select_on_focus=False)
        yield Static(id="search-hint", markup=False)

    @property
    def input(self) -> Input:
        return self.query_one("#search", Input)

    def show_suggestion(self, suggestion: str | None, key: str) -> None:
        """Offer ``suggestion`` (accepted with ``key``), or hide the hint."""
        hint = self.query_one("#search-hint", Static)
        if suggestion:
            text = Text("Did you mean ", style="dim")
            text.append(safe(suggestion), style="bold")
            text.append(f"?  {key}", style="dim")
            hint.update(text)
            hint.display = True
        else:
            hint.update("")
            hint.display = False


class StatusLine(Horizontal):
    """Counts and timing on the left, notices in the middle, a job's progress on the right."""

    def __init__(self, *, id: str | None = None, show_timings: bool = True) -> None:
        super().__init__(id=id)
        self.show_timings = show_timings
        self.counts_text = ""
        self.notice_text = ""

    def compose(self) -> ComposeResult:
        yield Static(id="status-counts", markup=False)
        yield Static(id="status-notice", markup=False)
        yield Static(id="status-job", markup=False)
        yield ProgressBar(id="status-progress", show_eta=False, show_percentage=True)

    def on_mount(self) -> None:
        self.end_job()

    def set_counts(self, shown: int, total: int, elapsed_ms: float | None, where: str) -> None:
        """``N of M papers · 12 ms · where``."""
        text = Text()
        text.append(f"{shown:,}", style="bold")
        text.append(f" of {total:,} {'paper' if total == 1 else 'papers'}")
        if elapsed_ms is not None and self.show_timings:
            text.append(f" · {elapsed_ms:.0f} ms", style="dim")
        if where:
            text.append(" · ")
            text.append(safe(where), style="italic")
        self.counts_text = text.plain
        self.query_one("#status-counts", Static).update(text)

    def set_notice(self, notice: str | None) -> None:
        """A one-line notice (an index rebuild, a parse fallback...), or none."""
        self.notice_text = safe(notice or "")
        self.query_one("#status-notice", Static).update(Text(self.notice_text, style="italic"))

    def start_job(self, label: str, total: float | None = None) -> None:
        """Show a background job (import, indexing) with a progress bar."""
        job = self.query_one("#status-job", Static)
        job.update(Text(safe(label)))
        job.display = True
        bar = self.query_one("#status-progress", ProgressBar)
        bar.update(total=total, progress=0)
        bar.display = True

    def job_progress(self, done: float, total: float | None, label: str | None = None) -> None:
        if label is not None:
            self.query_one("#status-job", Static).update(Text(safe(label)))
        self.query_one("#status-progress", ProgressBar).update(total=total, progress=done)

    def end_job(self) -> None:
        self.query_one("#status-job", Static).display = False
        self.query_one("#status-progress", ProgressBar).display = False

    @property
    def job_running(self) -> bool:
        return bool(self.query_one("#status-progress", ProgressBar).display)


class KeyHints(Static):
    """``? Help  q Quit`` beside the footer, under the keys the user mapped them to.

    The footer drops what does not fit; these two never drop, whatever the width.
    """

    DEFAULT_CSS = """
    KeyHints {
        width: auto;
        height: 1;
        padding: 0 1;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    """

    #: (binding id, action, default key, label)
    HINTS = (("help", "help", "question_mark", "Help"), ("quit", "quit", "q", "Quit"))

    def __init__(
        self, hints: tuple[tuple[str, str, str, str], ...] | None = None, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        if hints is not None:
            self.HINTS = hints

    def on_mount(self) -> None:
        self.show_keys(getattr(self.app, "key_overrides", {}))

    def show_keys(self, keymap: dict[str, str]) -> None:
        """Show each hint under its key (the first key the keymap gives it)."""
        text = Text()
        for binding_id, action, default, label in self.HINTS:
            key = (keymap.get(binding_id) or default).split(",")[0].strip()
            shown = self.app.get_key_display(Binding(key, action))
            if text:
                text.append("  ")
            text.append(shown, style="bold")
            text.append(f" {label}")
        self.keys_text = text.plain
        self.update(text)
