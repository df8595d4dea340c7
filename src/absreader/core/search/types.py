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
    """A page of results, the number of all matches, and what to tell the user.

    The ranking has two parts: papers with all the words (``strict_total`` of
    them) come first, then papers with some of the words. ``strict_total`` is
    None when the query has one part only (one word, ``AND``, ``OR``, a
    phrase...): then every hit matches it fully.
    """

    hits: list[Hit]
    total: int
    suggestion: str | None
    notice: str | None
    elapsed_ms: float
    strict_total: int | None = None
    #: The offset of the first hit of this page in the whole ranking.
    offset: int = 0

    @property
    def divider(self) -> int | None:
        """Where papers with only some of the words start, as an index into ``hits``.

        None when there is no such place on this page.
        """
        if self.strict_total is None or self.strict_total >= self.total:
            return None
        at = self.strict_total - self.offset
        return at if 0 <= at < len(self.hits) else None

    @property
    def status(self) -> str | None:
        """"12 have all words · 188 have some", or None for a one-part ranking."""
        if self.strict_total is None or self.strict_total >= self.total:
            return None
        return (
            f"{self.strict_total:,} {'has' if self.strict_total == 1 else 'have'} all words"
            f" · {self.total - self.strict_total:,}"
            f" {'has' if self.total - self.strict_total == 1 else 'have'} some"
        )


class IndexUnavailable(Exception):
    """The index cannot be searched or updated; rebuilding it from the library fixes it.

    ``state`` is what :meth:`SearchIndex.state` would say ("missing", "corrupt", ...).
    """

    def __init__(self, message: str, state: str = "corrupt") -> None:
        super().__init__(message)
        self.state = state
