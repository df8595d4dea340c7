"""Copying text: the terminal's clipboard (OSC 52) and a system clipboard tool when present.

OSC 52 asks the terminal to set its clipboard; whether it does (tmux, ssh and
many terminals ignore it) cannot be known, so the reader only says the text
was *sent*. Where ``wl-copy``, ``xclip`` or ``pbcopy`` exists it is used too,
and its success can be reported.
"""

from __future__ import annotations

import os
import shutil
import subprocess

#: Tried in order; the first one present is used. (Wayland first: xclip may exist under it.)
TOOLS: tuple[tuple[str, ...], ...] = (
    ("wl-copy",),
    ("xclip", "-selection", "clipboard"),
    ("pbcopy",),
)
TIMEOUT = 3.0


def clipboard_tool() -> list[str] | None:
    """The command line of a system clipboard tool, or None when there is none."""
    for command in TOOLS:
        if command[0] == "wl-copy" and not os.environ.get("WAYLAND_DISPLAY"):
            continue
        if command[0] == "xclip" and not os.environ.get("DISPLAY"):
            continue
        found = shutil.which(command[0])
        if found:
            return [found, *command[1:]]
    return None


def copy_with_tool(text: str) -> str | None:
    """Give ``text`` to the system clipboard tool; its name when it succeeded, else None.

    Runs the tool as a child process (call it from a worker thread, not the UI).
    """
    command = clipboard_tool()
    if command is None:
        return None
    try:
        done = subprocess.run(
            command, input=text.encode("utf-8"), timeout=TIMEOUT, check=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return os.path.basename(command[0]) if done.returncode == 0 else None
