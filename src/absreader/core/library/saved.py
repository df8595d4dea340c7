"""Saved searches: named queries that behave like reading lists."""

from __future__ import annotations

import sqlite3

from absreader.core.clean import clean_line
from absreader.core.library.errors import LibraryError, NotFound
from absreader.core.models import SavedSearch

MAX_SEARCH_NAME = 80


def name_key(name: str) -> str:
    """The form saved-search names are compared in: case-folded, spaces collapsed."""
    return " ".join(clean_line(name).casefold().split())


def all_searches(conn: sqlite3.Connection) -> list[SavedSearch]:
    """Saved searches by name."""
    rows = conn.execute("SELECT name, query FROM saved_searches ORDER BY norm").fetchall()
    return [SavedSearch(name, query) for name, query in rows]


def get(conn: sqlite3.Connection, name: str) -> SavedSearch:
    """One saved search; NotFound if there is none by that name."""
    row = conn.execute(
        "SELECT name, query FROM saved_searches WHERE norm = ?", (name_key(name),)
    ).fetchone()
    if row is None:
        raise NotFound(f"no saved search named {name!r}")
    return SavedSearch(*row)


def check(name: str, query: str) -> SavedSearch:
    """The search as it will be kept, or LibraryError if the name or query is unusable."""
    shown = " ".join(clean_line(name).split())
    if not shown:
        raise LibraryError("saved search name is empty")
    if len(shown) > MAX_SEARCH_NAME:
        raise LibraryError(f"saved search name is too long (at most {MAX_SEARCH_NAME} characters)")
    text = clean_line(query)
    if not text:
        raise LibraryError("saved search query is empty")
    return SavedSearch(shown, text)


def put(conn: sqlite3.Connection, search: SavedSearch) -> None:
    """Create or replace a saved search."""
    conn.execute(
        "INSERT INTO saved_searches (name, norm, query) VALUES (?, ?, ?) "
        "ON CONFLICT(norm) DO UPDATE SET name = excluded.name, query = excluded.query",
        (search.name, name_key(search.name), search.query),
    )


def delete(conn: sqlite3.Connection, name: str) -> None:
    """Delete a saved search; NotFound if there is none by that name."""
    if not conn.execute("DELETE FROM saved_searches WHERE norm = ?", (name_key(name),)).rowcount:
        raise NotFound(f"no saved search named {name!r}")
