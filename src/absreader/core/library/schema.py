"""The library's SQLite schema and its migrations, one function per version step."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from absreader.core import dedupe

SCHEMA_VERSION = 10


def _run(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one (executescript would commit the open transaction)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT OR IGNORE INTO meta (name, value) VALUES ('seq', '0');
        CREATE TABLE papers (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            arxiv_id TEXT UNIQUE,
            version TEXT,
            title TEXT NOT NULL DEFAULT '',
            title_norm TEXT NOT NULL DEFAULT '',
            untitled INTEGER NOT NULL DEFAULT 0,
            abstract TEXT NOT NULL DEFAULT '',
            authors TEXT NOT NULL DEFAULT '[]',
            categories TEXT NOT NULL DEFAULT '[]',
            published TEXT,
            updated TEXT,
            doi TEXT,
            journal_ref TEXT,
            comment TEXT,
            url TEXT,
            bookmarked INTEGER NOT NULL DEFAULT 0,
            read INTEGER NOT NULL DEFAULT 0,
            note TEXT NOT NULL DEFAULT '',
            added TEXT NOT NULL,
            sort_key TEXT NOT NULL DEFAULT '',
            seq INTEGER NOT NULL
        );
        CREATE INDEX papers_title_norm ON papers (title_norm) WHERE title_norm != '';
        CREATE INDEX papers_seq ON papers (seq);
        CREATE INDEX papers_order ON papers (sort_key DESC, id DESC);
        CREATE INDEX papers_bookmarked ON papers (bookmarked) WHERE bookmarked = 1;
        CREATE TABLE aliases (
            alias TEXT PRIMARY KEY,
            paper_id INTEGER NOT NULL REFERENCES papers (id) ON DELETE CASCADE
        );
        CREATE TABLE deleted (key TEXT PRIMARY KEY, seq INTEGER NOT NULL);
        CREATE TABLE sources (
            paper_id INTEGER NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            line INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (paper_id, source)
        );
        CREATE TABLE fingerprints (
            fp INTEGER NOT NULL,
            paper_id INTEGER NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
            PRIMARY KEY (fp, paper_id)
        ) WITHOUT ROWID;
        CREATE INDEX fingerprints_paper ON fingerprints (paper_id);
        CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL, norm TEXT NOT NULL UNIQUE);
        CREATE TABLE paper_tags (
            paper_id INTEGER NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
            PRIMARY KEY (paper_id, tag_id)
        ) WITHOUT ROWID;
        CREATE INDEX paper_tags_tag ON paper_tags (tag_id);
        CREATE TABLE saved_searches (
            norm TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            query TEXT NOT NULL
        );
        """,
    )


def _v2(conn: sqlite3.Connection) -> None:
    """Index read state, so the Unread count and list never scan the papers table."""
    conn.execute("CREATE INDEX IF NOT EXISTS papers_read ON papers (read, sort_key DESC, id DESC)")


def _v3(conn: sqlite3.Connection) -> None:
    """One tag rule: re-key every tag with ``normalise_tag`` (case, accents, space, ``-``
    and ``_`` folded), merging lists that now share a key into the oldest one."""
    from absreader.core.library.tags import normalise_tag  # the rule lives with the tags

    keep: dict[str, int] = {}
    for tag_id, name in conn.execute("SELECT id, name FROM tags ORDER BY id").fetchall():
        norm = normalise_tag(name) or f"tag-{tag_id}"
        if norm in keep:
            conn.execute(
                "INSERT OR IGNORE INTO paper_tags (paper_id, tag_id) "
                "SELECT paper_id, ? FROM paper_tags WHERE tag_id = ?",
                (keep[norm], tag_id),
            )
            conn.execute("DELETE FROM tags WHERE id = ?", (tag_id,))
        else:
            keep[norm] = tag_id
            conn.execute("UPDATE tags SET norm = ? WHERE id = ?", (f"\x00{tag_id}", tag_id))
    for norm, tag_id in keep.items():
        conn.execute("UPDATE tags SET norm = ? WHERE id = ?", (norm, tag_id))


def _v4(conn: sqlite3.Connection) -> None:
    """Sorting and facets from indexes: every paper gets a sort date (its first version's,
    else its id's month, else the day it was added) and a year; categories get a table."""
    import json

    _run(
        conn,
        """
        ALTER TABLE papers ADD COLUMN year INTEGER;
        UPDATE papers SET sort_key = substr(added, 1, 10) WHERE sort_key = '';
        UPDATE papers SET year = CAST(substr(sort_key, 1, 4) AS INTEGER)
            WHERE substr(sort_key, 1, 4) GLOB '[0-9][0-9][0-9][0-9]';
        CREATE INDEX papers_newest ON papers (sort_key DESC, untitled, id DESC);
        CREATE INDEX papers_added ON papers (added DESC, id DESC);
        CREATE INDEX papers_year ON papers (year);
        CREATE TABLE paper_categories (
            category TEXT NOT NULL,
            paper_id INTEGER NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
            PRIMARY KEY (category, paper_id)
        ) WITHOUT ROWID;
        CREATE INDEX paper_categories_paper ON paper_categories (paper_id)
        """,
    )
    rows = conn.execute("SELECT id, categories FROM papers WHERE categories != '[]'")
    conn.executemany(
        "INSERT OR IGNORE INTO paper_categories (category, paper_id) VALUES (?, ?)",
        [(cat, pid) for pid, cats in rows for cat in json.loads(cats)],
    )


def _v5(conn: sqlite3.Connection) -> None:
    """Fingerprints as small sketches stored block by block (bounded writes per import).

    The old table keyed ~51 random hashes a paper by ``fp`` alone, so every
    import batch dirtied pages all over it. The new one is keyed by the paper
    id's block first; every paper is fingerprinted again with the new sketch.
    """
    _run(
        conn,
        """
        DROP TABLE IF EXISTS fingerprints;
        CREATE TABLE fingerprints (
            gen INTEGER NOT NULL,
            fp INTEGER NOT NULL,
            paper_id INTEGER NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
            PRIMARY KEY (gen, fp, paper_id)
        ) WITHOUT ROWID;
        CREATE INDEX fingerprints_paper ON fingerprints (paper_id);
        """,
    )
    dedupe.rebuild(conn)



# ---- feeds (issue 14): subscriptions, their state, and which papers a fetch brought in.
def _v6(conn: sqlite3.Connection) -> None:
    """Feeds: one row per source fetched (subscribed or not), fetch runs, papers they added.

    The SQL that reads and writes these tables lives in ``core/feeds/state.py``.
    """
    _run(
        conn,
        """
        CREATE TABLE feeds (
            source TEXT PRIMARY KEY,
            tag TEXT,
            subscribed INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL,
            last_attempt TEXT,
            last_success TEXT,
            last_added INTEGER NOT NULL DEFAULT 0,
            total_added INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            validator_url TEXT,
            etag TEXT,
            last_modified TEXT,
            oai_from TEXT
        );
        CREATE TABLE feed_runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL);
        CREATE TABLE feed_papers (
            paper_id INTEGER PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            run INTEGER NOT NULL,
            fetched TEXT NOT NULL
        );
        CREATE INDEX feed_papers_run ON feed_papers (run);
        """,
    )


def _v7(conn: sqlite3.Connection) -> None:
    """Bibliographic fields a BibTeX, CSV or RIS file carries: entry type, venue, citation key."""
    for column in ("entry_type", "venue", "cite_key"):
        conn.execute(f"ALTER TABLE papers ADD COLUMN {column} TEXT")


def _v8(conn: sqlite3.Connection) -> None:
    """A paper's year is its date's or its arXiv id's, never the day it was added (v4 gave
    undated papers the year they came in; they sort by it still, but have no year); the
    title index carries the arXiv id."""
    conn.execute(
        "UPDATE papers SET year = NULL WHERE (published IS NULL OR published = '') "
        "AND NOT coalesce(arxiv_id, '') GLOB '[0-9][0-9][0-9][0-9].*'"
    )
    # A record with an arXiv id can only merge by title into a paper without one: the
    # title index carries the id, so that lookup skips same-titled papers that have one
    # (thousands for "Erratum"-like titles) without reading their rows.
    conn.execute("DROP INDEX IF EXISTS papers_title_norm")
    conn.execute(
        "CREATE INDEX papers_title_norm ON papers (title_norm, arxiv_id) WHERE title_norm != ''"
    )


def _v9(conn: sqlite3.Connection) -> None:
    """``papers_order`` (v1's newest-first index) went unused once ``papers_newest`` came:
    one index fewer for every paper an import adds."""
    conn.execute("DROP INDEX IF EXISTS papers_order")


def _v10(conn: sqlite3.Connection) -> None:
    """Aliases by paper: reading a batch of papers (an index build reads every paper in
    batches) looked up their aliases with a scan of the whole table each time."""
    conn.execute("CREATE INDEX IF NOT EXISTS aliases_paper ON aliases (paper_id)")


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _v1, 2: _v2, 3: _v3, 4: _v4, 5: _v5, 6: _v6, 7: _v7, 8: _v8, 9: _v9, 10: _v10,
}  # fmt: skip


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to SCHEMA_VERSION, each step in its own transaction."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"the library has schema version {version}, written by a newer absreader "
            f"(this one understands {SCHEMA_VERSION}); upgrade absreader"
        )
    while version < SCHEMA_VERSION:
        step = MIGRATIONS[version + 1]
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] == version:
                step(conn)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version = conn.execute("PRAGMA user_version").fetchone()[0]
