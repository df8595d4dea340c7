"""Index builds in a child process, so the reader's memory and keystrokes stay flat.

The parent side, :func:`run_in_subprocess`, starts::

    python -m absreader.core.build_child --data DIR --cache DIR --config DIR [--rebuild]

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

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from absreader.core.search.types import IndexProgress, IndexUnavailable
from absreader.paths import Paths

#: How long a stopped child gets to clean up before it is killed.
STOP_GRACE_S = 10.0


def command(
    paths: Paths, *, rebuild: bool = False, nice: int = 0, python: str | None = None
) -> list[str]:
    """The child's command line."""
    args = [
        python or sys.executable,
        "-m",
        "absreader.core.build_child",
        "--data",
        str(paths.data_dir),
        "--cache",
        str(paths.cache_dir),
        "--config",
        str(paths.config_dir),
    ]
    if rebuild:
        args.append("--rebuild")
    if nice:
        args += ["--nice", str(nice)]
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
        command(paths, rebuild=rebuild, nice=nice),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
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
        if proc.stdout is not None:
            proc.stdout.close()
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
