"""The fetch job API the reader runs in a worker (Catalog.fetch), the New list, and fetch settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from absreader.core.catalog import Catalog, ListSpec
from absreader.core.feeds.config import ConfigError, load_fetch_config
from absreader.core.feeds.runner import FetchOptions, FetchProgress, FetchReport
from absreader.core.feeds.spec import parse_source
from absreader.core.search.types import IndexProgress
from absreader.paths import Paths
from tests.feeds_helpers import HF_DAY, QUANTUM, atom_page, hf_daily, rss, start_server


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    server = start_server()
    base = server.url_for("").rstrip("/")
    monkeypatch.setenv("ABSREADER_ARXIV_API_URL", f"{base}/api/query")
    monkeypatch.setenv("ABSREADER_ARXIV_RSS_URL", f"{base}/rss")
    monkeypatch.setenv("ABSREADER_HF_API_URL", f"{base}/api/daily_papers")
    monkeypatch.setenv("ABSREADER_ARXIV_DELAY", "0")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # a proxy in the environment never sees test traffic
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def catalog(paths: Paths) -> Iterator[Catalog]:
    catalog = Catalog.open(paths)
    yield catalog
    catalog.close()


def _run(catalog: Catalog, *sources: str, **options) -> list:
    return list(catalog.fetch([parse_source(s) for s in sources], FetchOptions(**options)))


def test_fetch_is_a_generator_of_progress_reports_and_index_progress(catalog, server) -> None:
    server.expect_request("/api/query").respond_with_data(atom_page(QUANTUM, 3), content_type="application/atom+xml")
    server.expect_request("/api/daily_papers").respond_with_data(hf_daily(HF_DAY), content_type="application/json")
    events = _run(catalog, "arxiv-query:all:quantum", "hf-daily:2024-03-20", tags=("morning",))
    kinds = [type(e).__name__ for e in events]
    # Each source: its pages, its report, then the index catches up (searchable at once).
    first_report = kinds.index("FetchReport")
    assert kinds[0] == "FetchProgress" and "IndexProgress" in kinds[first_report:]
    reports = [e for e in events if isinstance(e, FetchReport)]
    assert [(r.source, r.added, r.error) for r in reports] == [
        ("arxiv-query:all:quantum", 3, None), ("hf-daily:2024-03-20", 2, None)]
    progress = [e for e in events if isinstance(e, FetchProgress)]
    assert progress[0].source == "arxiv-query:all:quantum" and progress[0].done == 3
    assert any(isinstance(e, IndexProgress) for e in events)
    assert catalog.search("boson sampling").hits[0].key == "2403.13003"
    assert {t.name: t.count for t in catalog.lists().tags} == {"morning": 5}


def test_new_list_in_the_catalog(catalog, server) -> None:
    server.expect_request("/api/query").respond_with_data(atom_page(QUANTUM[:2], 2), content_type="application/atom+xml")
    _run(catalog, "arxiv-query:all:quantum")
    page = catalog.page("", ListSpec("new"))
    assert sorted(page.keys) == ["2403.13001", "2403.13002"] and page.total == 2
    assert catalog.lists().new == 2
    assert catalog.lists().new_by_feed == {"arxiv-query:all:quantum": 2}
    # A search within New finds only new papers.
    narrowed = catalog.page("eigensolvers", ListSpec("new"))
    assert narrowed.keys == ["2403.13002"]
    assert ListSpec("new").label == "New"

    # The reader marks the list seen when it opens: the last fetch stays new, the next replaces it.
    catalog.mark_new_seen()
    assert catalog.lists().new == 2
    server.clear()
    server.expect_request("/rss/cs.ET").respond_with_data(rss("cs.ET", [(QUANTUM[2], "new")]), content_type="application/xml")
    _run(catalog, "arxiv:cs.ET")
    assert catalog.page("", ListSpec("new")).keys == ["2403.13003"]
    # Without the reader looking in between, fetches add up.
    server.expect_request("/api/daily_papers").respond_with_data(hf_daily(HF_DAY), content_type="application/json")
    _run(catalog, "hf-daily:2024-03-20")
    assert sorted(catalog.page("", ListSpec("new")).keys) == ["2403.12999", "2403.13003", "2403.13043"]


def test_failed_fetch_changes_nothing(catalog, server) -> None:
    server.expect_request("/api/query").respond_with_data("no", status=502)
    seq = catalog.library.current_seq()
    events = _run(catalog, "arxiv-query:all:quantum")
    assert [type(e) for e in events] == [FetchReport]
    assert events[0].error == (
        "arxiv-query:all:quantum: HTTP 502 BAD GATEWAY from 127.0.0.1; nothing changed"
    )
    assert catalog.library.count() == 0 and catalog.lists().new == 0
    assert catalog.feeds.get("arxiv-query:all:quantum") is None  # no state for a feed never fetched
    assert catalog.library.current_seq() <= seq + 1  # at most the first-run marker


def test_settings_from_config_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[fetch]\narxiv_api_url = "http://mirror.example/api/query"\narxiv_delay = 5\n'
        "fetch_on_start = true\n",
        encoding="utf-8",
    )
    settings = load_fetch_config(config, env={})
    assert settings.arxiv_api_url == "http://mirror.example/api/query" and settings.arxiv_delay == 5
    assert settings.oai_url == "https://oaipmh.arxiv.org/oai"
    overridden = load_fetch_config(config, env={"ABSREADER_ARXIV_API_URL": "http://127.0.0.1:9/q",
                                                "ABSREADER_ARXIV_DELAY": "0"})
    assert overridden.arxiv_api_url == "http://127.0.0.1:9/q" and overridden.arxiv_delay == 0
    defaults = load_fetch_config(tmp_path / "missing.toml", env={})
    assert defaults.arxiv_api_url == "https://export.arxiv.org/api/query"
    assert defaults.arxiv_rss_url == "https://rss.arxiv.org/rss/"
    assert defaults.hf_api_url == "https://huggingface.co/api/daily_papers"
    assert defaults.arxiv_delay == 3


@pytest.mark.parametrize(("text", "env", "message"), [
    ("[fetch]\ntimeout = 0\n", {}, "timeout should be more than 0"),
    ("[fetch]\nspeed = 1\n", {}, "unknown setting fetch.speed"),
    ("[fetch]\noai_url = 'ftp://x'\n", {}, "oai_url should be an http(s) URL"),
    ("", {"ABSREADER_ARXIV_DELAY": "soon"}, "ABSREADER_ARXIV_DELAY: arxiv_delay should be a number"),
])  # fmt: skip
def test_bad_settings_are_one_clear_line(tmp_path: Path, text: str, env: dict, message: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_fetch_config(config, env=env)


def test_bad_setting_from_the_command_line(cli, home, monkeypatch) -> None:
    monkeypatch.setenv("ABSREADER_HTTP_TIMEOUT", "-1")
    result = cli("fetch", "arxiv:cs.LG")
    assert result.code == 1
    assert result.err.strip() == (
        "absreader: error: ABSREADER_HTTP_TIMEOUT: timeout should be more than 0, not '-1'"
    )


def test_fetch_on_start_settings_and_due(tmp_path: Path, catalog) -> None:
    from datetime import UTC, datetime, timedelta

    from absreader.core.feeds.config import StartupFetch, load_startup_fetch

    config = tmp_path / "config.toml"
    assert load_startup_fetch(config) == StartupFetch(False, 12.0)
    config.write_text("[fetch]\nfetch_on_start = true\nfetch_every = 6\n", encoding="utf-8")
    assert load_startup_fetch(config) == StartupFetch(True, 6.0)
    config.write_text("[fetch]\nfetch_on_start = 'yes'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="fetch_on_start should be true or false"):
        load_startup_fetch(config)
    store = catalog.feeds
    assert not store.due(6)  # nothing subscribed
    store.subscribe("arxiv:cs.LG", None)
    assert store.due(6)  # never fetched
    store.record_success("arxiv:cs.LG", added=0)
    assert not store.due(6)
    assert store.due(6, at=datetime.now(UTC) + timedelta(hours=7))
