"""Resume markers: a rerun of an interrupted import continues where it stopped.

After every committed batch the importer records, in the library's meta
table, how many records of the file it has taken in, keyed by the file's
absolute path and checked against its size, modification time and the
import's options. A rerun of the same import on the same, unchanged file
skips that many records (they are parsed, not written: much cheaper than
merging them into themselves again). A finished import removes its marker;
a changed file or different options simply start from the beginning, which
is always safe because records merge into the papers they already made.

The marker is written just after its batch commits, so after a crash it is
at most one batch behind: that batch is read again and merges harmlessly.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PREFIX = "import-resume:"


@dataclass(frozen=True)
class ResumePoint:
    """Where an earlier run of this import stopped: records already taken in."""

    records: int
    added: int
    merged: int


def _key(path: Path) -> str:
    return _PREFIX + str(Path(path).resolve())


def _stamp(path: Path, options: Any) -> dict[str, Any] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return {
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "format": getattr(options, "format", None),
        "tags": list(getattr(options, "tags", ())),
        "categories": list(getattr(options, "categories", ())),
        "since": str(getattr(options, "since", None) or ""),
    }


def load(library: Any, path: Path, options: Any) -> ResumePoint | None:
    """The resume point of an interrupted run of this import, if the file is unchanged."""
    stamp = _stamp(path, options)
    raw = library.get_meta(_key(path))
    if stamp is None or not raw:
        return None
    try:
        data = json.loads(raw)
        if any(data.get(name) != value for name, value in stamp.items()):
            return None
        return ResumePoint(int(data["records"]), int(data["added"]), int(data["merged"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def save(library: Any, path: Path, options: Any, records: int, added: int, merged: int) -> None:
    """Record that the first ``records`` records of ``path`` are in the library."""
    stamp = _stamp(path, options)
    if stamp is None:
        return
    stamp.update(records=records, added=added, merged=merged)
    library.set_meta(_key(path), json.dumps(stamp))


def clear(library: Any, path: Path) -> None:
    """Forget the marker (the import finished)."""
    if library.get_meta(_key(path)) is not None:
        library.set_meta(_key(path), "")
