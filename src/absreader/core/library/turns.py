"""Taking turns at writing across processes: a long import yields to a waiting writer.

SQLite lets one process write at a time, and its busy handler polls: a CLI
bookmark made while another process imports waits until the import commits,
however long its transactions are. So imports used short transactions, and
each commit rewrote every index page it touched (most of an import's bytes).

Here a writer that finds the library busy says so: it holds an exclusive
``flock`` on a small file beside the library (``library.sqlite3-turn``) while
it waits for SQLite's lock. An import looks at that lock every few
milliseconds (a non-blocking shared lock that fails means someone waits),
commits at once when it sees it, and before its next transaction takes the
shared lock blocking, so it starts again only once the waiting writer has the
library (SQLite's polling busy handler alone would let the import win the race
again). Nobody waiting, imports can commit every couple of seconds.

Neither lock is held while a transaction runs (only while waiting for one), so
a writer never waits for the turn file while it holds SQLite's lock, and the
two can not deadlock. Where ``fcntl`` or the file is unavailable (another platform, a
read-only folder) writers simply wait as before.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

#: How often a long transaction looks for a waiting writer (seconds).
LOOK_EVERY_S = 0.005


class Turns:
    """The turn file of one library, for one process."""

    def __init__(self, library: Path) -> None:
        self.path = library.with_name(library.name + "-turn")
        self._fd: int | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._looked = 0.0
        self._seen = False

    def _file(self, create: bool) -> int | None:
        """The turn file, opened once; made only by a writer that waits (``create``),
        so a library nobody contended for has no such file beside it."""
        if self._fd is None and not self._closed and fcntl is not None:
            flags = os.O_RDWR | (os.O_CREAT if create else 0)
            with suppress(OSError):
                self._fd = os.open(self.path, flags, 0o644)
        return self._fd

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Held by a writer that found the library busy, until SQLite's lock is its."""
        with self._lock:
            fd = self._file(create=True)
        if fd is None:
            yield
            return
        with _flock(fd, fcntl.LOCK_EX):
            yield

    def let_waiters_first(self) -> None:
        """Before a transaction: wait until no writer of another process is waiting."""
        with self._lock:
            fd = self._file(create=False)
        if fd is None:
            return  # no file: nobody ever waited
        with _flock(fd, fcntl.LOCK_SH):
            pass
        self._seen = False

    def someone_waits(self) -> bool:
        """Whether a writer of another process waits (looked at every ``LOOK_EVERY_S``)."""
        now = time.perf_counter()
        if self._seen or now - self._looked < LOOK_EVERY_S:
            return self._seen
        self._looked = now
        with self._lock:
            fd = self._file(create=False)
        if fd is None:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            self._seen = True
        except OSError:
            return False
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
        return self._seen

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                with suppress(OSError):
                    os.close(self._fd)
            self._fd, self._closed = None, True


@contextmanager
def _flock(fd: int, how: int) -> Iterator[None]:
    try:
        fcntl.flock(fd, how)
    except OSError:
        yield  # a file system without locks: no turns, writers wait as before
        return
    try:
        yield
    finally:
        with suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
