"""Correcting a paper's title, authors and year (scraped records come with errors)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from absreader.core.clean import clean_line, normalise_title
from absreader.core.library.errors import LibraryError
from absreader.core.library.records import paper_year, sort_key


def edit(
    conn: sqlite3.Connection,
    seq: int,
    paper_id: int,
    *,
    title: str | None = None,
    authors: list[str] | None = None,
    year: int | None = None,
    published: str | None = None,
    untitled: bool = False,
) -> bool:
    """Set the fields given (None leaves a field as it is); True if anything changed.

    The edit is the paper's own from then on: a later import only fills gaps,
    so it never puts the old value back. Undoing an edit puts back what it
    replaced exactly: ``published`` (the stored date as it was, instead of
    ``year``) and ``untitled`` (no title again, instead of ``title``).
    """
    row = conn.execute(
        "SELECT title, authors, published, arxiv_id, added FROM papers WHERE id = ?", (paper_id,)
    ).fetchone()
    old_title, old_authors, old_published, arxiv_id, added = row
    changes: dict[str, Any] = {}
    if untitled:
        if old_title:
            changes.update(title="", title_norm="", untitled=1)
    elif title is not None:
        shown = clean_line(title)
        if not shown:
            raise LibraryError("title is empty (a paper without one shows its abstract's start)")
        if shown != old_title:
            changes.update(title=shown, title_norm=normalise_title(shown), untitled=0)
    if authors is not None:
        names = [a for a in (clean_line(x) for x in authors) if a]
        if json.dumps(names, ensure_ascii=False) != old_authors:
            changes["authors"] = json.dumps(names, ensure_ascii=False)
    if published is not None:
        if published != (old_published or ""):
            changes["published"] = published or None
            changes["sort_key"] = sort_key(published or None, arxiv_id, added)
            changes["year"] = paper_year(published or None, arxiv_id)
    elif year is not None:
        if not 1000 <= year <= 9999:
            raise LibraryError(f"year {year} is not a four-digit year")
        if not (old_published or "").startswith(str(year)):
            changes["published"] = str(year)
            changes["sort_key"] = sort_key(str(year), arxiv_id, added)
            changes["year"] = year
    if not changes:
        return False
    changes["seq"] = seq
    sets = ", ".join(f"{name} = ?" for name in changes)
    conn.execute(f"UPDATE papers SET {sets} WHERE id = ?", (*changes.values(), paper_id))
    return True
