"""More like this: each paper's most telling words, and the queries made of them.

From a Paper, its title and abstract are analysed afresh; from a key, the
signature stored when the paper was indexed is used (the index keeps no text).
Only mid-frequency words count: too common says nothing, seen once matches none.
"""

from __future__ import annotations

from whoosh import query as wq

from absreader.core.models import Paper
from absreader.core.search.evaluate import Snapshot
from absreader.core.search.format.schema import analyse
from absreader.core.search.format.signatures import TITLE_WEIGHT
from absreader.core.search.query.parser import STOP_WORDS

#: Terms of a Paper used for "more like this".
TERMS = 20


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
