"""The HTTP client every feed uses: httpx with timeouts, caps, pacing and plain-words errors.

Every way a request can fail (no network, DNS, timeout, TLS, an HTTP error
status, a redirect loop, a cut-off body, a body that is too large or of the
wrong type) becomes one :class:`FetchError` whose text says what happened in
words; nothing else escapes. 429 and 503 answers with a ``Retry-After`` within
the configured cap are waited out and retried. Requests to one host can be
spaced out (arXiv asks for one request every 3 seconds).
"""

from __future__ import annotations

import email.utils
import errno
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from absreader import __version__
from absreader.core.feeds.config import FetchConfig

USER_AGENT = f"absreader/{__version__} (terminal abstract reader; +https://github.com/absreader/absreader)"

#: Replaced in tests so nothing really waits; the client calls these, never ``time`` directly.
sleep: Callable[[float], None] = time.sleep
clock: Callable[[], float] = time.monotonic


class FetchError(Exception):
    """A request that did not give a usable answer; ``str()`` is the reason in words."""

    def __init__(self, message: str, *, status: int = 0, body: bytes = b"") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Response:
    """A complete, size-checked answer (``status`` 304 has an empty body)."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def host_of(url: str) -> str:
    return urlsplit(url).hostname or url


def _size(n: float) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); None if absent."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def describe_transport_error(exc: BaseException, url: str, timeout: float) -> str:
    """An httpx transport failure in words: what went wrong, on which host."""
    host = host_of(url)
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain).lower()
    if isinstance(exc, httpx.TooManyRedirects):
        return f"too many redirects from {host} (a redirect loop?)"
    if isinstance(exc, httpx.TimeoutException):
        what = "connecting to" if isinstance(exc, httpx.ConnectTimeout) else "waiting for"
        return f"timed out after {timeout:g} s {what} {host}"
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
        w in text for w in ("name or service not known", "name resolution", "nodename nor servname",
                            "no address associated", "getaddrinfo failed")
    ):  # fmt: skip
        return f"DNS lookup failed for {host} (no network, or a mistyped address?)"
    if any(isinstance(e, ssl.SSLError | ssl.CertificateError) for e in chain) or "ssl" in text:
        detail = next((str(e) for e in chain if isinstance(e, ssl.SSLError)), "") or str(exc)
        if "certificate" in detail.lower():
            return f"TLS error with {host}: the certificate could not be verified ({detail[:120]})"
        return f"TLS error with {host} ({detail[:120]})"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        return f"no network (connection refused by {host})"
    codes = {getattr(e, "errno", None) for e in chain}
    if codes & {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN}:
        return f"no network ({host} is unreachable)"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{host} closed the connection before the answer was complete (truncated response)"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return f"the connection to {host} broke while reading the answer"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect to {host} ({str(exc)[:120] or 'no network?'})"
    if isinstance(exc, httpx.DecodingError):
        return f"{host} sent a body that could not be decoded (damaged compression)"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"cannot fetch {url!r}: not an http(s) address"
    return f"request to {host} failed ({type(exc).__name__}: {str(exc)[:120]})"


class HttpClient:
    """One httpx client for a fetch run; :meth:`get` returns a checked Response or raises FetchError."""

    def __init__(self, config: FetchConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._client = httpx.Client(
            timeout=httpx.Timeout(config.timeout, connect=min(config.timeout, 15.0)),
            follow_redirects=True,
            max_redirects=config.max_redirects,
            headers={"User-Agent": USER_AGENT},
            trust_env=True,
            transport=transport,
        )
        self._last_request: dict[str, float] = {}
        self.requests = 0

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pace(self, host: str, interval: float) -> None:
        if interval <= 0:
            return
        last = self._last_request.get(host)
        if last is not None:
            wait = last + interval - clock()
            if wait > 0:
                sleep(wait)
        self._last_request[host] = clock()

    def get(
        self,
        url: str,
        params: Mapping[str, str | int] | None = None,
        *,
        expect: str,
        headers: Mapping[str, str] | None = None,
        interval: float = 0.0,
    ) -> Response:
        """GET ``url``; ``expect`` is ``"xml"`` or ``"json"`` (the content type it must have)."""
        host = host_of(url)
        retries = self.config.retries
        while True:
            self._pace(host, interval)
            self.requests += 1
            try:
                result = self._once(url, params, headers, expect)
            except httpx.HTTPError as exc:
                raise FetchError(describe_transport_error(exc, url, self.config.timeout)) from None
            except httpx.StreamError as exc:
                raise FetchError(f"reading the answer from {host} failed ({exc})") from None
            if isinstance(result, Response):
                return result
            wait, label, status = result  # asked to come back later, within the cap
            if retries <= 0:
                raise FetchError(
                    f"{label} from {host}, still after {self.config.retries} retries; "
                    "try again later",
                    status=status,
                )
            retries -= 1
            sleep(wait)

    def _once(
        self,
        url: str,
        params: Mapping[str, str | int] | None,
        headers: Mapping[str, str] | None,
        expect: str,
    ) -> Response | tuple[float, str, int]:
        cap = self.config.max_bytes
        host = host_of(url)
        with self._client.stream("GET", url, params=params, headers=dict(headers or {})) as r:
            status = r.status_code
            if status == 304:
                return Response(str(r.url), status, r.headers, b"")
            if status in (429, 503):
                wait = parse_retry_after(r.headers.get("retry-after"))
                label = f"HTTP {status} {r.reason_phrase or ''}".strip()
                if wait is None:
                    raise FetchError(f"{label} from {host} (busy; try again later)", status=status)
                if wait > self.config.retry_after_max:
                    raise FetchError(
                        f"{label} from {host}: asked to wait {wait:.0f} s, more than the "
                        f"{self.config.retry_after_max:g} s absreader waits; try again later",
                        status=status,
                    )
                return wait, label, status
            if status >= 400:
                body = b""
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > 64 * 1024:
                        break
                label = f"HTTP {status} {r.reason_phrase or ''}".strip()
                raise FetchError(f"{label} from {host}", status=status, body=body)
            if 300 <= status < 400:
                raise FetchError(f"HTTP {status} from {host} without a usable redirect", status=status)
            length = r.headers.get("content-length", "")
            if length.isdigit() and int(length) > cap:
                raise FetchError(
                    f"the answer from {host} is {_size(int(length))}, over the "
                    f"{_size(cap)} limit (max_response_mb)"
                )
            kind = r.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind and not _acceptable(kind, expect):
                raise FetchError(
                    f"{host} sent {kind}, not {expect.upper()} (a login page, proxy or wrong address?)"
                )
            parts: list[bytes] = []
            size = 0
            for chunk in r.iter_bytes():
                size += len(chunk)
                if size > cap:
                    raise FetchError(
                        f"the answer from {host} is over the {_size(cap)} limit (max_response_mb)"
                    )
                parts.append(chunk)
            return Response(str(r.url), status, r.headers, b"".join(parts))


def _acceptable(kind: str, expect: str) -> bool:
    if expect == "json":
        return kind.endswith("json") or kind.endswith("+json")
    return kind.endswith("xml") or kind in ("application/atom+xml", "application/rss+xml")
