"""The reader shows the truth: keys act on what is shown, other processes' changes appear,
notes are never lost, counts agree, Esc goes back one step, copying says what it did.

Each test checks the screen (or the notification a person reads) against the library.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from absreader.core.catalog import Catalog, LibraryError, ListSpec
from absreader.ui.dialogs.confirm import ChoiceScreen
from absreader.ui.dialogs.note import NoteEditor

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import (  # noqa: E402
    app_for,
    build_home,
    first_paper,
    record,
    screen_lines,
    settle,
    type_text,
    widget_text,
)

pytest_plugins = ["conftest_ui"]


def fresh(paths, key: str):  # noqa: ANN001, ANN201
    catalog = Catalog.open(paths)
    try:
        return catalog.paper(key)
    finally:
        catalog.close()


def elsewhere(paths, change: Callable[[Catalog], object]) -> None:  # noqa: ANN001
    """Make a change the way another process would: its own catalog, its own connection."""
    catalog = Catalog.open(paths)
    try:
        change(catalog)
    finally:
        catalog.close()


async def wait_until(
    pilot: Pilot, done: Callable[[], bool], what: str, timeout: float = 5.0
) -> float:
    """Let the app run until ``done()`` (seconds it took), failing after ``timeout``."""
    start = time.monotonic()
    while not done():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"gave up waiting for {what}")
        await pilot.pause(0.02)
    return time.monotonic() - start


def detail_text(app) -> str:  # noqa: ANN001
    return " ".join(widget_text(app, app.main_screen.detail).split())


# ----------------------------------------------------------------------------- keys act on what is shown


async def test_b_and_r_set_the_opposite_of_what_the_screen_shows(sample_paths, monkeypatch) -> None:
    # The reader does not get to look at the library before the keys are pressed.
    monkeypatch.setattr("absreader.ui.widgets.watch.WATCH_INTERVAL", 3600.0)
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        key = first_paper(app).key
        assert "not bookmarked" in detail_text(app)
        elsewhere(sample_paths, lambda c: c.set_bookmarked(key, True))
        await pilot.press("b")  # the screen says: not bookmarked
        await settle(pilot)
        assert fresh(sample_paths, key).bookmarked  # set as asked, not flipped back
        assert "★ bookmarked" in detail_text(app)
        assert "● unread" in detail_text(app)
        elsewhere(sample_paths, lambda c: c.set_read(key, True))
        await pilot.press("r")  # the screen says: unread
        await settle(pilot)
        assert fresh(sample_paths, key).read
        assert "● unread" not in detail_text(app)


async def test_a_change_by_another_process_shows_without_a_key(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        key = first_paper(app).key
        elsewhere(sample_paths, lambda c: (c.set_bookmarked(key, True), c.set_note(key, "hi there"),
                                           c.add_tags(key, ["elsewhere"])))  # fmt: skip
        took = await wait_until(pilot, lambda: "hi there" in detail_text(app), "the note")
        assert took < 3.0
        assert "★ bookmarked" in detail_text(app) and "#elsewhere" in detail_text(app)
        assert "★" in widget_text(app, main.paper_list).splitlines()[0]
        sidebar = widget_text(app, main.sidebar)
        assert "# elsewhere" in sidebar and "Bookmarked         1" in sidebar
        # Not a reload of the whole list: the same rows, the cursor where it was.
        assert main.paper_list.current.key == key


async def test_papers_imported_elsewhere_join_the_list_and_counts(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        before = main.paper_list.total
        elsewhere(sample_paths, lambda c: c.library.upsert(
            [record("Zebra stripes confuse biting flies", "Stripes.", "2412.99999",
                    published="2099-01-01")]))  # fmt: skip
        await wait_until(pilot, lambda: main.paper_list.total == before + 1, "the new paper")
        await settle(pilot)
        screen = "\n".join(screen_lines(app))
        total = before + 1
        assert f"{total:,} of {total:,} papers · All" in screen
        assert f"All · {total:,} papers" in screen
        assert f"All              {total}" in screen
        assert "Zebra stripes confuse" in widget_text(app, main.paper_list)


# ----------------------------------------------------------------------------- notes


async def test_a_failed_note_save_keeps_the_text_with_the_error(sample_paths, monkeypatch) -> None:
    def full(self, key: str, text: str):  # noqa: ANN001, ANN202
        raise LibraryError("the disk is full")

    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        key = first_paper(app).key
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(TextArea).insert("precious thoughts")
        monkeypatch.setattr(Catalog, "set_note", full)
        await pilot.press("ctrl+s")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, NoteEditor)
        assert editor.query_one(TextArea).text == "precious thoughts"
        screen = "\n".join(screen_lines(app))
        assert "Not saved: the disk is full" in screen and "precious thoughts" in screen
        monkeypatch.undo()
        await pilot.press("ctrl+s")  # the disk has room again
        await settle(pilot)
        assert not isinstance(app.screen, NoteEditor)
        assert fresh(sample_paths, key).note == "precious thoughts"


async def test_esc_with_unsaved_note_asks_before_discarding(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        key = first_paper(app).key
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("escape")  # nothing typed: closes at once
        await pilot.pause()
        assert not isinstance(app.screen, NoteEditor)
        await pilot.press("n")
        await pilot.pause()
        await type_text(pilot, "draft")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        assert "Discard the unsaved note?" in "\n".join(screen_lines(app))
        await pilot.press("escape")  # no answer: back to the editor, text intact
        await pilot.pause()
        assert isinstance(app.screen, NoteEditor)
        assert app.screen.query_one(TextArea).text == "draft"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#choice-discard")
        await settle(pilot)
        assert not isinstance(app.screen, (NoteEditor, ChoiceScreen))
        assert fresh(sample_paths, key).note == ""


async def test_a_note_changed_underneath_shows_both_and_keeps_the_choice(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        key = first_paper(app).key
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(TextArea).insert("mine")
        elsewhere(sample_paths, lambda c: c.set_note(key, "theirs"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        screen = "\n".join(screen_lines(app))
        assert "Saved meanwhile:" in screen and "theirs" in screen and "mine" in screen
        assert fresh(sample_paths, key).note == "theirs"  # nothing written yet
        await pilot.click("#choice-mine")
        await settle(pilot)
        assert fresh(sample_paths, key).note == "mine"
        assert "mine" in detail_text(app)


# ----------------------------------------------------------------------------- moving and counting


async def test_esc_goes_back_one_step(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        await pilot.press("slash")
        await type_text(pilot, "language")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("j", "j", "enter")  # open the third result
        await settle(pilot)
        opened = main.paper_list.current.key
        assert app.focused is main.detail
        await pilot.press("escape")  # back to the results, the same paper selected
        await settle(pilot)
        assert app.focused is main.paper_list
        assert main.search_input.value == "language" and main.results.query == "language"
        assert main.paper_list.current.key == opened
        await pilot.press("escape")  # then the search is cleared
        await settle(pilot)
        assert main.search_input.value == "" and not main.results.query
        assert "All · 650 papers" in "\n".join(screen_lines(app))


async def test_enter_in_the_search_bar_searches_in_a_worker(sample_paths, monkeypatch) -> None:
    import absreader.ui.screens.main as main_module

    threads: list[str] = []
    real = main_module.run_search

    def recording(catalog, request):  # noqa: ANN001, ANN202
        threads.append(threading.current_thread().name)
        return real(catalog, request)

    monkeypatch.setattr(main_module, "run_search", recording)
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        app.main_screen.search_input.value = "honesty"
        threads.clear()
        await pilot.press("enter")
        await settle(pilot)
        assert threads and threading.main_thread().name not in threads
        assert app.main_screen.results.query == "honesty"


async def test_one_paper_and_saved_search_counts(tmp_path) -> None:
    paths = build_home(
        tmp_path / "home", records=[record("A lone paper", "About honesty.", "2401.00001")]
    )
    elsewhere(paths, lambda c: c.save_search("Honest", "honesty"))
    app = app_for(paths, first_run_files=[])
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.main_screen.lists is not None, "the lists")
        await settle(pilot)
        screen = "\n".join(screen_lines(app))
        assert "1 of 1 paper · All" in screen and "papers" not in screen.splitlines()[-2]
        assert "All · 1 paper ─" in screen
        sidebar = widget_text(app, app.main_screen.sidebar)
        assert "⌕ Honest" in sidebar
        assert next(line for line in sidebar.splitlines() if "Honest" in line).endswith("1")
        app.main_screen.show_list(ListSpec("saved", "Honest"))
        await settle(pilot)
        assert "1 of 1 paper · Honest" in "\n".join(screen_lines(app))


# ----------------------------------------------------------------------------- footer and clipboard


async def test_footer_always_shows_help_and_quit_under_their_keys(sample_paths) -> None:
    config = sample_paths.config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[keys]\nhelp = "f1"\nbookmark = "B"\n', encoding="utf-8")
    app = app_for(sample_paths)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        last = screen_lines(app)[-1]
        assert "f1 Help" in last and "q Quit" in last and "? Help" not in last
        await pilot.press("enter")  # another focus, other keys in the footer
        await settle(pilot)
        assert "f1 Help" in screen_lines(app)[-1]
    async with app_for(sample_paths).run_test(size=(200, 36)) as pilot:
        await settle(pilot)
        last = screen_lines(pilot.app)[-1]
        assert "B Bookmark" in last and "b Bookmark" not in last


@pytest.mark.parametrize("tool", [None, "wl-copy"])
async def test_y_says_the_id_was_sent_to_the_terminal_clipboard(
    sample_paths, monkeypatch, tool
) -> None:
    given: list[str] = []

    def copy(text: str) -> str | None:
        given.append(text)
        return tool

    monkeypatch.setattr("absreader.ui.paper_actions.copy_with_tool", copy)
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        paper = first_paper(app)
        await pilot.press("y")
        await settle(pilot)
        ident = paper.arxiv_id or paper.key
        what = "arXiv id" if paper.arxiv_id else "key"
        assert app.clipboard == ident and given == [ident]
        said = app.notified[-1][2]
        assert f"Sent {what} {ident} to the terminal clipboard (OSC 52)" in said
        assert ("wl-copy" in said) is (tool is not None)
        assert "Copied" not in said or tool


async def test_counts_agree_after_an_import_from_the_reader(sample_paths, tmp_path) -> None:
    extra = tmp_path / "extra.json"
    extra.write_text(
        '[{"title": "Zebra one", "abstract": "Stripes.", "arxiv_id": "2412.90001"},'
        ' {"title": "Zebra two", "abstract": "More stripes.", "arxiv_id": "2412.90002"}]',
        encoding="utf-8",
    )
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        app.import_files([extra])
        await wait_until(pilot, lambda: app.jobs.running is None, "the import")
        await settle(pilot)
        await wait_until(pilot, lambda: main.lists is not None and main.lists.all == 652, "counts")
        await settle(pilot)
        screen = "\n".join(screen_lines(app))
        # The status line, the list's title and the sidebar say the same number.
        assert "652 of 652 papers · All" in screen
        assert "All · 652 papers" in screen
        assert "All              652" in widget_text(app, main.sidebar)
        assert "Unread           652" in widget_text(app, main.sidebar)
        assert any("2 new papers" in message for _, _, message in app.notified)
