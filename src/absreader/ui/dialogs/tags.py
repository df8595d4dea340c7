"""The tag editor: add tags (with completion from existing ones) and remove them."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from absreader.core.models import Paper, TagInfo
from absreader.ui.text import one_line, paper_title, safe


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass
class TagChange:
    """What the editor asks for: tags to add and tags to remove."""

    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)


class TagEditor(ModalScreen[TagChange | None]):
    """Tick the tags a paper should carry; type to filter, complete or create a tag."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="save_tags", priority=True),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    def __init__(
        self,
        paper: Paper,
        existing: list[TagInfo],
        *,
        title: str | None = None,
        carried: list[str] | None = None,
    ) -> None:
        """``title`` and ``carried`` (the tags ticked at first) stand in for the paper's own
        title and tags when the editor tags several papers at once."""
        super().__init__(classes="dialog-screen")
        self.paper = paper
        self.title_text = title
        tags = list(paper.tags if carried is None else carried)
        self.counts = {_norm(t.name): t.count for t in existing}
        # Every tag the editor knows, in display form, and whether the paper carries it.
        self.names: dict[str, str] = {}
        self.chosen: dict[str, bool] = {}
        for name in tags:
            self.names[_norm(name)] = name
            self.chosen[_norm(name)] = True
        for tag in existing:
            self.names.setdefault(_norm(tag.name), tag.name)
            self.chosen.setdefault(_norm(tag.name), False)
        self.original = {_norm(n) for n in tags}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="tag-dialog"):
            title = Text("Tags · ", style="bold")
            title.append(one_line(self.title_text or paper_title(self.paper), 60))
            yield Static(title, classes="dialog-title", markup=False)
            yield Input(
                placeholder="Type a tag: ↵ adds it, → completes",
                id="tag-input",
                suggester=SuggestFromList(list(self.names.values()), case_sensitive=False),
            )
            yield SelectionList[str](id="tag-list")
            with Horizontal(classes="dialog-buttons"):
                yield Static(
                    Text("space toggles · ctrl+s saves · esc cancels", style="dim"),
                    classes="dialog-keys",
                    markup=False,
                )
                yield Button("Save", variant="primary", id="tag-save")
                yield Button("Cancel", id="tag-cancel")

    def on_mount(self) -> None:
        self._refill("")
        self.query_one("#tag-input", Input).focus()

    def _refill(self, text: str) -> None:
        """Show the tags matching ``text`` (the paper's own tags first)."""
        wanted = _norm(text)
        shown = [n for n in self.names if wanted in n] if wanted else list(self.names)
        shown.sort(key=lambda n: (not self.chosen[n], n))
        selections = []
        for norm in shown:
            label = Text(f"#{safe(self.names[norm])}")
            count = self.counts.get(norm, 0)
            if count:
                label.append(f"  {count}", style="dim")
            selections.append(Selection(label, norm, self.chosen[norm]))
        tag_list = self.query_one("#tag-list", SelectionList)
        tag_list.clear_options()
        tag_list.add_options(selections)

    @on(Input.Changed, "#tag-input")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self._refill(event.value)

    @on(Input.Submitted, "#tag-input")
    def _add(self, event: Input.Submitted) -> None:
        event.stop()
        names = [" ".join(n.split()) for n in event.value.split(",")]
        names = [n for n in names if n]
        if not names:
            self.action_save()
            return
        for name in names:
            norm = _norm(name)
            self.names.setdefault(norm, name)
            self.chosen[norm] = True
        event.input.value = ""
        self._refill("")

    @on(SelectionList.SelectionToggled, "#tag-list")
    def _toggled(self, event: SelectionList.SelectionToggled) -> None:
        event.stop()
        norm = event.selection.value
        self.chosen[norm] = not self.chosen[norm]

    def change(self) -> TagChange:
        """The difference between the ticked tags and the paper's tags."""
        ticked = {n for n, on_ in self.chosen.items() if on_}
        return TagChange(
            add=[self.names[n] for n in sorted(ticked - self.original)],
            remove=[self.names[n] for n in sorted(self.original - ticked)],
        )

    def action_save(self) -> None:
        pending = self.query_one("#tag-input", Input).value.strip()
        if pending:
            for name in pending.split(","):
                if name.strip():
                    norm = _norm(name)
                    self.names.setdefault(norm, " ".join(name.split()))
                    self.chosen[norm] = True
        self.dismiss(self.change())

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#tag-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#tag-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
