"""The library's errors, and how SQLite's failures become messages a person can act on."""

from __future__ import annotations

import os
import shlex
import sqlite3
import tempfile
from pathlib import Path

#: The environment variable that moves all of absreader's data (named in hints).
HOME_HINT = "ABSREADER_HOME"


class LibraryError(Exception):
    """A problem a user can act on; ``str()`` is the message to show."""


class NotFound(LibraryError):
    """No paper (tag, saved search) matches the name given."""


def damaged(path: Path, detail: str) -> LibraryError:
    """The message for a library file that is not a whole SQLite database."""
    aside = shlex.quote(f"{path}.damaged")
    return LibraryError(
        f"{path}: the library file is damaged ({detail}). absreader has not changed it. "
        f"To start a new library, move it aside first: mv {shlex.quote(str(path))} {aside} "
        "- or restore the file from a backup to keep your papers."
    )


def replaced(path: Path, how: str) -> LibraryError:
    """The message for a library file deleted or replaced while absreader had it open."""
    return LibraryError(
        f"{path}: the library file was {how} while absreader had it open; this change was "
        "not saved. Restart absreader to use the library now at that path."
    )


def is_storage_error(exc: BaseException) -> bool:
    """An SQLite error about the file or the disk (not a bug in a statement)."""
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(exc, sqlite3.IntegrityError):
        return False
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return any(
            word in text
            for word in ("full", "i/o", "readonly", "read-only", "locked", "busy", "unable to open",
                         "malformed", "not a database", "corrupt")
        )  # fmt: skip
    return True  # DatabaseError proper: SQLITE_CORRUPT, SQLITE_NOTADB


def open_error(path: Path, exc: sqlite3.DatabaseError) -> LibraryError:
    """The message for a library that could not be opened."""
    text = str(exc)
    if "newer absreader" in text:
        return LibraryError(f"{path}: {text}")
    lowered = text.lower()
    if any(w in lowered for w in ("unable to open", "readonly", "read-only", "i/o")):
        problem = unwritable(path.parent)
        if problem:
            return LibraryError(
                f"{path}: cannot open the library: its folder is read-only ({problem}), and "
                "SQLite needs to write beside the file even to read it; nothing was changed. "
                f"Make {path.parent} writable, or set {HOME_HINT} to another folder."
            )
    if "locked" in lowered or "busy" in lowered:
        return LibraryError(
            f"{path}: the library is busy (another absreader is writing); try again"
        )
    if "unable to open" in lowered or "i/o" in lowered:
        return LibraryError(f"{path}: cannot open the library ({text}); nothing was changed")
    return damaged(path, text)


def unwritable(folder: Path) -> str | None:
    """Why nothing can be written in ``folder`` (None if something can)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".absreader-probe-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    Path(name).unlink(missing_ok=True)
    return None


def db_error(path: Path, exc: sqlite3.DatabaseError, *, writing: bool) -> LibraryError:
    """The message for an SQLite failure while reading or writing."""
    text = str(exc)
    lowered = text.lower()
    if not isinstance(exc, sqlite3.OperationalError) or any(
        w in lowered for w in ("malformed", "not a database", "corrupt")
    ):
        return damaged(path, text)
    if "readonly" in lowered or "read-only" in lowered:
        return LibraryError(f"{path}: the library is read-only; nothing was changed")
    if "full" in lowered:
        return LibraryError(f"{path}: the disk is full; nothing was changed")
    if "locked" in lowered or "busy" in lowered:
        return LibraryError(
            f"{path}: the library is busy (another absreader is writing); try again"
        )
    if writing:
        return LibraryError(
            f"{path}: could not write to the library ({text}; is the disk full?); nothing was changed"
        )
    return LibraryError(f"{path}: could not read the library ({text})")
