"""The requests that fetch each kind of source, page by page.

(:mod:`absreader.core.feeds.spec` checks a SOURCE as typed.)
:func:`fetch_pages` is a generator of
:class:`Batch` (one per page, to be committed before the next is asked for)
whose return value is the :class:`Outcome`: the state the feed may move to
once every batch is committed.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import date

from absreader.core.feeds.config import FetchConfig
from absreader.core.feeds.formats import (
    FormatError,
    OaiError,
    Parsed,
    api_error,
    parse_atom_page,
    parse_hf_daily,
    parse_oai,
    parse_rss,
)
from absreader.core.feeds.http import FetchError, HttpClient, Response
from absreader.core.feeds.spec import DEFAULT_MAX, SourceSpec
from absreader.core.feeds.state import FeedState
from absreader.core.models import Problem, Record

#: Safety stop for a harvest whose server keeps sending resumption tokens.
MAX_OAI_PAGES = 10_000


@dataclass
class Batch:
    """One page: records to add or merge, records that only update known papers, problems."""

    records: list[Record]
    problems: list[Problem]
    label: str
    done: int = 0
    total: int = 0
    #: arXiv RSS ``replace`` entries: they update papers already in the library, never add.
    updates: list[Record] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """The state a feed moves to once all its batches are committed."""

    not_modified: bool = False
    validator_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    oai_from: str | None = None
    #: True when the answer carried no validators to replace the stored ones.
    keep_validators: bool = False


Pages = Generator[Batch, None, Outcome]


def _conditional(state: FeedState | None, url: str) -> dict[str, str]:
    if state is None or state.validator_url != url:
        return {}
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def _validated(response: Response, key: str) -> Outcome:
    """The validators to send next time ``key`` is asked for (ETag, Last-Modified)."""
    return Outcome(
        validator_url=key,
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
    )


def _arxiv_get(client: HttpClient, url: str, params: dict, interval: float) -> Response:
    """GET from the arXiv API; its Atom error feeds become the error text."""
    try:
        return client.get(url, params, expect="xml", interval=interval)
    except FetchError as exc:
        message = api_error(exc.body) if exc.body else None
        if message:
            raise FetchError(f"{exc}: {message}", status=exc.status) from None
        raise


def fetch_pages(
    spec: SourceSpec,
    client: HttpClient,
    config: FetchConfig,
    state: FeedState | None,
    *,
    max_results: int = DEFAULT_MAX,
    today: date | None = None,
) -> Pages:
    """The batches of one source, fetched lazily (the next request after the last batch is committed)."""
    name = str(spec)
    if spec.kind == "arxiv-query":
        return (yield from _query(name, client, config, {"search_query": spec.arg}, max_results))
    if spec.kind == "arxiv-id":
        ids = spec.arg.split(",")
        done = 0
        for start in range(0, len(ids), config.page_size):
            chunk = ids[start : start + config.page_size]
            params = {"id_list": ",".join(chunk), "start": 0, "max_results": len(chunk)}
            response = _arxiv_get(client, config.arxiv_api_url, params, config.arxiv_delay)
            page = parse_atom_page(response.body, name, start + 1)
            done += len(chunk)
            yield Batch(page.records, page.problems, "ids", done, len(ids))
        return Outcome()
    if spec.kind == "arxiv":
        url = config.arxiv_rss_url.rstrip("/") + "/" + spec.arg
        response = client.get(url, expect="xml", headers=_conditional(state, url))
        if response.not_modified:
            return Outcome(not_modified=True, keep_validators=True)
        page = parse_rss(response.body, name)
        fresh = [r for r, kind in zip(page.records, page.kinds, strict=True) if not kind.startswith("replace")]
        updates = [r for r, kind in zip(page.records, page.kinds, strict=True) if kind.startswith("replace")]
        yield Batch(fresh, page.problems, "listing", page.entries, page.entries, updates)
        return _validated(response, url)
    if spec.kind == "hf-daily":
        day = spec.arg or (today or date.today()).isoformat()
        url = config.hf_api_url
        key = f"{url}?date={day}"
        response = client.get(url, {"date": day}, expect="json", headers=_conditional(state, key))
        if response.not_modified:
            return Outcome(not_modified=True, keep_validators=True)
        page = parse_hf_daily(response.body, f"hf-daily:{day}")
        yield Batch(page.records, page.problems, day, page.entries, page.entries)
        return _validated(response, key)
    if spec.kind == "oai":
        return (yield from _harvest(name, client, config, spec.arg, state))
    raise FetchError(f"unknown source kind {spec.kind!r}")  # pragma: no cover - parse_source checks


def _query(name: str, client: HttpClient, config: FetchConfig, base: dict, wanted: int) -> Pages:
    start = 0
    total: int | None = None
    while start < wanted and (total is None or start < total):
        count = min(config.page_size, wanted - start, (total - start) if total else wanted)
        params = {**base, "start": start, "max_results": count,
                  "sortBy": "submittedDate", "sortOrder": "descending"}  # fmt: skip
        response = _arxiv_get(client, config.arxiv_api_url, params, config.arxiv_delay)
        page: Parsed = parse_atom_page(response.body, name, start + 1)
        if page.total is not None:
            total = page.total
        start += page.entries
        yield Batch(page.records, page.problems, "results", start, min(wanted, total or wanted))
        if page.entries < count:
            break  # the last page (or the API ran dry)
    return Outcome()


def _harvest(
    name: str, client: HttpClient, config: FetchConfig, oai_set: str, state: FeedState | None
) -> Pages:
    params: dict[str, str | int] = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": oai_set}
    if state is not None and state.oai_from:
        params["from"] = state.oai_from
    harvest_date: str | None = None
    seen = 0
    for number in range(1, MAX_OAI_PAGES + 1):
        response = client.get(config.oai_url, params, expect="xml", interval=config.arxiv_delay)
        try:
            page = parse_oai(response.body, name, seen + 1)
        except OaiError as exc:
            if exc.code == "noRecordsMatch":
                return Outcome(oai_from=harvest_date or _response_date(response.body))
            raise
        harvest_date = harvest_date or page.response_date
        seen += page.entries
        total = page.complete_size or 0
        yield Batch(page.records, page.problems, f"page {number}", seen, max(total, seen))
        if not page.token:
            return Outcome(oai_from=harvest_date)
        params = {"verb": "ListRecords", "resumptionToken": page.token}
    raise FormatError(f"the harvest did not end after {MAX_OAI_PAGES} pages")


def _response_date(body: bytes) -> str | None:
    match = re.search(rb"<responseDate>\s*(\d{4}-\d\d-\d\d)", body)
    return match.group(1).decode() if match else None
