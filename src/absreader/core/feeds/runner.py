"""A fetch run: every source in turn, each page committed through the import path, then its state.

:func:`run_fetch` is a generator, like an import: it yields
:class:`FetchProgress` after every committed page and one :class:`FetchReport`
per source. Records go to :meth:`Library.upsert`, the same cleaning, id
normalisation and merging as ``absreader import`` (a paper fetched twice, or
fetched and imported, is one paper with both sources). A source that fails
becomes a report with ``error`` set, one line naming the source, and the next
source is fetched; what was committed before the failure stays, and the
feed's state does not move.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import suppress

from absreader.core.feeds.config import FetchConfig
from absreader.core.feeds.events import FetchOptions, FetchProgress, FetchReport
from absreader.core.feeds.formats import FormatError
from absreader.core.feeds.http import FetchError, HttpClient
from absreader.core.feeds.sources import fetch_pages
from absreader.core.feeds.spec import SourceSpec
from absreader.core.feeds.state import FeedStore, now
from absreader.core.library import Library, LibraryError, check_tag, clean_record
from absreader.core.models import Record

MAX_PROBLEMS_KEPT = 200

__all__ = ["FetchOptions", "FetchProgress", "FetchReport", "run_fetch"]


class _Run:
    """Shared by the sources of one run: the run id (made at the first commit) and its start."""

    def __init__(self, store: FeedStore) -> None:
        self.store = store
        self.started = now()
        self._id: int | None = None

    @property
    def id(self) -> int:
        if self._id is None:
            self._id = self.store.start_run()
        return self._id


def _ids(records: Sequence[Record]) -> list[str]:
    found = []
    for record in records:
        clean = clean_record(record)
        if clean is not None and clean.arxiv_id:
            found.append(clean.arxiv_id)
    return found


def run_fetch(
    library: Library,
    store: FeedStore,
    specs: Sequence[SourceSpec],
    config: FetchConfig,
    options: FetchOptions | None = None,
    *,
    client: HttpClient | None = None,
) -> Iterator[FetchProgress | FetchReport]:
    """Fetch each source; yields progress per committed page and a report per source."""
    options = options or FetchOptions()
    extra = tuple(check_tag(t) for t in options.tags)
    run = _Run(store)
    own = client is None
    client = client or HttpClient(config)
    try:
        for spec in specs:
            stopped = yield from _one(library, store, client, config, spec, options, extra, run)
            if stopped:
                return
    finally:
        if own:
            client.close()


def _one(
    library: Library,
    store: FeedStore,
    client: HttpClient,
    config: FetchConfig,
    spec: SourceSpec,
    options: FetchOptions,
    extra: tuple[str, ...],
    run: _Run,
) -> Iterator[FetchProgress | FetchReport]:
    name = str(spec)
    state = store.get(name)
    report = FetchReport(name, tag=state.tag if state else None)
    tags = extra + ((state.tag,) if state and state.tag else ())
    pages = fetch_pages(
        spec, client, config, state, max_results=options.max_results, today=options.today
    )
    try:
        while True:
            try:
                batch = next(pages)
            except StopIteration as stop:
                outcome = stop.value
                break
            report.pages += 1
            report.records += len(batch.records) + len(batch.updates)
            report.skipped += len(batch.problems)
            room = MAX_PROBLEMS_KEPT - len(report.problems)
            report.problems.extend(batch.problems[: max(room, 0)])
            known = [r for r in batch.updates if _known(library, r)]
            report.unchanged += len(batch.updates) - len(known)
            if batch.records or known:
                ids = _ids(batch.records)
                before = store.known_ids(ids)
                stats = library.upsert([*batch.records, *known], tags=tags)
                report.added += stats.added
                report.skipped += stats.skipped
                report.unchanged += stats.unchanged
                # Merges of replace entries are updates; the rest are merges.
                merged_updates = min(len(known), stats.merged)
                report.updated += merged_updates
                report.merged += stats.merged - merged_updates
                if stats.added:
                    fresh = [i for i in ids if i not in before]
                    store.mark_new(name, run.id, fresh, run.started)
            yield FetchProgress(name, batch.label, batch.done, batch.total, report.added, report.merged)
        report.not_modified = outcome.not_modified
        store.record_success(
            name,
            added=report.added,
            validator_url=outcome.validator_url,
            etag=outcome.etag,
            last_modified=outcome.last_modified,
            oai_from=outcome.oai_from,
            keep_validators=outcome.keep_validators,
        )
    except (FetchError, FormatError) as exc:
        _fail(store, report, str(exc), state is not None)
    except LibraryError as exc:
        reason = str(exc).removesuffix("; nothing was changed")
        _fail(store, report, reason, False)
        yield report
        return True  # the library takes no writes: the other sources would fail the same way
    except Exception as exc:  # noqa: BLE001 - one source's bug must not cost the others
        _fail(store, report, f"internal error ({type(exc).__name__}: {exc})", state is not None)
    finally:
        pages.close()
    yield report
    return False


def _known(library: Library, record: Record) -> bool:
    clean = clean_record(record)
    return clean is not None and bool(clean.arxiv_id) and library.resolve(clean.arxiv_id) is not None


def _fail(store: FeedStore, report: FetchReport, reason: str, known_feed: bool) -> None:
    if report.changed:
        kept = report.added + report.merged + report.updated
        report.error = (
            f"{report.source}: {reason}; the {kept:,} papers of the {report.pages:,} pages before "
            "it were saved (fetching again is safe)"
        )
    else:
        report.error = f"{report.source}: {reason}; nothing changed"
    if known_feed:
        with suppress(LibraryError):
            store.record_failure(report.source, reason, report.added)
