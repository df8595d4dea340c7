"""Upper bounds on BM25 scores, so a segment skips documents that cannot reach the page.

A search ranks the best ``k`` documents over every segment. Once the segments
visited first have filled the page, the ``k``-th score so far is a *floor*: a
document of a later segment enters only if it scores at least that much. A
term's contribution ``c * tf / (tf + norm)`` grows with ``tf`` and shrinks
with the field length, so its best value in a segment is reached at the
term's highest ``tf`` and shortest field, both of which every segment's term
info records (:meth:`SegmentData.term_record`): the bound costs no posting
read. A document's score is at most the sum of the bounds of the terms it
holds. Sorting the terms by bound, the cheapest ones whose bounds together
stay under the floor are *non-essential* (MaxScore): a document holding
none of the others cannot reach the floor, so only documents holding an
essential term are scored. When even the sum of all bounds stays under the
floor the segment is not scored at all (its matches are still counted).

Pruning is exact: a document that could still enter the page is never
dropped (comparisons keep a relative margin of :data:`MARGIN` for rounding,
and equal scores are kept, since ties go to the lower document number).
"""

from __future__ import annotations

from whoosh import query as wq

from absreader.core.search.format.schema import TEXT_FIELDS
from absreader.core.search.format.terms import SegTerm

#: Relative slack on every comparison with the floor (float sums in another order).
MARGIN = 1e-9

#: ... and absolute slack, for floors near zero.
_ABSOLUTE = 1e-12

#: ``(term, its best possible contribution in the segment)``.
Bounded = list[tuple[SegTerm, float]]


def term_bound(st: SegTerm, c: float, k1: float, b: float, avg: float) -> float:
    """The most ``c * tf / (tf + norm)`` reaches for this term in its segment."""
    if c <= 0:
        return max(c, 0.0)
    tf = st.max_tf
    if tf < 1:  # not recorded: tf / (tf + norm) < 1 whatever it is
        return c
    norm = k1 * ((1 - b) + b * st.min_length / (avg or 1.0))
    if norm <= 0:
        return c
    return c * tf / (tf + norm)


def tree_weights(q: wq.Query) -> dict[tuple[str, str], float] | None:
    """Per ``(field, term)``, the factor its ``idf * (k1 + 1) * tf / (tf + norm)`` is scored with.

    Mirrors the evaluator's branch-by-branch scoring (a term's boost times its
    ancestors'; a phrase's words at the phrase's boost), summing a term's
    occurrences. None when some factor is negative (no bound then holds).
    """
    out: dict[tuple[str, str], float] = {}

    def add(key: tuple[str, str], weight: float) -> bool:
        if weight < 0:
            return False
        if weight:
            out[key] = out.get(key, 0.0) + weight
        return True

    def walk(node: wq.Query, mult: float) -> bool:
        if isinstance(node, wq.Term):
            if node.fieldname not in TEXT_FIELDS:
                return True
            return add((node.fieldname, node.text), mult * node.boost)
        if isinstance(node, wq.Phrase):
            return all(add((node.fieldname, w), mult * node.boost) for w in node.words)
        if isinstance(node, wq.AndNot):
            return walk(node.a, mult)
        parts: list[wq.Query] = []
        if isinstance(node, wq.AndMaybe):
            parts = [node.a, node.b]
        elif isinstance(node, (wq.And, wq.Or)):
            parts = [p for p in node.subqueries if not isinstance(p, wq.Not)]
        boost = getattr(node, "boost", 1.0)
        if parts and boost < 0:
            return False
        return all(walk(child, mult * boost) for child in parts)

    return out if walk(q, 1.0) else None


def below(bound: float, floor: float) -> bool:
    """Whether a score of at most ``bound`` certainly stays under ``floor``."""
    return bound * (1 + MARGIN) + _ABSOLUTE < floor


def essential(bounded: Bounded, floor: float) -> tuple[float, list[SegTerm] | None]:
    """``(sum of all bounds, the essential terms)``; None as the terms when every term is.

    The essential terms are those left once the smallest bounds, as long as
    their sum stays under ``floor``, are set aside: a document holding none
    of them scores under the floor.
    """
    order = sorted(bounded, key=lambda sb: sb[1])
    total = sum(b for _, b in order)
    acc = 0.0
    cut = 0
    for _, b in order:
        if not below(acc + b, floor):
            break
        acc += b
        cut += 1
    if cut == 0:
        return total, None
    return total, [st for st, _ in order[cut:]]

