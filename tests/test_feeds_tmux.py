"""The real reader in tmux fetches from a local server; the new papers appear under "New"."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import run_cli_process
from tests.conftest_ui import Tmux, reader_command
from tests.feeds_helpers import Fake, hf_daily, start_server

pytestmark = pytest.mark.tmux

FRESH = [
    Fake("2403.17001", "Quokka Transformers Count Marsupials", "Marsupials are counted by quokkas."),
    Fake("2403.17002", "Wombat Diffusion for Burrow Maps", "Burrows are mapped by wombat diffusion."),
]


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    server = start_server()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def feed_home(sample_template: Path, tmp_path: Path, server: HTTPServer, monkeypatch) -> Path:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is not installed (CI must install it)")
        pytest.skip("tmux is not installed")
    home = tmp_path / "home"
    shutil.copytree(sample_template, home)
    url = server.url_for("/api/daily_papers")
    monkeypatch.setenv("ABSREADER_HF_API_URL", url)
    # tmux starts the reader with its own environment: the address goes on the command line.
    monkeypatch.setenv("ABSREADER_TMUX_CMD", f"env ABSREADER_HF_API_URL={shlex.quote(url)} {reader_command()}")
    assert run_cli_process(home, "feeds", "add", "hf-daily:2024-03-20").returncode == 0
    return home


def test_fetch_now_in_the_reader_fills_the_new_list(feed_home: Path, server: HTTPServer) -> None:
    server.expect_request("/api/daily_papers").respond_with_data(hf_daily(FRESH), content_type="application/json")
    term = Tmux(feed_home)
    try:
        term.wait_for("of ", "papers", "New")
        term.send("F")  # Fetch now
        term.wait_for("Fetch finished", "2 new papers from 1 of 1 feeds")
        term.send("C-p")
        term.type("Go to: New")
        term.wait_for("Papers the last fetches added")  # the palette's hit, not just the typing
        term.send("Enter")
        screen = term.wait_for("· New", "Quokka Transformers Count Marsupials",
                               "Wombat Diffusion for Burrow Maps")
        assert re.search(r" 2 of [\d,]+ papers · .* · New", screen), screen  # the New list, 2 papers
        assert re.search(r"✦ New +2│", screen), screen  # its count in the sidebar
        term.send("q")
        term.wait_until_gone()
    finally:
        term.kill()
    assert len(server.log) == 1
