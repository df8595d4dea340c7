"""Plain-text rendering of papers for the command line."""

from __future__ import annotations

import shutil
import textwrap

from absreader.core.models import Paper


def paper_line(paper: Paper) -> str:
    """One line per paper: marks, key, title, tags."""
    marks = ("*" if paper.bookmarked else " ") + (" " if paper.read else "•")
    tags = f"  [{', '.join(paper.tags)}]" if paper.tags else ""
    return f"{marks} {paper.key:<16} {paper.display_title}{tags}"


def paper_detail(paper: Paper, width: int | None = None) -> str:
    """A full plain-text view of one paper."""
    width = width or min(100, shutil.get_terminal_size((100, 24)).columns)
    lines = [paper.display_title, ""]
    fields = [
        ("key", paper.key),
        ("arXiv", f"{paper.arxiv_id}v{paper.version}" if paper.arxiv_id and paper.version else paper.arxiv_id),
        ("url", paper.abs_url),
        ("authors", ", ".join(paper.authors)),
        ("categories", " ".join(paper.categories)),
        ("published", paper.published),
        ("updated", paper.updated),
        ("doi", paper.doi),
        ("journal", paper.journal_ref),
        ("comment", paper.comment),
        ("tags", ", ".join(paper.tags)),
        ("bookmarked", "yes" if paper.bookmarked else None),
        ("read", "yes" if paper.read else "no"),
        ("sources", ", ".join(paper.sources)),
    ]
    for name, value in fields:
        if value:
            lines.append(f"{name + ':':<12}{value}")
    if paper.note:
        lines += ["", "Note:"] + [textwrap.fill(p, width, initial_indent="  ", subsequent_indent="  ")
                                  for p in paper.note.split("\n\n")]
    if paper.abstract:
        lines.append("")
        lines += [textwrap.fill(p, width) + "\n" for p in paper.abstract.split("\n\n")]
    return "\n".join(lines).rstrip()
