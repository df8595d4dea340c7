"""Reading lists (tags): the one tag rule, and tagging, renaming, merging, deleting.

``normalise_tag`` is the only place that decides when two tag names are the
same list; the search index uses it too, so ``list --tag "to read"`` and
``search 'tag:To-Read'`` always agree.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence

from absreader.core.clean import clean_line, fold
from absreader.core.library.errors import LibraryError, NotFound
from absreader.core.models import TagInfo

MAX_TAG_LENGTH = 80
_SEPARATORS = re.compile(r"[\s\-_]+")


def normalise_tag(name: str) -> str:
    """The form tags are compared in: case and accents folded, runs of spaces, ``-``
    and ``_`` made one ``-``: ``"To Read"``, ``"to-read"`` and ``"to_read"`` are one list."""
    return "-".join(part for part in _SEPARATORS.split(fold(clean_line(name))) if part)


def check_tag(name: str) -> str:
    """Return the tag as it will be shown, or raise LibraryError if it is unusable."""
    shown = " ".join(clean_line(name).split())
    if not shown or not normalise_tag(shown):
        raise LibraryError("tag name is empty")
    if len(shown) > MAX_TAG_LENGTH:
        raise LibraryError(
            f"tag name is too long ({len(shown)} characters, at most {MAX_TAG_LENGTH})"
        )
    return shown


def tag_paper(conn: sqlite3.Connection, paper_id: int, names: Iterable[str]) -> bool:
    """Put a paper on these lists (made as typed when new); True if anything changed."""
    changed = False
    for name in names:
        norm = normalise_tag(name)
        conn.execute("INSERT OR IGNORE INTO tags (name, norm) VALUES (?, ?)", (name, norm))
        tag_id = conn.execute("SELECT id FROM tags WHERE norm = ?", (norm,)).fetchone()[0]
        changed |= (
            conn.execute(
                "INSERT OR IGNORE INTO paper_tags (paper_id, tag_id) VALUES (?, ?)",
                (paper_id, tag_id),
            ).rowcount
            > 0
        )
    return changed


def untag_paper(conn: sqlite3.Connection, paper_id: int, names: Iterable[str]) -> bool:
    """Take a paper off these lists (the lists stay); True if anything changed."""
    removed = 0
    for name in names:
        removed += conn.execute(
            "DELETE FROM paper_tags WHERE paper_id = ? AND tag_id IN "
            "(SELECT id FROM tags WHERE norm = ?)",
            (paper_id, normalise_tag(name)),
        ).rowcount
    return removed > 0


def all_tags(conn: sqlite3.Connection) -> list[TagInfo]:
    """Every tag with its paper count and unread count, by name."""
    rows = conn.execute(
        "SELECT t.name, count(pt.paper_id), count(pt.paper_id) - coalesce(sum(p.read), 0) "
        "FROM tags t LEFT JOIN paper_tags pt ON pt.tag_id = t.id "
        "LEFT JOIN papers p ON p.id = pt.paper_id GROUP BY t.id ORDER BY t.norm"
    ).fetchall()
    return [TagInfo(name, count, unread) for name, count, unread in rows]


def tag_id(conn: sqlite3.Connection, name: str) -> int:
    """The row id of a tag; NotFound if there is none by that name."""
    row = conn.execute("SELECT id FROM tags WHERE norm = ?", (normalise_tag(name),)).fetchone()
    if row is None:
        raise NotFound(f"no tag named {name!r}")
    return row[0]


def create(conn: sqlite3.Connection, shown: str) -> None:
    """Make an empty list (nothing happens if one of that name exists)."""
    conn.execute(
        "INSERT OR IGNORE INTO tags (name, norm) VALUES (?, ?)", (shown, normalise_tag(shown))
    )


def rename(conn: sqlite3.Connection, seq: int, old: str, shown: str) -> int:
    """Rename a tag; if ``shown`` already exists the two merge. Returns papers touched."""
    old_id = tag_id(conn, old)
    target = conn.execute(
        "SELECT id FROM tags WHERE norm = ?", (normalise_tag(shown),)
    ).fetchone()
    conn.execute(
        "UPDATE papers SET seq = ? WHERE id IN (SELECT paper_id FROM paper_tags WHERE tag_id = ?)",
        (seq, old_id),
    )
    count = conn.execute(
        "SELECT count(*) FROM paper_tags WHERE tag_id = ?", (old_id,)
    ).fetchone()[0]
    if target and target[0] != old_id:
        conn.execute(
            "INSERT OR IGNORE INTO paper_tags (paper_id, tag_id) "
            "SELECT paper_id, ? FROM paper_tags WHERE tag_id = ?",
            (target[0], old_id),
        )
        conn.execute("DELETE FROM tags WHERE id = ?", (old_id,))
    else:
        conn.execute(
            "UPDATE tags SET name = ?, norm = ? WHERE id = ?",
            (shown, normalise_tag(shown), old_id),
        )
    return count


def delete(conn: sqlite3.Connection, seq: int, name: str) -> int:
    """Delete a tag; its papers stay in the library. Returns papers untagged."""
    the_id = tag_id(conn, name)
    count = conn.execute(
        "UPDATE papers SET seq = ? WHERE id IN (SELECT paper_id FROM paper_tags WHERE tag_id = ?)",
        (seq, the_id),
    ).rowcount
    conn.execute("DELETE FROM tags WHERE id = ?", (the_id,))
    return count


def filter_sql(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """WHERE clauses (and their parameters) keeping papers on every list named."""
    clauses = [
        "id IN (SELECT pt.paper_id FROM paper_tags pt JOIN tags t ON t.id = pt.tag_id "
        "WHERE t.norm = ?)"
    ] * len(names)
    return clauses, [normalise_tag(n) for n in names]
