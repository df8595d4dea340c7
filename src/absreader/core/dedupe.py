"""Near-duplicate abstracts: two scrapes of one abstract are the same paper.

Scrapes of one abstract differ in dashes, quotes, spacing (a dump may glue
words: ``thede factostandard``) and a word here and there. Comparing the text
with every non-alphanumeric character removed takes care of the first three;
for the rest each abstract gets a small sketch of content-anchored
fingerprints: hashes of 12-character pieces that start at common letter pairs
(so both scrapes pick the same pieces wherever their text agrees), of which
only the ``SKETCH_SIZE`` smallest are kept (a bottom-k sketch: two texts that
share most pieces share most of their smallest hashes), plus one hash of the
whole text. Candidates sharing enough fingerprints are confirmed by the overlap
of all their 8-character pieces.

Storage is laid out for bulk imports. Rows are keyed ``(gen, fp, paper_id)``
where ``gen`` is the paper id's block of ``2**GENERATION_BITS`` papers, so a
batch of new papers only ever writes into the newest block's few hundred pages
(random hash keys over the whole table would dirty a page per fingerprint, and
an import's writes would grow with the square of the library). A lookup probes
every block: a handful of B-tree seeks per block, milliseconds at millions of
papers, and only records without a title or an arXiv id need one.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import zlib
from collections.abc import Iterator

from absreader.core.clean import fold

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
#: Where the pieces start. No anchor begins with a letter one ends with, so anchors never
#: overlap and a plain scan finds every one (a look-ahead for the whole piece at every
#: position cost twice as much).
_ANCHOR = re.compile(r"th|an|ti")
#: Characters a piece has: its anchor and the 10 after it (the despaced text is all ASCII
#: letters and digits, so any 12 characters from an anchor on are a piece).
_PIECE = 12
_MIN_SHARED = 3
SAME_THRESHOLD = 0.6
#: Anchored-piece hashes kept per abstract (the smallest ones), besides the whole-text hash.
SKETCH_SIZE = 8
#: Papers per storage block: ``gen = paper_id >> GENERATION_BITS``.
GENERATION_BITS = 14


_NOT_ALNUM_BYTES = bytes(b for b in range(128) if not chr(b).isdigit() and not "a" <= chr(b) <= "z")


def despace(text: str) -> str:
    """Lowercase, accents folded, everything but letters and digits removed."""
    folded = fold(text)
    if folded.isascii():  # nearly always: one pass in C, no regular expression
        return folded.encode().translate(None, _NOT_ALNUM_BYTES).decode()
    return _NOT_ALNUM.sub("", folded)


def short_hash(text: str) -> str:
    """A short, stable hash for generated keys."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def fingerprints(abstract: str) -> set[int]:
    """The fingerprints stored for an abstract: its sketch plus one for the whole text."""
    flat = despace(abstract)
    if not flat:
        return set()
    raw = flat.encode()
    last = len(raw) - _PIECE
    crc32 = zlib.crc32
    starts = [m.start() for m in _ANCHOR.finditer(flat)]
    pieces = sorted({crc32(raw[i : i + _PIECE]) for i in starts if i <= last})
    prints = set(pieces[:SKETCH_SIZE])
    prints.add(crc32(b"all:" + raw))
    return prints


def generation(paper_id: int) -> int:
    """The storage block a paper's fingerprints live in."""
    return paper_id >> GENERATION_BITS


def store(conn: sqlite3.Connection, paper_id: int, abstract: str, *, new: bool = False) -> None:
    """Replace the paper's fingerprints (``new``: it has none yet, skip the delete)."""
    if not new:
        conn.execute("DELETE FROM fingerprints WHERE paper_id = ?", (paper_id,))
    gen = generation(paper_id)
    conn.executemany(
        "INSERT OR IGNORE INTO fingerprints (gen, fp, paper_id) VALUES (?, ?, ?)",
        [(gen, fp, paper_id) for fp in sorted(fingerprints(abstract))],
    )


def rebuild(conn: sqlite3.Connection) -> int:
    """Fingerprint every paper again (schema migrations); returns how many rows were written.

    Papers are read and written in id order, so the writes go block by block.
    """
    conn.execute("DELETE FROM fingerprints")
    rows = 0
    last = 0
    while True:
        batch = conn.execute(
            "SELECT id, abstract FROM papers WHERE id > ? AND abstract != '' ORDER BY id LIMIT 2000",
            (last,),
        ).fetchall()
        if not batch:
            return rows
        values = [
            (generation(paper_id), fp, paper_id)
            for paper_id, abstract in batch
            for fp in fingerprints(abstract)
        ]
        values.sort()
        conn.executemany(
            "INSERT OR IGNORE INTO fingerprints (gen, fp, paper_id) VALUES (?, ?, ?)", values
        )
        rows += len(values)
        last = batch[-1][0]


def candidates(conn: sqlite3.Connection, abstract: str, limit: int = 5) -> Iterator[int]:
    """Papers whose abstracts share enough fingerprints with this one, best first."""
    prints = sorted(fingerprints(abstract))
    if not prints:
        return
    need = 1 if len(prints) <= _MIN_SHARED else max(_MIN_SHARED, len(prints) // 4)
    top = conn.execute("SELECT max(id) FROM papers").fetchone()[0]
    if top is None:
        return
    marks = ",".join("?" * len(prints))
    counts: dict[int, int] = {}
    for gen in range(generation(top) + 1):
        for (paper_id,) in conn.execute(
            f"SELECT paper_id FROM fingerprints WHERE gen = ? AND fp IN ({marks})", (gen, *prints)
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
