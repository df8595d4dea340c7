"""The detail pane: one paper's metadata, tags and note, its abstract, then where it came from.

All fields are untrusted and are built into Rich ``Text`` literally; the
query's terms are highlighted from the index's character spans, which a worker
fetches and posts back as :class:`DetailPane.HighlightsLoaded`.

The pane follows the list's cursor itself (:meth:`DetailPane.follow`): the
list moves at once, the pane (a relayout) follows at most every
``DETAIL_DELAY`` while a key repeats and always ends on the paper under the
cursor.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from absreader.core.catalog import ListSpec
from absreader.core.models import Paper
from absreader.ui.text import Spans, highlighted, join_tags, link_url, literal, paper_title, safe

DETAIL_DELAY = 0.08
SpanMap = dict[str, list[tuple[int, int]]]


class DetailPane(VerticalScroll, can_focus=True):
    """Shows the selected paper; scrolls with j/k when focused."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False, id="cursor_down"),
        Binding("k", "scroll_up", "Up", show=False, id="cursor_up"),
        Binding("g", "scroll_home", "Top", show=False, id="first"),
        Binding("G", "scroll_end", "Bottom", show=False, id="last"),
        Binding("space", "page_down", "Page down", show=False),
    ]

    COMPONENT_CLASSES = {"detail--highlight", "detail--label", "detail--link", "detail--muted"}

    DEFAULT_CSS = """
    DetailPane {
        & > .detail--highlight { background: $warning 35%; text-style: bold; }
        & > .detail--label { color: $text-muted; }
        & > .detail--link { color: $accent; text-style: underline; }
        & > .detail--muted { color: $text-muted; text-style: italic; }
    }
    """

    @dataclass
    class HighlightsLoaded(Message):
        """The spans of a query's words in a paper arrived from the index."""

        paper: Paper
        query: tuple[ListSpec, str]
        spans: SpanMap

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.paper: Paper | None = None
        self.spans: SpanMap = {}
        #: What to highlight: the list (a saved search's query counts) and the typed words.
        self.query: tuple[ListSpec, str] = (ListSpec(), "")
        self._next: Paper | None = None
        self._dirty = False
        self._timer: Timer | None = None
        self._loaded: tuple[str, tuple[ListSpec, str], SpanMap] | None = None

    # ------------------------------------------------------------------ following the cursor

    def follow(self, paper: Paper | None, query: tuple[ListSpec, str] | None = None) -> None:
        """Show ``paper`` soon (at once after a pause, then at most every DETAIL_DELAY)."""
        if query is not None:
            self.query = query
        self._next = paper
        if self._timer is None:
            self.flush()
            self._timer = self.set_timer(DETAIL_DELAY, self._tick)
        else:
            self._dirty = True

    def _tick(self) -> None:
        self._timer = None
        if self._dirty:
            self.flush()
            self._timer = self.set_timer(DETAIL_DELAY, self._tick)

    @property
    def pending(self) -> bool:
        """Whether the pane is behind the cursor (while keys repeat)."""
        return self._dirty

    def flush(self) -> None:
        """Show the paper the cursor is on now, with its highlights if they are known."""
        self._dirty = False
        paper = self._next
        spans = None
        if paper and self._loaded and self._loaded[:2] == (paper.key, self.query):
            spans = self._loaded[2]
        if paper is None or paper != self.paper or dict(spans or {}) != self.spans:
            self.show(paper, spans)  # (the same paper again, e.g. while typing: no relayout)
        wants = bool(self.query[1].strip()) or self.query[0].kind == "saved"
        if paper is not None and wants and spans is None:
            self._load_highlights(paper, self.query)

    def update_paper(self, paper: Paper) -> None:
        """``paper`` changed (a key, another process): redraw it if it is the one shown."""
        if self._next is not None and self._next.key == paper.key and paper.seq >= self._next.seq:
            self._next = paper
        if (
            self.paper is not None
            and self.paper.key == paper.key
            and paper != self.paper
            and paper.seq >= self.paper.seq  # never an older read over a newer one
        ):
            self.show(paper, self.spans)

    @work(thread=True, exclusive=True, group="highlight", exit_on_error=False,
          description="Highlighting")  # fmt: skip
    def _load_highlights(self, paper: Paper, query: tuple[ListSpec, str]) -> None:
        catalog = self.app.catalog  # type: ignore[attr-defined]
        words = catalog.list_query(*query)
        spans = catalog.highlights(paper, words, as_you_type=True) if words else {}
        if not get_current_worker().is_cancelled:
            self.post_message(self.HighlightsLoaded(paper, query, spans))

    @on(HighlightsLoaded)
    def _highlights_loaded(self, event: HighlightsLoaded) -> None:
        event.stop()
        self._loaded = (event.paper.key, event.query, event.spans)
        shown = self.paper
        if shown is not None and shown.key == event.paper.key and event.query == self.query:
            self.show(shown, event.spans)

    # ------------------------------------------------------------------ drawing

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title", markup=False)
        yield Static(id="detail-meta", markup=False)
        yield Static(id="detail-abstract", markup=False)
        yield Static(id="detail-origin", markup=False)

    def on_mount(self) -> None:
        self.show(None)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def show(self, paper: Paper | None, spans: SpanMap | None = None) -> None:
        """Show ``paper`` (or an empty state), highlighting ``spans`` when given."""
        same = self.paper is not None and paper is not None and paper.key == self.paper.key
        self.paper = paper
        self.spans = dict(spans or {})
        title = self.query_one("#detail-title", Static)
        meta = self.query_one("#detail-meta", Static)
        abstract = self.query_one("#detail-abstract", Static)
        origin = self.query_one("#detail-origin", Static)
        if paper is None:
            title.update(Text("No paper selected", style=self._style("detail--muted")))
            meta.update("")
            abstract.update("")
            origin.update("")
            return
        title.update(self.title_text(paper, self.spans.get("title")))
        meta.update(self.meta_table(paper))
        abstract.update(self.abstract_text(paper, self.spans.get("abstract")))
        origin.update(self.origin_table(paper))
        if not same:
            self.scroll_home(animate=False, immediate=True)

    def title_text(self, paper: Paper, spans: Spans | None) -> Text:
        mark = self._style("detail--highlight")
        if paper.untitled or not paper.title:
            return Text.assemble(literal(paper_title(paper), Style(bold=True, italic=True)))
        return highlighted(paper.title, spans, mark, Style(bold=True))

    def meta_table(self, paper: Paper) -> RenderableType:
        """Id and link, version, authors, categories, dates, tags, status and note."""
        table = Table.grid(padding=(0, 1))
        table.add_column(style=self._style("detail--label"), no_wrap=True, min_width=10)
        table.add_column(ratio=1)

        def row(label: str, value: Text | str) -> None:
            table.add_row(Text(label), value if isinstance(value, Text) else literal(value))

        ident = Text()
        ident.append(safe(paper.arxiv_id or paper.key))
        if paper.version:
            ident.append(f"  v{safe(paper.version)}", self._style("detail--label"))
        url = link_url(paper)
        if url:
            ident.append("  ")
            ident.append(url, self._style("detail--link") + Style(link=url))
        row("arXiv" if paper.arxiv_id else "Key", ident)
        if paper.authors:
            row("Authors", ", ".join(safe(a) for a in paper.authors))
        if paper.categories:
            row("Categories", " · ".join(safe(c) for c in paper.categories))
        dates = safe(paper.published or "")
        if paper.updated and paper.updated != paper.published:
            dates = f"{dates} (updated {safe(paper.updated)})".strip()
        if dates:
            row("Published", dates)
        if paper.doi:
            row("DOI", paper.doi)
        if paper.journal_ref:
            row("Journal", paper.journal_ref)
        status = ["★ bookmarked" if paper.bookmarked else "not bookmarked"]
        status.append("read" if paper.read else "● unread")
        row("Status", " · ".join(status))
        row(
            "Tags",
            join_tags(paper.tags)
            if paper.tags
            else Text("none (t to add)", style=self._style("detail--muted")),
        )
        if paper.note:
            row("Note", paper.note)
        return table

    def origin_table(self, paper: Paper) -> RenderableType:
        """Where the paper came from (each file or feed, with the line) and when it was added."""
        table = Table.grid(padding=(0, 1))
        table.add_column(style=self._style("detail--label"), no_wrap=True, min_width=10)
        table.add_column(ratio=1, style=self._style("detail--label"))
        sources = source_lines(paper)
        if sources:
            shown = Text(overflow="fold")  # a long path folds, never loses its end
            for i, line in enumerate(sources):
                shown.append(("\n" if i else "") + safe(line))
            table.add_row(Text("Sources" if len(sources) > 1 else "Source"), shown)
        if paper.added:
            table.add_row(Text("Added"), literal(added_text(paper.added)))
        return table

    def abstract_text(self, paper: Paper, spans: Spans | None) -> Text:
        """The abstract as one ``Text`` (the blank line above it is the widget's margin).

        One ``Text``, not a Rich ``Group``: Textual measures a Group by counting
        newlines, and a last line without one (``end=""``) was never given room.
        """
        if not paper.abstract:
            return Text("No abstract.", style=self._style("detail--muted"))
        return highlighted(paper.abstract, spans, self._style("detail--highlight"))


def source_lines(paper: Paper) -> list[str]:
    """Where the paper came from, one entry a source: ``file, line 12`` (the line when known).

    The text is the file or feed as it was given to the import (untrusted: the
    caller shows it literally).
    """
    lines: dict[str, int] = paper.extra.get("source_lines") or {}
    shown = []
    for source in paper.sources:
        line = lines.get(source) or 0
        shown.append(f"{source}, line {line:,}" if line > 0 else source)
    return shown


def added_text(added: str) -> str:
    """When the paper was added, to the minute: ``2026-12-01 12:37``."""
    return added[:16].replace("T", " ")
