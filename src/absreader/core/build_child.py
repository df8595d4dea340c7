"""The child process of an index build (``search/build_job.py`` starts it).

It opens its own Catalog on the given paths, runs ``sync_index()`` (or with
``--rebuild``, ``rebuild_index()``) and prints its progress as JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from absreader.core.catalog import Catalog, IndexUnavailable, LibraryError
from absreader.paths import Paths


def _emit(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def _terminated(signum: int, frame: Any) -> None:
    del signum, frame
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """The child: build or sync the index of the library at the given paths."""
    parser = argparse.ArgumentParser(prog="absreader.core.build_child")
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--cache", required=True, type=Path)
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--nice", type=int, default=0)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    if args.nice and hasattr(os, "nice"):
        # Our own priority, set here: preexec_fn is unsafe in a threaded parent (the reader).
        os.nice(args.nice)
    paths = Paths(args.data, args.cache, args.config)
    try:
        catalog = Catalog.open(paths)
    except LibraryError as exc:
        _emit({"error": str(exc)})
        return 1
    try:
        events = catalog.rebuild_index() if args.rebuild else catalog.sync_index()
        last = 0.0
        for event in events:
            # At most ~20 lines a second: the parent only redraws a progress bar.
            now = time.monotonic()
            if event.phase == "indexing" and now - last < 0.05 and event.done < event.total:
                continue
            last = now
            _emit({"done": event.done, "total": event.total, "phase": event.phase})
        _emit(
            {
                "phase": "finished",
                "papers": catalog.index.doc_count(),
                "state": catalog.index.state(),
                "notice": catalog.notice,
            }
        )
        return 0
    except KeyboardInterrupt:
        return 130
    except (OSError, IndexUnavailable, LibraryError) as exc:
        _emit({"error": str(exc)})
        return 1
    finally:
        catalog.close()


if __name__ == "__main__":
    raise SystemExit(main())
