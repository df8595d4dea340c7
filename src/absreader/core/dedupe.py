"""Near-duplicate abstracts: two scrapes of one abstract are the same paper.

Scrapes of one abstract differ in dashes, quotes, spacing (a dump may glue
words: ``thede factostandard``) and a word here and there. Comparing the text
with every non-alphanumeric character removed takes care of the first three;
for the rest each abstract gets a small set of content-anchored fingerprints
(hashes of 12-character pieces that start at common letter pairs, so both
scrapes pick the same pieces wherever their text agrees). Candidates sharing
enough fingerprints are confirmed by the overlap of all their 8-character
pieces.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import zlib
from collections.abc import Iterator

from absreader.core.clean import fold

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_ANCHORED = re.compile(r"(?=((?:th|an|ti)[0-9a-z]{10}))")
_MIN_SHARED = 3
SAME_THRESHOLD = 0.6


def despace(text: str) -> str:
    """Lowercase, accents folded, everything but letters and digits removed."""
    return _NOT_ALNUM.sub("", fold(text))


def short_hash(text: str) -> str:
    """A short, stable hash for generated keys."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def fingerprints(abstract: str) -> set[int]:
    """The fingerprints stored for an abstract (plus one for the whole text)."""
    flat = despace(abstract)
    if not flat:
        return set()
    prints = {zlib.crc32(piece.encode()) for piece in _ANCHORED.findall(flat)}
    prints.add(zlib.crc32(b"all:" + flat.encode()))
    return prints


def store(conn: sqlite3.Connection, paper_id: int, abstract: str) -> None:
    """Replace the paper's fingerprints."""
    conn.execute("DELETE FROM fingerprints WHERE paper_id = ?", (paper_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO fingerprints (fp, paper_id) VALUES (?, ?)",
        [(fp, paper_id) for fp in fingerprints(abstract)],
    )


def candidates(conn: sqlite3.Connection, abstract: str, limit: int = 5) -> Iterator[int]:
    """Papers whose abstracts share enough fingerprints with this one, best first."""
    prints = list(fingerprints(abstract))
    if not prints:
        return
    need = 1 if len(prints) <= _MIN_SHARED else max(_MIN_SHARED, len(prints) // 4)
    counts: dict[int, int] = {}
    for start in range(0, len(prints), 500):
        chunk = prints[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for (paper_id,) in conn.execute(
            f"SELECT paper_id FROM fingerprints WHERE fp IN ({marks})", chunk
        ):
            counts[paper_id] = counts.get(paper_id, 0) + 1
    ranked = sorted((c, pid) for pid, c in counts.items() if c >= need)
    for _count, paper_id in reversed(ranked[-limit:]):
        yield paper_id


def _pieces(flat: str, size: int = 8) -> set[str]:
    return {flat[i : i + size] for i in range(max(1, len(flat) - size + 1))}


def same_or_missing(a: str | None, b: str | None) -> bool:
    """The title-match rule: two abstracts agree when either is missing or they are one text.

    Real collections reuse titles on different papers ("Erratum", "Reply to comment
    on ...", "Note on creep buckling of columns"), so a shared title alone never
    makes two records one paper.
    """
    if not despace(a or "") or not despace(b or ""):
        return True
    return same_abstract(a or "", b or "")


def same_abstract(a: str, b: str) -> bool:
    """True when two abstracts are scrapes of the same text."""
    fa, fb = despace(a), despace(b)
    if not fa or not fb:
        return False
    if fa == fb:
        return True
    shorter, longer = sorted((len(fa), len(fb)))
    if shorter < 0.5 * longer:
        return False
    pa, pb = _pieces(fa), _pieces(fb)
    return len(pa & pb) / len(pa | pb) >= SAME_THRESHOLD
