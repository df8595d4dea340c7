"""Opening source files as text: encoding detection, binary and empty files.

Every parser reads a ``TextIO`` that came from :func:`open_text`, so each of
them sees decoded text with universal newlines, whatever the bytes were:
UTF-8 with or without a BOM, UTF-16 or UTF-32 with a BOM, and otherwise
cp1252 when the start of the file is not valid UTF-8. Undecodable bytes become
U+FFFD instead of raising. Gzip-compressed files (and zip members, see
``_archive``) are decompressed while they are read.
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

#: How much of a file is inspected to choose an encoding and a format.
HEAD_BYTES = 64 * 1024
HEAD_CHARS = 64 * 1024
#: Leading whitespace skipped before sniffing (millions of blank lines are fine).
_MAX_LEADING_BLANK = 256 * 1024 * 1024
_CHUNK = 1024 * 1024
#: Lines longer than this are cut (the rest of the line is skipped): memory stays bounded.
MAX_LINE_CHARS = 64 * 1024 * 1024

_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f\ufffd]")


class SourceError(Exception):
    """Unreadable/unrecognised/binary file: ``str(e)`` is a one-line message naming the file."""


def _binary(source: str) -> SourceError:
    return SourceError(f"{source}: binary file, not a text format absreader reads")


def detect_encoding(head: bytes, source: str) -> str:
    """Choose the codec for a file from its first bytes; raise for binary data."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise _binary(source)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # Not final unless the whole file fits: a character may straddle the cut.
        decoder.decode(head, final=len(head) < HEAD_BYTES)
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1252"
    text = head.decode(encoding, errors="replace")
    if text and len(_CONTROL.findall(text)) > 0.1 * len(text):
        raise _binary(source)
    return encoding


GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"


def is_zip(path: Path) -> bool:
    """True when ``path`` is a regular file that starts like a zip archive."""
    try:
        if not path.is_file():
            return False
        with open(path, "rb") as fh:
            return fh.read(4) == ZIP_MAGIC
    except OSError:
        return False


def compressed_error(source: str, exc: BaseException) -> SourceError:
    """The message for a compressed file that cannot be decompressed."""
    detail = str(exc) or type(exc).__name__
    return SourceError(f"{source}: the compressed data is damaged or cut short ({detail})")


def raw_position(stream: TextIO) -> int:
    """How many bytes of the file on disk a text stream has consumed (compressed bytes
    for a compressed file), for progress."""
    raw = getattr(stream, "absreader_raw", None) or getattr(stream, "buffer", None)
    try:
        return int(raw.tell()) if raw is not None else 0
    except (AttributeError, OSError, ValueError):
        return 0


def text_stream(raw: BinaryIO, source: str, *, disk: BinaryIO | None = None) -> TextIO:
    """``raw`` (positioned at its start) as decoded text; gzip data is decompressed as read.

    ``disk`` is the file underneath when ``raw`` is itself a decompressing stream (a
    zip member), so progress counts bytes of the file on disk.
    """
    disk = disk or raw
    try:
        head = raw.read(HEAD_BYTES)
        if head.startswith(GZIP_MAGIC):
            raw.seek(0)
            raw = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
            try:
                head = raw.read(HEAD_BYTES)
            except (OSError, EOFError, zlib.error) as exc:
                raise compressed_error(source, exc) from None
        if not head:
            raise SourceError(f"{source}: empty file")
        encoding = detect_encoding(head, source)
        raw.seek(0)
    except SourceError:
        raw.close()
        raise
    except OSError as exc:
        raw.close()
        raise SourceError(f"{source}: cannot read ({exc.strerror or exc})") from None
    stream = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=None)  # type: ignore[arg-type]
    stream.absreader_raw = disk  # type: ignore[attr-defined]
    return stream


def open_text(path: Path) -> TextIO:
    """Open ``path`` for reading as text, or raise :class:`SourceError` saying why not.

    A gzip-compressed file is decompressed as it is read (never unpacked whole).
    """
    source = str(path)
    try:
        if path.is_dir():
            raise SourceError(f"{source}: is a directory, not a file")
        if path.exists() and not path.is_file():
            # Opening a pipe with no writer would wait forever; a device never ends.
            raise SourceError(
                f"{source}: not a regular file (a pipe, socket or device); "
                "save it to a file and import that"
            )
        raw = open(path, "rb")  # noqa: SIM115 - handed over to the TextIOWrapper
    except SourceError:
        raise
    except FileNotFoundError:
        raise SourceError(f"{source}: no such file") from None
    except PermissionError:
        raise SourceError(f"{source}: permission denied") from None
    except OSError as exc:
        raise SourceError(f"{source}: cannot open ({exc.strerror or exc})") from None
    return text_stream(raw, source)


def read_head(stream: TextIO) -> str:
    """The first ``HEAD_CHARS`` characters after any leading blank space.

    Leaves the stream wherever it stopped; callers ``seek(0)`` afterwards.
    """
    skipped = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return ""
        stripped = chunk.lstrip()
        if stripped:
            break
        skipped += len(chunk)
        if skipped > _MAX_LEADING_BLANK:
            return ""
    parts = [stripped]
    size = len(stripped)
    while size < HEAD_CHARS:
        more = stream.read(HEAD_CHARS - size)
        if not more:
            break
        parts.append(more)
        size += len(more)
    return "".join(parts)[:HEAD_CHARS]


def iter_lines(stream: TextIO, limit: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The stream's lines, each cut to ``limit`` characters (the rest is skipped)."""
    readline = stream.readline
    while True:
        line = readline(limit)
        if not line:
            return
        if len(line) == limit and not line.endswith("\n"):
            while True:  # drop the rest of an absurdly long line
                rest = readline(limit)
                if not rest or rest.endswith("\n"):
                    break
            line += "\n"
        yield line
