"""The library: the store of record (SQLite, WAL) for papers and personal data.

Papers, their sources, bookmarks, tags, read state, notes and saved searches
live here. Every write is one transaction (``BEGIN IMMEDIATE``); a busy timeout
lets two processes share the file. Each transaction takes the next value of a
global change counter (``seq``) and stamps it on every paper it touches, so the
derived search index (and an open reader) can catch up with ``changed_since``.

This class is the one door to the file; the rules live in the modules beside
it: ``merge`` (identity), ``papers`` (reads), ``personal``, ``tags``, ``saved``,
``store`` (connections and locks).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from absreader.core.library import bulk, editing, merge, papers, personal, saved, trash
from absreader.core.library import tags as tag_rules
from absreader.core.library.bulk import TagsChanged
from absreader.core.library.errors import LibraryError, NotFound
from absreader.core.library.merge import UpsertStats
from absreader.core.library.store import Store
from absreader.core.models import Paper, Record, SavedSearch, TagInfo

#: An import transaction commits after this long when another writer waits (a user's
#: bookmark in this reader, or in another process: see ``turns``) ...
WRITE_SLICE_S = 0.025
#: ... the first one after this long, so a new import shows up in the reader at once ...
WRITE_SLICE_FIRST_S = 0.1
#: ... and the rest after this long: each commit rewrites every index page it touched,
#: so longer transactions write less (10,000 papers into a 300k library: 187 MB of WAL
#: with 0.1 s transactions, 83 MB with 3 s).
WRITE_SLICE_IDLE_S = 3.0
#: The largest SQLite row id (the open end of ``iter_papers``).
_MAX_ROW_ID = 2**63 - 1


class Library:
    """The SQLite store of record. Thread-safe: readers never wait for writers."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._count_cache: tuple[Any, int] | None = None
        self.path = store.path

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Library:
        """Open (and migrate) the library at ``path``; raise LibraryError if it is damaged."""
        return cls(Store.open(Path(path), create=create))

    def close(self) -> None:
        """Close the connections (checkpointing the WAL)."""
        self._store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _conn(self):  # noqa: ANN202 - for tests that set per-connection limits on the writer
        return self._store.writer

    # ---------------------------------------------------------------- importing

    def bulk(self) -> AbstractContextManager[None]:
        """Settings for a long run of large write batches (an import); see ``Store.bulk``."""
        return self._store.bulk()

    def upsert(
        self,
        records: Iterable[Record],
        *,
        tags: Sequence[str] = (),
        dry_run: bool = False,
        quick_first: bool = True,
    ) -> UpsertStats:
        """Add or merge records (kept only if not ``dry_run``).

        The records are committed in transactions of about ``WRITE_SLICE_S``
        when another writer waits (of this process or another), else
        ``WRITE_SLICE_IDLE_S`` (the first ``WRITE_SLICE_FIRST_S`` if ``quick_first``:
        an import's later batches don't ask for it), so a user's
        bookmark made meanwhile waits milliseconds, not for the whole batch.
        A failure rolls back only the slice in flight; the caller is told.
        """
        extra_tags = [tag_rules.check_tag(t) for t in tags]
        if dry_run:
            try:
                with self._store.write() as (conn, seq):
                    raise _DryRun(merge.upsert(conn, seq, records, extra_tags))
            except _DryRun as done:
                return done.stats
        total = UpsertStats()
        items = iter(records)
        exhausted = False
        slice_s = WRITE_SLICE_FIRST_S if quick_first else WRITE_SLICE_IDLE_S

        def one_slice() -> Iterator[Record]:
            nonlocal exhausted, slice_s
            started = time.perf_counter()
            short, idle = started + WRITE_SLICE_S, started + slice_s
            slice_s = WRITE_SLICE_IDLE_S
            for record in items:
                yield record
                now = time.perf_counter()
                if now >= idle or (now >= short and self._store.writers_waiting()):
                    return
            exhausted = True

        while not exhausted:
            try:
                with self._store.write() as (conn, seq):
                    stats = merge.upsert(conn, seq, one_slice(), extra_tags)
            except LibraryError as exc:
                exc.committed = total  # type: ignore[attr-defined] - what the earlier slices saved
                raise
            total.added += stats.added
            total.merged += stats.merged
            total.unchanged += stats.unchanged
            total.skipped += stats.skipped
        return total

    def upsert_preview(self, records: Iterable[Record], *, tags: Sequence[str] = ()) -> UpsertStats:
        """What ``upsert`` would do, without keeping any change."""
        return self.upsert(records, tags=tags, dry_run=True)

    # ---------------------------------------------------------------- reading

    def resolve(self, key: str) -> int | None:
        """The row id for a key, an alias or an arXiv id in any form; None if unknown."""
        with self._store.read() as conn:
            return papers.resolve(conn, key)

    def get(self, key: str) -> Paper | None:
        """The paper for a key (or arXiv id in any form), or None."""
        with self._store.read() as conn:
            paper_id = papers.resolve(conn, key)
            found = papers.by_ids(conn, [paper_id]) if paper_id is not None else []
        return found[0] if found else None

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
        with self._store.read() as conn:
            return papers.by_keys(conn, keys)

    def iter_papers(
        self, batch: int = 1000, *, after: int = 0, until: int | None = None
    ) -> Iterator[Paper]:
        """Every paper, in row order, a batch at a time (for index builds and export);
        with ``after``/``until``, only the rows ``after < id <= until`` (see ``nth_id``)."""
        last = after
        # Both bounds on the row id, so SQLite walks only the range: with "? < 0 OR id <= ?"
        # it used "id > ?" alone and, for the batch past ``until``, read the table to its
        # end (each run of a 1M build read about half the library that way).
        stop = _MAX_ROW_ID if until is None else until
        while True:
            with self._store.read() as conn:
                ids = [
                    r[0]
                    for r in conn.execute(
                        "SELECT id FROM papers WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
                        (last, stop, batch),
                    )
                ]
                found = papers.by_ids(conn, ids)
            if not ids:
                return
            yield from found
            last = ids[-1]

    def nth_id(self, n: int) -> int | None:
        """The row id of the ``n``-th paper in row order (1-based; None when fewer):
        where to cut the library into runs for a build on several cores."""
        with self._store.read() as conn:
            row = conn.execute(
                "SELECT id FROM papers ORDER BY id LIMIT 1 OFFSET ?", (max(0, n - 1),)
            ).fetchone()
        return None if row is None else int(row[0])

    def row_ids(self) -> list[int]:
        """Every paper's row id, ascending: where to cut the library into a build's runs.

        One scan of a narrow covering index (about 1 MB a 100,000 papers), where
        ``nth_id`` walks the table itself up to its offset (a 1M build's ten cuts
        read 13 GB that way).
        """
        with self._store.read() as conn:
            return sorted(r[0] for r in conn.execute("SELECT id FROM papers"))

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._store.read() as conn:
            return conn.execute(sql, params).fetchone()[0]

    def count(self) -> int:
        """How many papers the library holds.

        Kept with the change counter it was read at: counting a million rows takes
        ~16 ms, and every search the reader makes shows the count; every write
        raises the counter, so an unchanged counter means an unchanged count.
        """
        with self._store.read() as conn:
            seq = conn.execute("SELECT value FROM meta WHERE name = 'seq'").fetchone()
            cached = self._count_cache
            if seq is not None and cached is not None and cached[0] == seq[0]:
                return cached[1]
            total = int(conn.execute("SELECT count(*) FROM papers").fetchone()[0])
        self._count_cache = (seq[0], total) if seq is not None else None
        return total

    def list_counts(self) -> tuple[int, int, int]:
        """(all, unread, bookmarked) from indexes alone: cheap enough for every refresh."""
        with self._store.read() as conn:
            return papers.list_counts(conn)

    def stats(self) -> dict[str, Any]:
        """Counts for `absreader stats`."""
        with self._store.read() as conn:
            return {**papers.stats(conn), "library": str(self.path)}

    def list_keys(
        self,
        *,
        tags: Sequence[str] = (),
        bookmarked: bool | None = None,
        unread: bool | None = None,
        categories: Sequence[str] = (),
        years: Sequence[tuple[int, int]] = (),
        limit: int | None = None,
        offset: int = 0,
        ordered: bool = True,
        order: str = "newest",
    ) -> list[str]:
        """Keys of the papers matching every filter, in ``order`` (see ``papers.ORDERS``;
        any order if not ``ordered``)."""
        where, params = papers.filter_sql(tags, bookmarked, unread, categories, years)
        sql = f"SELECT key FROM papers{where}"
        if ordered:
            sql += f" ORDER BY {papers.ORDERS[order]}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        with self._store.read() as conn:
            return [r[0] for r in conn.execute(sql, params)]

    def count_keys(
        self,
        *,
        tags: Sequence[str] = (),
        bookmarked: bool | None = None,
        unread: bool | None = None,
        categories: Sequence[str] = (),
        years: Sequence[tuple[int, int]] = (),
    ) -> int:
        """How many papers ``list_keys`` would return without a limit."""
        where, params = papers.filter_sql(tags, bookmarked, unread, categories, years)
        return self._one(f"SELECT count(*) FROM papers{where}", params)

    def order_keys(self, keys: Sequence[str], order: str) -> list[str]:
        """``keys`` (known ones only) in the order of a sort."""
        with self._store.read() as conn:
            return papers.order_keys(conn, keys, order)

    def facets(
        self,
        *,
        keys: Sequence[str] | None = None,
        tags: Sequence[str] = (),
        bookmarked: bool | None = None,
        unread: bool | None = None,
        categories: Sequence[str] = (),
        years: Sequence[tuple[int, int]] = (),
        top: int = 12,
    ) -> dict:
        """Top categories and the years of a list (or of ``keys`` within it), with counts
        (from indexes). Categories are counted with every filter but the categories, years
        with every filter but the years: choosing one more of a kind widens the list (OR)."""
        cat_where, cat_params = papers.filter_sql(tags, bookmarked, unread, (), years)
        year_where, year_params = papers.filter_sql(tags, bookmarked, unread, categories, ())
        with self._store.read() as conn:
            return papers.facets(
                conn, (cat_where, cat_params), (year_where, year_params), top=top, keys=keys
            )

    # ---------------------------------------------------------------- many papers at once

    def set_flag_many(self, keys: Sequence[str], column: str, on: bool) -> list[str]:
        """Set ``read`` or ``bookmarked`` on many papers in one transaction; the keys changed."""
        if not keys:
            return []
        with self._store.write() as (conn, seq):
            return bulk.set_flag(conn, seq, keys, column, on)

    def unread_among(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` are unread."""
        if not keys:
            return set()
        with self._store.read() as conn:
            return bulk.unread_among(conn, keys)

    def change_tags_many(
        self, keys: Sequence[str], add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> TagsChanged:
        """Tag and untag many papers in one transaction; exactly what changed."""
        for name in add:
            tag_rules.check_tag(name)  # a bad name fails before anything is written
        if not keys or not (add or remove):
            return TagsChanged()
        with self._store.write() as (conn, seq):
            return bulk.change_tags(conn, seq, keys, add, remove)

    def drop_empty_tags(self, names: Sequence[str]) -> None:
        """Delete these tags if they are empty (undoing a bulk change that created them)."""
        if names:
            with self._store.write() as (conn, _seq):
                bulk.drop_empty_tags(conn, names)

    def get_meta(self, name: str) -> str | None:
        """A value the application keeps in the library (None when unset)."""
        with self._store.read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE name = ?", (f"app.{name}",)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: str) -> None:
        """Keep ``value`` under ``name`` (one transaction)."""
        with self._store.write() as (conn, _seq):
            conn.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (f"app.{name}", value),
            )

    def current_seq(self) -> int:
        """The change counter: every committed write raises it."""
        return int(self._one("SELECT value FROM meta WHERE name = 'seq'"))

    def changed_since(self, seq: int, batch: int = 1000) -> Iterator[Paper]:
        """Papers changed after ``seq`` (for incremental index updates), in row order."""
        with self._store.read() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM papers WHERE seq > ? ORDER BY id", (seq,))]
        for start in range(0, len(ids), batch):
            with self._store.read() as conn:
                found = papers.by_ids(conn, ids[start : start + batch])
            yield from found

    def changed_keys_since(self, seq: int) -> list[str]:
        """Keys of the papers changed after ``seq`` (cheap: what an open reader redraws)."""
        with self._store.read() as conn:
            return [r[0] for r in conn.execute("SELECT key FROM papers WHERE seq > ?", (seq,))]

    def count_changed_since(self, seq: int) -> int:
        """How many papers ``changed_since`` would yield."""
        return self._one("SELECT count(*) FROM papers WHERE seq > ?", (seq,))

    def deleted_since(self, seq: int) -> list[str]:
        """Keys that stopped existing after ``seq`` (renamed or merged away)."""
        with self._store.read() as conn:
            return [r[0] for r in conn.execute("SELECT key FROM deleted WHERE seq > ?", (seq,))]

    # ---------------------------------------------------------------- personal data

    def _require_id(self, key: str) -> int:
        paper_id = self.resolve(key)
        if paper_id is None:
            raise NotFound(f"no paper matches {key!r}")
        return paper_id

    def _paper(self, paper_id: int) -> Paper:
        with self._store.read() as conn:
            return papers.by_ids(conn, [paper_id])[0]

    def _set_column(self, key: str, column: str, value: Any) -> Paper:
        paper_id = self._require_id(key)
        with self._store.write() as (conn, seq):
            personal.set_column(conn, seq, [paper_id], column, value)
        return self._paper(paper_id)

    def set_bookmarked(self, key: str, on: bool = True) -> Paper:
        """Star or unstar a paper."""
        return self._set_column(key, "bookmarked", bool(on))

    def set_read(self, key: str, read: bool = True) -> Paper:
        """Mark a paper read or unread."""
        return self._set_column(key, "read", bool(read))

    def set_note(self, key: str, text: str) -> Paper:
        """Replace the paper's note (an empty text removes it)."""
        return self._set_column(key, "note", personal.check_note(text))

    def add_tags(self, key: str, names: Sequence[str]) -> Paper:
        """Put the paper on these reading lists (creating them as typed)."""
        shown = [tag_rules.check_tag(n) for n in names]
        paper_id = self._require_id(key)
        with self._store.write() as (conn, seq):
            if tag_rules.tag_paper(conn, paper_id, shown):
                conn.execute("UPDATE papers SET seq = ? WHERE id = ?", (seq, paper_id))
        return self._paper(paper_id)

    def remove_tags(self, key: str, names: Sequence[str]) -> Paper:
        """Take the paper off these reading lists (the lists stay)."""
        paper_id = self._require_id(key)
        with self._store.write() as (conn, seq):
            if tag_rules.untag_paper(conn, paper_id, names):
                conn.execute("UPDATE papers SET seq = ? WHERE id = ?", (seq, paper_id))
        return self._paper(paper_id)

    def delete_papers(self, keys: Sequence[str]) -> int:
        """Delete papers (with their personal data) into the trash; how many went.

        NotFound (and nothing deleted) if any key is unknown."""
        ids = [self._require_id(k) for k in keys]
        with self._store.write() as (conn, seq):
            return trash.delete(conn, seq, ids)

    def restore_deleted(self) -> list[str]:
        """Undo the most recent deletion; the keys that came back."""
        with self._store.write() as (conn, seq):
            return trash.restore(conn, seq)

    def edit_paper(
        self,
        key: str,
        *,
        title: str | None = None,
        authors: Sequence[str] | None = None,
        year: int | None = None,
        published: str | None = None,
        untitled: bool = False,
    ) -> Paper:
        """Correct a paper's title, authors or year (None leaves a field alone); an undo
        gives the exact ``published`` date back, or ``untitled`` for no title."""
        paper_id = self._require_id(key)
        with self._store.write() as (conn, seq):
            editing.edit(
                conn, seq, paper_id, title=title,
                authors=list(authors) if authors is not None else None, year=year,
                published=published, untitled=untitled,
            )  # fmt: skip
        return self._paper(paper_id)

    def tags(self) -> list[TagInfo]:
        """Every tag with its paper and unread counts, by name."""
        with self._store.read() as conn:
            return tag_rules.all_tags(conn)

    def create_tag(self, name: str) -> TagInfo:
        """Create an empty reading list (nothing happens if it exists)."""
        shown = tag_rules.check_tag(name)
        with self._store.write() as (conn, _seq):
            tag_rules.create(conn, shown)
        norm = tag_rules.normalise_tag(shown)
        return next(t for t in self.tags() if tag_rules.normalise_tag(t.name) == norm)

    def rename_tag(self, old: str, new: str) -> int:
        """Rename a tag; if ``new`` already exists the two are merged. Returns papers touched."""
        shown = tag_rules.check_tag(new)
        with self._store.write() as (conn, seq):
            return tag_rules.rename(conn, seq, old, shown)

    def merge_tags(self, source: str, target: str) -> int:
        """Move every paper of ``source`` onto ``target`` and drop ``source``."""
        with self._store.write() as (conn, seq):
            tag_rules.tag_id(conn, target)
            shown = conn.execute(
                "SELECT name FROM tags WHERE norm = ?", (tag_rules.normalise_tag(target),)
            ).fetchone()[0]
            return tag_rules.rename(conn, seq, source, shown)

    def delete_tag(self, name: str) -> int:
        """Delete a tag; its papers stay in the library. Returns papers untagged."""
        with self._store.write() as (conn, seq):
            return tag_rules.delete(conn, seq, name)

    def saved_searches(self) -> list[SavedSearch]:
        """Saved searches by name."""
        with self._store.read() as conn:
            return saved.all_searches(conn)

    def get_search(self, name: str) -> SavedSearch:
        """One saved search; NotFound if there is none by that name."""
        with self._store.read() as conn:
            return saved.get(conn, name)

    def save_search(self, name: str, query: str) -> SavedSearch:
        """Create or replace a saved search."""
        search = saved.check(name, query)
        with self._store.write() as (conn, _seq):
            saved.put(conn, search)
        return search

    def delete_search(self, name: str) -> None:
        """Delete a saved search; NotFound if there is none by that name."""
        with self._store.write() as (conn, _seq):
            saved.delete(conn, name)


class _DryRun(Exception):
    def __init__(self, stats: UpsertStats) -> None:
        self.stats = stats
