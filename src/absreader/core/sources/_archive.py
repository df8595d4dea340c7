"""Zip archives: every member is read as a file of its own, streamed, never unpacked.

The Kaggle arXiv snapshot ships as a zip holding one JSON Lines file; people also
zip a folder of ``.bib`` files. Directories, macOS resource forks (``__MACOSX/``)
and hidden files are skipped. A member is named ``archive.zip:member`` in every
message, so a bad record reads ``archive.zip:member:line: reason``. A member that
is itself gzip-compressed is decompressed too.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TextIO

from absreader.core.sources._text import SourceError, compressed_error, text_stream


def open_archive(path: Path) -> zipfile.ZipFile:
    """Open a zip archive, or raise :class:`SourceError` saying why not."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise SourceError(f"{path}: not a readable zip archive ({exc})") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot open ({exc.strerror or exc})") from None


def members(archive: zipfile.ZipFile) -> Iterator[zipfile.ZipInfo]:
    """The members worth reading, in archive order."""
    for info in archive.infolist():
        name = PurePosixPath(info.filename)
        if info.is_dir() or not name.name or name.name.startswith("."):
            continue
        if name.parts and name.parts[0] == "__MACOSX":
            continue
        yield info


def member_source(path: Path, info: zipfile.ZipInfo) -> str:
    """How messages name a member: ``archive.zip:folder/file.jsonl``."""
    return f"{path}:{info.filename}"


def open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> TextIO:
    """One member as decoded text (see :func:`~absreader.core.sources._text.text_stream`)."""
    if info.flag_bits & 0x1:
        raise SourceError(f"{source}: the member is encrypted; unpack it with its password first")
    try:
        raw = archive.open(info)
    except NotImplementedError as exc:  # an unsupported compression method
        raise SourceError(f"{source}: cannot decompress ({exc})") from None
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
        raise compressed_error(source, exc) from None
    try:
        return text_stream(raw, source, disk=archive.fp)  # type: ignore[arg-type]
    except (zipfile.BadZipFile, EOFError) as exc:
        raw.close()
        raise compressed_error(source, exc) from None
