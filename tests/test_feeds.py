"""`absreader fetch` and `absreader feeds` end to end, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from absreader import __version__
from tests.conftest import SAMPLE, run_cli_process
from tests.feeds_helpers import (
    HF_DAY,
    QUANTUM,
    Fake,
    atom_error,
    atom_page,
    hf_daily,
    oai_error,
    oai_page,
    rss,
    start_server,
)

ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml"


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    server = start_server()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def env(server: HTTPServer, monkeypatch: pytest.MonkeyPatch, home) -> HTTPServer:
    """Every base URL pointed at the local server; no 3 s pauses between arXiv requests."""
    monkeypatch.setenv("ABSREADER_ARXIV_API_URL", server.url_for("/api/query"))
    monkeypatch.setenv("ABSREADER_ARXIV_RSS_URL", server.url_for("/rss/"))
    monkeypatch.setenv("ABSREADER_HF_API_URL", server.url_for("/api/daily_papers"))
    monkeypatch.setenv("ABSREADER_OAI_URL", server.url_for("/oai"))
    monkeypatch.setenv("ABSREADER_ARXIV_DELAY", "0")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # a proxy in the environment never sees test traffic
    return server


def _query_handler(papers: list[Fake], seen: list[dict]):
    def handle(request: Request) -> Response:
        args = dict(request.args)
        seen.append({**args, "user-agent": request.headers.get("User-Agent", "")})
        start, count = int(args["start"]), int(args["max_results"])
        body = atom_page(papers[start : start + count], len(papers), start, args["search_query"])
        return Response(body, content_type=ATOM)

    return handle


def test_fetch_arxiv_query_pages_newest_first_and_is_searchable(cli, env, monkeypatch) -> None:
    monkeypatch.setenv("ABSREADER_ARXIV_PAGE_SIZE", "2")
    seen: list[dict] = []
    env.expect_request("/api/query").respond_with_handler(_query_handler(QUANTUM, seen))
    result = cli("fetch", "arxiv-query:all:quantum")
    assert result.code == 0, result.err
    assert "arxiv-query:all:quantum: 3 records, added 3, merged 0" in result.out
    # Two pages of two, newest first, as arXiv's API is asked.
    assert [(s["start"], s["max_results"]) for s in seen] == [("0", "2"), ("2", "1")]
    assert {(s["search_query"], s["sortBy"], s["sortOrder"]) for s in seen} == {
        ("all:quantum", "submittedDate", "descending")
    }
    assert all(s["user-agent"].startswith(f"absreader/{__version__} ") for s in seen)
    # Searchable at once, with the fields the API gave.
    found = cli("search", "lattice surgery", "--json").json()["results"]
    assert found[0]["key"] == "2403.13001"
    paper = cli("show", "2403.13001", "--json").json()
    assert paper["title"] == QUANTUM[0].title
    assert paper["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert paper["categories"] == ["quant-ph", "cs.ET"]
    assert paper["version"] == "1" and paper["published"] == "2024-03-19"
    assert paper["sources"] == ["arxiv-query:all:quantum"]
    # They are the New list.
    new = cli("list", "--new", "--json").json()
    assert sorted(p["key"] for p in new) == ["2403.13001", "2403.13002", "2403.13003"]


def test_fetch_max_caps_the_total(cli, env, monkeypatch) -> None:
    monkeypatch.setenv("ABSREADER_ARXIV_PAGE_SIZE", "2")
    seen: list[dict] = []
    env.expect_request("/api/query").respond_with_handler(_query_handler(QUANTUM, seen))
    result = cli("fetch", "arxiv-query:all:quantum", "--max", "1", "--json")
    assert result.code == 0, result.err
    assert result.json()[0]["added"] == 1
    assert [(s["start"], s["max_results"]) for s in seen] == [("0", "1")]
    assert cli("stats", "--json").json()["papers"] == 1


def test_arxiv_requests_are_spaced_by_the_delay(cli, env, monkeypatch) -> None:
    """At most one request every ABSREADER_ARXIV_DELAY seconds (a fake clock: nothing waits)."""
    from absreader.core.feeds import http

    now = [1000.0]
    waits: list[float] = []

    def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(http, "sleep", fake_sleep)
    monkeypatch.setattr(http, "clock", lambda: now[0])
    monkeypatch.setenv("ABSREADER_ARXIV_DELAY", "3")
    monkeypatch.setenv("ABSREADER_ARXIV_PAGE_SIZE", "1")
    seen: list[dict] = []
    env.expect_request("/api/query").respond_with_handler(_query_handler(QUANTUM, seen))
    assert cli("fetch", "arxiv-query:all:quantum").code == 0
    assert len(seen) == 3
    assert waits == [3.0, 3.0]


def test_fetch_hf_daily_and_merge_with_imported_file(cli, env) -> None:
    imported = cli("import", SAMPLE / "dataset-viewer-arxiv-abstracts.txt", "--json")
    assert imported.code == 0, imported.err
    before = cli("stats", "--json").json()["papers"]
    env.expect_request("/api/daily_papers", query_string={"date": "2024-03-20"}).respond_with_data(
        hf_daily(HF_DAY), content_type="application/json; charset=utf-8"
    )
    result = cli("fetch", "hf-daily:2024-03-20", "--json")
    assert result.code == 0, result.err
    report = result.json()[0]
    assert report["source"] == "hf-daily:2024-03-20" and report["error"] is None
    # 2403.13043 was in the imported file: one paper with both sources, not two papers.
    assert report["added"] == 1 and report["merged"] == 1
    assert cli("stats", "--json").json()["papers"] == before + 1
    merged = cli("show", "2403.13043", "--json").json()
    assert any(s.endswith("dataset-viewer-arxiv-abstracts.txt") for s in merged["sources"])
    assert "hf-daily:2024-03-20" in merged["sources"]
    found = cli("search", '"sparse mixtures"', "--json").json()["results"]
    assert found[0]["key"] == "2403.12999"
    # Only the paper the fetch added is new; the merged one was already in the library.
    assert [p["key"] for p in cli("list", "--new", "--json").json()] == ["2403.12999"]
    # Fetching again adds nothing: the papers merge into themselves.
    again = cli("fetch", "hf-daily:2024-03-20", "--json").json()[0]
    assert again["added"] == 0
    assert cli("stats", "--json").json()["papers"] == before + 1


def test_arxiv_id_completes_an_untitled_sample_paper(cli, env) -> None:
    cli("import", SAMPLE / "dataset-viewer-arxiv-abstracts.txt")
    untitled = next(p for p in cli("list", "--json").json() if p["untitled"] and p["arxiv_id"])
    ident = untitled["arxiv_id"]
    paper = Fake(ident, "A Title Found By Id", untitled["abstract"])
    seen: list[dict] = []

    def handle(request: Request) -> Response:
        seen.append(dict(request.args))
        return Response(atom_page([paper], 1), content_type=ATOM)

    env.expect_request("/api/query").respond_with_handler(handle)
    result = cli("fetch", f"arxiv-id:arXiv:{ident}v1")
    assert result.code == 0, result.err
    assert seen[0]["id_list"] == ident
    shown = cli("show", ident, "--json").json()
    assert shown["title"] == "A Title Found By Id" and not shown["untitled"]


def test_arxiv_api_error_feed_is_one_line(cli, env) -> None:
    env.expect_request("/api/query").respond_with_data(
        atom_error("incorrect id format for 1234.5678"), status=400, content_type=ATOM
    )
    result = cli("fetch", "arxiv-query:ti:x")
    assert result.code == 1
    assert result.err.strip().splitlines() == [
        "absreader: error: arxiv-query:ti:x: HTTP 400 BAD REQUEST from 127.0.0.1: "
        "incorrect id format for 1234.5678; nothing changed"
    ]


def test_rss_new_and_cross_added_replace_only_updates(cli, env) -> None:
    known = Fake("2403.13002", QUANTUM[1].title, QUANTUM[1].abstract)
    env.expect_request("/api/query").respond_with_data(atom_page([known], 1), content_type=ATOM)
    assert cli("fetch", "arxiv-id:2403.13002").code == 0
    items = [
        (Fake("2403.14001", "Graph Transformers for Molecule Ranking", "We rank molecules.",
              categories=("cs.LG", "q-bio.BM")), "new"),
        (Fake("2403.14002", "Cross-Listed Bandits", "Bandits, cross-listed.",
              categories=("stat.ML", "cs.LG")), "cross"),
        (Fake("2403.13002", known.title, known.abstract, version=3), "replace"),
        (Fake("2301.00001", "An Old Paper We Never Had", "Replaced, not new.", version=2), "replace-cross"),
    ]
    env.expect_request("/rss/cs.LG").respond_with_data(rss("cs.LG", items), content_type=XML)
    result = cli("fetch", "arxiv:cs.LG", "--json")
    assert result.code == 0, result.err
    report = result.json()[0]
    assert (report["added"], report["updated"]) == (2, 1)
    assert cli("show", "2403.13002", "--json").json()["version"] == "3"
    assert cli("show", "2301.00001").code == 1  # a replacement never adds a paper
    cross = cli("show", "2403.14002", "--json").json()
    assert cross["categories"] == ["stat.ML", "cs.LG"]
    assert cross["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert cross["abstract"] == "Bandits, cross-listed."


def test_feeds_add_fetch_list_remove(cli, env) -> None:
    env.expect_request("/rss/cs.LG").respond_with_data(
        rss("cs.LG", [(QUANTUM[0], "new")]), content_type=XML, headers={"ETag": '"v1"'}
    )
    env.expect_request("/api/daily_papers").respond_with_data(
        hf_daily(HF_DAY), content_type="application/json"
    )
    assert cli("feeds", "add", "arxiv:cs.LG", "--tag", "ml").out.strip() == (
        "subscribed to arxiv:cs.LG (papers tagged 'ml')"
    )
    assert cli("feeds", "add", "hf-daily:2024-03-20").code == 0
    listed = cli("feeds", "list").out
    assert "arxiv:cs.LG  last fetched never, tag 'ml'" in listed
    first = cli("fetch")
    assert first.code == 0, first.err
    assert "arxiv:cs.LG: 1 records, added 1, merged 0 (tagged 'ml')" in first.out
    assert "hf-daily:2024-03-20: 2 records, added 2, merged 0" in first.out
    assert "fetched 2 of 2 sources, added 3 papers" in first.out
    assert [p["key"] for p in cli("list", "--tag", "ml", "--json").json()] == ["2403.13001"]
    feeds = {f["source"]: f for f in cli("feeds", "list", "--json").json()}
    assert feeds["arxiv:cs.LG"]["last_added"] == 1 and feeds["arxiv:cs.LG"]["new"] == 1
    assert feeds["hf-daily:2024-03-20"]["total_added"] == 2
    assert feeds["arxiv:cs.LG"]["last_error"] is None and feeds["arxiv:cs.LG"]["last_success"]
    text = cli("feeds", "list").out
    assert "arxiv:cs.LG  last fetched " in text and "added 1 (1 in all), 1 new, tag 'ml'" in text
    # The next fetch asks conditionally; a 304 is "not changed", and the New list is the last run's.
    env.clear()
    env.expect_request("/rss/cs.LG", headers={"If-None-Match": '"v1"'}).respond_with_data(
        b"", status=304
    )
    env.expect_request("/api/daily_papers").respond_with_data(
        hf_daily(HF_DAY), content_type="application/json"
    )
    second = cli("fetch")
    assert second.code == 0, second.err
    assert "arxiv:cs.LG: not changed since the last fetch" in second.out
    assert cli("feeds", "remove", "arxiv:cs.LG").code == 0
    assert [f["source"] for f in cli("feeds", "list", "--json").json()] == ["hf-daily:2024-03-20"]
    gone = cli("feeds", "remove", "arxiv:cs.LG")
    assert gone.code == 1 and "not subscribed to arxiv:cs.LG" in gone.err
    assert cli("show", "2403.13001").code == 0  # the papers stay


def test_oai_harvest_follows_tokens_and_resumes_from_last_date(cli, env) -> None:
    seen: list[dict] = []
    pages = {
        None: oai_page(QUANTUM[:2], "6960524|1001", cursor=0, size=3, deleted=("2403.00009",)),
        "6960524|1001": oai_page(QUANTUM[2:], None, cursor=2, size=3),
    }

    def handle(request: Request) -> Response:
        args = dict(request.args)
        seen.append(args)
        if "from" in args:
            return Response(oai_error("noRecordsMatch", "No records match"), content_type="text/xml")
        return Response(pages[args.get("resumptionToken")], content_type="text/xml; charset=utf-8")

    env.expect_request("/oai").respond_with_handler(handle)
    result = cli("fetch", "oai:cs", "--json")
    assert result.code == 0, result.err
    assert result.json()[0]["added"] == 3 and result.json()[0]["pages"] == 2
    assert seen == [
        {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs"},
        {"verb": "ListRecords", "resumptionToken": "6960524|1001"},
    ]
    assert cli("show", "2403.00009").code == 1  # a deleted record is not a paper
    paper = cli("show", "2403.13003", "--json").json()
    assert paper["authors"] == ["Ada Lovelace", "Alan Turing"] and paper["comment"] == "9 pages"
    # The next harvest starts from the last one's date; nothing new is not an error.
    again = cli("fetch", "oai:cs", "--json")
    assert again.code == 0, again.err
    assert seen[-1] == {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs",
                        "from": "2024-03-21"}
    assert again.json()[0]["added"] == 0


def test_oai_failure_midway_keeps_pages_and_does_not_advance(cli, env) -> None:
    seen: list[dict] = []

    def handle(request: Request) -> Response:
        args = dict(request.args)
        seen.append(args)
        if "resumptionToken" in args:
            return Response("busy", status=500)
        return Response(oai_page(QUANTUM[:2], "tok|2", size=3), content_type="text/xml")

    env.expect_request("/oai").respond_with_handler(handle)
    assert cli("feeds", "add", "oai:cs").code == 0
    result = cli("fetch", "oai:cs")
    assert result.code == 1
    assert result.err.strip() == (
        "absreader: error: oai:cs: HTTP 500 INTERNAL SERVER ERROR from 127.0.0.1; the 2 papers "
        "of the 1 pages before it were saved (fetching again is safe)"
    )
    assert cli("stats", "--json").json()["papers"] == 2
    feed = cli("feeds", "list", "--json").json()[0]
    assert feed["oai_from"] is None and "HTTP 500" in feed["last_error"]
    cli("fetch", "oai:cs")
    assert "from" not in seen[-2]  # the harvest starts over: its date never moved


def test_bad_sources_are_usage_errors(cli, home) -> None:
    for bad, words in (("arxiv", "needs an argument"), ("rss:cs.LG", "unknown source"),
                       ("hf-daily:yesterday", "expected a date"), ("arxiv-id:nonsense", "not an arXiv id"),
                       ("arxiv:CS LG", "not an arXiv category")):  # fmt: skip
        result = cli("fetch", bad)
        assert result.code == 2, bad
        assert words in result.err and "Traceback" not in result.err
    assert "no subscriptions" in cli("fetch").err


def test_done_when_real_processes(env, home) -> None:
    """The issue's checks with the real `absreader` entry point, in separate processes."""
    env.expect_request("/api/query").respond_with_handler(_query_handler(QUANTUM, []))
    env.expect_request("/api/daily_papers", query_string={"date": "2024-03-20"}).respond_with_data(
        hf_daily(HF_DAY), content_type="application/json"
    )
    for source in ("arxiv-query:all:quantum", "hf-daily:2024-03-20"):
        done = run_cli_process(home, "fetch", source)
        assert done.returncode == 0, done.stderr
    found = run_cli_process(home, "search", "time-bin loops", "--json")
    assert json.loads(found.stdout)["results"][0]["key"] == "2403.13003"
    stats = run_cli_process(home, "stats", "--json").stdout
    listed = run_cli_process(home, "list", "--json").stdout
    for source in ("arxiv-query:all:quantum", "hf-daily:2024-03-20"):
        assert run_cli_process(home, "feeds", "add", source).returncode == 0
    env.stop()  # the server is gone
    gone = run_cli_process(home, "fetch")
    assert gone.returncode == 1
    lines = gone.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in gone.stderr
    assert all("no network (connection refused by 127.0.0.1); nothing changed" in line for line in lines)
    assert run_cli_process(home, "stats", "--json").stdout == stats
    assert run_cli_process(home, "list", "--json").stdout == listed
