"""Undo for the reader's sweeping actions (mark all read, bulk changes, delete).

An action that changes many papers at once, or removes one, pushes an
:class:`UndoStep` onto the app's :class:`UndoStack` after it committed: a label
("Marked 42 papers read") and a function that reverses it through the catalog.
``u`` (the app's ``undo`` binding) pops the newest step and runs it in a
worker; the library watcher then redraws whatever it changed, like any other
change. Steps are kept in memory only, for this session, newest first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from absreader.core.catalog import Catalog

#: How many steps are kept; older ones are dropped.
UNDO_DEPTH = 20

#: Reverses a step through the catalog; returns what to tell the user.
Reverse = Callable[[Catalog], str]


@dataclass(frozen=True)
class UndoStep:
    """One undoable action: what it did, and how to take it back."""

    label: str
    reverse: Reverse


class UndoStack:
    """The session's undoable actions, newest last."""

    def __init__(self, depth: int = UNDO_DEPTH) -> None:
        self.depth = depth
        self._steps: list[UndoStep] = []

    def push(self, label: str, reverse: Reverse) -> None:
        """Remember a committed action and its reversal."""
        self._steps.append(UndoStep(label, reverse))
        del self._steps[: -self.depth]

    def pop(self) -> UndoStep | None:
        """The newest step, removed; ``None`` when there is nothing to undo."""
        return self._steps.pop() if self._steps else None

    def peek(self) -> UndoStep | None:
        return self._steps[-1] if self._steps else None

    def __len__(self) -> int:
        return len(self._steps)
