"""What the index hands back: progress, hits, results, and its one exception."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndexProgress:
    """How far a build or update is: ``phase`` is "indexing", "optimising" or "done"."""

    done: int
    total: int
    phase: str


@dataclass(frozen=True)
class Hit:
    """One search result: the paper's key and its score."""

    key: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    """A page of results, the number of all matches, and what to tell the user."""

    hits: list[Hit]
    total: int
    suggestion: str | None
    notice: str | None
    elapsed_ms: float


class IndexUnavailable(Exception):
    """The index cannot be searched or updated; rebuilding it from the library fixes it.

    ``state`` is what :meth:`SearchIndex.state` would say ("missing", "corrupt", ...).
    """

    def __init__(self, message: str, state: str = "corrupt") -> None:
        super().__init__(message)
        self.state = state
