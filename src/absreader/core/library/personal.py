"""Personal data on a paper: bookmark, read state and note."""

from __future__ import annotations

import sqlite3
from typing import Any

from absreader.core.library.errors import LibraryError
from absreader.core.library.records import clean_note

MAX_NOTE_LENGTH = 100_000
#: The columns personal data lives in, and how a value is stored.
COLUMNS = {"bookmarked": int, "read": int, "note": str}


def check_note(text: str) -> str:
    """The note as it will be kept, or LibraryError if it is too long."""
    note = clean_note(text)
    if len(note) > MAX_NOTE_LENGTH:
        raise LibraryError(f"note is too long ({len(note)} characters, at most {MAX_NOTE_LENGTH})")
    return note


def set_column(conn: sqlite3.Connection, seq: int, paper_ids: list[int], column: str, value: Any) -> int:
    """Set one personal column on these papers; returns how many changed."""
    if column not in COLUMNS:
        raise ValueError(column)
    stored = COLUMNS[column](value)
    changed = 0
    for start in range(0, len(paper_ids), 500):
        chunk = paper_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        changed += conn.execute(
            f"UPDATE papers SET {column} = ?, seq = ? WHERE id IN ({marks}) AND {column} IS NOT ?",
            (stored, seq, *chunk, stored),
        ).rowcount
    return changed
