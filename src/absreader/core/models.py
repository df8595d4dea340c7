"""The domain's value types: records read from files, papers in the library."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Record:
    """One paper as a source file describes it, before cleaning and merging.

    Parsers fill what their format has and leave the rest empty. Text fields
    are raw (cleaning happens later); ``arxiv_id`` may be in any form the
    format uses (``arXiv:2403.13043v2``, an abs URL, ``hep-th/9901001``).
    Dates are ISO ``YYYY-MM-DD`` strings when the format has them.
    """

    source: str
    line: int
    title: str | None = None
    abstract: str | None = None
    arxiv_id: str | None = None
    version: str | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    published: str | None = None
    updated: str | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    url: str | None = None
    # Bibliographic data: the entry type (BibTeX's ``article``, ``inproceedings``...),
    # the journal or proceedings, and the citation key the file gave the entry.
    entry_type: str | None = None
    venue: str | None = None
    cite_key: str | None = None
    # Personal data carried by an absreader JSON backup; empty for other formats.
    tags: tuple[str, ...] = ()
    bookmarked: bool | None = None
    read: bool | None = None
    note: str | None = None
    # What a backup restores as it was: when the paper was added, the files it came
    # from, and the other keys it answers to.
    key: str | None = None
    added: str | None = None
    sources: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    """A record a parser could not read: where, and why, in words for a person."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class Paper:
    """A paper in the library, with the user's personal data attached.

    ``categories`` lists the primary category first. ``display_title`` is the
    title, or for an untitled paper its id and the opening words of its abstract.
    """

    key: str
    title: str
    display_title: str
    untitled: bool
    abstract: str = ""
    arxiv_id: str | None = None
    version: str | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    published: str | None = None
    updated: str | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    url: str | None = None
    entry_type: str | None = None
    venue: str | None = None
    cite_key: str | None = None
    sources: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    bookmarked: bool = False
    read: bool = False
    note: str = ""
    added: str = ""
    seq: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def abs_url(self) -> str | None:
        """The arXiv abstract page, when the paper has an arXiv id."""
        if self.arxiv_id:
            return f"https://arxiv.org/abs/{self.arxiv_id}"
        return self.url

    @property
    def pdf_url(self) -> str | None:
        """The arXiv PDF, when the paper has an arXiv id."""
        return f"https://arxiv.org/pdf/{self.arxiv_id}" if self.arxiv_id else None

    @property
    def doi_url(self) -> str | None:
        """The DOI resolver's address for the paper's DOI, when it has one."""
        doi = (self.doi or "").strip()
        for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
            if doi.lower().startswith(prefix):
                doi = doi[len(prefix):]
        return f"https://doi.org/{doi}" if doi.startswith("10.") else None

    def to_json(self) -> dict[str, Any]:
        """The JSON record shape every ``--json`` output uses (and backups restore)."""
        return {
            "key": self.key,
            "arxiv_id": self.arxiv_id,
            "version": self.version,
            "title": self.title,
            "display_title": self.display_title,
            "untitled": self.untitled,
            "abstract": self.abstract,
            "authors": list(self.authors),
            "categories": list(self.categories),
            "published": self.published,
            "updated": self.updated,
            "doi": self.doi,
            "journal_ref": self.journal_ref,
            "comment": self.comment,
            "url": self.url or self.abs_url,
            "entry_type": self.entry_type,
            "venue": self.venue,
            "cite_key": self.cite_key,
            "sources": list(self.sources),
            "aliases": list(self.aliases),
            "tags": list(self.tags),
            "bookmarked": self.bookmarked,
            "read": self.read,
            "note": self.note,
            "added": self.added,
        }


@dataclass
class ImportReport:
    """What importing one file did."""

    path: str
    format: str = ""
    records: int = 0
    added: int = 0
    merged: int = 0
    skipped: int = 0
    filtered: int = 0
    #: Of ``filtered``: records with no category (``--category``) or no date (``--since``).
    no_category: int = 0
    no_date: int = 0
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["problems"] = [
            {"file": p.source, "line": p.line, "reason": p.reason} for p in self.problems
        ]
        return data


@dataclass(frozen=True)
class SavedSearch:
    """A named query that behaves like a reading list (also what a backup carries)."""

    name: str
    query: str


@dataclass(frozen=True)
class TagInfo:
    """A tag (reading list) as the user typed it, how many papers carry it, how many unread."""

    name: str
    count: int
    unread: int = 0
