"""Index builds in a child process, so the reader's memory and keystrokes stay flat.

The parent side, :func:`run_in_subprocess`, starts::

    python -m absreader.core.index_job --data DIR --cache DIR --config DIR [--rebuild]

and turns the JSON lines the child prints on stdout into ``IndexProgress``.
The child opens its own :class:`~absreader.core.catalog.Catalog` on the same
paths and runs ``sync_index()`` (build if missing or broken, else catch up)
or, with ``--rebuild``, ``rebuild_index()``; the catalog's locks keep it from
racing another build. Its last line is ``{"phase": "done", ...}`` with the
catalog's notice, or ``{"error": ...}`` (exit status 1).

Closing the generator early (the reader quits, or the user cancels) stops the
child with SIGTERM, which it turns into KeyboardInterrupt: the half-made build
folder is removed and the live index, if any, is untouched.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from absreader.core.index_types import IndexProgress, IndexUnavailable
from absreader.paths import Paths

#: How long a stopped child gets to clean up before it is killed.
STOP_GRACE_S = 10.0


def command(paths: Paths, *, rebuild: bool = False, python: str | None = None) -> list[str]:
    """The child's command line."""
    args = [
        python or sys.executable,
        "-m",
        "absreader.core.index_job",
        "--data",
        str(paths.data_dir),
        "--cache",
        str(paths.cache_dir),
        "--config",
        str(paths.config_dir),
    ]
    if rebuild:
        args.append("--rebuild")
    return args


def run_in_subprocess(
    paths: Paths, *, rebuild: bool = False, nice: int = 5
) -> Iterator[IndexProgress | dict[str, Any]]:
    """Run the build in a child; yields its progress, then its final line as a dict.

    ``nice`` lowers the child's priority (the reader keeps the CPU it needs
    for keystrokes). Raises IndexUnavailable when the child fails.
    """
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        command(paths, rebuild=rebuild),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=(lambda: os.nice(nice)) if nice and hasattr(os, "nice") else None,  # noqa: PLW1509
    )
    final: dict[str, Any] | None = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            if "error" in event or event.get("phase") == "finished":
                final = event
                continue
            yield IndexProgress(int(event["done"]), int(event["total"]), str(event["phase"]))
        code = proc.wait()
    except BaseException:
        _stop(proc)
        raise
    finally:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    if code != 0 or final is None or "error" in final:
        reason = (final or {}).get("error") or f"the index build stopped (exit status {code})"
        raise IndexUnavailable(str(reason), "incomplete")
    yield final


def _stop(proc: subprocess.Popen) -> None:
    """Stop our child: SIGTERM (it cleans up), then SIGKILL if it does not go."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------- the child


def _emit(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def _terminated(signum: int, frame: Any) -> None:
    del signum, frame
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """The child: build or sync the index of the library at the given paths."""
    parser = argparse.ArgumentParser(prog="absreader.core.index_job")
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--cache", required=True, type=Path)
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    from absreader.core.catalog import Catalog
    from absreader.core.library import LibraryError

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
