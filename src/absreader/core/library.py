"""The library: the store of record (SQLite, WAL) for papers and personal data.

Papers, their sources, bookmarks, tags, read state, notes and saved searches
live here. Every write is one transaction (``BEGIN IMMEDIATE``); a busy timeout
lets two processes share the file. Each transaction takes the next value of a
global change counter (``seq``) and stamps it on every paper it touches, so the
derived search index can catch up with ``changed_since(seq)``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from absreader.core import dedupe
from absreader.core.clean import (
    clean_line,
    clean_text,
    display_title,
    normalise_title,
    strip_controls,
)
from absreader.core.ids import find_arxiv_id, parse_arxiv_id
from absreader.core.models import Paper, Record, SavedSearch, TagInfo
from absreader.core.schema import SCHEMA_VERSION, migrate

MAX_TAG_LENGTH = 80
MAX_NOTE_LENGTH = 100_000
MAX_SEARCH_NAME = 80


class LibraryError(Exception):
    """A problem a user can act on; ``str()`` is the message to show."""


class NotFound(LibraryError):
    """No paper matches the key."""


@dataclass
class UpsertStats:
    """What one batch of records did to the library."""

    added: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class Clean:
    """A record after cleaning: what the merge logic works on."""

    title: str
    title_norm: str
    abstract: str
    arxiv_id: str | None
    version: str | None
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    published: str | None
    updated: str | None
    doi: str | None
    journal_ref: str | None
    comment: str | None
    url: str | None
    source: str
    line: int
    tags: tuple[str, ...]
    bookmarked: bool | None
    read: bool | None
    note: str | None
    entry_type: str | None = None
    venue: str | None = None
    cite_key: str | None = None
    key: str | None = None
    added: str | None = None
    sources: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


def clean_record(record: Record) -> Clean | None:
    """Clean every field of a record; None when nothing identifies a paper."""
    title = clean_line(record.title)
    abstract = clean_text(record.abstract)
    ident = (
        parse_arxiv_id(record.arxiv_id) or find_arxiv_id(record.url) or find_arxiv_id(record.doi)
    )
    shown = display_title(ident.id if ident else None, abstract) if title and abstract else ""
    if shown and (ident or shown.endswith("…")) and normalise_title(title) == normalise_title(shown):
        title = ""  # absreader's own export of an untitled paper: its display title is no title
    version = record.version or (ident.version if ident else None)
    if version:
        version = version.lower().lstrip("v") or None
        if version and not version.isdigit():
            version = None
    if not title and not abstract and not ident:
        return None
    return Clean(
        title=title,
        title_norm=normalise_title(title),
        abstract=abstract,
        arxiv_id=ident.id if ident else None,
        version=version,
        authors=tuple(a for a in (clean_line(x) for x in record.authors) if a),
        categories=tuple(dict.fromkeys(c for c in (clean_line(x) for x in record.categories) if c)),
        published=_own_date(_date(record.published), ident.id if ident else None),
        updated=_date(record.updated),
        doi=clean_line(record.doi) or None,
        journal_ref=clean_line(record.journal_ref) or None,
        comment=clean_line(record.comment) or None,
        url=clean_line(record.url) or None,
        source=record.source,
        line=record.line,
        tags=tuple(t for t in (clean_line(x) for x in record.tags) if t),
        bookmarked=record.bookmarked,
        read=record.read,
        note=clean_note(record.note) if record.note is not None else None,
        **_bibliographic(record),
    )


_KEY = re.compile(r"[^\s{}(),=\\#%\"']{1,200}")
_ENTRY_TYPE = re.compile(r"[a-z][a-z0-9_-]{0,40}")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _bibliographic(record: Record) -> dict[str, Any]:
    """Entry type, venue and citation key; and from a backup, the key, added, sources, aliases."""
    keys = [k for k in (clean_line(x) for x in record.aliases) if _KEY.fullmatch(k)]
    cite_key = clean_line(record.cite_key)
    key = clean_line(record.key)
    entry_type = clean_line(record.entry_type).lower()
    added = clean_line(record.added)
    return {
        "entry_type": entry_type if _ENTRY_TYPE.fullmatch(entry_type) else None,
        "venue": clean_line(record.venue) or None,
        "cite_key": cite_key if _KEY.fullmatch(cite_key) else None,
        "key": key if _KEY.fullmatch(key) else None,
        "added": added if _TIMESTAMP.fullmatch(added) else None,
        "sources": tuple(dict.fromkeys(x for x in (clean_line(s) for s in record.sources) if x)),
        "aliases": tuple(dict.fromkeys(keys)),
    }


_BLANK_LINES = re.compile(r"\n{3,}")


def clean_note(text: str | None) -> str:
    """A note is the user's own text: escapes and controls go, NFC, but lines stay.

    Line breaks and each line's indentation are kept (notes are often Markdown);
    runs of spaces inside a line collapse, trailing spaces and runs of blank
    lines go.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", strip_controls(text))
    lines = []
    for line in text.split("\n"):
        body = line.lstrip(" \t")
        lines.append(line[: len(line) - len(body)] + " ".join(body.split()) if body else "")
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


_PARTIAL_DATE = re.compile(r"\d{4}(?:-\d\d(?:-\d\d)?)?")


def _date(value: str | None) -> str | None:
    """``YYYY-MM-DD``, or a partial ``YYYY-MM`` / ``YYYY`` kept at its precision."""
    match = _PARTIAL_DATE.match(clean_line(value))
    return match.group() if match else None


def _own_date(published: str | None, arxiv_id: str | None) -> str | None:
    """A partial date the arXiv id already implies (``2024`` for 2403.13043) is no date:
    the id says it, and exports write it from the id again."""
    if published and arxiv_id and len(published) < 10:
        implied = _sort_key(None, arxiv_id)
        if implied and implied.startswith(published):
            return None
    return published


def normalise_tag(name: str) -> str:
    """The form tags are compared in: case-folded, spaces collapsed."""
    return " ".join(clean_line(name).casefold().split())


def check_tag(name: str) -> str:
    """Return the tag as it will be shown, or raise LibraryError if it is unusable."""
    shown = " ".join(clean_line(name).split())
    if not shown:
        raise LibraryError("tag name is empty")
    if len(shown) > MAX_TAG_LENGTH:
        raise LibraryError(
            f"tag name is too long ({len(shown)} characters, at most {MAX_TAG_LENGTH})"
        )
    return shown


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sort_key(published: str | None, arxiv_id: str | None) -> str:
    """Newest-first ordering: the publication date, else the month in a new-style id."""
    if published:
        return published
    if arxiv_id and arxiv_id[:4].isdigit() and "." in arxiv_id:
        year = int(arxiv_id[:2])
        return f"{2000 + year if year < 91 else 1900 + year}-{arxiv_id[2:4]}"
    return ""


_PAPER_COLUMNS = (
    "id, key, arxiv_id, version, title, abstract, authors, categories, published, updated, "
    "doi, journal_ref, comment, url, bookmarked, read, note, added, seq, untitled, "
    "entry_type, venue, cite_key"
)


class Library:
    """The SQLite store of record. Thread-safe: one connection behind a lock."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.RLock()

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Library:
        """Open (and migrate) the library at ``path``; raise LibraryError if it is damaged.

        A damaged file is never replaced or repaired: the error names it and says
        how to start afresh. A new library is created whole beside ``path`` and
        linked into place, so a crash mid-creation never leaves an empty or
        half-made file where the library should be.
        """
        path = Path(path)
        if path.exists():
            if path.is_dir():
                raise LibraryError(f"{path}: is a directory, not a library file")
            _check_header(path)
        elif not create:
            raise LibraryError(f"{path}: no library yet (run `absreader import` first)")
        else:
            _create(path)
        try:
            conn = sqlite3.connect(
                str(path), timeout=30.0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise LibraryError(f"{path}: cannot open the library: {exc}") from None
        try:
            _configure(conn)
            migrate(conn)
            # A cheap look at what every start reads first: damage there is caught
            # here, with the message below, rather than half-way through a command.
            conn.execute("SELECT name, value FROM meta").fetchall()
            conn.execute("SELECT id, key FROM papers ORDER BY sort_key DESC, id DESC LIMIT 50").fetchall()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise _open_error(path, exc) from None
        return cls(conn, path)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[tuple[sqlite3.Connection, int]]:
        """One write transaction; yields the connection and this transaction's seq.

        Any failure rolls the whole transaction back; SQLite's errors (disk
        full, read-only, busy, damaged) become one LibraryError saying so.
        """
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                seq = conn.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE name = 'seq' "
                    "RETURNING CAST(value AS INTEGER)"
                ).fetchone()[0]
                yield conn, seq
                conn.execute("COMMIT")
            except BaseException as exc:
                # After a disk-full or I/O error SQLite may have rolled back already.
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if _is_storage_error(exc):
                    raise _db_error(self.path, exc, writing=True) from None  # type: ignore[arg-type]
                raise

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite's errors while reading (a damaged file, an I/O error) into LibraryError."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if not _is_storage_error(exc):
                raise
            raise _db_error(self.path, exc, writing=False) from None

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row | tuple]:
        with self._lock, self._guard():
            return self._conn.execute(sql, params).fetchall()

    # ---------------------------------------------------------------- importing

    def upsert(
        self, records: Iterable[Record], *, tags: Sequence[str] = (), dry_run: bool = False
    ) -> UpsertStats:
        """Add or merge a batch of records in one transaction."""
        extra_tags = [check_tag(t) for t in tags]
        stats = UpsertStats()
        with self._write() as (conn, seq):
            for record in records:
                clean = clean_record(record)
                if clean is None:
                    stats.skipped += 1
                    continue
                paper_id = self._find(conn, clean)
                if paper_id is None:
                    paper_id = self._insert(conn, clean, seq)
                    stats.added += 1
                elif self._merge(conn, paper_id, clean, seq):
                    stats.merged += 1
                else:
                    stats.unchanged += 1
                self._apply_personal(conn, paper_id, clean, extra_tags, seq)
            if dry_run:
                raise _DryRun(stats)
        return stats

    def upsert_preview(self, records: Iterable[Record], *, tags: Sequence[str] = ()) -> UpsertStats:
        """What ``upsert`` would do, without keeping any change."""
        try:
            self.upsert(records, tags=tags, dry_run=True)
        except _DryRun as done:
            return done.stats
        raise AssertionError("unreachable")  # pragma: no cover

    def _find(self, conn: sqlite3.Connection, rec: Clean) -> int | None:
        if rec.arxiv_id:
            row = conn.execute(
                "SELECT id FROM papers WHERE arxiv_id = ?", (rec.arxiv_id,)
            ).fetchone()
            if row:
                return row[0]
        if rec.title_norm:
            rows = conn.execute(
                # The "!= ''" lets SQLite use the partial index (else: a full scan per record).
                "SELECT id, arxiv_id, abstract FROM papers WHERE title_norm = ? AND title_norm != ''",
                (rec.title_norm,),
            ).fetchall()
            for paper_id, arxiv_id, abstract in rows:
                # Same title is not same paper ("Erratum"): the abstracts must agree too.
                if (
                    (not arxiv_id or not rec.arxiv_id)
                    and dedupe.same_or_missing(rec.abstract, abstract)
                    and not self._keys_conflict(conn, paper_id, rec)
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
                if dedupe.same_abstract(rec.abstract, abstract) and not self._keys_conflict(
                    conn, paper_id, rec
                ):
                    return paper_id
        return None

    def _keys_conflict(self, conn: sqlite3.Connection, paper_id: int, rec: Clean) -> bool:
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

    def _key_taken(self, conn: sqlite3.Connection, key: str) -> bool:
        return (
            conn.execute(
                "SELECT 1 FROM papers WHERE key = ? OR arxiv_id = ? "
                "UNION SELECT 1 FROM aliases WHERE alias = ?",
                (key, key, key),
            ).fetchone()
            is not None
        )

    def _new_key(self, conn: sqlite3.Connection, rec: Clean) -> str:
        if rec.arxiv_id:
            return rec.arxiv_id
        if rec.key and not parse_arxiv_id(rec.key) and not self._key_taken(conn, rec.key):
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

    def _insert(self, conn: sqlite3.Connection, rec: Clean, seq: int) -> int:
        key = self._new_key(conn, rec)
        paper_id = conn.execute(
            "INSERT INTO papers (key, arxiv_id, version, title, title_norm, abstract, authors, "
            "categories, published, updated, doi, journal_ref, comment, url, added, seq, sort_key, "
            "untitled, entry_type, venue, cite_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "RETURNING id",
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
                rec.added or _now(),
                seq,
                _sort_key(rec.published, rec.arxiv_id),
                int(not rec.title),
                rec.entry_type,
                rec.venue,
                rec.cite_key,
            ),
        ).fetchone()[0]
        self._add_sources_and_aliases(conn, paper_id, key, rec)
        if rec.abstract:
            dedupe.store(conn, paper_id, rec.abstract)
        return paper_id

    def _add_sources_and_aliases(
        self, conn: sqlite3.Connection, paper_id: int, key: str, rec: Clean
    ) -> int:
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

    def _merge(self, conn: sqlite3.Connection, paper_id: int, rec: Clean, seq: int) -> bool:
        """Fill the paper's gaps from the record; True if anything changed."""
        row = conn.execute(
            "SELECT key, arxiv_id, version, title, abstract, authors, categories, published, "
            "updated, doi, journal_ref, comment, url, entry_type, venue, cite_key, added "
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
            entry_type,
            venue,
            cite_key,
            added,
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
            changes["sort_key"] = _sort_key(
                changes.get("published", published), changes.get("arxiv_id", arxiv_id)
            )
        new_source = self._add_sources_and_aliases(
            conn, paper_id, changes.get("key", key), rec
        )
        if changes:
            changes["seq"] = seq
            sets = ", ".join(f"{name} = ?" for name in changes)
            conn.execute(f"UPDATE papers SET {sets} WHERE id = ?", (*changes.values(), paper_id))
            if "abstract" in changes:
                dedupe.store(conn, paper_id, changes["abstract"])
        elif new_source:
            conn.execute("UPDATE papers SET seq = ? WHERE id = ?", (seq, paper_id))
        return bool(changes) or bool(new_source)

    def _apply_personal(
        self,
        conn: sqlite3.Connection,
        paper_id: int,
        rec: Clean,
        extra_tags: Sequence[str],
        seq: int,
    ) -> None:
        names = [*extra_tags]
        for tag in rec.tags:
            try:
                names.append(check_tag(tag))
            except LibraryError:
                continue
        changed = self._tag(conn, paper_id, names)
        if rec.bookmarked:
            changed |= (
                conn.execute(
                    "UPDATE papers SET bookmarked = 1 WHERE id = ? AND bookmarked = 0", (paper_id,)
                ).rowcount
                > 0
            )
        if rec.read:
            changed |= (
                conn.execute(
                    "UPDATE papers SET read = 1 WHERE id = ? AND read = 0", (paper_id,)
                ).rowcount
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

    # ---------------------------------------------------------------- reading

    def resolve(self, key: str) -> int | None:
        """The row id for a key, an alias or an arXiv id in any form; None if unknown."""
        text = (key or "").strip()
        if not text:
            return None
        candidates = [text]
        ident = parse_arxiv_id(text)
        if ident:
            candidates.insert(0, ident.id)
        with self._lock, self._guard():
            for cand in candidates:
                row = (
                    self._conn.execute(
                        "SELECT id FROM papers WHERE key = ? OR arxiv_id = ?", (cand, cand)
                    ).fetchone()
                    or self._conn.execute(
                        "SELECT paper_id FROM aliases WHERE alias = ?", (cand,)
                    ).fetchone()
                )
                if row:
                    return row[0]
        return None

    def get(self, key: str) -> Paper | None:
        """The paper for a key (or arXiv id in any form), or None."""
        paper_id = self.resolve(key)
        if paper_id is None:
            return None
        papers = self._papers_by_ids([paper_id])
        return papers[0] if papers else None

    def require(self, key: str) -> Paper:
        """Like ``get`` but raises NotFound with a clear message."""
        paper = self.get(key)
        if paper is None:
            raise NotFound(f"no paper matches {key!r}")
        return paper

    def get_many(self, keys: Sequence[str]) -> list[Paper]:
        """Papers for exact keys, in the order given; unknown keys are left out."""
        if not keys:
            return []
        by_key: dict[str, Paper] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._read(f"SELECT id FROM papers WHERE key IN ({marks})", chunk)
            for paper in self._papers_by_ids([r[0] for r in rows]):
                by_key[paper.key] = paper
        return [by_key[k] for k in keys if k in by_key]

    def _papers_by_ids(self, ids: Sequence[int]) -> list[Paper]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        with self._lock, self._guard():
            rows = self._conn.execute(
                f"SELECT {_PAPER_COLUMNS} FROM papers WHERE id IN ({marks})", list(ids)
            ).fetchall()
            tag_rows = self._conn.execute(
                f"SELECT pt.paper_id, t.name FROM paper_tags pt JOIN tags t ON t.id = pt.tag_id "
                f"WHERE pt.paper_id IN ({marks}) ORDER BY t.norm",
                list(ids),
            ).fetchall()
            source_rows = self._conn.execute(
                f"SELECT paper_id, source FROM sources WHERE paper_id IN ({marks}) ORDER BY rowid",
                list(ids),
            ).fetchall()
            alias_rows = self._conn.execute(
                f"SELECT paper_id, alias FROM aliases WHERE paper_id IN ({marks}) ORDER BY rowid",
                list(ids),
            ).fetchall()
        tags: dict[int, list[str]] = {}
        for pid, name in tag_rows:
            tags.setdefault(pid, []).append(name)
        sources: dict[int, list[str]] = {}
        for pid, source in source_rows:
            sources.setdefault(pid, []).append(source)
        aliases: dict[int, list[str]] = {}
        for pid, alias in alias_rows:
            aliases.setdefault(pid, []).append(alias)
        order = {pid: i for i, pid in enumerate(ids)}
        papers = [
            _row_to_paper(r, tags.get(r[0], []), sources.get(r[0], []), aliases.get(r[0], []))
            for r in rows
        ]
        papers.sort(key=lambda p: order[p.extra["id"]])
        return papers

    def iter_papers(self, batch: int = 1000) -> Iterator[Paper]:
        """Every paper, in row order, a batch at a time (for index builds and export)."""
        last = 0
        while True:
            ids = [
                r[0]
                for r in self._read(
                    "SELECT id FROM papers WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
                )
            ]
            if not ids:
                return
            yield from self._papers_by_ids(ids)
            last = ids[-1]

    def count(self) -> int:
        """How many papers the library holds."""
        return self._read("SELECT count(*) FROM papers")[0][0]

    def list_counts(self) -> tuple[int, int, int]:
        """(all, unread, bookmarked) from indexes alone: cheap enough for every refresh."""
        row = self._read(
            "SELECT (SELECT count(*) FROM papers), "
            "(SELECT count(*) FROM papers WHERE read = 0), "
            "(SELECT count(*) FROM papers WHERE bookmarked = 1)"
        )[0]
        return row[0], row[1], row[2]

    def stats(self) -> dict[str, Any]:
        """Counts for `absreader stats`."""
        row = self._read(
            "SELECT count(*), count(arxiv_id), sum(untitled), sum(bookmarked), "
            "sum(read), sum(note != '') FROM papers"
        )[0]
        return {
            "papers": row[0],
            "with_arxiv_id": row[1],
            "untitled": row[2] or 0,
            "bookmarked": row[3] or 0,
            "read": row[4] or 0,
            "unread": row[0] - (row[4] or 0),
            "with_note": row[5] or 0,
            "tags": self._read("SELECT count(*) FROM tags")[0][0],
            "saved_searches": self._read("SELECT count(*) FROM saved_searches")[0][0],
            "sources": self._read("SELECT count(DISTINCT source) FROM sources")[0][0],
            "library": str(self.path),
        }

    def _filter_sql(
        self, tags: Sequence[str], bookmarked: bool | None, unread: bool | None
    ) -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        for tag in tags:
            where.append(
                "id IN (SELECT pt.paper_id FROM paper_tags pt JOIN tags t ON t.id = pt.tag_id "
                "WHERE t.norm = ?)"
            )
            params.append(normalise_tag(tag))
        if bookmarked is not None:
            where.append("bookmarked = ?")
            params.append(int(bookmarked))
        if unread is not None:
            where.append("read = ?")
            params.append(int(not unread))
        return (" WHERE " + " AND ".join(where)) if where else "", params

    def list_keys(
        self,
        *,
        tags: Sequence[str] = (),
        bookmarked: bool | None = None,
        unread: bool | None = None,
        limit: int | None = None,
        offset: int = 0,
        ordered: bool = True,
    ) -> list[str]:
        """Keys of the papers matching every filter, newest first (any order if not ``ordered``)."""
        where, params = self._filter_sql(tags, bookmarked, unread)
        sql = f"SELECT key FROM papers{where}"
        if ordered:
            sql += " ORDER BY sort_key DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [r[0] for r in self._read(sql, params)]

    def count_keys(
        self,
        *,
        tags: Sequence[str] = (),
        bookmarked: bool | None = None,
        unread: bool | None = None,
    ) -> int:
        """How many papers ``list_keys`` would return without a limit."""
        where, params = self._filter_sql(tags, bookmarked, unread)
        return self._read(f"SELECT count(*) FROM papers{where}", params)[0][0]

    def get_meta(self, name: str) -> str | None:
        """A value the application keeps in the library (None when unset)."""
        rows = self._read("SELECT value FROM meta WHERE name = ?", (f"app.{name}",))
        return rows[0][0] if rows else None

    def set_meta(self, name: str, value: str) -> None:
        """Keep ``value`` under ``name`` (one transaction)."""
        with self._write() as (conn, _seq):
            conn.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (f"app.{name}", value),
            )

    def current_seq(self) -> int:
        """The change counter: every committed write raises it."""
        return int(self._read("SELECT value FROM meta WHERE name = 'seq'")[0][0])

    def changed_since(self, seq: int, batch: int = 1000) -> Iterator[Paper]:
        """Papers changed after ``seq`` (for incremental index updates), in row order."""
        ids = [r[0] for r in self._read("SELECT id FROM papers WHERE seq > ? ORDER BY id", (seq,))]
        for start in range(0, len(ids), batch):
            yield from self._papers_by_ids(ids[start : start + batch])

    def count_changed_since(self, seq: int) -> int:
        """How many papers ``changed_since`` would yield."""
        return self._read("SELECT count(*) FROM papers WHERE seq > ?", (seq,))[0][0]

    def deleted_since(self, seq: int) -> list[str]:
        """Keys that stopped existing after ``seq`` (renamed or merged away)."""
        return [r[0] for r in self._read("SELECT key FROM deleted WHERE seq > ?", (seq,))]

    # ---------------------------------------------------------------- personal data

    def _require_id(self, key: str) -> int:
        paper_id = self.resolve(key)
        if paper_id is None:
            raise NotFound(f"no paper matches {key!r}")
        return paper_id

    def _set_column(self, key: str, column: str, value: Any) -> Paper:
        paper_id = self._require_id(key)
        with self._write() as (conn, seq):
            conn.execute(
                f"UPDATE papers SET {column} = ?, seq = ? WHERE id = ?", (value, seq, paper_id)
            )
        return self._papers_by_ids([paper_id])[0]

    def set_bookmarked(self, key: str, on: bool = True) -> Paper:
        """Star or unstar a paper."""
        return self._set_column(key, "bookmarked", int(on))

    def set_read(self, key: str, read: bool = True) -> Paper:
        """Mark a paper read or unread."""
        return self._set_column(key, "read", int(read))

    def set_note(self, key: str, text: str) -> Paper:
        """Replace the paper's note (an empty text removes it)."""
        note = clean_note(text)
        if len(note) > MAX_NOTE_LENGTH:
            raise LibraryError(
                f"note is too long ({len(note)} characters, at most {MAX_NOTE_LENGTH})"
            )
        return self._set_column(key, "note", note)

    def _tag(self, conn: sqlite3.Connection, paper_id: int, names: Iterable[str]) -> bool:
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

    def add_tags(self, key: str, names: Sequence[str]) -> Paper:
        """Put the paper on these reading lists (creating them as typed)."""
        shown = [check_tag(n) for n in names]
        paper_id = self._require_id(key)
        with self._write() as (conn, seq):
            if self._tag(conn, paper_id, shown):
                conn.execute("UPDATE papers SET seq = ? WHERE id = ?", (seq, paper_id))
        return self._papers_by_ids([paper_id])[0]

    def remove_tags(self, key: str, names: Sequence[str]) -> Paper:
        """Take the paper off these reading lists (the lists stay)."""
        paper_id = self._require_id(key)
        with self._write() as (conn, seq):
            removed = 0
            for name in names:
                removed += conn.execute(
                    "DELETE FROM paper_tags WHERE paper_id = ? AND tag_id IN "
                    "(SELECT id FROM tags WHERE norm = ?)",
                    (paper_id, normalise_tag(name)),
                ).rowcount
            if removed:
                conn.execute("UPDATE papers SET seq = ? WHERE id = ?", (seq, paper_id))
        return self._papers_by_ids([paper_id])[0]

    def tags(self) -> list[TagInfo]:
        """Every tag with its paper count, by name."""
        rows = self._read(
            "SELECT t.name, count(pt.paper_id) FROM tags t LEFT JOIN paper_tags pt "
            "ON pt.tag_id = t.id GROUP BY t.id ORDER BY t.norm"
        )
        return [TagInfo(name, count) for name, count in rows]

    def _tag_id(self, conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute("SELECT id FROM tags WHERE norm = ?", (normalise_tag(name),)).fetchone()
        if row is None:
            raise NotFound(f"no tag named {name!r}")
        return row[0]

    def create_tag(self, name: str) -> TagInfo:
        """Create an empty reading list (nothing happens if it exists)."""
        shown = check_tag(name)
        with self._write() as (conn, _seq):
            conn.execute(
                "INSERT OR IGNORE INTO tags (name, norm) VALUES (?, ?)", (shown, normalise_tag(shown))
            )
        return next(t for t in self.tags() if normalise_tag(t.name) == normalise_tag(shown))

    def rename_tag(self, old: str, new: str) -> int:
        """Rename a tag; if ``new`` already exists the two are merged. Returns papers touched."""
        shown = check_tag(new)
        with self._write() as (conn, seq):
            old_id = self._tag_id(conn, old)
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

    def merge_tags(self, source: str, target: str) -> int:
        """Move every paper of ``source`` onto ``target`` and drop ``source``."""
        with self._lock, self._guard():
            self._tag_id(self._conn, target)
        return self.rename_tag(source, target)

    def delete_tag(self, name: str) -> int:
        """Delete a tag; its papers stay in the library. Returns papers untagged."""
        with self._write() as (conn, seq):
            tag_id = self._tag_id(conn, name)
            count = conn.execute(
                "UPDATE papers SET seq = ? WHERE id IN (SELECT paper_id FROM paper_tags WHERE tag_id = ?)",
                (seq, tag_id),
            ).rowcount
            conn.execute("DELETE FROM tags WHERE id = ?", (tag_id,))
        return count

    def saved_searches(self) -> list[SavedSearch]:
        """Saved searches by name."""
        rows = self._read("SELECT name, query FROM saved_searches ORDER BY norm")
        return [SavedSearch(name, query) for name, query in rows]

    def get_search(self, name: str) -> SavedSearch:
        """One saved search; NotFound if there is none by that name."""
        rows = self._read(
            "SELECT name, query FROM saved_searches WHERE norm = ?", (normalise_tag(name),)
        )
        if not rows:
            raise NotFound(f"no saved search named {name!r}")
        return SavedSearch(*rows[0])

    def save_search(self, name: str, query: str) -> SavedSearch:
        """Create or replace a saved search."""
        shown = " ".join(clean_line(name).split())
        if not shown:
            raise LibraryError("saved search name is empty")
        if len(shown) > MAX_SEARCH_NAME:
            raise LibraryError(
                f"saved search name is too long (at most {MAX_SEARCH_NAME} characters)"
            )
        text = clean_line(query)
        if not text:
            raise LibraryError("saved search query is empty")
        with self._write() as (conn, _seq):
            conn.execute(
                "INSERT INTO saved_searches (name, norm, query) VALUES (?, ?, ?) "
                "ON CONFLICT(norm) DO UPDATE SET name = excluded.name, query = excluded.query",
                (shown, normalise_tag(shown), text),
            )
        return SavedSearch(shown, text)

    def delete_search(self, name: str) -> None:
        """Delete a saved search; NotFound if there is none by that name."""
        with self._write() as (conn, _seq):
            if not conn.execute(
                "DELETE FROM saved_searches WHERE norm = ?", (normalise_tag(name),)
            ).rowcount:
                raise NotFound(f"no saved search named {name!r}")


class _DryRun(Exception):
    def __init__(self, stats: UpsertStats) -> None:
        self.stats = stats


def _row_to_paper(
    row: tuple, tags: list[str], sources: list[str], aliases: Sequence[str] = ()
) -> Paper:
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


_MAGIC = b"SQLite format 3\x00"


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA busy_timeout = 30000")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() != "wal":
        conn.execute(f"PRAGMA journal_mode = {mode}")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def _create(path: Path) -> None:
    """Make a new, empty library at ``path``: built beside it, then linked into place.

    If another process creates the library at the same moment, its file wins
    and ours is thrown away; either way ``path`` is only ever a whole library.
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LibraryError(f"cannot create {folder}: {exc.strerror or exc}") from None
    tmp = folder / f".{path.name}.{os.getpid()}.{threading.get_ident()}.new"
    try:
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except OSError as exc:
            raise LibraryError(
                f"{folder}: cannot create the library there ({exc.strerror or exc}); nothing was "
                f"written. Make the folder writable, or set {_HOME_HINT} to another folder."
            ) from None
        try:
            conn = sqlite3.connect(str(tmp), timeout=30.0, isolation_level=None)
            try:
                _configure(conn)
                migrate(conn)
            finally:
                conn.close()
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another absreader made it first; use that one
            except OSError:  # no hard links here (some network or FAT file systems)
                if not path.exists():
                    os.replace(tmp, path)
        except (OSError, sqlite3.Error) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise LibraryError(
                f"{path}: cannot create the library ({reason}); nothing was written"
            ) from None
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)


def _has_wal(path: Path) -> bool:
    try:
        return Path(f"{path}-wal").stat().st_size > 0
    except OSError:
        return False


def _check_header(path: Path) -> None:
    """Refuse a file that is not a whole SQLite database, before SQLite touches it."""
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
            size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        raise LibraryError(f"{path}: cannot read the library: {exc.strerror or exc}") from None
    if not head:
        if _has_wal(path):
            return  # the pages may all be in the write-ahead log; SQLite will tell
        raise _damaged(path, "the file is empty")
    if not head.startswith(_MAGIC):
        raise _damaged(path, "not an SQLite database")
    if len(head) < 100:
        raise _damaged(path, f"cut short: {size:,} bytes")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    header_valid = head[24:28] == head[92:96]
    expected = page_size * pages
    if header_valid and pages and size < expected and not _has_wal(path):
        raise _damaged(path, f"cut short: {size:,} of {expected:,} bytes")


_HOME_HINT = "ABSREADER_HOME"


def _damaged(path: Path, detail: str) -> LibraryError:
    aside = shlex.quote(f"{path}.damaged")
    return LibraryError(
        f"{path}: the library file is damaged ({detail}). absreader has not changed it. "
        f"To start a new library, move it aside first: mv {shlex.quote(str(path))} {aside} "
        "- or restore the file from a backup to keep your papers."
    )


def _is_storage_error(exc: BaseException) -> bool:
    """An SQLite error about the file or the disk (not a bug in a statement)."""
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(exc, sqlite3.IntegrityError):
        return False
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return any(
            word in text
            for word in ("full", "i/o", "readonly", "read-only", "locked", "busy", "unable to open",
                         "malformed", "not a database", "corrupt")
        )  # fmt: skip
    return True  # DatabaseError proper: SQLITE_CORRUPT, SQLITE_NOTADB


def _open_error(path: Path, exc: sqlite3.DatabaseError) -> LibraryError:
    text = str(exc)
    if "newer absreader" in text:
        return LibraryError(f"{path}: {text}")
    lowered = text.lower()
    if any(w in lowered for w in ("unable to open", "readonly", "read-only", "i/o")):
        problem = _unwritable(path.parent)
        if problem:
            return LibraryError(
                f"{path}: cannot open the library: its folder is read-only ({problem}), and "
                "SQLite needs to write beside the file even to read it; nothing was changed. "
                f"Make {path.parent} writable, or set {_HOME_HINT} to another folder."
            )
    if "locked" in lowered or "busy" in lowered:
        return LibraryError(
            f"{path}: the library is busy (another absreader is writing); try again"
        )
    if "unable to open" in lowered or "i/o" in lowered:
        return LibraryError(f"{path}: cannot open the library ({text}); nothing was changed")
    return _damaged(path, text)


def _unwritable(folder: Path) -> str | None:
    """Why nothing can be written in ``folder`` (None if something can)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".absreader-probe-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    Path(name).unlink(missing_ok=True)
    return None


def _db_error(path: Path, exc: sqlite3.DatabaseError, *, writing: bool) -> LibraryError:
    text = str(exc)
    lowered = text.lower()
    if not isinstance(exc, sqlite3.OperationalError) or any(
        w in lowered for w in ("malformed", "not a database", "corrupt")
    ):
        return _damaged(path, text)
    if "readonly" in lowered or "read-only" in lowered:
        return LibraryError(f"{path}: the library is read-only; nothing was changed")
    if "full" in lowered:
        return LibraryError(f"{path}: the disk is full; nothing was changed")
    if "locked" in lowered or "busy" in lowered:
        return LibraryError(
            f"{path}: the library is busy (another absreader is writing); try again"
        )
    if writing:
        return LibraryError(
            f"{path}: could not write to the library ({text}; is the disk full?); nothing was changed"
        )
    return LibraryError(f"{path}: could not read the library ({text})")


__all__ = [
    "SCHEMA_VERSION",
    "Library",
    "LibraryError",
    "NotFound",
    "UpsertStats",
    "check_tag",
    "clean_note",
    "clean_record",
    "normalise_tag",
]
