"""Identity and merging: which stored paper a record is, and how a record fills its gaps.

The rule (DESIGN.md, "Identity and merging"): the same arXiv id is the same
paper; the same normalised title, with no conflicting ids, is the same paper
only when the abstracts are near-duplicates or one side has none; a title-less
record whose abstract matches a stored paper is that paper.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from absreader.core import dedupe
from absreader.core.ids import parse_arxiv_id
from absreader.core.library.errors import LibraryError
from absreader.core.library.records import Clean, clean_record, now, paper_year, sort_key
from absreader.core.library.tags import check_tag, tag_paper
from absreader.core.models import Record


@dataclass
class UpsertStats:
    """What one batch of records did to the library."""

    added: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: int = 0


def upsert(
    conn: sqlite3.Connection, seq: int, records: Iterable[Record], extra_tags: Sequence[str]
) -> UpsertStats:
    """Add or merge records inside the caller's transaction."""
    stats = UpsertStats()
    for record in records:
        clean = clean_record(record)
        if clean is None:
            stats.skipped += 1
            continue
        paper_id = find(conn, clean)
        if paper_id is None:
            paper_id = insert(conn, clean, seq)
            stats.added += 1
        elif merge(conn, paper_id, clean, seq):
            stats.merged += 1
        else:
            stats.unchanged += 1
        apply_personal(conn, paper_id, clean, extra_tags, seq)
    return stats


def find(conn: sqlite3.Connection, rec: Clean) -> int | None:
    """The stored paper this record is, or None for a new paper."""
    if rec.arxiv_id:
        row = conn.execute("SELECT id FROM papers WHERE arxiv_id = ?", (rec.arxiv_id,)).fetchone()
        if row:
            return row[0]
    if rec.title_norm:
        # The "!= ''" lets SQLite use the partial index (else: a full scan per record). A
        # record with an arXiv id only merges by title into a paper without one, and the
        # index (title_norm, arxiv_id) finds just those: a title shared by a thousand
        # papers costs one index probe, not a thousand rows read.
        sql = "SELECT id, arxiv_id, abstract FROM papers WHERE title_norm = ? AND title_norm != ''"
        if rec.arxiv_id:
            sql += " AND arxiv_id IS NULL"
        rows = conn.execute(sql, (rec.title_norm,)).fetchall()
        for paper_id, arxiv_id, abstract in rows:
            # Same title is not same paper ("Erratum"): the abstracts must agree too.
            if (
                (not arxiv_id or not rec.arxiv_id)
                and dedupe.same_or_missing(rec.abstract, abstract)
                and not keys_conflict(conn, paper_id, rec)
            ):
                return paper_id
    if rec.abstract and (not rec.title or not rec.arxiv_id):
        for paper_id in dedupe.candidates(conn, rec.abstract):
            row = conn.execute(
                "SELECT arxiv_id, title_norm, abstract FROM papers WHERE id = ?", (paper_id,)
            ).fetchone()
            arxiv_id, title_norm, abstract = row
            if rec.arxiv_id and arxiv_id and rec.arxiv_id != arxiv_id:
                continue
            if rec.title_norm and title_norm and rec.title_norm != title_norm:
                continue
            if dedupe.same_abstract(rec.abstract, abstract) and not keys_conflict(
                conn, paper_id, rec
            ):
                return paper_id
    return None


def keys_conflict(conn: sqlite3.Connection, paper_id: int, rec: Clean) -> bool:
    """Two entries of one file under different citation keys are two papers.

    The same paper in two files often has two keys (Zotero's and Scholar's), so
    only entries from the same file count as conflicting.
    """
    if not rec.cite_key:
        return False
    row = conn.execute("SELECT cite_key FROM papers WHERE id = ?", (paper_id,)).fetchone()
    if not row or not row[0] or row[0] == rec.cite_key:
        return False
    return (
        conn.execute(
            "SELECT 1 FROM sources WHERE paper_id = ? AND source = ?", (paper_id, rec.source)
        ).fetchone()
        is not None
    )


def key_taken(conn: sqlite3.Connection, key: str) -> bool:
    """Is ``key`` some paper's key, arXiv id or alias?"""
    return (
        conn.execute(
            "SELECT 1 FROM papers WHERE key = ? OR arxiv_id = ? "
            "UNION SELECT 1 FROM aliases WHERE alias = ?",
            (key, key, key),
        ).fetchone()
        is not None
    )


def add_sources_and_aliases(conn: sqlite3.Connection, paper_id: int, key: str, rec: Clean) -> int:
    """Record where the paper came from and the keys it answers to; how many sources were new.

    A backup lists the files the paper first came from: those are kept instead
    of the backup file itself. A citation key, a backup's aliases and its old
    key become aliases, so ``absreader show vaswani_attention_2017`` finds it.
    """
    sources = [(s, 0) for s in rec.sources] or [(rec.source, rec.line)]
    added = 0
    for source, line in sources:
        added += conn.execute(
            "INSERT OR IGNORE INTO sources (paper_id, source, line) VALUES (?, ?, ?)",
            (paper_id, source, line),
        ).rowcount
    for alias in dict.fromkeys((*rec.aliases, rec.key, rec.cite_key)):
        if alias and alias != key and not parse_arxiv_id(alias):
            conn.execute(
                "INSERT OR IGNORE INTO aliases (alias, paper_id) SELECT ?, ? WHERE NOT EXISTS "
                "(SELECT 1 FROM papers WHERE key = ?)",
                (alias, paper_id, alias),
            )
    return added


def new_key(conn: sqlite3.Connection, rec: Clean) -> str:
    """A stable key users can type: the arXiv id, else a short hash of the title or abstract."""
    if rec.arxiv_id:
        return rec.arxiv_id
    if rec.key and not parse_arxiv_id(rec.key) and not key_taken(conn, rec.key):
        return rec.key  # a backup restores the key the paper had
    base = "p" + dedupe.short_hash(rec.title_norm or dedupe.despace(rec.abstract))
    key, n = base, 1
    while conn.execute(
        "SELECT 1 FROM papers WHERE key = ? UNION SELECT 1 FROM aliases WHERE alias = ?",
        (key, key),
    ).fetchone():
        n += 1
        key = f"{base}-{n}"
    return key


def insert(conn: sqlite3.Connection, rec: Clean, seq: int) -> int:
    """Store a new paper; returns its row id."""
    key = new_key(conn, rec)
    added = rec.added or now()
    order = sort_key(rec.published, rec.arxiv_id, added)
    paper_id = conn.execute(
        "INSERT INTO papers (key, arxiv_id, version, title, title_norm, abstract, authors, "
        "categories, published, updated, doi, journal_ref, comment, url, added, seq, sort_key, "
        "untitled, year, entry_type, venue, cite_key) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
        (
            key,
            rec.arxiv_id,
            rec.version,
            rec.title,
            rec.title_norm,
            rec.abstract,
            json.dumps(list(rec.authors), ensure_ascii=False),
            json.dumps(list(rec.categories), ensure_ascii=False),
            rec.published,
            rec.updated,
            rec.doi,
            rec.journal_ref,
            rec.comment,
            rec.url,
            added,
            seq,
            order,
            int(not rec.title),
            paper_year(rec.published, rec.arxiv_id),
            rec.entry_type,
            rec.venue,
            rec.cite_key,
        ),
    ).fetchone()[0]
    store_categories(conn, paper_id, rec.categories)
    add_sources_and_aliases(conn, paper_id, key, rec)
    if rec.abstract:
        dedupe.store(conn, paper_id, rec.abstract, new=True)
    return paper_id


def merge(conn: sqlite3.Connection, paper_id: int, rec: Clean, seq: int) -> bool:
    """Fill the paper's gaps from the record; True if anything changed."""
    row = conn.execute(
        "SELECT key, arxiv_id, version, title, abstract, authors, categories, published, "
        "updated, doi, journal_ref, comment, url, added, entry_type, venue, cite_key "
        "FROM papers WHERE id = ?",
        (paper_id,),
    ).fetchone()
    (
        key,
        arxiv_id,
        version,
        title,
        abstract,
        authors,
        categories,
        published,
        updated,
        doi,
        journal_ref,
        comment,
        url,
        added,
        entry_type,
        venue,
        cite_key,
    ) = row
    changes: dict[str, Any] = {}
    if rec.arxiv_id and not arxiv_id:
        changes["arxiv_id"] = rec.arxiv_id
        changes["key"] = rec.arxiv_id
        conn.execute(
            "INSERT OR IGNORE INTO aliases (alias, paper_id) VALUES (?, ?)", (key, paper_id)
        )
        conn.execute("INSERT OR REPLACE INTO deleted (key, seq) VALUES (?, ?)", (key, seq))
    if rec.version and (not version or int(rec.version) > int(version)):
        changes["version"] = rec.version
    if rec.title and not title:
        changes.update(title=rec.title, title_norm=rec.title_norm, untitled=0)
    if rec.abstract and (not abstract or len(rec.abstract) > len(abstract) * 1.5):
        changes["abstract"] = rec.abstract
    if rec.authors and not json.loads(authors):
        changes["authors"] = json.dumps(list(rec.authors), ensure_ascii=False)
    old_cats = json.loads(categories)
    merged_cats = list(dict.fromkeys([*old_cats, *rec.categories]))
    if merged_cats != old_cats:
        changes["categories"] = json.dumps(merged_cats, ensure_ascii=False)
        store_categories(conn, paper_id, rec.categories)
    for name, old, new in (
        ("published", published, rec.published),
        ("updated", updated, rec.updated),
        ("doi", doi, rec.doi),
        ("journal_ref", journal_ref, rec.journal_ref),
        ("comment", comment, rec.comment),
        ("url", url, rec.url),
        ("entry_type", entry_type, rec.entry_type),
        ("venue", venue, rec.venue),
        ("cite_key", cite_key, rec.cite_key),
    ):
        if new and not old:
            changes[name] = new
    if published and rec.published and len(rec.published) > len(published) and (
        rec.published.startswith(published)
    ):
        changes["published"] = rec.published  # "2017" made precise: "2017-06-12"
    if rec.added and rec.added < added:
        changes["added"] = rec.added  # a backup says when the paper first came in
    if "published" in changes or "arxiv_id" in changes:
        changes["sort_key"] = sort_key(
            changes.get("published", published), changes.get("arxiv_id", arxiv_id), added
        )
        changes["year"] = paper_year(
            changes.get("published", published), changes.get("arxiv_id", arxiv_id)
        )
    new_source = add_sources_and_aliases(conn, paper_id, changes.get("key", key), rec)
    if changes:
        changes["seq"] = seq
        sets = ", ".join(f"{name} = ?" for name in changes)
        conn.execute(f"UPDATE papers SET {sets} WHERE id = ?", (*changes.values(), paper_id))
        if "abstract" in changes:
            dedupe.store(conn, paper_id, changes["abstract"])
    elif new_source:
        conn.execute("UPDATE papers SET seq = ? WHERE id = ?", (seq, paper_id))
    return bool(changes) or bool(new_source)


def apply_personal(
    conn: sqlite3.Connection,
    paper_id: int,
    rec: Clean,
    extra_tags: Sequence[str],
    seq: int,
) -> None:
    """Tags, bookmark, read state and note a record carries (a backup's) join the paper's."""
    names = [*extra_tags]
    for tag in rec.tags:
        try:
            names.append(check_tag(tag))
        except LibraryError:
            continue
    changed = tag_paper(conn, paper_id, names)
    if rec.bookmarked:
        changed |= (
            conn.execute(
                "UPDATE papers SET bookmarked = 1 WHERE id = ? AND bookmarked = 0", (paper_id,)
            ).rowcount
            > 0
        )
    if rec.read:
        changed |= (
            conn.execute("UPDATE papers SET read = 1 WHERE id = ? AND read = 0", (paper_id,)).rowcount
            > 0
        )
    if rec.note:
        changed |= (
            conn.execute(
                "UPDATE papers SET note = ? WHERE id = ? AND note = ''", (rec.note, paper_id)
            ).rowcount
            > 0
        )
    if changed:
        conn.execute("UPDATE papers SET seq = ? WHERE id = ?", (seq, paper_id))


def store_categories(conn: sqlite3.Connection, paper_id: int, categories: Iterable[str]) -> None:
    """Index a paper's categories (what the sidebar's facets and ``--category`` read)."""
    conn.executemany(
        "INSERT OR IGNORE INTO paper_categories (category, paper_id) VALUES (?, ?)",
        [(c, paper_id) for c in categories],
    )
