"""The library file: creating and opening it, and the connections that read and write it.

Lock scheme (see ARCHITECTURE.md): SQLite in WAL mode lets readers read while
a writer writes. Every thread gets its own read connection and never waits for
a writer. Writes go through the one write connection of a process, serialised
by a plain lock held only while a transaction runs, and across processes by
SQLite's own write lock (``BEGIN IMMEDIATE`` with a busy timeout).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from absreader.core.library.errors import (
    HOME_HINT,
    LibraryError,
    damaged,
    db_error,
    is_storage_error,
    open_error,
    replaced,
)
from absreader.core.library.schema import migrate
from absreader.core.library.turns import Turns

_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 30000
#: Page cache for bulk writes (``Store.bulk``), in KiB.
BULK_CACHE_KIB = 128 * 1024
#: WAL bytes between checkpoints during bulk writes (256 MB): an index page changed
#: by many batches is copied into the library once per checkpoint.
BULK_CHECKPOINT_BYTES = 256 * 1024 * 1024
#: After an import, the WAL file is cut back to this when it restarts (bytes).
WAL_KEEP = 64 * 1024 * 1024


class FairLock:
    """A lock taken in the order it was asked for, so a user's bookmark is not starved
    by an import that asks again the moment it lets go."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._next = 0
        self._serving = 0

    def __enter__(self) -> None:
        with self._cond:
            ticket = self._next
            self._next += 1
            while ticket != self._serving:
                self._cond.wait()

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._serving += 1
            self._cond.notify_all()

    @property
    def waiting(self) -> int:
        """How many threads wait for the lock (besides the one holding it)."""
        with self._cond:
            return max(0, self._next - self._serving - 1)


class Store:
    """The connections to one library file: one writer, one reader per thread."""

    def __init__(self, path: Path, writer: sqlite3.Connection) -> None:
        self.path = path
        self.writer = writer
        self._write_lock = FairLock()
        self._readers: dict[int, sqlite3.Connection] = {}
        self._readers_lock = threading.Lock()
        self._identity = _identity(path)
        self._closed = False
        self.turns = Turns(path)
        #: The thread running ``bulk`` (it checkpoints the WAL), and the WAL's size
        #: at its last checkpoint.
        self._bulk_thread: int | None = None
        self._checkpointed_at = 0

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Store:
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
            check_header(path)
        elif not create:
            raise LibraryError(f"{path}: no library yet (run `absreader import` first)")
        else:
            create_file(path)
        try:
            conn = _connect(path)
        except sqlite3.Error as exc:
            raise LibraryError(f"{path}: cannot open the library: {exc}") from None
        try:
            configure(conn)
            migrate(conn)
            # A cheap look at what every start reads first: damage there is caught
            # here, with the message below, rather than half-way through a command.
            conn.execute("SELECT name, value FROM meta").fetchall()
            conn.execute("SELECT id, key FROM papers ORDER BY sort_key DESC, untitled, id DESC LIMIT 50").fetchall()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise open_error(path, exc) from None
        return cls(path, conn)

    def close(self) -> None:
        """Close every connection (the writer last, checkpointing the WAL)."""
        with self._readers_lock:
            readers, self._readers = list(self._readers.values()), {}
            self._closed = True
        for conn in readers:
            with suppress(sqlite3.Error):
                conn.close()
        with self._write_lock:
            self.writer.close()
            self.turns.close()

    # ---------------------------------------------------------------- reading

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection (made on first use)."""
        ident = threading.get_ident()
        conn = self._readers.get(ident)
        if conn is not None:
            return conn
        with self._readers_lock:
            if self._closed:
                raise LibraryError(f"{self.path}: the library is closed")
            alive = {t.ident for t in threading.enumerate()}
            for old in [i for i in self._readers if i not in alive]:
                with suppress(sqlite3.Error):
                    self._readers.pop(old).close()
            try:
                conn = _connect(self.path)
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA query_only = ON")
            except sqlite3.DatabaseError as exc:
                raise db_error(self.path, exc, writing=False) from None
            self._readers[ident] = conn
        return conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One consistent snapshot to read from; SQLite's failures become LibraryError.

        Nested uses in one thread share the outer snapshot.
        """
        conn = self.reader()
        outer = not conn.in_transaction
        try:
            if outer:
                conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if outer and conn.in_transaction:
                    conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if not is_storage_error(exc):
                raise
            raise db_error(self.path, exc, writing=False) from None

    # ---------------------------------------------------------------- writing

    @contextmanager
    def write(self) -> Iterator[tuple[sqlite3.Connection, int]]:
        """One write transaction; yields the connection and this transaction's seq.

        Any failure rolls the whole transaction back; SQLite's errors (disk
        full, read-only, busy, damaged) become one LibraryError saying so. A
        library file deleted or replaced underneath is noticed here, before
        anything is written to a file nobody will read again.
        """
        with self._write_lock:
            self._check_identity()
            conn = self.writer
            try:
                with self._begin(conn):
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
                if is_storage_error(exc):
                    raise db_error(self.path, exc, writing=True) from None  # type: ignore[arg-type]
                raise
        if self._bulk_thread == threading.get_ident():
            self._checkpoint(due_only=True)

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Write-connection settings for a long run of large write batches (an import).

        A 128 MB page cache keeps the indexes an import updates in memory (the
        2 MB default re-read them from disk for every batch), and temporary
        B-trees stay in memory. The WAL is checkpointed every 256 MB instead of
        every 4 MB, so a page changed by many batches is copied into the library
        once per checkpoint; and the importing thread checkpoints it itself,
        after a commit and from its read connection (``_checkpoint``), never
        inside a commit. SQLite's automatic checkpoint runs inside the commit
        that crosses the threshold, with the write lock held: a user's bookmark
        meanwhile waited for it, and the first write after an import paid for
        the whole WAL (234 ms after 20,000 papers). The WAL file is cut back to
        nothing when it restarts, so its size is what the next checkpoint has
        to copy. Settings are restored afterwards, so a reader that imported
        does not keep the big cache; the WAL is then kept to 64 MB.
        """
        conn = self.writer
        with self._write_lock:
            cache = conn.execute("PRAGMA cache_size").fetchone()[0]
            checkpoint = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
            conn.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            conn.execute("PRAGMA journal_size_limit = 0")
            owner, self._bulk_thread = self._bulk_thread, threading.get_ident()
        try:
            yield
        finally:
            self._bulk_thread = owner
            self._checkpoint(due_only=False)  # before the next writer's commit would
            with self._write_lock, suppress(sqlite3.Error):
                conn.execute(f"PRAGMA cache_size = {int(cache)}")
                conn.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint)}")
                conn.execute(f"PRAGMA journal_size_limit = {WAL_KEEP}")
                conn.execute("PRAGMA temp_store = DEFAULT")

    def _checkpoint(self, *, due_only: bool) -> None:
        """Copy the WAL into the library from this thread's read connection, without
        the write lock: other writers go on meanwhile (a PASSIVE checkpoint waits for
        nobody and copies what it can). With ``due_only``, only once the WAL has grown
        ``BULK_CHECKPOINT_BYTES`` since the last one. A failure is left to SQLite's
        next checkpoint: the data is safe in the WAL either way."""
        try:
            size = os.stat(f"{self.path}-wal").st_size
        except OSError:
            return  # no WAL: nothing to copy
        if size < self._checkpointed_at:
            self._checkpointed_at = 0  # the WAL restarted (and was cut back)
        if due_only and size - self._checkpointed_at < BULK_CHECKPOINT_BYTES:
            return
        with suppress(sqlite3.Error, LibraryError):
            conn = self.reader()
            if not conn.in_transaction:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self._checkpointed_at = size

    @contextmanager
    def _begin(self, conn: sqlite3.Connection) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` in turn: a writer of another process that waits goes first,
        and if the library is busy this one says it waits (see ``turns``) until it has it."""
        self.turns.let_waiters_first()
        timeout = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            busy = True
        else:
            busy = False
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")
        if not busy:
            yield
            return
        with self.turns.waiting():
            conn.execute("BEGIN IMMEDIATE")
        yield  # the turn is ours: others may say they wait again

    def writers_waiting(self) -> bool:
        """Whether another writer waits: a thread of this process, or another process."""
        return self._write_lock.waiting > 0 or self.turns.someone_waits()

    def _check_identity(self) -> None:
        now = _identity(self.path)
        if now is None:
            raise replaced(self.path, "deleted")
        if self._identity is not None and now != self._identity:
            raise replaced(self.path, "replaced")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )


def configure(conn: sqlite3.Connection) -> None:
    """WAL, a busy timeout, and the settings every write connection uses."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() != "wal":
        conn.execute(f"PRAGMA journal_mode = {mode}")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def create_file(path: Path) -> None:
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
                f"written. Make the folder writable, or set {HOME_HINT} to another folder."
            ) from None
        try:
            conn = sqlite3.connect(str(tmp), timeout=30.0, isolation_level=None)
            try:
                configure(conn)
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


def check_header(path: Path) -> None:
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
        raise damaged(path, "the file is empty")
    if not head.startswith(_MAGIC):
        raise damaged(path, "not an SQLite database")
    if len(head) < 100:
        raise damaged(path, f"cut short: {size:,} bytes")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    header_valid = head[24:28] == head[92:96]
    expected = page_size * pages
    if header_valid and pages and size < expected and not _has_wal(path):
        raise damaged(path, f"cut short: {size:,} of {expected:,} bytes")
