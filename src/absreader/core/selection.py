"""What a reader or a command asks to see: a reading list, filters, a page of results."""

from __future__ import annotations

from dataclasses import dataclass, field

from absreader.core.models import SavedSearch, TagInfo

LIST_KINDS = ("all", "unread", "bookmarked", "tag", "saved", "new")
#: The orders a list or a search can be shown in; "relevance" is for searches (a list
#: shown "by relevance" is shown newest first).
SORTS = ("relevance", "newest", "oldest", "title", "added", "unread")
SORT_LABELS = {
    "relevance": "Relevance",
    "newest": "Newest first",
    "oldest": "Oldest first",
    "title": "Title A-Z",
    "added": "Recently added",
    "unread": "Unread first",
}


def parse_years(text: str) -> tuple[int, int]:
    """``2023``, ``2021..2023``, ``2021..`` or ``..2023`` as an inclusive range of four-digit
    years; ValueError saying what is wrong."""
    bad = ValueError(f"not a year or a range of years: {text!r} (try 2023 or 2021..2023)")
    lo, sep, hi = text.strip().partition("..")
    if not (lo or hi):
        raise bad
    try:
        first = int(lo) if lo else 1000
        last = int(hi) if hi else (9999 if sep else first)
    except ValueError:
        raise bad from None
    if not (1000 <= first <= 9999 and 1000 <= last <= 9999) or first > last:
        raise bad
    return first, last


@dataclass(frozen=True)
class ListSpec:
    """Which reading list is shown: all, unread, bookmarked, a tag or a saved search."""

    kind: str = "all"
    name: str = ""

    @property
    def label(self) -> str:
        if self.kind in ("tag", "saved"):
            return self.name
        return self.kind.capitalize()


@dataclass(frozen=True)
class Filters:
    """Which papers a selection starts from: every tag named, bookmarked, unread, a saved search.

    A reader's ``ListSpec`` is one of these; the CLI's ``--tag/--bookmarked/--unread/--saved``
    flags combine several.
    """

    tags: tuple[str, ...] = ()
    bookmarked: bool = False
    unread: bool = False
    saved: str | None = None
    #: Any of these arXiv categories (``cs`` takes ``cs.LG``).
    categories: tuple[str, ...] = ()
    #: Any of these year ranges, both ends included.
    years: tuple[tuple[int, int], ...] = ()
    #: Only the papers the last fetches added (the "New" list).
    new: bool = False

    @classmethod
    def of(cls, spec: ListSpec | Filters) -> Filters:
        """The filters a reading list stands for."""
        if isinstance(spec, Filters):
            return spec
        if spec.kind == "unread":
            return cls(unread=True)
        if spec.kind == "bookmarked":
            return cls(bookmarked=True)
        if spec.kind == "tag":
            return cls(tags=(spec.name,))
        if spec.kind == "saved":
            return cls(saved=spec.name)
        if spec.kind == "new":
            return cls(new=True)
        return cls()

    def library_filters(self) -> dict:
        """The keyword arguments ``Library.list_keys`` takes for these filters."""
        return {
            "tags": list(self.tags),
            "bookmarked": True if self.bookmarked else None,
            "unread": True if self.unread else None,
            "categories": list(self.categories),
            "years": list(self.years),
        }

    @property
    def narrows(self) -> bool:
        """True if the library's own filters (not a query) leave papers out."""
        return bool(self.tags or self.bookmarked or self.unread or self.categories or self.years)



def combine_queries(saved: str, typed: str) -> str:
    """A saved search narrowed by what is typed: each part grouped, both must hold."""
    saved, typed = saved.strip(), typed.strip()
    if saved and typed:
        return f"({saved}) ({typed})"
    return saved or typed


@dataclass(frozen=True)
class Page:
    """One page of a list or a search: keys in order, and what to tell the user."""

    keys: list[str]
    total: int
    library_total: int
    query: str = ""
    suggestion: str | None = None
    notice: str | None = None
    elapsed_ms: float = 0.0
    #: Papers with all the words (they come first); None when the search has one part.
    strict_total: int | None = None
    #: "12 have all words · 188 have some", when the search has two parts.
    status: str | None = None


@dataclass(frozen=True)
class Lists:
    """The sidebar's contents with counts."""

    all: int
    unread: int
    bookmarked: int
    tags: list[TagInfo] = field(default_factory=list)
    saved: list[SavedSearch] = field(default_factory=list)
    #: Papers the last fetches added (the "New" list), and how many per feed.
    new: int = 0
    new_by_feed: dict[str, int] = field(default_factory=dict)
