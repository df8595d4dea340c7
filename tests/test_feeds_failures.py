"""Every way a fetch can fail is one line naming the source, exit 1, the library unchanged.

Real failures from a real local server (or a bare socket for answers no sane
server gives): refused connections, DNS, timeouts, TLS, HTTP errors,
Retry-After, redirect loops, truncated and malformed bodies, wrong content
types, oversize answers.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import SAMPLE
from tests.feeds_helpers import (
    HF_DAY,
    QUANTUM,
    atom_page,
    free_port,
    hf_daily,
    raw_server,
    rss,
    start_server,
)

ATOM = "application/atom+xml"
ALL_SOURCES = ["arxiv:cs.LG", "arxiv-query:all:quantum", "arxiv-id:2403.13001",
               "hf-daily:2024-03-20", "oai:cs"]  # fmt: skip


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    server = start_server()
    yield server
    server.clear()
    server.stop()


def _point(monkeypatch: pytest.MonkeyPatch, base: str) -> None:
    monkeypatch.setenv("ABSREADER_ARXIV_API_URL", f"{base}/api/query")
    monkeypatch.setenv("ABSREADER_ARXIV_RSS_URL", f"{base}/rss/")
    monkeypatch.setenv("ABSREADER_HF_API_URL", f"{base}/api/daily_papers")
    monkeypatch.setenv("ABSREADER_OAI_URL", f"{base}/oai")
    monkeypatch.setenv("ABSREADER_ARXIV_DELAY", "0")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # a proxy in the environment never sees test traffic


@pytest.fixture
def library(cli, monkeypatch):
    """A library with papers in it, and a snapshot function to prove nothing changed."""
    assert cli("import", SAMPLE / "dataset-viewer-arxiv-abstracts.txt").code == 0

    def snapshot() -> tuple[object, str]:
        stats = cli("stats", "--json").json()
        return stats, cli("list", "--json").out

    return snapshot


def _one_failure(result, source: str, reason: str) -> None:
    assert result.code == 1
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert lines == [f"absreader: error: {source}: {reason}; nothing changed"], lines


def test_server_gone_every_source_one_line_library_unchanged(cli, library, monkeypatch) -> None:
    _point(monkeypatch, f"http://127.0.0.1:{free_port()}")
    for source in ALL_SOURCES:
        assert cli("feeds", "add", source).code == 0
    before = library()
    result = cli("fetch")
    assert result.code == 1 and "Traceback" not in result.err
    assert result.err.strip().splitlines() == [
        f"absreader: error: {s}: no network (connection refused by 127.0.0.1); nothing changed"
        for s in ALL_SOURCES
    ]
    assert "fetched 0 of 5 sources, added 0 papers" in result.out
    assert library() == before
    feeds = cli("feeds", "list", "--json").json()
    assert all("connection refused" in f["last_error"] for f in feeds)
    assert all(f["last_success"] is None for f in feeds)


def test_one_failing_source_does_not_stop_the_others(cli, server, library, monkeypatch) -> None:
    _point(monkeypatch, server.url_for("").rstrip("/"))
    server.expect_request("/rss/cs.LG").respond_with_data("oops", status=500)
    server.expect_request("/api/daily_papers").respond_with_data(hf_daily(HF_DAY), content_type="application/json")
    result = cli("fetch", "arxiv:cs.LG", "hf-daily:2024-03-20")
    assert result.code == 1
    assert result.err.strip() == (
        "absreader: error: arxiv:cs.LG: HTTP 500 INTERNAL SERVER ERROR from 127.0.0.1; nothing changed"
    )
    assert "hf-daily:2024-03-20: 2 records, added 1, merged 1" in result.out
    assert cli("show", "2403.12999").code == 0


def test_dns_failure(cli, library, monkeypatch) -> None:
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if str(host).endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    _point(monkeypatch, "http://export.arxiv.invalid")
    before = library()
    result = cli("fetch", "arxiv-query:all:quantum")
    _one_failure(result, "arxiv-query:all:quantum",
                 "DNS lookup failed for export.arxiv.invalid (no network, or a mistyped address?)")
    assert library() == before


def test_timeout(cli, library, monkeypatch) -> None:
    def hang(conn: socket.socket, stop: threading.Event) -> None:
        stop.wait(10)  # accept the request, never answer

    with raw_server(hang) as base:
        _point(monkeypatch, base)
        monkeypatch.setenv("ABSREADER_HTTP_TIMEOUT", "0.5")
        before = library()
        result = cli("fetch", "hf-daily:2024-03-20")
    _one_failure(result, "hf-daily:2024-03-20", "timed out after 0.5 s waiting for 127.0.0.1")
    assert library() == before


def test_tls_error(cli, server, library, monkeypatch) -> None:
    # An https:// address on a server that only speaks plain HTTP: the TLS handshake fails.
    _point(monkeypatch, server.url_for("").rstrip("/").replace("http://", "https://"))
    result = cli("fetch", "arxiv:cs.LG")
    assert result.code == 1 and "Traceback" not in result.err
    assert result.err.startswith("absreader: error: arxiv:cs.LG: TLS error with 127.0.0.1 (")
    assert result.err.strip().endswith("; nothing changed") and len(result.err.strip().splitlines()) == 1


def _status(status: int, headers: dict | None = None):
    return lambda server: server.expect_request("/rss/cs.LG").respond_with_data(
        "<html>error</html>", status=status, headers=headers or {}, content_type="text/html"
    )


def _redirect_loop(server: HTTPServer) -> None:
    server.expect_request("/rss/cs.LG").respond_with_data(
        "", status=302, headers={"Location": server.url_for("/rss/cs.LG")}
    )


def _truncated_xml(server: HTTPServer) -> None:
    body = rss("cs.LG", [(QUANTUM[0], "new"), (QUANTUM[1], "new")])
    server.expect_request("/rss/cs.LG").respond_with_data(body[: len(body) // 2], content_type="application/xml")


def _malformed_xml(server: HTTPServer) -> None:
    body = rss("cs.LG", [(QUANTUM[0], "new")]).replace(b"<title>Lattice", b"<title>Lattice & <")
    server.expect_request("/rss/cs.LG").respond_with_data(body, content_type="text/xml")


def _html(server: HTTPServer) -> None:
    server.expect_request("/rss/cs.LG").respond_with_data(
        "<!doctype html><title>Sign in to the Wi-Fi</title>", content_type="text/html; charset=utf-8"
    )


def _entities(server: HTTPServer) -> None:
    bomb = (b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>\n'
            b"<rss version=\"2.0\"><channel><item><title>&b;</title></item></channel></rss>")
    server.expect_request("/rss/cs.LG").respond_with_data(bomb, content_type="application/rss+xml")


def _oversize(server: HTTPServer) -> None:
    many = [(QUANTUM[i % 3], "new") for i in range(20)]
    server.expect_request("/rss/cs.LG").respond_with_data(rss("cs.LG", many), content_type="application/xml")


def _oversize_streamed(server: HTTPServer) -> None:
    body = rss("cs.LG", [(QUANTUM[i % 3], "new") for i in range(20)])

    def stream(request: Request) -> Response:
        # No Content-Length: the size is only known while reading.
        return Response((body[i : i + 512] for i in range(0, len(body), 512)), content_type="application/xml")

    server.expect_request("/rss/cs.LG").respond_with_handler(stream)


def _not_rss(server: HTTPServer) -> None:
    server.expect_request("/rss/cs.LG").respond_with_data(atom_page([], 0), content_type="application/xml")


CASES = [
    ("404", _status(404), "HTTP 404 NOT FOUND from 127.0.0.1"),
    ("500", _status(500), "HTTP 500 INTERNAL SERVER ERROR from 127.0.0.1"),
    ("429 without Retry-After", _status(429), "HTTP 429 TOO MANY REQUESTS from 127.0.0.1 (busy; try again later)"),
    ("503 Retry-After over the cap", _status(503, {"Retry-After": "3600"}),
     "HTTP 503 SERVICE UNAVAILABLE from 127.0.0.1: asked to wait 3600 s, more than the 120 s "
     "absreader waits; try again later"),
    ("redirect loop", _redirect_loop, "too many redirects from 127.0.0.1 (a redirect loop?)"),
    ("truncated XML", _truncated_xml, "truncated XML (it stops at line 21 inside <description>)"),
    ("malformed XML", _malformed_xml, "malformed XML (not well-formed (invalid token) at line 18, column 23)"),
    ("wrong content type", _html, "127.0.0.1 sent text/html, not XML (a login page, proxy or wrong address?)"),
    ("entities", _entities, "XML with a DOCTYPE or ENTITY declaration is refused (entities are never "
     "expanded); nothing after it was read"),
    ("oversize", _oversize, "the answer from 127.0.0.1 is 15 KB, over the 1 KB limit (max_response_mb)"),
    ("oversize, streamed", _oversize_streamed,
     "the answer from 127.0.0.1 is over the 1 KB limit (max_response_mb)"),
    ("not the format", _not_rss, "not an RSS feed (the document is <feed>)"),
]


@pytest.mark.parametrize(("name", "setup", "reason"), CASES, ids=[c[0] for c in CASES])
def test_http_and_body_failures(cli, server, library, monkeypatch, name, setup, reason) -> None:
    _point(monkeypatch, server.url_for("").rstrip("/"))
    if name.startswith("oversize"):
        monkeypatch.setenv("ABSREADER_MAX_RESPONSE_MB", str(1 / 1024))
    setup(server)
    before = library()
    result = cli("fetch", "arxiv:cs.LG")
    _one_failure(result, "arxiv:cs.LG", reason)
    assert library() == before


def test_truncated_transfer(cli, library, monkeypatch) -> None:
    body = hf_daily(HF_DAY)

    def cut(conn: socket.socket, stop: threading.Event) -> None:
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n").encode()
        conn.sendall(head + body[: len(body) // 3])  # then the connection closes

    with raw_server(cut) as base:
        _point(monkeypatch, base)
        before = library()
        result = cli("fetch", "hf-daily:2024-03-20")
    _one_failure(result, "hf-daily:2024-03-20",
                 "127.0.0.1 closed the connection before the answer was complete (truncated response)")
    assert library() == before


@pytest.mark.parametrize(("body", "reason"), [
    (b'[{"paper": {"id": "2403.13043", "title": "Cut', "truncated JSON (Unterminated string starting at: line 1, column 42)"),
    (b"[{'paper': 1}]", "malformed JSON (Expecting property name enclosed in double quotes: line 1, column 3)"),
    (b'{"papers": []}', "unexpected JSON (expected a list of daily papers)"),
    (b'{"error": "Invalid date"}', "Hugging Face API error: Invalid date"),
])  # fmt: skip
def test_bad_json(cli, server, library, monkeypatch, body, reason) -> None:
    _point(monkeypatch, server.url_for("").rstrip("/"))
    server.expect_request("/api/daily_papers").respond_with_data(body, content_type="application/json")
    before = library()
    _one_failure(cli("fetch", "hf-daily:2024-03-20"), "hf-daily:2024-03-20", reason)
    assert library() == before


def test_retry_after_is_honoured_then_succeeds(cli, server, library, monkeypatch) -> None:
    from absreader.core.feeds import http

    waits: list[float] = []
    monkeypatch.setattr(http, "sleep", waits.append)
    _point(monkeypatch, server.url_for("").rstrip("/"))
    answers = iter([Response("slow down", status=429, headers={"Retry-After": "7"}),
                    Response("busy", status=503, headers={"Retry-After": "2"}),
                    Response(hf_daily(HF_DAY), content_type="application/json")])  # fmt: skip
    server.expect_request("/api/daily_papers").respond_with_handler(lambda request: next(answers))
    result = cli("fetch", "hf-daily:2024-03-20")
    assert result.code == 0, result.err
    assert waits == [7.0, 2.0]
    assert cli("show", "2403.12999").code == 0


def test_retry_after_gives_up_after_the_retries(cli, server, library, monkeypatch) -> None:
    from absreader.core.feeds import http

    waits: list[float] = []
    monkeypatch.setattr(http, "sleep", waits.append)
    monkeypatch.setenv("ABSREADER_RETRY_AFTER_MAX", "10")
    _point(monkeypatch, server.url_for("").rstrip("/"))
    server.expect_request("/oai").respond_with_data("busy", status=503, headers={"Retry-After": "5"})
    before = library()
    _one_failure(cli("fetch", "oai:cs"), "oai:cs",
                 "HTTP 503 SERVICE UNAVAILABLE from 127.0.0.1, still after 3 retries; try again later")
    assert waits == [5.0, 5.0, 5.0]
    assert library() == before
