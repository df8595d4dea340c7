"""Pilot tests of every key: paper actions, modals, help, palette, remapping, failures, safety."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import SelectionList, TextArea

from absreader.core.catalog import Catalog, ListSpec
from absreader.ui.commands import ReaderCommands
from absreader.ui.dialogs.note import NoteEditor
from absreader.ui.dialogs.prompt import PromptScreen
from absreader.ui.dialogs.tags import TagEditor
from absreader.ui.screens.help import HelpScreen

pytest.register_assert_rewrite("conftest_ui")
from conftest_ui import (  # noqa: E402
    app_for,
    build_home,
    first_paper,
    paste,
    plain,
    record,
    row_texts,
    settle,
    type_text,
)

pytest_plugins = ["conftest_ui"]


def fresh(paths, key: str):
    catalog = Catalog.open(paths)
    try:
        return catalog.paper(key)
    finally:
        catalog.close()


async def with_arxiv_id(pilot):  # noqa: ANN001, ANN201
    """Show a paper that has an arXiv id (and so a web address), found by searching its id."""
    app = pilot.app
    catalog = Catalog.open(app.paths)
    try:
        arxiv_id = next(p.arxiv_id for p in catalog.iter_papers() if p.arxiv_id)
    finally:
        catalog.close()
    app.main_screen.search_input.value = f"id:{arxiv_id}"
    await settle(pilot)
    paper = app.main_screen.paper_list.current
    assert paper is not None and paper.arxiv_id == arxiv_id
    return paper


# ----------------------------------------------------------------------------- moving


async def test_j_k_g_G_and_arrows_move_the_cursor(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        papers = app.main_screen.paper_list
        await pilot.press("j", "j", "down")
        assert papers.cursor == 3
        await pilot.press("k", "up")
        assert papers.cursor == 1
        await pilot.press("G")
        await settle(pilot)
        assert papers.cursor == papers.total - 1
        await pilot.press("g")
        assert papers.cursor == 0
        await pilot.press("end", "home")
        assert papers.cursor == 0
        # The detail pane follows the cursor.
        await pilot.press("j")
        await settle(pilot)
        assert app.main_screen.detail.paper.key == papers.current.key


async def test_enter_opens_marks_read_and_escape_returns(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        paper = first_paper(app)
        assert not paper.read
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is main.detail
        assert fresh(sample_paths, paper.key).read
        assert main.paper_list.current.read
        await pilot.press("j", "G")  # scroll the detail
        await pilot.press("escape")
        assert app.focused is main.paper_list


# ----------------------------------------------------------------------------- paper keys


async def test_b_toggles_bookmark_and_row_mark(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        key = first_paper(app).key
        assert "★" not in row_texts(app, 1)[0]
        await pilot.press("b")
        await settle(pilot)
        assert fresh(sample_paths, key).bookmarked
        assert "★" in row_texts(app, 1)[0]
        assert app.main_screen.lists.bookmarked == 1
        await pilot.press("b")
        await settle(pilot)
        assert not fresh(sample_paths, key).bookmarked
        assert "★" not in row_texts(app, 1)[0]


async def test_r_toggles_read(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        key = first_paper(app).key
        assert "●" in row_texts(app, 1)[0]
        await pilot.press("r")
        await settle(pilot)
        assert fresh(sample_paths, key).read
        assert "●" not in row_texts(app, 1)[0]
        await pilot.press("r")
        await settle(pilot)
        assert not fresh(sample_paths, key).read


async def test_t_tag_editor_adds_with_completion_and_removes(sample_paths) -> None:
    catalog = Catalog.open(sample_paths)
    try:
        other = catalog.page("", ListSpec(), limit=3).keys[2]
        catalog.add_tags(other, ["Reinforcement Learning"])
    finally:
        catalog.close()
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        key = first_paper(app).key
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TagEditor)
        await type_text(pilot, "rein")
        await pilot.press("right")  # accept the completion from existing tags
        await pilot.pause()
        assert app.screen.query_one("#tag-input").value == "Reinforcement Learning"
        await pilot.press("enter")
        await paste(pilot, "to read")
        await pilot.press("enter")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, TagEditor)
        assert set(fresh(sample_paths, key).tags) == {"Reinforcement Learning", "to read"}
        assert "#Reinforcement" in row_texts(app, 1)[0]
        assert {t.name for t in app.main_screen.lists.tags} >= {"to read"}

        await pilot.press("t")
        await pilot.pause()
        selection = app.screen.query_one(SelectionList)
        index = next(i for i in range(selection.option_count)
                     if selection.get_option_at_index(i).value == "to read")  # fmt: skip
        selection.focus()
        selection.highlighted = index
        await pilot.press("space")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fresh(sample_paths, key).tags == ("Reinforcement Learning",)

        await pilot.press("t")
        await paste(pilot, "discarded")
        await pilot.press("escape")
        await settle(pilot)
        assert fresh(sample_paths, key).tags == ("Reinforcement Learning",)


async def test_n_note_editor_saves_multiline_note(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        key = first_paper(app).key
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NoteEditor)
        area = app.screen.query_one(TextArea)
        area.insert("first line\n\nsecond [b]line[/b]")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fresh(sample_paths, key).note == "first line\n\nsecond [b]line[/b]"
        meta = plain(app.main_screen.detail.meta_table(app.main_screen.detail.paper))
        assert "second [b]line[/b]" in meta
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("x", "escape")
        await settle(pilot)
        assert fresh(sample_paths, key).note == "first line\n\nsecond [b]line[/b]"


async def test_o_opens_browser_and_failure_is_notified(sample_paths, monkeypatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        paper = await with_arxiv_id(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert opened == [f"https://arxiv.org/abs/{paper.arxiv_id}"]
        monkeypatch.setattr(webbrowser, "open", lambda *a, **k: False)
        await pilot.press("o")
        await settle(pilot)
        assert any("Could not open a browser" in m for _, _, m in app.notified)


async def test_p_opens_the_pdf_and_O_the_doi(sample_paths, monkeypatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        paper = await with_arxiv_id(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert opened == [f"https://arxiv.org/pdf/{paper.arxiv_id}"]
        await pilot.press("O")  # the sample papers carry no DOI: said, nothing opened
        await settle(pilot)
        assert opened == [f"https://arxiv.org/pdf/{paper.arxiv_id}"]
        assert any("has no DOI" in m for _, _, m in app.notified)


def test_doi_url_forms() -> None:
    from absreader.core.models import Paper

    def url(doi: str | None) -> str | None:
        return Paper(key="k", title="t", display_title="t", untitled=False, abstract="",
                     doi=doi).doi_url  # fmt: skip

    assert url("10.1000/xyz") == "https://doi.org/10.1000/xyz"
    assert url("https://doi.org/10.1000/xyz") == "https://doi.org/10.1000/xyz"
    assert url("doi:10.1000/xyz") == "https://doi.org/10.1000/xyz"
    assert url("not a doi") is None and url(None) is None


async def test_y_and_Y_copy_id_and_bibtex(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        paper = await with_arxiv_id(pilot)
        await pilot.press("y")
        assert app.clipboard == paper.arxiv_id
        await pilot.press("Y")
        assert app.clipboard.startswith("@misc{")
        assert paper.arxiv_id in app.clipboard


async def test_m_more_like_this_and_escape_returns(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        await pilot.press("j", "j")
        before = main.paper_list.current.key
        total = main.paper_list.total
        await pilot.press("m")
        await settle(pilot)
        assert not main.results.is_search
        assert 0 < main.paper_list.total < total
        assert before not in main.paper_list.loaded_keys
        assert "like:" in main.status.counts_text
        await pilot.press("escape")
        await settle(pilot)
        assert main.results.is_search and main.paper_list.total == total
        assert main.paper_list.current.key == before


async def test_s_saves_search_as_reading_list(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        main = app.main_screen
        await pilot.press("s")  # nothing to save yet
        assert any("Type a search first" in m for _, _, m in app.notified)
        await pilot.press("slash")
        await paste(pilot, "vision")
        await pilot.press("enter")
        await settle(pilot)
        hits = main.paper_list.total
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("ctrl+u")
        await paste(pilot, "Vision papers")
        await pilot.press("enter")
        await settle(pilot)
        assert [s.name for s in main.lists.saved] == ["Vision papers"]
        await pilot.press("slash", "escape")
        main.show_list(ListSpec("saved", "Vision papers"))
        await settle(pilot)
        assert main.paper_list.total == hits


# ----------------------------------------------------------------------------- app keys


async def test_question_mark_shows_help_from_bindings(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = plain(app.screen._keys_table())
        for words in ("Bookmark the paper", "Copy a BibTeX entry", "Show papers like this one",
                      "Show every key", "Quit absreader", "Open the command palette"):  # fmt: skip
            assert words in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


async def test_letters_go_into_the_search_bar_not_to_actions(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "bqtn?")
        await settle(pilot)
        assert app.is_running
        assert app.main_screen.search_input.value == "bqtn?"
        assert app.screen is app.main_screen


async def test_palette_lists_actions_tags_saved_searches_and_themes(sample_paths) -> None:
    catalog = Catalog.open(sample_paths)
    try:
        catalog.add_tags(catalog.page("", ListSpec(), limit=1).keys[0], ["[b]ml[/b]"])
        catalog.save_search("LLMs", "language model")
        catalog.save_search("[link=https://x]odd[/link]", "[@click=app.quit] vision")
    finally:
        catalog.close()
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        provider = ReaderCommands(app.main_screen)
        texts = [c.text for c in provider.commands()]
        for wanted in ("Bookmark the paper (again: remove)", "Add or remove tags", "Go to tag: [b]ml[/b]",
                       "Go to saved search: LLMs", "Import file…", "Show every key"):  # fmt: skip
            assert wanted in texts
        # Human labels and keys, never action names; themes are the palette's one "Theme" entry.
        helps = [c.help for c in provider.commands()]
        assert "Key: r" in helps and not any("toggle_read" in h for h in helps)
        assert not any(t.startswith("Theme") for t in texts)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await type_text(pilot, "saved")
        await app.screen.query_one("CommandList").workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, CommandPalette)
        commands = app.screen.query_one("CommandList")
        shown = [
            plain(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)
        ]
        assert any("Go to saved search: [link=https://x]odd[/link]" in t for t in shown), shown
        assert any("[@click=app.quit] vision" in t for t in shown), shown
        await pilot.press(*["backspace"] * 5)
        await type_text(pilot, "go to tag")
        await pilot.pause()
        await app.screen.query_one("CommandList").workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert app.main_screen.spec == ListSpec("tag", "[b]ml[/b]")
        assert app.main_screen.paper_list.total == 1


async def test_palette_import_file_runs_in_background(sample_paths, tmp_path: Path) -> None:
    extra = tmp_path / "extra.json"
    extra.write_text('[{"title": "A brand new paper on zebras", "abstract": "Zebras are striped.",'
                     ' "arxiv_id": "2501.00001"}]')  # fmt: skip
    app = app_for(sample_paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        total = app.main_screen.paper_list.total
        app.action_import_file()
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await paste(pilot, str(tmp_path / "missing.bib"))
        await pilot.press("enter")
        assert isinstance(app.screen, PromptScreen)  # refused: no such file
        await pilot.press("ctrl+u")
        await paste(pilot, str(extra))
        await pilot.press("enter")
        await settle(pilot)
        assert app.main_screen.paper_list.total == total + 1
        assert any("1 new paper" in m for _, _, m in app.notified)
        assert app.main_screen.is_mounted and app.screen is app.main_screen


# ----------------------------------------------------------------------------- config


async def test_keys_remapped_in_config(sample_paths) -> None:
    sample_paths.config_dir.mkdir(parents=True, exist_ok=True)
    sample_paths.config_file.write_text('[keys]\nbookmark = "B"\n')
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        key = first_paper(app).key
        await pilot.press("b")
        await settle(pilot)
        assert not fresh(sample_paths, key).bookmarked
        await pilot.press("B")
        await settle(pilot)
        assert fresh(sample_paths, key).bookmarked
        info = next(k for k in app.key_infos() if k.id == "bookmark")
        assert info.keys == "B"


@pytest.mark.parametrize(
    "content, words",
    [
        ("[keys\nbookmark = ", "using the default keys"),
        ('[keys]\nfrobnicate = "x"\n', "unknown key id 'frobnicate'"),
        ("[keys]\nbookmark = 3\n", "is not a key name"),
        ('theme = "no-such-theme"\n', "not an available theme"),
    ],
)
async def test_invalid_config_is_a_notification_and_defaults_apply(
    sample_paths, content, words
) -> None:
    sample_paths.config_dir.mkdir(parents=True, exist_ok=True)
    sample_paths.config_file.write_text(content)
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert any(words in m and sev == "warning" for sev, _, m in app.notified)
        key = first_paper(app).key
        await pilot.press("b")
        await settle(pilot)
        assert fresh(sample_paths, key).bookmarked


# ----------------------------------------------------------------------------- failures and safety


async def test_failed_worker_is_one_readable_notification(sample_paths) -> None:
    app = app_for(sample_paths)
    async with app.run_test() as pilot:
        await settle(pilot)

        def broken(key: str, limit: int = 10) -> list:
            raise RuntimeError("the index fell over")

        app.catalog.similar = broken  # type: ignore[method-assign]
        await pilot.press("m")
        await settle(pilot)
        errors = [m for sev, _, m in app.notified if sev == "error"]
        assert errors == ["More like this failed: RuntimeError: the index fell over"]
        assert app.is_running and app.screen is app.main_screen


HOSTILE = [
    record(
        "[@click=app.quit]Click me[/]",
        "An [link=https://evil.example]abstract[/link] with [b]markup[/b].",
        "2402.00001",
        published="2099-01-02",
        authors=("[red]Mallory[/red]",),
    ),  # fmt: skip
    record(
        "Escape \x1b]0;pwned\x07 title \x1b[31mred",
        "Body \x1b[2J cleared? \x07 \x9b1m",
        "2402.00002",
        published="2099-01-01",
    ),  # fmt: skip
]


async def test_untrusted_text_is_shown_literally_and_escapes_never_reach_terminal(
    tmp_path: Path,
) -> None:
    paths = build_home(tmp_path / "hostile", records=HOSTILE)
    app = app_for(paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        rows = row_texts(app, 2)
        assert "[@click=app.quit]Click me[/]" in rows[0]
        main = app.main_screen
        detail = main.detail
        assert (
            plain(detail.title_text(detail.paper, None)).strip() == "[@click=app.quit]Click me[/]"
        )
        body = plain(detail.abstract_text(detail.paper, None))
        assert "[link=https://evil.example]abstract[/link]" in body
        assert "[red]Mallory[/red]" in plain(detail.meta_table(detail.paper))
        await pilot.click("#papers", offset=(10, 1))
        await pilot.click("#detail", offset=(5, 1))
        await pilot.pause()
        assert app.is_running
        await pilot.press("j")
        await settle(pilot)
        second = "".join(row_texts(app, 2))
        shown = plain(detail.title_text(detail.paper, None)) + plain(
            detail.abstract_text(detail.paper, None)
        )
        for text in (second, shown):
            assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
        screenshot = app.export_screenshot()
        assert "pwned" not in screenshot or "\x1b]0;pwned" not in screenshot
        assert app.is_running
