"""Per-document signatures (each paper's most telling words), as stored beside a segment.

"More like this" (``search/similar.py``) reads them; the segment writer and the
merger write them.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from typing import Any

#: ``(field, term) -> documents containing it`` in the whole index (for small segments);
#: ``("", "")`` asks for the number of documents in the whole index.
DocFrequency = Callable[[str, str], int]
SIGNATURE_FIELDS = ("title", "abstract")
SIGNATURE_SIZE = 12
#: Title words count this much more than abstract words.
TITLE_WEIGHT = 1.5
_SLOTS = 32


class Signatures:
    """Each document's most telling words (tf-idf over mid-frequency terms).

    "More like this" starts from these, so it works from a key alone: the index
    keeps no text. Terms are collected while a segment's postings are written
    (every term passes by once); at the end documents take their terms rarest
    first, so most postings of common words cost one length check.
    """

    def __init__(self, doc_count: int, df_of: DocFrequency | None, enabled: bool = True) -> None:
        self.df_of = df_of
        self.enabled = enabled
        self.doc_count = doc_count
        self.n = doc_count
        if df_of is not None and enabled:
            self.n = max(doc_count, df_of("", ""))
        self.terms: list[tuple[float, str, array, array | None]] = []

    def add(self, field: str, term: str, ids: array, tfs: array | None) -> None:
        """Consider one term (of a title or abstract) for the documents holding it."""
        if not self.enabled or len(term) < 3 or not term.isalpha():
            return
        df = len(ids)
        n = self.n
        if df > max(2, n // 8):
            return
        if self.df_of is not None:
            df = max(df, self.df_of(field, term))
        if df < 2 or df > max(2, n // 8):
            return
        weight = math.log(n / df) * (TITLE_WEIGHT if field == "title" else 1.0)
        self.terms.append((weight, term, ids, tfs))

    def finish(self) -> dict[str, Any]:
        """Every document's signature (up to 12 weighted terms), packed in arrays.

        Candidates live in flat arrays (``SLOTS`` per document), not tuples:
        100,000 documents would otherwise hold millions of small objects.
        """
        if not self.enabled:
            return {}
        self.terms.sort(key=lambda t: t[0], reverse=True)
        slots, soft = _SLOTS, 2 * SIGNATURE_SIZE
        count = array("B", bytes(self.doc_count))
        which = array("I", bytes(4 * slots * self.doc_count))
        weight_of = array("f", bytes(4 * slots * self.doc_count))
        for ti, (weight, _term, ids, tfs) in enumerate(self.terms):
            if tfs is None:
                for doc in ids:
                    c = count[doc]
                    if c < soft:
                        at = doc * slots + c
                        which[at] = ti
                        weight_of[at] = weight
                        count[doc] = c + 1
            else:
                for doc, tf in zip(ids, tfs, strict=True):
                    c = count[doc]
                    if c < soft or (tf > 1 and c < slots):  # repeated words always compete
                        at = doc * slots + c
                        which[at] = ti
                        weight_of[at] = weight * tf
                        count[doc] = c + 1
        terms = [t[1] for t in self.terms]
        self.terms = []
        ranked_docs = []
        for doc in range(self.doc_count):
            best: dict[int, float] = {}
            at = doc * slots
            for j in range(at, at + count[doc]):
                best[which[j]] = best.get(which[j], 0.0) + weight_of[j]
            ranked = sorted(best.items(), key=lambda tw: -tw[1])[:SIGNATURE_SIZE]
            ranked_docs.append([(terms[ti], w) for ti, w in ranked])
        return pack_signatures(ranked_docs)


def pack_signatures(docs: list[list[tuple[str, float]]]) -> dict[str, Any]:
    """Signatures as arrays (``SIGNATURE_SIZE`` slots per document) and a term table."""
    size = SIGNATURE_SIZE
    index: dict[str, int] = {}
    count = array("B", bytes(len(docs)))
    which = array("I", bytes(4 * size * len(docs)))
    weights = array("f", bytes(4 * size * len(docs)))
    for doc, ranked in enumerate(docs):
        ranked = ranked[:size]
        count[doc] = len(ranked)
        base = doc * size
        for k, (term, weight) in enumerate(ranked):
            ti = index.get(term)
            if ti is None:
                ti = index[term] = len(index)
            which[base + k] = ti
            weights[base + k] = weight
    return {
        "size": size,
        "terms": list(index),
        "count": count.tobytes(),
        "which": which.tobytes(),
        "weight": weights.tobytes(),
    }
