"""Reading papers: by key, in batches, as filtered lists, and the counts the sidebar shows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from absreader.core.clean import display_title
from absreader.core.ids import parse_arxiv_id
from absreader.core.library import tags as tag_rules
from absreader.core.models import Paper

PAPER_COLUMNS = (
    "id, key, arxiv_id, version, title, abstract, authors, categories, published, updated, "
    "doi, journal_ref, comment, url, bookmarked, read, note, added, seq, untitled, "
    "entry_type, venue, cite_key"
)


def resolve(conn: sqlite3.Connection, key: str) -> int | None:
    """The row id for a key, an alias or an arXiv id in any form; None if unknown."""
    text = (key or "").strip()
    if not text:
        return None
    candidates = [text]
    ident = parse_arxiv_id(text)
    if ident:
        candidates.insert(0, ident.id)
    for cand in candidates:
        row = (
            conn.execute(
                "SELECT id FROM papers WHERE key = ? OR arxiv_id = ?", (cand, cand)
            ).fetchone()
            or conn.execute("SELECT paper_id FROM aliases WHERE alias = ?", (cand,)).fetchone()
        )
        if row:
            return row[0]
    return None


def by_ids(conn: sqlite3.Connection, ids: Sequence[int]) -> list[Paper]:
    """Papers for row ids, in the order given (unknown ids left out)."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT {PAPER_COLUMNS} FROM papers WHERE id IN ({marks})", list(ids)
    ).fetchall()
    tag_rows = conn.execute(
        f"SELECT pt.paper_id, t.name FROM paper_tags pt JOIN tags t ON t.id = pt.tag_id "
        f"WHERE pt.paper_id IN ({marks}) ORDER BY t.norm",
        list(ids),
    ).fetchall()
    source_rows = conn.execute(
        f"SELECT paper_id, source, line FROM sources WHERE paper_id IN ({marks}) ORDER BY rowid",
        list(ids),
    ).fetchall()
    alias_rows = conn.execute(
        f"SELECT paper_id, alias FROM aliases WHERE paper_id IN ({marks}) ORDER BY rowid",
        list(ids),
    ).fetchall()
    aliases: dict[int, list[str]] = {}
    for pid, alias in alias_rows:
        aliases.setdefault(pid, []).append(alias)
    tags: dict[int, list[str]] = {}
    for pid, name in tag_rows:
        tags.setdefault(pid, []).append(name)
    sources: dict[int, list[str]] = {}
    lines: dict[int, dict[str, int]] = {}
    for pid, source, line in source_rows:
        sources.setdefault(pid, []).append(source)
        lines.setdefault(pid, {})[source] = line
    order = {pid: i for i, pid in enumerate(ids)}
    papers = [
        row_to_paper(r, tags.get(r[0], []), sources.get(r[0], []), aliases.get(r[0], []))
        for r in rows
    ]
    for paper in papers:  # where in each source the paper was (0: not known, e.g. a backup)
        paper.extra["source_lines"] = lines.get(paper.extra["id"], {})
    papers.sort(key=lambda p: order[p.extra["id"]])
    return papers


def by_keys(conn: sqlite3.Connection, keys: Sequence[str]) -> list[Paper]:
    """Papers for exact keys, in the order given; unknown keys are left out."""
    by_key: dict[str, Paper] = {}
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(f"SELECT id FROM papers WHERE key IN ({marks})", chunk).fetchall()
        for paper in by_ids(conn, [r[0] for r in rows]):
            by_key[paper.key] = paper
    return [by_key[k] for k in keys if k in by_key]


#: How each sort orders papers (every one ends on the row id, so the order is total).
ORDERS = {
    "newest": "sort_key DESC, untitled, id DESC",
    "oldest": "sort_key, untitled, id",
    "title": "untitled, title COLLATE NOCASE, id",
    "added": "added DESC, id DESC",
    "unread": "read, sort_key DESC, untitled, id DESC",
}


def filter_sql(
    tags: Sequence[str],
    bookmarked: bool | None,
    unread: bool | None,
    categories: Sequence[str] = (),
    years: Sequence[tuple[int, int]] = (),
) -> tuple[str, list[Any]]:
    """The WHERE clause for a list's filters: every tag, bookmark and read state, any of
    the categories (``cs`` takes ``cs.LG``), any of the year ranges."""
    where, params = tag_rules.filter_sql(tags)
    if bookmarked is not None:
        where.append("bookmarked = ?")
        params.append(int(bookmarked))
    if unread is not None:
        where.append("read = ?")
        params.append(int(not unread))
    if categories:
        ors = " OR ".join(["category = ? OR (category > ? AND category < ?)"] * len(categories))
        where.append(f"id IN (SELECT paper_id FROM paper_categories WHERE {ors})")
        for cat in categories:
            params += [cat, f"{cat}.", f"{cat}/"]  # "cs." < "cs.LG" < "cs/" in byte order
    if years:
        where.append("(" + " OR ".join(["year BETWEEN ? AND ?"] * len(years)) + ")")
        for lo, hi in years:
            params += [lo, hi]
    return (" WHERE " + " AND ".join(where)) if where else "", list(params)


def order_keys(conn: sqlite3.Connection, keys: Sequence[str], order: str) -> list[str]:
    """``keys`` in the order a sort gives (for search results shown by date or title)."""
    rows = conn.execute(
        "SELECT key FROM papers WHERE key IN (SELECT value FROM json_each(?)) "
        f"ORDER BY {ORDERS[order]}",
        (json.dumps(list(keys)),),
    )
    return [r[0] for r in rows]


def facets(
    conn: sqlite3.Connection,
    for_categories: tuple[str, Sequence[Any]],
    for_years: tuple[str, Sequence[Any]],
    top: int = 12,
    keys: Sequence[str] | None = None,
) -> dict:
    """The most common categories and the years of the papers selected, with counts.

    Each of ``for_categories`` and ``for_years`` is a ``filter_sql`` answer (WHERE
    clause and parameters); ``keys``, when given, narrows both to those papers.
    """

    def narrowed(where: str, params: Sequence[Any]) -> tuple[str, list[Any]]:
        if keys is None:
            return where, list(params)
        clause = "key IN (SELECT value FROM json_each(?))"
        glue = f"{where} AND {clause}" if where else f" WHERE {clause}"
        return glue, [*params, json.dumps(list(keys))]

    where, params = narrowed(*for_categories)
    if where:
        cats = conn.execute(
            f"SELECT category, count(*) FROM paper_categories WHERE paper_id IN "
            f"(SELECT id FROM papers{where}) "
            "GROUP BY category ORDER BY count(*) DESC, category LIMIT ?",
            (*params, top),
        ).fetchall()
    else:
        cats = conn.execute(
            "SELECT category, count(*) FROM paper_categories GROUP BY category "
            "ORDER BY count(*) DESC, category LIMIT ?",
            (top,),
        ).fetchall()
    where, params = narrowed(*for_years)
    years = conn.execute(
        f"SELECT year, count(*) FROM papers{where or ' WHERE 1'} AND year IS NOT NULL "
        "GROUP BY year ORDER BY year DESC",
        params,
    ).fetchall()
    return {"categories": [tuple(r) for r in cats], "years": [tuple(r) for r in years]}


def list_counts(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """(all, unread, bookmarked) from indexes alone: cheap enough for every refresh."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM papers), "
        "(SELECT count(*) FROM papers WHERE read = 0), "
        "(SELECT count(*) FROM papers WHERE bookmarked = 1)"
    ).fetchone()
    return row[0], row[1], row[2]


def stats(conn: sqlite3.Connection) -> dict[str, Any]:
    """Counts for `absreader stats`."""
    row = conn.execute(
        "SELECT count(*), count(arxiv_id), sum(untitled), sum(bookmarked), "
        "sum(read), sum(note != '') FROM papers"
    ).fetchone()
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "papers": row[0],
        "with_arxiv_id": row[1],
        "untitled": row[2] or 0,
        "bookmarked": row[3] or 0,
        "read": row[4] or 0,
        "unread": row[0] - (row[4] or 0),
        "with_note": row[5] or 0,
        "tags": one("SELECT count(*) FROM tags"),
        "saved_searches": one("SELECT count(*) FROM saved_searches"),
        "sources": one("SELECT count(DISTINCT source) FROM sources"),
    }


def row_to_paper(
    row: tuple, tags: list[str], sources: list[str], aliases: Sequence[str] = ()
) -> Paper:
    """A ``papers`` row (PAPER_COLUMNS) with its tags and sources as a Paper."""
    (
        pid,
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
        bookmarked,
        read,
        note,
        added,
        seq,
        untitled,
        entry_type,
        venue,
        cite_key,
    ) = row
    shown = title if title else display_title(arxiv_id, abstract)
    return Paper(
        key=key,
        title=title,
        display_title=shown,
        untitled=bool(untitled),
        abstract=abstract,
        arxiv_id=arxiv_id,
        version=version,
        authors=tuple(json.loads(authors)),
        categories=tuple(json.loads(categories)),
        published=published,
        updated=updated,
        doi=doi,
        journal_ref=journal_ref,
        comment=comment,
        url=url,
        entry_type=entry_type,
        venue=venue,
        cite_key=cite_key,
        sources=tuple(sources),
        aliases=tuple(aliases),
        tags=tuple(tags),
        bookmarked=bool(bookmarked),
        read=bool(read),
        note=note,
        added=added,
        seq=seq,
        extra={"id": pid},
    )
