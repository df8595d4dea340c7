"""What a SOURCE means: the fetchable sources as the user types them, checked and spelled one way.

``arxiv:CAT``, ``arxiv-query:QUERY``, ``arxiv-id:ID[,ID...]``,
``hf-daily[:YYYY-MM-DD]`` and ``oai:SET``. Light on purpose (no HTTP client
imported), so the command line can check sources and print help quickly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from absreader.core.ids import parse_arxiv_id

KINDS = ("arxiv", "arxiv-query", "arxiv-id", "hf-daily", "oai")
DEFAULT_MAX = 200
MAX_IDS = 2000

_CATEGORY = re.compile(r"^[a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?$")
_OAI_SET = re.compile(r"^[A-Za-z][\w.-]*(?::[\w.-]+)*$")


class SourceSpecError(ValueError):
    """A SOURCE that is not one absreader can fetch; ``str()`` says what is accepted."""


@dataclass(frozen=True)
class SourceSpec:
    """A parsed SOURCE: its kind and argument; ``str()`` is the canonical spelling."""

    kind: str
    arg: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else self.kind


HELP = (
    "arxiv:CATEGORY (e.g. arxiv:cs.LG), arxiv-query:QUERY (e.g. arxiv-query:'ti:diffusion AND "
    "cat:cs.CV'), arxiv-id:ID[,ID...], hf-daily[:YYYY-MM-DD], oai:SET (e.g. oai:cs)"
)


def parse_source(text: str) -> SourceSpec:
    """A SOURCE as typed -> SourceSpec; SourceSpecError with what is accepted otherwise."""
    raw = (text or "").strip()
    kind, sep, arg = raw.partition(":")
    kind = kind.strip().lower()
    arg = arg.strip()
    if kind not in KINDS:
        raise SourceSpecError(f"unknown source {raw!r}; sources are {HELP}")
    if kind == "hf-daily":
        if not arg:
            return SourceSpec(kind)
        try:
            return SourceSpec(kind, date.fromisoformat(arg).isoformat())
        except ValueError:
            raise SourceSpecError(f"{raw!r}: expected a date like hf-daily:2024-03-20") from None
    if not sep or not arg:
        raise SourceSpecError(f"{raw!r}: {kind} needs an argument; sources are {HELP}")
    if kind == "arxiv":
        cats = [c.strip() for c in arg.split("+")]
        if not all(_CATEGORY.match(c) for c in cats):
            raise SourceSpecError(f"{raw!r}: not an arXiv category (e.g. arxiv:cs.LG, arxiv:hep-th)")
        return SourceSpec(kind, "+".join(cats))
    if kind == "arxiv-id":
        ids = []
        for part in re.split(r"[,\s]+", arg):
            if not part:
                continue
            found = parse_arxiv_id(part)
            if found is None:
                raise SourceSpecError(f"{raw!r}: {part!r} is not an arXiv id")
            ids.append(found.id)
        ids = list(dict.fromkeys(ids))
        if len(ids) > MAX_IDS:
            raise SourceSpecError(f"{raw!r}: at most {MAX_IDS} ids at once")
        return SourceSpec(kind, ",".join(ids))
    if kind == "oai":
        if not _OAI_SET.match(arg):
            raise SourceSpecError(f"{raw!r}: not an OAI set (e.g. oai:cs, oai:physics:hep-th)")
        return SourceSpec(kind, arg)
    return SourceSpec(kind, " ".join(arg.split()))  # arxiv-query
