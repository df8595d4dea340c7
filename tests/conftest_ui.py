"""Helpers for the reader's tests: prepared libraries, an app factory, waiting on work.

Imported by the ``test_ui*`` modules (not a conftest: the lead owns that one).
Building the sample library (import + index) happens once per session in a
template directory; each test gets its own copy, so tests stay fast and never
share state.
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from rich.console import Console, RenderableType
from textual import events
from textual.pilot import Pilot
from textual.widget import Widget
from textual.worker import WorkerCancelled, WorkerFailed

from absreader.core.catalog import Catalog
from absreader.core.library import Library
from absreader.core.models import Paper, Record
from absreader.paths import Paths, get_paths
from absreader.ui.app import AbsReaderApp, make_app
from absreader.ui.screens.main import MainScreen

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"


def paths_for(home: Path) -> Paths:
    return get_paths({"ABSREADER_HOME": str(home)})


def build_home(home: Path, files: Sequence[Path] = (), records: Sequence[Record] = ()) -> Paths:
    """A library at ``home`` with ``files`` imported and ``records`` added, indexed."""
    paths = paths_for(home)
    catalog = Catalog.open(paths)
    try:
        if files:
            for _ in catalog.import_paths(list(files)):
                pass
        if records:
            catalog.library.upsert(list(records))
        for _ in catalog.sync_index():
            pass
    finally:
        catalog.close()
    return paths


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample data imported and indexed once, to copy from."""
    home = tmp_path_factory.mktemp("sample-template") / "home"
    build_home(home, sorted(SAMPLE.iterdir()))
    return home


@pytest.fixture
def sample_paths(sample_template: Path, tmp_path: Path) -> Paths:
    """A private copy of the sample library for one test."""
    home = tmp_path / "home"
    shutil.copytree(sample_template, home)
    return paths_for(home)


@pytest.fixture
def empty_paths(tmp_path: Path) -> Paths:
    return paths_for(tmp_path / "empty-home")


def record(title: str, abstract: str, arxiv_id: str | None = None, **kw: object) -> Record:
    return Record(source="test", line=1, title=title, abstract=abstract, arxiv_id=arxiv_id, **kw)


def app_for(paths: Paths, **kw: object) -> AbsReaderApp:
    """The app as the CLI builds it, with timings hidden (deterministic text)."""
    kw.setdefault("show_timings", False)
    return make_app(paths, **kw)  # type: ignore[arg-type]


def main_of(app: AbsReaderApp) -> MainScreen:
    return app.main_screen


async def settle(pilot: Pilot, rounds: int = 40) -> None:
    """Wait until no search is pending and no worker is running (no sleeping)."""
    app: AbsReaderApp = pilot.app  # type: ignore[assignment]
    for _ in range(rounds):
        main = app.main_screen
        if main.is_mounted and main.search_pending:
            main.flush_search()
        if main.is_mounted and main.detail_pending:
            main.flush_detail()
        if main.is_mounted and main.triage.facets_pending:
            main.triage.flush_facets()
        # A superseded search is cancelled; a failure is the app's to report.
        with contextlib.suppress(WorkerCancelled, WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
        busy = any(not w.is_finished for w in app.workers)
        pending = main.is_mounted and (
            main.search_pending or main.detail_pending or main.triage.facets_pending
        )
        if not busy and not pending:
            await pilot.pause()
            return
    raise AssertionError("the app did not settle")


async def type_text(pilot: Pilot, text: str) -> None:
    """Type ``text`` key by key (as a person would)."""
    for char in text:
        await pilot.press(_key(char))


async def paste(pilot: Pilot, text: str) -> None:
    """Paste ``text`` into the focused widget (one event, as a terminal sends a paste)."""
    focused = pilot.app.focused
    assert focused is not None
    focused.post_message(events.Paste(text))
    await pilot.pause()


def _key(char: str) -> str:
    names = {" ": "space", "/": "slash", "?": "question_mark", ":": "colon", '"': "quotation_mark",
             "-": "minus", ".": "full_stop", ",": "comma", "*": "asterisk", "~": "tilde"}  # fmt: skip
    return names.get(char, char)


def row_texts(app: AbsReaderApp, count: int = 5) -> list[str]:
    """The first ``count`` rows of the list as plain text (what the user sees)."""
    papers = app.main_screen.paper_list
    lines = ["".join(s.text for s in papers.render_line(y)).rstrip() for y in range(2 * count)]
    return [f"{lines[i]} | {lines[i + 1].strip()}" for i in range(0, len(lines), 2)]


def first_paper(app: AbsReaderApp) -> Paper:
    paper = app.main_screen.paper_list.paper_at(0)
    assert paper is not None
    return paper


def find_key(paths: Paths, predicate: Callable[[Paper], bool]) -> str:
    with Library.open(paths.library_file) as library:
        for paper in library.iter_papers():
            if predicate(paper):
                return paper.key
    raise LookupError("no such paper")


def plain(renderable: RenderableType, width: int = 100) -> str:
    """What a Rich renderable looks like as plain text."""
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


# ----------------------------------------------------------------------------- the screen

_SVG_TEXT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
    r'clip-path="url\(#[\w-]+-line-(\d+)\)">(.*?)</text>',
    re.S,
)
#: The width of one cell in Textual's SVG screenshots.
_CELL = 12.2


def svg_lines(svg: str) -> list[str]:
    """The text of an SVG screenshot, one string per terminal row (what a person reads)."""
    rows: dict[int, dict[int, str]] = {}
    for x, line, body in _SVG_TEXT.findall(svg):
        text = html.unescape(body).replace("\xa0", " ")
        if text == "\n":
            continue
        column = round(float(x) / _CELL)
        row = rows.setdefault(int(line), {})
        for i, char in enumerate(text):
            row[column + i] = char
    lines = []
    for number in range(max(rows, default=-1) + 1):
        row = rows.get(number, {})
        lines.append("".join(row.get(c, " ") for c in range(max(row, default=-1) + 1)).rstrip())
    return lines


def screen_lines(app: AbsReaderApp) -> list[str]:
    """Every row of the terminal as the user sees it now."""
    return svg_lines(app.export_screenshot())


def widget_text(app: AbsReaderApp, widget: Widget) -> str:
    """The rows of the screen inside ``widget``'s content area, joined by newlines."""
    region = widget.content_region
    lines = screen_lines(app)
    rows = lines[region.y : region.y + region.height]
    return "\n".join(row[region.x : region.x + region.width].rstrip() for row in rows)


# ----------------------------------------------------------------------------- a real terminal

DEADLINE = 30.0


def reader_command() -> str:
    """The command a user types: ``absreader`` (from this interpreter's environment)."""
    override = os.environ.get("ABSREADER_TMUX_CMD")
    if override:
        return override
    script = Path(sys.executable).with_name("absreader")
    if script.exists():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m absreader"


class Tmux:
    """One detached tmux session running the reader."""

    def __init__(
        self,
        home: Path,
        width: int = 120,
        height: int = 36,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.name = f"absreader-{uuid.uuid4().hex[:8]}"
        settings = {"ABSREADER_HOME": str(home), **(extra_env or {})}
        prefix = " ".join(f"{key}={shlex.quote(value)}" for key, value in settings.items())
        env = {**os.environ, "ABSREADER_HOME": str(home), "TERM": "xterm-256color"}
        env.pop("TMUX", None)
        subprocess.run(
            ["tmux", "-f", "/dev/null", "new-session", "-d", "-s", self.name,
             "-x", str(width), "-y", str(height),
             f"{prefix} {reader_command()}"],
            check=True, env=env,
        )  # fmt: skip

    def alive(self) -> bool:
        return (
            subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True).returncode
            == 0
        )

    def screen(self, colours: bool = False) -> str:
        """The text on the terminal (with its colour escapes when ``colours``)."""
        result = subprocess.run(
            ["tmux", "capture-pane", "-p", *(["-e"] if colours else []), "-t", self.name],
            capture_output=True,
            text=True,
        )
        return result.stdout

    def send(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)

    def wait_for(self, *texts: str, deadline: float = DEADLINE) -> str:
        """Poll the screen until every text is on it (fails with the last screen after ``deadline``)."""
        end = time.monotonic() + deadline
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            if not self.alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"waited for {texts!r}; the screen shows:\n{screen}")

    def wait_without(self, text: str, deadline: float = DEADLINE) -> str:
        """Poll until ``text`` has left the screen."""
        end = time.monotonic() + deadline
        screen = self.screen()
        while time.monotonic() < end and text in screen:
            time.sleep(0.05)
            screen = self.screen()
        if text in screen:
            raise AssertionError(f"waited for {text!r} to go; the screen shows:\n{screen}")
        return screen

    def wait_until_gone(self, deadline: float = 10.0) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if not self.alive():
                return
            time.sleep(0.05)
        raise AssertionError(f"the reader did not exit; the screen shows:\n{self.screen()}")

    def wait_change(self, before: str, deadline: float = 3.0, colours: bool = False) -> str:
        """Poll until the screen differs from ``before`` (or ``deadline``: it stayed the same)."""
        end = time.monotonic() + deadline
        screen = self.screen(colours)
        while time.monotonic() < end and screen == before:
            time.sleep(0.05)
            screen = self.screen(colours)
        return screen

    def quiet(self, deadline: float = 5.0) -> str:
        """Poll until two looks at the screen, 0.1 s apart, agree (nothing is redrawing)."""
        end = time.monotonic() + deadline
        screen = self.screen(colours=True)
        while time.monotonic() < end:
            time.sleep(0.1)
            again = self.screen(colours=True)
            if again == screen:
                break
            screen = again
        return screen

    def escape(self, deadline: float = DEADLINE) -> None:
        """Esc, then wait for the screen to react (so the next key is not read as Alt+key).

        A terminal sends Esc as one byte that starts escape sequences too: until the
        reader has handled it, a key sent after it arrives glued to it (Alt+key). On
        a loaded machine that can take seconds, so this waits as long as any other
        step, and fails if the screen never changed.
        """
        before = self.quiet()
        self.send("Escape")
        after = self.wait_change(before, deadline=deadline, colours=True)
        if after == before:
            raise AssertionError(f"Esc changed nothing on the screen:\n{self.screen()}")
        self.quiet()

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def need_tmux() -> None:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is not installed (CI must install it)")
        pytest.skip("tmux is not installed")
