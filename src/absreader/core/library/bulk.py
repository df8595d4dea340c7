"""Personal data on many papers at once: one statement per change, keys in, changed keys out.

The reader's bulk actions (mark all shown read, bookmark or tag a selection)
come through here. Each function runs inside the caller's one transaction and
returns exactly the papers whose state changed, so an undo can restore those
and only those. Keys travel to SQLite as one JSON array (``json_each``), never
one query per paper.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from absreader.core.library import tags as tag_rules

#: The personal columns a bulk change may set.
FLAGS = ("read", "bookmarked")
_IN_KEYS = "key IN (SELECT value FROM json_each(?))"


@dataclass(frozen=True)
class TagsChanged:
    """What a bulk tag change did: per tag (as shown), the keys it was added to or removed from."""

    added: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)
    #: Tags that did not exist before this change (an undo may drop them again).
    created: list[str] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        """Every paper touched, once."""
        seen: dict[str, None] = {}
        for group in (*self.added.values(), *self.removed.values()):
            seen.update(dict.fromkeys(group))
        return list(seen)


def set_flag(conn: sqlite3.Connection, seq: int, keys: Sequence[str], column: str, on: bool) -> list[str]:
    """Set ``read`` or ``bookmarked`` on these papers; the keys whose value changed."""
    if column not in FLAGS:
        raise ValueError(column)
    rows = conn.execute(
        f"UPDATE papers SET {column} = ?, seq = ? WHERE {_IN_KEYS} AND {column} != ? RETURNING key",
        (int(on), seq, json.dumps(list(keys)), int(on)),
    ).fetchall()
    return [r[0] for r in rows]


def unread_among(conn: sqlite3.Connection, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` are unread (one indexed query)."""
    rows = conn.execute(
        f"SELECT key FROM papers WHERE {_IN_KEYS} AND read = 0", (json.dumps(list(keys)),)
    )
    return {r[0] for r in rows}


def change_tags(
    conn: sqlite3.Connection,
    seq: int,
    keys: Sequence[str],
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> TagsChanged:
    """Put these papers on the ``add`` lists and take them off the ``remove`` lists."""
    wanted = json.dumps(list(keys))
    result = TagsChanged()
    touched: set[int] = set()
    for name in add:
        shown = tag_rules.check_tag(name)
        norm = tag_rules.normalise_tag(shown)
        row = conn.execute("SELECT id, name FROM tags WHERE norm = ?", (norm,)).fetchone()
        if row is None:
            tag_id = conn.execute(
                "INSERT INTO tags (name, norm) VALUES (?, ?)", (shown, norm)
            ).lastrowid
            result.created.append(shown)
        else:
            tag_id, shown = row
        rows = conn.execute(
            f"SELECT id, key FROM papers WHERE {_IN_KEYS} AND id NOT IN "
            "(SELECT paper_id FROM paper_tags WHERE tag_id = ?)",
            (wanted, tag_id),
        ).fetchall()
        conn.executemany(
            "INSERT INTO paper_tags (paper_id, tag_id) VALUES (?, ?)", [(r[0], tag_id) for r in rows]
        )
        if rows:
            result.added[shown] = [r[1] for r in rows]
            touched.update(r[0] for r in rows)
    for name in remove:
        row = conn.execute(
            "SELECT id, name FROM tags WHERE norm = ?", (tag_rules.normalise_tag(name),)
        ).fetchone()
        if row is None:
            continue
        tag_id, shown = row
        rows = conn.execute(
            f"SELECT id, key FROM papers WHERE {_IN_KEYS} AND id IN "
            "(SELECT paper_id FROM paper_tags WHERE tag_id = ?)",
            (wanted, tag_id),
        ).fetchall()
        conn.execute(
            "DELETE FROM paper_tags WHERE tag_id = ? AND paper_id IN (SELECT value FROM json_each(?))",
            (tag_id, json.dumps([r[0] for r in rows])),
        )
        if rows:
            result.removed[shown] = [r[1] for r in rows]
            touched.update(r[0] for r in rows)
    if touched:
        conn.execute(
            "UPDATE papers SET seq = ? WHERE id IN (SELECT value FROM json_each(?))",
            (seq, json.dumps(sorted(touched))),
        )
    return result


def drop_empty_tags(conn: sqlite3.Connection, names: Sequence[str]) -> None:
    """Delete these tags if no paper carries them (undoing a change that created them)."""
    for name in names:
        conn.execute(
            "DELETE FROM tags WHERE norm = ? AND id NOT IN (SELECT tag_id FROM paper_tags)",
            (tag_rules.normalise_tag(name),),
        )
