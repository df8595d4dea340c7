"""Reading papers from files: one module per format, the format found from content.

Each format module exposes ``NAME``, ``sniff(head) -> int`` (0-100 confidence
from the first ~64 KB of text) and ``parse(stream, source)``, a generator of
:class:`~absreader.core.models.Record`, :class:`~absreader.core.models.Problem`
and :class:`~absreader.core.models.SavedSearch` items that never raises for bad
content. :func:`read_source` opens a file (encoding detection and gzip in
``_text``, zip archives in ``_archive``), picks the format and returns a lazy
generator over its items.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TextIO

from absreader.core.models import Problem, Record, SavedSearch
from absreader.core.sources import (
    arxiv_email,
    atom,
    bibtex,
    csv_records,
    daily_papers,
    dataset_viewer,
    json_records,
)
from absreader.core.sources._archive import member_source, members, open_archive, open_member
from absreader.core.sources._text import (
    SourceError,
    compressed_error,
    is_zip,
    open_text,
    raw_position,
    read_head,
)

__all__ = ["FORMATS", "SourceError", "SourceItems", "detect_format", "read_source", "sniff_text"]

SourceError.__module__ = __name__

_MODULES: dict[str, ModuleType] = {
    module.NAME: module
    for module in (
        daily_papers,
        dataset_viewer,
        json_records,
        atom,
        bibtex,
        arxiv_email,
        csv_records,
    )
}

#: The names ``--format`` accepts.
FORMATS: tuple[str, ...] = tuple(_MODULES)

_EXTENSIONS = {
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".xml": "atom",
    ".atom": "atom",
    ".csv": "csv",
    ".tsv": "csv",
    ".eml": "arxiv-email",
}
#: Below this confidence a file is "unrecognised" rather than guessed at.
_THRESHOLD = 25


def sniff_text(head: str, suffix: str = "") -> tuple[str | None, int]:
    """The most likely format for text starting with ``head``, and its confidence.

    ``suffix`` (a file extension such as ``".bib"``) only breaks ties.
    """
    best: str | None = None
    best_score = 0
    hinted = _EXTENSIONS.get(suffix.lower())
    for name, module in _MODULES.items():
        try:
            score = int(module.sniff(head))
        except Exception:  # noqa: BLE001 - a sniffer bug must not stop detection
            score = 0
        if score <= 0:
            continue
        if name == hinted:
            score += 5
        if score > best_score:
            best, best_score = name, score
    if best_score < _THRESHOLD:
        return None, best_score
    return best, min(best_score, 100)


def _suffix(name: str) -> str:
    """The extension that hints at the format: ``.jsonl`` for ``papers.jsonl.gz`` too."""
    path = Path(name)
    if path.suffix.lower() == ".gz":
        path = path.with_suffix("")
    return path.suffix


def _choose(stream: TextIO, name: str) -> str:
    head = read_head(stream)
    if not head:
        raise SourceError(f"{name}: no text in the file (only blank space)")
    found, _ = sniff_text(head, _suffix(name))
    if found is None:
        raise SourceError(
            f"{name}: unrecognised format; choose one with --format ({', '.join(FORMATS)})"
        )
    return found


def _sniff(stream: TextIO, name: str) -> str:
    """:func:`_choose` for an open stream that is closed afterwards, whatever happens."""
    try:
        return _choose(stream, name)
    except OSError as exc:
        raise SourceError(f"{name}: cannot read ({exc.strerror or exc})") from None
    except (EOFError, zlib.error) as exc:
        raise compressed_error(name, exc) from None
    finally:
        stream.close()


def _archive_formats(
    path: Path, archive: zipfile.ZipFile, format: str | None
) -> tuple[list[tuple[zipfile.ZipInfo, str]], list[Problem]]:
    """Each readable member with its format, and a Problem for each that is not."""
    chosen: list[tuple[zipfile.ZipInfo, str]] = []
    problems: list[Problem] = []
    for info in members(archive):
        source = member_source(path, info)
        try:
            stream = open_member(archive, info, source)
            found = format or _sniff(stream, source)
            if format:
                stream.close()
        except SourceError as exc:
            problems.append(Problem(source, 0, str(exc).removeprefix(f"{source}: ")))
            continue
        chosen.append((info, found))
    if not chosen:
        if problems:
            raise SourceError(f"{path}: nothing readable inside: {problems[0]}")
        raise SourceError(f"{path}: the zip archive holds no files")
    return chosen, problems


def _format_name(chosen: list[tuple[zipfile.ZipInfo, str]]) -> str:
    return "+".join(dict.fromkeys(fmt for _info, fmt in chosen))


def detect_format(path: Path) -> str:
    """The format of the file at ``path``, judged from its content.

    Gzip files are looked into; for a zip archive, the formats of its members
    (``json``, or ``bibtex+csv`` when they differ). Raises :class:`SourceError`
    for missing, unreadable, binary, empty or unrecognised files.
    """
    path = Path(path)
    if is_zip(path):
        with open_archive(path) as archive:
            return _format_name(_archive_formats(path, archive, None)[0])
    return _sniff(open_text(path), str(path))


def read_source(
    path: Path, format: str | None = None
) -> tuple[str, Iterator[Record | Problem | SavedSearch]]:
    """Open ``path`` and return its format name and a lazy generator of its items.

    ``format`` forces a format (one of :data:`FORMATS`); otherwise it is detected
    from the content. Gzip files are decompressed as they are read and the members
    of a zip archive are read one after another (a member's messages name it as
    ``archive.zip:member``). Raises :class:`SourceError` for an unknown format name
    and for missing, unreadable, directory, binary, empty or unrecognised files.
    Problems found while reading (malformed records) come out of the generator.
    """
    path = Path(path)
    if format is not None and format not in _MODULES:
        raise SourceError(
            f"{path}: unknown format {format!r} (choose one of: {', '.join(FORMATS)})"
        )
    if is_zip(path):
        return _read_archive(path, format)
    stream = open_text(path)
    try:
        if format is None:
            format = _choose(stream, str(path))
            stream.seek(0)
    except SourceError:
        stream.close()
        raise
    except OSError as exc:
        stream.close()
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (EOFError, zlib.error) as exc:
        stream.close()
        raise compressed_error(str(path), exc) from None
    return format, SourceItems(
        _items(_MODULES[format], stream, str(path)), lambda: raw_position(stream), _size(path)
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_archive(
    path: Path, format: str | None
) -> tuple[str, Iterator[Record | Problem | SavedSearch]]:
    archive = open_archive(path)
    try:
        chosen, problems = _archive_formats(path, archive, format)
    except SourceError:
        archive.close()
        raise

    def items() -> Iterator[Record | Problem | SavedSearch]:
        try:
            yield from problems
            for info, fmt in chosen:
                source = member_source(path, info)
                try:
                    stream = open_member(archive, info, source)
                except SourceError as exc:
                    yield Problem(source, 0, str(exc).removeprefix(f"{source}: "))
                    continue
                yield from _items(_MODULES[fmt], stream, source)
        finally:
            archive.close()

    def position() -> int:
        try:
            return int(archive.fp.tell()) if archive.fp else 0
        except (OSError, ValueError):
            return 0

    return _format_name(chosen), SourceItems(items(), position, _size(path))


class SourceItems(Iterator[Record | Problem | SavedSearch]):
    """The lazy items of one open source file; :meth:`position` reports progress."""

    def __init__(
        self,
        items: Iterator[Record | Problem | SavedSearch],
        position: Callable[[], int],
        total: int,
    ) -> None:
        self._items = items
        self._position = position
        self._total = total
        self._finished_at: int | None = None

    def __next__(self) -> Record | Problem | SavedSearch:
        try:
            return next(self._items)
        except StopIteration:
            if self._finished_at is None:
                self._finished_at = self._total
            raise

    def position(self) -> int:
        """How many bytes of the file have been read so far (all of it once finished)."""
        if self._finished_at is not None:
            return self._finished_at
        return self._position()

    def close(self) -> None:
        """Stop reading and close the file."""
        close = getattr(self._items, "close", None)
        if close is not None:
            close()


def _items(
    module: ModuleType, stream: TextIO, source: str
) -> Iterator[Record | Problem | SavedSearch]:
    """Run one parser over an open stream, closing it at the end, whatever happens."""
    try:
        yield from module.parse(stream, source)
    except OSError as exc:
        yield Problem(source, 0, f"reading stopped: {exc.strerror or exc}")
    except (EOFError, zlib.error, zipfile.BadZipFile) as exc:
        yield Problem(source, 0, f"reading stopped: the compressed data is damaged or cut short ({exc})")
    except RecursionError:
        yield Problem(source, 0, "reading stopped: the file is nested too deeply")
    except Exception as exc:  # noqa: BLE001 - the contract is "never raise for bad content"
        yield Problem(
            source, 0, f"reading stopped by an internal error ({type(exc).__name__}: {exc})"
        )
    finally:
        stream.close()
