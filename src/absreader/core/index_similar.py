"""More like this: each paper's most telling words, and the queries made of them.

From a Paper, its title and abstract are analysed afresh; from a key, the
signature stored when the paper was indexed is used (the index keeps no text).
Only mid-frequency words count: too common says nothing, seen once matches none.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from typing import Any

from whoosh import query as wq

from absreader.core.index_eval import Snapshot
from absreader.core.index_schema import analyse
from absreader.core.models import Paper
from absreader.core.query import STOP_WORDS

#: Terms of a Paper used for "more like this".
TERMS = 20


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


def text_query(snap: Snapshot, paper: Paper) -> list[wq.Query]:
    """Weighted terms of the paper's own text (tf x idf over mid-frequency words)."""
    doc = analyse(paper)
    n = max(snap.doc_count_all, 1)
    weighted = []
    for fieldname in ("title", "abstract"):
        for term, positions in doc.positions.get(fieldname, {}).items():
            if term in STOP_WORDS or not term.isalpha() or len(term) < 3:
                continue
            df = snap.doc_frequency(fieldname, term)
            if df < 2 or df > max(2, n // 8):
                continue
            weight = len(positions) * snap.idf(fieldname, term)
            if fieldname == "title":
                weight *= TITLE_WEIGHT
            weighted.append((weight, fieldname, term))
    weighted.sort(reverse=True)
    return [wq.Term(f, t, boost=w) for w, f, t in weighted[:TERMS]]


def signature_query(snap: Snapshot, docnum: int) -> list[wq.Query]:
    """Weighted terms of an indexed paper's stored signature (global docnum)."""
    i = max(j for j, base in enumerate(snap.bases) if base <= docnum)
    seg = snap.segments[i]
    parts: list[wq.Query] = []
    for term, weight in seg.signature(docnum - snap.bases[i]):
        for fieldname in ("title", "abstract"):
            if snap.doc_frequency(fieldname, term):
                parts.append(wq.Term(fieldname, term, boost=weight))
    return parts
