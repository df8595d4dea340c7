"""A long import in one process yields to a write of another process (``library/turns.py``).

The import below keeps one transaction open for as long as records keep
coming (its slices are an hour long), so without taking turns the other
process's bookmark would wait for SQLite's busy timeout and fail.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from absreader.core.library import Library
from absreader.core.models import Record

IMPORTER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import absreader.core.library.library as L
    from absreader.core.library import Library
    from absreader.core.models import Record

    L.WRITE_SLICE_FIRST_S = L.WRITE_SLICE_IDLE_S = 3600.0
    db, started, stop = (Path(a) for a in sys.argv[1:4])

    def records():
        n = 0
        while not stop.exists():
            n += 1
            yield Record(source="feed", line=n, title=f"Streamed paper {n}",
                         abstract=f"Abstract number {n} of a slow stream.",
                         arxiv_id=f"2301.{n:05d}")
            if n == 20:
                started.write_text("in a transaction")
            time.sleep(0.002)  # a slow source, not synchronisation: the stream goes on

    with Library.open(db) as library:
        stats = library.upsert(records())
    print(stats.added)
    """
)


def test_a_bookmark_of_another_process_gets_its_turn_during_a_long_import(tmp_path: Path) -> None:
    db = tmp_path / "library.sqlite3"
    with Library.open(db) as library:
        library.upsert([Record(source="a.bib", line=1, title="Mine", abstract="My own paper.")])
        key = library.list_keys()[0]
    started, stop = tmp_path / "started", tmp_path / "stop"
    proc = subprocess.Popen(
        [sys.executable, "-c", IMPORTER, str(db), str(started), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        end = time.monotonic() + 60
        while not started.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < end, "the import never started"
            time.sleep(0.01)  # polling for the child's signal file
        with Library.open(db) as library:
            library._conn.execute("PRAGMA busy_timeout = 10000")  # fail in 10 s, not 30
            paper = library.set_bookmarked(key)
            assert paper.bookmarked
            # The import had to commit what it had to let the bookmark in.
            streamed = library.count() - 1
            assert streamed >= 20
            assert proc.poll() is None, "the import was still going when the bookmark landed"
    finally:
        stop.write_text("stop")
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    with Library.open(db) as library:
        assert library.get(key).bookmarked
        # Nothing the import took in was lost, before or after the bookmark.
        assert library.count() == int(out.strip()) + 1
