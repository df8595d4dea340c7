"""The result list: a virtual, line-API list that pages papers in on demand.

The widget's virtual height is the number of results; only the rows on screen
are rendered, and a page of papers is fetched (in a worker thread) the first
time one of its rows is needed. Scrolling through 100,000 papers therefore
costs a handful of small queries, never a widget per row.

The list also holds the multi-selection (keys, in the order chosen): space
toggles the paper under the cursor, shift+up/down extend it, and a selected
row carries a ✓ mark.

Opening a paper (Enter, a double click) calls the ``opener`` the list was
given at once, while the key is being handled, rather than posting a message:
the opener moves the focus to the paper, and a key typed right after Enter
must already go there (a message would arrive after it, and a quick Space
would select the row instead of paging the paper).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker, get_current_worker

from absreader.core.models import Paper
from absreader.ui.results import PAGE_SIZE
from absreader.ui.text import join_tags, paper_title, safe

Fetcher = Callable[[int, int], list[Paper]]

BOOKMARK_MARK = "★"
UNREAD_MARK = "●"
SELECTED_MARK = "✓"
ROW_HEIGHT = 2


class PaperList(ScrollView, can_focus=True):
    """A scrollable list of papers with a cursor; rows are paged in lazily."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="cursor_down"),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False, id="cursor_up"),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("g", "first", "Top", show=False, id="first"),
        Binding("home", "first", "Top", show=False),
        Binding("G", "last", "Bottom", show=False, id="last"),
        Binding("end", "last", "Bottom", show=False),
        Binding("pagedown", "page_down", "Page down", show=False, id="page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="page_up"),
        Binding("enter", "open", "Open", tooltip="Read the selected paper", id="open"),
        Binding("space", "toggle_select", "Select", tooltip="Select the paper (again: unselect); "
                "b, t, r and x then act on every selected paper, Esc clears", id="toggle_select",
                show=False),
        Binding("shift+down", "select_down", "Select down", tooltip="Extend the selection down",
                id="select_down", show=False),
        Binding("shift+up", "select_up", "Select up", tooltip="Extend the selection up",
                id="select_up", show=False),
    ]  # fmt: skip

    COMPONENT_CLASSES = {
        "paper-list--cursor",
        "paper-list--bookmark",
        "paper-list--unread",
        "paper-list--read",
        "paper-list--untitled",
        "paper-list--id",
        "paper-list--tags",
        "paper-list--loading",
        "paper-list--selected",
    }

    DEFAULT_CSS = """
    PaperList {
        background: $surface;
        scrollbar-gutter: stable;
        & > .paper-list--cursor { background: $block-cursor-blurred-background; }
        &:focus > .paper-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
        & > .paper-list--bookmark { color: $warning; }
        & > .paper-list--unread { color: $accent; }
        & > .paper-list--read { color: $text-muted; }
        & > .paper-list--untitled { text-style: italic; }
        & > .paper-list--id { color: $text-muted; }
        & > .paper-list--tags { color: $secondary; }
        & > .paper-list--loading { color: $text-disabled; }
        & > .paper-list--selected { color: $success; text-style: bold; }
    }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    @dataclass
    class Highlighted(Message):
        """The cursor moved to another paper (or to none)."""

        paper_list: PaperList
        paper: Paper | None

        @property
        def control(self) -> PaperList:
            return self.paper_list

    @dataclass
    class SelectionChanged(Message):
        """Papers were selected or unselected; ``count`` are selected now."""

        paper_list: PaperList
        count: int

        @property
        def control(self) -> PaperList:
            return self.paper_list

    @dataclass
    class PageLoaded(Message):
        """A page of rows arrived from the catalog (``generation`` tells stale ones apart)."""

        generation: int
        page: int
        papers: list[Paper]

    def __init__(
        self,
        *,
        opener: Callable[[Paper], None] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        #: Called with the paper the user opens (Enter, a double click), during the key's handling.
        self.opener = opener
        self.total = 0
        self._rows: dict[int, Paper] = {}
        self._index: dict[str, int] = {}
        self._requested: set[int] = set()
        self._fetch: Fetcher | None = None
        self._generation = 0
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)
        self._last_highlighted: tuple[int, str | None] | None = None
        self.empty_message = "No papers."
        #: The selected papers' keys, in the order they were selected.
        self.selected: dict[str, None] = {}

    # ------------------------------------------------------------------ data

    def show(
        self,
        total: int,
        first: list[Paper],
        fetch: Fetcher | None,
        *,
        select_key: str | None = None,
        select_index: int = 0,
    ) -> None:
        """Replace the list: ``total`` rows, the first page already loaded."""
        self._generation += 1
        self.total = max(total, len(first))
        self._rows = dict(enumerate(first))
        self._index = {paper.key: i for i, paper in enumerate(first)}
        self._requested = {0} if first else set()
        self._fetch = fetch
        self._strips.clear()
        self._last_highlighted = None
        self._set_virtual_size()
        row = self._index.get(select_key, select_index) if select_key else select_index
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.cursor = min(max(row, 0), max(self.total - 1, 0))
        self.refresh()

    def paper_at(self, row: int) -> Paper | None:
        """The paper on ``row`` if its page has been loaded."""
        return self._rows.get(row)

    @property
    def current(self) -> Paper | None:
        """The paper under the cursor, if loaded."""
        return self._rows.get(self.cursor) if self.total else None

    @property
    def loaded_keys(self) -> list[str]:
        """Keys of the loaded rows, in order (for tests and the status line)."""
        return [self._rows[i].key for i in sorted(self._rows)]

    def row_of(self, key: str) -> int | None:
        """The row showing the paper ``key``, if it is loaded."""
        return self._index.get(key)

    def update_paper(self, paper: Paper) -> None:
        """Redraw the row of a paper whose marks or tags changed."""
        row = self._index.get(paper.key)
        if row is None:
            return
        shown = self._rows.get(row)
        if shown is not None and shown.key == paper.key and paper.seq < shown.seq:
            return  # an older read of the paper, arriving late: the row already shows newer
        self._rows[row] = paper
        self._strips.clear()
        self.refresh_row(row)
        if row == self.cursor:
            self._post_highlighted(force=True)

    # ------------------------------------------------------------------ selection

    def set_selected(self, keys: dict[str, None] | list[str]) -> None:
        """Select exactly ``keys`` (an empty list clears the selection)."""
        before = len(self.selected)
        self.selected = dict.fromkeys(keys)
        self._strips.clear()
        self.refresh()
        if before or self.selected:
            self.post_message(self.SelectionChanged(self, len(self.selected)))

    def clear_selection(self) -> None:
        self.set_selected([])

    def _select(self, paper: Paper | None, on: bool) -> None:
        if paper is None:
            return
        if on:
            self.selected[paper.key] = None
        else:
            self.selected.pop(paper.key, None)
        self._strips.clear()
        self.refresh_row(self.cursor)
        self.post_message(self.SelectionChanged(self, len(self.selected)))

    def action_toggle_select(self) -> None:
        paper = self.current
        if paper is not None:
            self._select(paper, paper.key not in self.selected)

    def action_select_down(self) -> None:
        self._extend(1)

    def action_select_up(self) -> None:
        self._extend(-1)

    def _extend(self, step: int) -> None:
        """Select the paper under the cursor and the next one (``step`` rows away)."""
        self._select(self.current, True)
        if 0 <= self.cursor + step < self.total:
            self.cursor += step
            self._select(self.current, True)

    # ------------------------------------------------------------------ rows leaving and coming back

    def remove_keys(self, keys: Iterable[str]) -> int:
        """Take papers off the list (deleted): the rows below move up, the cursor stays on its
        row (now the next paper). How many rows went."""
        keys = list(keys)
        gone_keys = set(keys)
        if not self.selected.keys().isdisjoint(gone_keys):
            self.set_selected([key for key in self.selected if key not in gone_keys])
        gone = sorted({row for key in keys if (row := self._index.get(key)) is not None})
        if not gone:
            return 0
        dropped = set(gone)
        rows = {
            row - bisect_left(gone, row): paper
            for row, paper in self._rows.items()
            if row not in dropped
        }
        # (Gone rows above the cursor move it up; if its own row went, the next paper is there.)
        self._replace_rows(rows, self.total - len(gone), self.cursor - bisect_left(gone, self.cursor))
        return len(gone)

    def insert_paper(self, row: int, paper: Paper) -> None:
        """Put ``paper`` back on ``row`` (an undone delete); the rows from there move down."""
        row = min(max(row, 0), self.total)
        rows = {r + (r >= row): p for r, p in self._rows.items()}
        rows[row] = paper
        self._replace_rows(rows, self.total + 1, self.cursor + (self.cursor >= row and self.total > 0))

    def _replace_rows(self, rows: dict[int, Paper], total: int, cursor: int) -> None:
        self._rows = rows
        self._index = {paper.key: row for row, paper in rows.items()}
        self.total = max(total, 0)
        # A page with a gap now (rows moved across its edge) is fetched again when shown.
        self._requested = {
            page for page in self._requested
            if all(r in rows for r in range(page * PAGE_SIZE, min((page + 1) * PAGE_SIZE, self.total)))
        }  # fmt: skip
        self._strips.clear()
        self._last_highlighted = None
        self._set_virtual_size()
        self.cursor = cursor
        self.refresh()

    # ------------------------------------------------------------------ paging

    def _ensure_page(self, row: int) -> None:
        page = row // PAGE_SIZE
        if page in self._requested or self._fetch is None:
            return
        self._requested.add(page)
        self._load_page(self._generation, page, self._fetch)

    @work(thread=True, group="paper-page", exit_on_error=False, description="Loading papers")
    def _load_page(self, generation: int, page: int, fetch: Fetcher) -> None:
        papers = fetch(page * PAGE_SIZE, PAGE_SIZE)
        if not get_current_worker().is_cancelled:
            self.post_message(self.PageLoaded(generation, page, papers))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report = getattr(self.app, "report_worker", None)
        if report is not None:
            report(event.worker, event.state)

    @on(PageLoaded)
    def _page_loaded(self, event: PageLoaded) -> None:
        event.stop()
        generation, page, papers = event.generation, event.page, event.papers
        if generation != self._generation:
            return
        start = page * PAGE_SIZE
        for i, paper in enumerate(papers):
            self._rows[start + i] = paper
            self._index[paper.key] = start + i
        self._strips.clear()
        self.refresh()
        if start <= self.cursor < start + PAGE_SIZE:
            self._post_highlighted()

    # ------------------------------------------------------------------ cursor

    def validate_cursor(self, value: int) -> int:
        return min(max(value, 0), max(self.total - 1, 0))

    def watch_cursor(self, old: int, new: int) -> None:
        self._strips.clear()
        self.refresh_row(old)
        self.refresh_row(new)
        self.scroll_to_region(
            Region(0, new * ROW_HEIGHT, 1, ROW_HEIGHT), animate=False, immediate=True
        )
        top = round(self.scroll_y)
        if top % ROW_HEIGHT and top + 1 <= self.max_scroll_y:
            # Keep rows whole at the top edge (scrolling down can stop mid-row).
            self.scroll_to(y=top + 1, animate=False, immediate=True)
        if new not in self._rows and self.total:
            self._ensure_page(new)
        self._post_highlighted()

    def _post_highlighted(self, force: bool = False) -> None:
        paper = self.current
        marker = (self.cursor, paper.key if paper else None)
        if force or marker != self._last_highlighted:
            self._last_highlighted = marker
            self.post_message(self.Highlighted(self, paper))

    def _set_virtual_size(self) -> None:
        """Rows times their height, plus a spare line so the last screen starts on a row."""
        region = self.scrollable_content_region
        self.virtual_size = Size(region.width, self.total * ROW_HEIGHT + region.height % ROW_HEIGHT)

    def refresh_row(self, row: int) -> None:
        """Redraw one row (both of its lines)."""
        top = row * ROW_HEIGHT - self.scroll_offset.y
        self.refresh(Region(0, top, self.size.width, ROW_HEIGHT))

    @property
    def rows_per_page(self) -> int:
        return max(self.scrollable_content_region.height // ROW_HEIGHT - 1, 1)

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = self.total - 1

    def action_page_down(self) -> None:
        self.cursor += self.rows_per_page

    def action_page_up(self) -> None:
        self.cursor -= self.rows_per_page

    def action_open(self) -> None:
        paper = self.current
        if paper is not None and self.opener is not None:
            self.opener(paper)

    async def _on_click(self, event: events.Click) -> None:
        row = (event.y + self.scroll_offset.y) // ROW_HEIGHT
        if 0 <= row < self.total:
            self.cursor = row
            if event.chain >= 2:
                self.action_open()

    # ------------------------------------------------------------------ rendering

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def on_resize(self) -> None:
        self._strips.clear()
        self._set_virtual_size()

    def render_line(self, y: int) -> Strip:
        row, line = divmod(y + self.scroll_offset.y, ROW_HEIGHT)
        width = self.scrollable_content_region.width
        base = self.rich_style
        if self.total == 0:
            if y == 1:
                text = Text(f"  {self.empty_message}", style=self._style("paper-list--loading"))
                return self._to_strip(text, width, base)
            return Strip.blank(width, base)
        if row >= self.total:
            return Strip.blank(width, base)
        paper = self._rows.get(row)
        cursor = row == self.cursor
        chosen = paper is not None and paper.key in self.selected
        key = (row, line, width, cursor, paper.key if paper else None, self.has_focus, chosen)
        cached = self._strips.get(key)
        if cached is not None:
            return cached
        if paper is None:
            self._ensure_page(row)
            text = Text("     …" if line == 0 else "", style=self._style("paper-list--loading"))
        elif line == 0:
            text = self._title_line(paper, width)
        else:
            text = self._detail_line(paper, width)
        style = base + self._style("paper-list--cursor") if cursor else base
        strip = self._to_strip(text, width, style)
        self._strips[key] = strip
        return strip

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _to_strip(self, text: Text, width: int, style: Style) -> Strip:
        segments = [s for s in text.render(self.app.console) if s.text != "\n"]
        strip = Strip(segments).adjust_cell_length(width)
        return strip.apply_style(style) if style else strip

    def _title_line(self, paper: Paper, width: int) -> Text:
        """First line: bookmark and unread marks, then the title."""
        text = Text(end="", no_wrap=True)
        if paper.key in self.selected:
            text.append(SELECTED_MARK, self._style("paper-list--selected"))
        else:
            text.append(" ")
        text.append(BOOKMARK_MARK if paper.bookmarked else " ", self._style("paper-list--bookmark"))
        text.append(UNREAD_MARK if not paper.read else " ", self._style("paper-list--unread"))
        text.append(" ")
        title_style = self._style("paper-list--read") if paper.read else Style(bold=True)
        if paper.untitled:
            title_style = title_style + self._style("paper-list--untitled")
        title = Text(" ".join(safe(row_title(paper)).split()), style=title_style, end="")
        title.truncate(max(width - 5, 1), overflow="ellipsis")
        text.append_text(title)
        return text

    def _detail_line(self, paper: Paper, width: int) -> Text:
        """Second line: arXiv id (or key), tags, date, first author."""
        text = Text("     ", end="", no_wrap=True)
        text.append(safe(paper.arxiv_id or paper.key), self._style("paper-list--id"))
        if paper.tags:
            text.append("  ")
            text.append(join_tags(paper.tags), self._style("paper-list--tags"))
        if paper.published:
            text.append(f"  {safe(paper.published)}", self._style("paper-list--id"))
        if paper.authors:
            first = safe(paper.authors[0])
            more = " et al." if len(paper.authors) > 1 else ""
            text.append(f"  {first}{more}", self._style("paper-list--id"))
        text.truncate(max(width - 1, 1), overflow="ellipsis")
        return text


def row_title(paper: Paper) -> str:
    """The title for a row; an untitled paper's display title without its id prefix."""
    title = paper_title(paper)
    if paper.untitled and paper.arxiv_id and title.startswith(f"{paper.arxiv_id}:"):
        return title[len(paper.arxiv_id) + 1 :].strip() or title
    return title
