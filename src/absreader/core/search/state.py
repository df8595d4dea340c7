"""The index's state from its marker files alone: no Whoosh import, no segment opened.

``absreader stats`` and other commands that do not search ask this, so they
start without loading Whoosh (about 130 ms of CPU). ``SearchIndex.state()``
starts from the same answer and then reads the table of contents and the
segment headers, which only the search code can do.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

#: Bump when the schema, the analysis or the on-disk layout changes: an index
#: written with another version reports ``state() == "outdated"`` and is rebuilt.
SCHEMA_VERSION = 1
CURRENT_FILE = "CURRENT"
META_FILE = "meta.json"
GENERATION = re.compile(r"^g(\d{6})(\.new)?$")


def current_name(index_dir: Path) -> str | None:
    """The live generation's folder name, from the ``CURRENT`` marker (None when none)."""
    try:
        name = (index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name if GENERATION.match(name) and not name.endswith(".new") else None


def build_dirs(index_dir: Path) -> list[Path]:
    """Folders of builds in progress (or killed): ``gNNNNNN.new``."""
    try:
        return [p for p in index_dir.iterdir() if p.is_dir() and p.name.endswith(".new")]
    except OSError:
        return []


def read_meta(folder: Path) -> dict[str, Any] | None:
    """A generation's ``meta.json`` (None when missing or unreadable)."""
    try:
        data = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def quick_state(index_dir: Path) -> str:
    """ "ok", "missing", "incomplete", "corrupt" or "outdated", from the markers only.

    "ok" here means the live generation is complete and of this version with
    its table of contents present; a segment damaged inside is only found by
    ``SearchIndex.state()`` (and repaired by the next search).
    """
    index_dir = Path(index_dir)
    current = current_name(index_dir)
    if current is None:
        return "incomplete" if index_dir.is_dir() and build_dirs(index_dir) else "missing"
    folder = index_dir / current
    if not folder.is_dir():
        return "corrupt"
    meta = read_meta(folder)
    if meta is None:
        return "corrupt"
    if meta.get("schema") != SCHEMA_VERSION:
        return "outdated"
    if not meta.get("complete"):
        return "incomplete"
    try:
        if not any(child.suffix == ".toc" for child in folder.iterdir()):
            return "corrupt"
    except OSError:
        return "corrupt"
    return "ok"
