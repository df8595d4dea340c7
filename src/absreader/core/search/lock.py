"""The one lock on the search index: who may build, update or swap it.

A reentrant ``flock`` on ``cache/index.lock``, shared by every part of a
process that touches that index (the catalog's sync and the index's own
writes), so a sync that decides to rebuild already holds what the build
needs. Across processes it makes one builder at a time; searching takes no
lock at all. It uses no Whoosh, so taking it costs a command nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:  # POSIX; elsewhere two processes may both build a missing index (harmless, slower)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

_LOCKS: dict[str, IndexLock] = {}
_LOCKS_GUARD = threading.Lock()


class IndexLock:
    """A reentrant inter-process lock on one lock file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._handle = None

    @classmethod
    def for_path(cls, path: Path) -> IndexLock:
        """The process's one lock object for this lock file."""
        key = str(Path(path).absolute())
        with _LOCKS_GUARD:
            lock = _LOCKS.get(key)
            if lock is None:
                lock = _LOCKS[key] = cls(Path(path))
            return lock

    @contextmanager
    def hold(self, wait: bool = True) -> Iterator[bool]:
        """Hold the lock (True), or yield False at once if ``wait`` is off and it is taken.

        A lock file that cannot be made (read-only cache) goes ahead unguarded:
        the index's generation swap is atomic on its own.
        """
        if not self._thread_lock.acquire(blocking=wait):
            yield False
            return
        try:
            if self._depth == 0 and not self._take(wait):
                yield False
                return
            self._depth += 1
            try:
                yield True
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release()
        finally:
            self._thread_lock.release()

    def _take(self, wait: bool) -> bool:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+b")  # noqa: SIM115 - closed in _release
        except OSError:
            return True
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                handle.close()
                return False
        self._handle = handle
        return True

    def _release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()
