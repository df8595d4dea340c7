"""Turning untrusted paper fields into Rich ``Text``: literal, printable, highlighted.

Everything a file or a user typed goes through :func:`safe` and into
``Text(...)`` objects built with ``append``/``stylize`` — never through markup —
so a title such as ``[@click=app.quit]x[/]`` is shown as those characters, and
no escape sequence can reach the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.style import Style
from rich.text import Text

from absreader.core.clean import printable
from absreader.core.models import Paper

Spans = Sequence[tuple[int, int]]


def safe(value: object) -> str:
    """Any value as a string that is safe to write to a terminal."""
    return printable("" if value is None else str(value))


def literal(value: object, style: str | Style = "") -> Text:
    """A ``Text`` holding ``value`` literally (no markup, no emoji codes, no controls)."""
    return Text(safe(value), style=style, end="")


def highlighted(
    value: str, spans: Spans | None, style: str | Style, base: str | Style = ""
) -> Text:
    """``value`` as literal text with each ``(start, end)`` span styled.

    Spans index into ``value``; if cleaning for the terminal changed the string
    (it only removes control characters) the spans would be off, so they are
    dropped rather than misplaced.
    """
    shown = safe(value)
    text = Text(shown, style=base, end="")
    if spans and shown == value:
        length = len(shown)
        for start, end in spans:
            start, end = max(0, int(start)), min(length, int(end))
            if start < end:
                text.stylize(style, start, end)
    return text


def paper_title(paper: Paper) -> str:
    """The title to show: the real title, or the display title of an untitled paper."""
    return paper.display_title if paper.untitled or not paper.title else paper.title


def paper_ident(paper: Paper) -> str:
    """The arXiv id with its version (``2403.13043v2``), or the library key."""
    if paper.arxiv_id:
        return f"{paper.arxiv_id}v{paper.version}" if paper.version else paper.arxiv_id
    return paper.key


def link_url(paper: Paper, which: str = "abs") -> str | None:
    """A web address (``abs`` page, ``pdf`` or ``doi``) that is safe to open or to attach
    as a terminal hyperlink, or None."""
    url = {"abs": paper.abs_url, "pdf": paper.pdf_url, "doi": paper.doi_url}[which]
    if not url:
        return None
    url = safe(url).strip()
    if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
        return None
    return url


def join_tags(tags: Iterable[str]) -> str:
    """Tags as ``#one #two`` (each cleaned)."""
    return " ".join(f"#{safe(t)}" for t in tags)


def one_line(value: str, limit: int = 80) -> str:
    """A short single-line version of ``value`` for notifications and prompts."""
    text = " ".join(safe(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 paper``, ``2 papers``, ``1,024 papers``."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"
