"""Importing files: detect, parse, filter, and upsert into the library in batches.

Long imports are generators: they yield :class:`ImportProgress` after every
committed batch (so a reader shows the papers while the rest is still coming)
and an :class:`~absreader.core.models.ImportReport` per file when it is done.
A batch is one transaction; a crash loses at most the batch in flight, and
running the same import again is harmless (records merge into themselves).
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from absreader.core import import_resume
from absreader.core.ids import parse_arxiv_id
from absreader.core.library import Library, LibraryError, check_tag
from absreader.core.models import ImportReport, Problem, Record, SavedSearch, TagInfo
from absreader.core.sources import SourceError, read_source

#: Records per batch: a progress event, a resume point, and (nobody waiting to write)
#: about one transaction (``WRITE_SLICE_IDLE_S``) each.
BATCH_SIZE = 5000
MAX_PROBLEMS_KEPT = 1000


@dataclass(frozen=True)
class ImportOptions:
    """What the user asked for on the command line (or in the reader's prompt)."""

    format: str | None = None
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    since: date | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class ImportProgress:
    """Progress through one file: records read so far and bytes of the file consumed."""

    path: str
    records: int
    done_bytes: int
    total_bytes: int
    added: int
    merged: int
    #: Records skipped at the start because an earlier, interrupted run took them in.
    resumed: int = 0


@dataclass
class _Filter:
    """``--category`` / ``--since``: keep only the records that show they match.

    A record that lacks the field (no categories, no date of any kind) cannot show
    it matches, so it is skipped too, and counted apart so the report can say so.
    A partial date (a BibTeX year) is compared at its precision; with no date at
    all, a new-style arXiv id gives the year and month.
    """

    categories: tuple[str, ...]
    since: str | None
    filtered: int = field(default=0)
    no_category: int = field(default=0)
    no_date: int = field(default=0)

    def keep(self, record: Record) -> bool:
        if self.categories:
            if not record.categories:
                self.no_category += 1
                self.filtered += 1
                return False
            wanted = self.categories
            if not any(
                cat.lower() == want or cat.lower().startswith(want + ".")
                for cat in record.categories
                for want in wanted
            ):
                self.filtered += 1
                return False
        if self.since:
            when = _when(record)
            if not when:
                self.no_date += 1
                self.filtered += 1
                return False
            if when < self.since[: len(when)]:
                self.filtered += 1
                return False
        return True


_DATE = re.compile(r"\d{4}(?:-\d\d(?:-\d\d)?)?")


def _when(record: Record) -> str | None:
    """The record's latest known date, at the precision it has (``2017``, ``2017-06``...)."""
    for value in (record.updated, record.published):
        match = _DATE.match((value or "").strip())
        if match:
            return match.group()
    ident = parse_arxiv_id(record.arxiv_id or "")
    if ident and re.fullmatch(r"\d{4}\.\d{4,5}", ident.id):
        return f"20{ident.id[:2]}-{ident.id[2:4]}"
    return None


def parse_since(text: str) -> date:
    """Parse ``--since``; ValueError with a readable message if it is not YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since expects a date like 2024-03-01, not {text!r}") from None


def import_files(
    library: Library, paths: Sequence[Path], options: ImportOptions | None = None
) -> Iterator[ImportProgress | ImportReport]:
    """Import each path; yields progress, then one report per path.

    Problems with single records are collected in the report; a file that
    cannot be read at all gets a report with ``error`` set. Library errors
    (read-only, disk full, damaged) propagate as LibraryError.
    """
    options = options or ImportOptions()
    tags = tuple(check_tag(t) for t in options.tags)
    with library.bulk():
        for path in paths:
            stopped = yield from _import_one(library, Path(path), options, tags)
            if stopped:  # the library cannot take writes (disk full, read-only): the rest would fail
                return


def _import_one(
    library: Library, path: Path, options: ImportOptions, tags: tuple[str, ...]
) -> Generator[ImportProgress | ImportReport, None, bool]:
    """Import one file; returns True when the library stopped taking writes."""
    report = ImportReport(path=str(path))
    try:
        fmt, items = read_source(path, options.format)
    except SourceError as exc:
        report.error = str(exc)
        yield report
        return False
    report.format = fmt
    try:
        total_bytes = path.stat().st_size
    except OSError:
        total_bytes = 0
    filt = _Filter(
        tuple(c.lower() for c in options.categories),
        options.since.isoformat() if options.since else None,
    )
    batch: list[Record] = []
    searches: list[SavedSearch] = []
    reading_lists: list[str] = []
    resume = None if options.dry_run else import_resume.load(library, path, options)
    skip = resume.records if resume else 0

    quick_first = True

    def flush() -> Iterator[ImportProgress]:
        nonlocal batch, quick_first
        if not batch:
            return
        if options.dry_run:
            stats = library.upsert_preview(batch, tags=tags)
        else:
            # Only the import's first commit comes early (the reader shows papers at once).
            stats = library.upsert(batch, tags=tags, quick_first=quick_first)
            quick_first = False
        report.added += stats.added
        report.merged += stats.merged
        report.skipped += stats.skipped
        batch = []
        if not options.dry_run:
            import_resume.save(library, path, options, report.records, report.added, report.merged)
        yield ImportProgress(
            str(path),
            report.records,
            _position(items, total_bytes),
            total_bytes,
            report.added,
            report.merged,
            skip,
        )

    try:
        for item in items:
            if skip and report.records < skip:
                # Taken in by an interrupted earlier run of this import: read past it.
                if isinstance(item, Record):
                    report.records += 1
                    if report.records == skip:
                        yield ImportProgress(
                            str(path), skip, _position(items, total_bytes), total_bytes, 0, 0, skip
                        )
                continue
            if isinstance(item, Problem):
                report.skipped += 1
                if len(report.problems) < MAX_PROBLEMS_KEPT:
                    report.problems.append(item)
                continue
            if isinstance(item, SavedSearch):
                searches.append(item)
                continue
            if isinstance(item, TagInfo):
                reading_lists.append(item.name)
                continue
            report.records += 1
            if not filt.keep(item):
                continue
            batch.append(item)
            if len(batch) >= BATCH_SIZE:
                yield from flush()
        yield from flush()
    except SourceError as exc:
        # Read errors part-way through: what was committed stays; say where it stopped.
        yield from flush()
        report.error = str(exc)
    except UnicodeDecodeError as exc:  # pragma: no cover - sources decode with replacement
        yield from flush()
        report.error = f"{path}: cannot decode the file ({exc.reason})"
    except OSError as exc:
        yield from flush()
        report.error = f"{path}: read failed: {exc.strerror or exc}"
    except LibraryError as exc:
        # A write failed: the transaction in flight was rolled back whole; what was
        # committed before it (earlier batches, earlier slices of this one) stays.
        close = getattr(items, "close", None)
        if close is not None:
            close()
        partial = getattr(exc, "committed", None)
        if partial is not None:
            report.added += partial.added
            report.merged += partial.merged
        reason = str(exc).removesuffix("; nothing was changed")
        saved = report.added + report.merged
        report.error = (
            f"{reason}. Import of {path} stopped at record {report.records:,}; the "
            f"{saved:,} papers before that were saved. Importing again is safe."
        )
        _filter_counts(report, filt)
        yield report
        return True
    if searches and not options.dry_run:
        for search in searches:
            try:
                library.save_search(search.name, search.query)
            except LibraryError as exc:
                report.problems.append(
                    Problem(str(path), 0, f"saved search {search.name!r}: {exc}")
                )
    if reading_lists and not options.dry_run:
        for name in reading_lists:
            try:
                library.create_tag(name)
            except LibraryError as exc:
                report.problems.append(Problem(str(path), 0, f"reading list {name!r}: {exc}"))
    _filter_counts(report, filt)
    if not options.dry_run and not report.error:
        import_resume.clear(library, path)
    yield report
    return False


def _filter_counts(report: ImportReport, filt: _Filter) -> None:
    report.filtered = filt.filtered
    report.no_category = filt.no_category
    report.no_date = filt.no_date


def _position(items: object, total: int) -> int:
    """How far into the file the parser has read, when the source can tell."""
    tell = getattr(items, "position", None)
    if callable(tell):
        try:
            return min(int(tell()), total)
        except (OSError, ValueError, TypeError):
            return 0
    return 0


def collect(events: Iterator[ImportProgress | ImportReport]) -> list[ImportReport]:
    """Run an import to the end and return just the reports."""
    return [e for e in events if isinstance(e, ImportReport)]


def expand_paths(paths: Sequence[str]) -> list[Path]:
    """Expand directories into the files inside them (sorted, hidden files skipped)."""
    result: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                result.extend(Path(root) / f for f in sorted(files) if not f.startswith("."))
        else:
            result.append(path)
    return result
