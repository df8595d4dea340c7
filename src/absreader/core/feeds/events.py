"""What a fetch job yields: progress after each committed page, a report per source (no HTTP here).

Kept apart from the runner so the reader can recognise a fetch job's events
without loading the HTTP client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from absreader.core.feeds.spec import DEFAULT_MAX
from absreader.core.models import Problem


@dataclass(frozen=True)
class FetchOptions:
    """What the user asked for: extra tags, and how many API results at most."""

    tags: tuple[str, ...] = ()
    max_results: int = DEFAULT_MAX
    today: date | None = None


@dataclass(frozen=True)
class FetchProgress:
    """A page of ``source`` was committed: entries seen so far (of ``total`` when known)."""

    source: str
    label: str
    done: int
    total: int
    added: int
    merged: int


@dataclass
class FetchReport:
    """What fetching one source did."""

    source: str
    records: int = 0
    added: int = 0
    merged: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    pages: int = 0
    not_modified: bool = False
    tag: str | None = None
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.merged or self.updated)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "records": self.records,
            "added": self.added,
            "merged": self.merged,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "pages": self.pages,
            "not_modified": self.not_modified,
            "tag": self.tag,
            "problems": [{"source": p.source, "entry": p.line, "reason": p.reason} for p in self.problems],
            "error": self.error,
        }
