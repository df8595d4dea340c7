"""Writing an export to a file: the format from the suffix, the safety rule, never half a file.

The CLI's ``export -o`` and the reader's "Export selection…" both come here, so
the one rule holds for both: an export is never written inside absreader's
data, cache or config folder (symlinks resolved first), and it goes through a
temporary file beside the target that replaces it only when complete.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TextIO

from absreader.paths import Paths

#: The format each file suffix stands for.
SUFFIXES = {".bib": "bibtex", ".bibtex": "bibtex", ".md": "markdown", ".markdown": "markdown",
            ".json": "json", ".csv": "csv", ".ris": "ris"}  # fmt: skip


class ExportError(ValueError):
    """An export that cannot be written; the message names the file and says what to do."""


def format_for(path: Path) -> str | None:
    """The export format a file name asks for by its suffix (None when it names none)."""
    return SUFFIXES.get(path.suffix.lower())


def refusal(path: Path, paths: Paths) -> str | None:
    """Why ``path`` must not receive an export (inside absreader's own folders), or None."""
    try:
        target = path.resolve(strict=False)
    except (OSError, RuntimeError):  # a symlink loop: nothing sensible to write there
        return f"{path}: cannot write there (a symlink loop); nothing was written"
    for what, folder in (("data", paths.data_dir), ("cache", paths.cache_dir),
                         ("config", paths.config_dir)):  # fmt: skip
        try:
            root = folder.resolve(strict=False)
        except (OSError, RuntimeError):
            continue
        if target == root or root in target.parents:
            return (
                f"{path}: refusing to export into absreader's {what} folder ({root}), which holds "
                "the library, its index and settings; nothing was written. Choose a file outside it"
            )
    return None


def write_file(path: Path, write: Callable[[TextIO], int]) -> int:
    """Write through a temporary file beside ``path``, then rename: never half a file.

    Returns what ``write`` returns; ExportError (nothing written) when the file
    cannot be written.
    """
    if path.is_dir():
        raise ExportError(f"{path}: is a directory")
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        # mkstemp makes the file private (0600); give it the mode a plain write would.
        with suppress(OSError):
            os.chmod(tmp, _file_mode(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            count = write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}; nothing was written") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _file_mode(path: Path) -> int:
    """An existing file's permissions, else what the umask gives a new file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask
