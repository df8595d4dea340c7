"""Feed subscriptions and their state, fetch runs, and the papers fetches added (the "New" list).

All the SQL for the ``feeds``, ``feed_runs`` and ``feed_papers`` tables (made
by schema step 3) lives here, on a connection of its own to the library file
(WAL lets it sit beside the library's). Papers themselves are only ever
written through :meth:`Library.upsert`; this module records which of them a
fetch brought in, and each feed's state, always *after* the papers are
committed, so a crash can lose a "new" mark but never advance a feed past
papers it did not store.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from absreader.core.library import LibraryError

#: meta entry: the last fetch run the user has seen (the reader sets it when it opens).
SEEN_RUN = "app.feeds.seen_run"

_COLUMNS = (
    "source, tag, subscribed, created, last_attempt, last_success, last_added, total_added, "
    "last_error, validator_url, etag, last_modified, oai_from"
)


def now() -> str:
    """A timestamp in the form the library stamps ``papers.added`` with."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class FeedState:
    """One feed's row: subscription, last results and what the next request should send."""

    source: str
    tag: str | None = None
    subscribed: bool = False
    created: str = ""
    last_attempt: str | None = None
    last_success: str | None = None
    last_added: int = 0
    total_added: int = 0
    last_error: str | None = None
    validator_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    oai_from: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("validator_url", "etag", "last_modified"):
            data.pop(name)
        return data


class FeedStore:
    """The feed tables of one library file. Thread-safe: one connection behind a lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(
                str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA busy_timeout = 30000")
            self._conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise LibraryError(f"{self.path}: cannot open the feed state: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise LibraryError(
                        f"{self.path}: could not save the feed state ({exc}); papers already "
                        "fetched are kept"
                    ) from None
                raise

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise LibraryError(f"{self.path}: could not read the feed state ({exc})") from None

    # ---------------------------------------------------------------- subscriptions

    def get(self, source: str) -> FeedState | None:
        rows = self._read(f"SELECT {_COLUMNS} FROM feeds WHERE source = ?", (source,))
        return _state(rows[0]) if rows else None

    def subscriptions(self) -> list[FeedState]:
        rows = self._read(f"SELECT {_COLUMNS} FROM feeds WHERE subscribed = 1 ORDER BY rowid")
        return [_state(r) for r in rows]

    def subscribe(self, source: str, tag: str | None) -> tuple[FeedState, bool]:
        """Subscribe (or change the tag of) ``source``; True if it was not subscribed before."""
        with self._write() as conn:
            before = conn.execute("SELECT subscribed FROM feeds WHERE source = ?", (source,)).fetchone()
            conn.execute(
                "INSERT INTO feeds (source, tag, subscribed, created) VALUES (?, ?, 1, ?) "
                "ON CONFLICT(source) DO UPDATE SET subscribed = 1, tag = excluded.tag",
                (source, tag, now()),
            )
        state = self.get(source)
        assert state is not None
        return state, not (before and before[0])

    def unsubscribe(self, source: str) -> bool:
        """Forget ``source`` and its state (its papers stay); False if it was not subscribed."""
        with self._write() as conn:
            return conn.execute(
                "DELETE FROM feeds WHERE source = ? AND subscribed = 1", (source,)
            ).rowcount > 0

    # ---------------------------------------------------------------- runs and results

    def start_run(self) -> int:
        with self._write() as conn:
            return conn.execute(
                "INSERT INTO feed_runs (started) VALUES (?) RETURNING id", (now(),)
            ).fetchone()[0]

    def known_ids(self, arxiv_ids: Sequence[str]) -> set[str]:
        """Which of ``arxiv_ids`` the library already holds (asked before a batch is committed)."""
        found: set[str] = set()
        for start in range(0, len(arxiv_ids), 500):
            chunk = list(arxiv_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0] for r in self._read(f"SELECT arxiv_id FROM papers WHERE arxiv_id IN ({marks})", chunk)
            )
        return found

    def mark_new(self, source: str, run: int, arxiv_ids: Sequence[str], added_since: str) -> int:
        """Mark the papers among ``arxiv_ids`` the library added at or after ``added_since`` as new.

        ``arxiv_ids`` are the ones the library did not hold before the batch;
        the ``added`` stamp also keeps out a paper that was there under no id
        and only took its id from the batch (a merge, not a new paper).
        """
        marked = 0
        stamp = now()
        with self._write() as conn:
            for start in range(0, len(arxiv_ids), 500):
                chunk = list(arxiv_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                marked += conn.execute(
                    "INSERT OR IGNORE INTO feed_papers (paper_id, source, run, fetched) "
                    f"SELECT id, ?, ?, ? FROM papers WHERE arxiv_id IN ({marks}) AND added >= ?",
                    (source, run, stamp, *chunk, added_since),
                ).rowcount
        return marked

    def record_success(
        self,
        source: str,
        *,
        added: int,
        validator_url: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        oai_from: str | None = None,
        keep_validators: bool = False,
    ) -> None:
        """A fetch of ``source`` ended well: its papers are committed, so its state may advance."""
        stamp = now()
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO feeds (source, created) VALUES (?, ?)", (source, stamp)
            )
            conn.execute(
                "UPDATE feeds SET last_attempt = ?, last_success = ?, last_added = ?, "
                "total_added = total_added + ?, last_error = NULL, "
                "oai_from = coalesce(?, oai_from) WHERE source = ?",
                (stamp, stamp, added, added, oai_from, source),
            )
            if not keep_validators:
                conn.execute(
                    "UPDATE feeds SET validator_url = ?, etag = ?, last_modified = ? WHERE source = ?",
                    (validator_url, etag, last_modified, source),
                )

    def record_failure(self, source: str, error: str, added: int) -> None:
        """A fetch failed: note the error on a known feed; its request state stays as it was."""
        with self._write() as conn:
            conn.execute(
                "UPDATE feeds SET last_attempt = ?, last_error = ?, last_added = ?, "
                "total_added = total_added + ? WHERE source = ?",
                (now(), error, added, added, source),
            )

    # ---------------------------------------------------------------- the "New" list

    def _threshold(self) -> int:
        """New = papers of runs after this one: since the reader last looked, and the last run."""
        last = self._read("SELECT coalesce(max(id), 0) FROM feed_runs")[0][0]
        seen_rows = self._read("SELECT value FROM meta WHERE name = ?", (SEEN_RUN,))
        seen = int(seen_rows[0][0]) if seen_rows and str(seen_rows[0][0]).isdigit() else last - 1
        return min(seen, last - 1)

    def new_keys(self, limit: int | None = None, offset: int = 0, *, ordered: bool = True) -> list[str]:
        sql = (
            "SELECT p.key FROM feed_papers f JOIN papers p ON p.id = f.paper_id WHERE f.run > ?"
        )
        params: list[Any] = [self._threshold()]
        if ordered:
            sql += " ORDER BY p.sort_key DESC, p.untitled, p.id DESC"  # as lists: newest
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [r[0] for r in self._read(sql, params)]

    def count_new(self) -> int:
        return self._read("SELECT count(*) FROM feed_papers WHERE run > ?", (self._threshold(),))[0][0]

    def new_by_feed(self) -> dict[str, int]:
        rows = self._read(
            "SELECT source, count(*) FROM feed_papers WHERE run > ? GROUP BY source ORDER BY source",
            (self._threshold(),),
        )
        return dict(rows)

    def mark_seen(self) -> None:
        """Everything fetched so far has been seen (the next fetch's papers become the New list)."""
        with self._write() as conn:
            last = conn.execute("SELECT coalesce(max(id), 0) FROM feed_runs").fetchone()[0]
            conn.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (SEEN_RUN, str(last)),
            )

    def due(self, every_hours: float, at: datetime | None = None) -> bool:
        """True if there are subscriptions and none was fetched within ``every_hours``."""
        rows = self._read(
            "SELECT count(*), max(last_attempt) FROM feeds WHERE subscribed = 1"
        )
        count, last = rows[0]
        if not count:
            return False
        if not last:
            return True
        try:
            when = datetime.strptime(last, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return True
        return ((at or datetime.now(UTC)) - when).total_seconds() >= every_hours * 3600


def _state(row: tuple) -> FeedState:
    values = list(row)
    values[2] = bool(values[2])
    return FeedState(*values)
