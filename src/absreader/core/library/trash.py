"""Deleting papers, and undoing it: a deletion keeps everything it removed in the trash.

A deleted paper takes its personal data (bookmark, read state, note, tags) with
it; ``restore`` puts the last deletion back exactly as it was (same key, same
date added, same reading lists). The trash keeps the most recent deletions only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from absreader.core import dedupe
from absreader.core.library.merge import store_categories
from absreader.core.library.records import now
from absreader.core.library.tags import tag_paper

#: How many deletions the trash remembers (each can be undone, newest first).
KEEP_BATCHES = 20
_COLUMNS = (
    "id, key, arxiv_id, version, title, title_norm, untitled, abstract, authors, categories, "
    "published, updated, doi, journal_ref, comment, url, bookmarked, read, note, added, sort_key, year"
)


def ensure_table(conn: sqlite3.Connection) -> None:
    """The trash table (made on first use, so no migration is needed)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS trash (batch INTEGER NOT NULL, deleted TEXT NOT NULL, "
        "data TEXT NOT NULL)"
    )


def delete(conn: sqlite3.Connection, seq: int, paper_ids: Sequence[int]) -> int:
    """Delete papers, keeping what they held in the trash; returns how many went."""
    ensure_table(conn)
    batch = (conn.execute("SELECT coalesce(max(batch), 0) FROM trash").fetchone()[0] or 0) + 1
    names = [c.strip() for c in _COLUMNS.split(",")]
    when = now()
    gone = 0
    for paper_id in paper_ids:
        row = conn.execute(f"SELECT {_COLUMNS} FROM papers WHERE id = ?", (paper_id,)).fetchone()
        if row is None:
            continue
        data = dict(zip(names, row, strict=True))
        data["tags"] = [r[0] for r in conn.execute(
            "SELECT t.name FROM paper_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.paper_id = ?",
            (paper_id,),
        )]  # fmt: skip
        data["sources"] = conn.execute(
            "SELECT source, line FROM sources WHERE paper_id = ? ORDER BY rowid", (paper_id,)
        ).fetchall()
        data["aliases"] = [r[0] for r in conn.execute(
            "SELECT alias FROM aliases WHERE paper_id = ?", (paper_id,)
        )]  # fmt: skip
        conn.execute(
            "INSERT INTO trash (batch, deleted, data) VALUES (?, ?, ?)",
            (batch, when, json.dumps(data, ensure_ascii=False)),
        )
        conn.execute("INSERT OR REPLACE INTO deleted (key, seq) VALUES (?, ?)", (data["key"], seq))
        conn.execute("DELETE FROM papers WHERE id = ?", (paper_id,))
        gone += 1
    conn.execute("DELETE FROM trash WHERE batch <= ?", (batch - KEEP_BATCHES,))
    return gone


def restore(conn: sqlite3.Connection, seq: int) -> list[str]:
    """Put the most recent deletion back; returns the keys restored (none if the trash is empty).

    A paper whose key or arXiv id was taken meanwhile (imported again) stays as
    it is now; the rest come back whole.
    """
    ensure_table(conn)
    batch = conn.execute("SELECT max(batch) FROM trash").fetchone()[0]
    if batch is None:
        return []
    names = [c.strip() for c in _COLUMNS.split(",")]
    restored: list[str] = []
    for (text,) in conn.execute("SELECT data FROM trash WHERE batch = ? ORDER BY rowid", (batch,)).fetchall():
        data = json.loads(text)
        taken = conn.execute(
            "SELECT 1 FROM papers WHERE id = ? OR key = ? OR (arxiv_id IS NOT NULL AND arxiv_id = ?)",
            (data["id"], data["key"], data["arxiv_id"]),
        ).fetchone()
        if taken:
            continue
        values = [data[n] for n in names]
        marks = ",".join("?" * (len(names) + 1))
        conn.execute(f"INSERT INTO papers ({_COLUMNS}, seq) VALUES ({marks})", (*values, seq))
        pid = data["id"]
        conn.executemany(
            "INSERT OR IGNORE INTO sources (paper_id, source, line) VALUES (?, ?, ?)",
            [(pid, s, line) for s, line in data["sources"]],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO aliases (alias, paper_id) VALUES (?, ?)",
            [(a, pid) for a in data["aliases"]],
        )
        tag_paper(conn, pid, data["tags"])
        store_categories(conn, pid, json.loads(data["categories"]))
        if data["abstract"]:
            dedupe.store(conn, pid, data["abstract"])
        restored.append(data["key"])
    conn.execute("DELETE FROM trash WHERE batch = ?", (batch,))
    return restored
