"""Ranking a typed prefix from its stored best documents, when that is provably exact.

A segment's ``.absk`` file (:mod:`absreader.core.search.format.prefix_tops`)
holds, for a busy prefix such as ``dif``, its :data:`~absreader.core.search.
format.prefix_tops.KEEP` documents of highest stored score ``S`` (the
prefix query's BM25F with the segment's own document frequencies and average
lengths) and ``theta``, the highest ``S`` of every other document. For a
search whose tree is that typed prefix, :func:`top` turns ``S`` into a bound
on the real score of each document::

    score(d) <= R * S(d),   R = max over the query's terms of (c / w) * rho

where ``c`` is the term's weight in this search (its idf over the whole
index, its boost, ``k1 + 1``), ``w`` the stored one, and ``rho`` bounds how
much the index's average field lengths can raise ``tf / (tf + norm)`` over
the segment's (``max(1, avg_now / avg_stored)``). Terms of the query the
entry lacks, and rare terms whose ratio would raise ``R``, are allowed
while they hold few documents: those documents are scored too, and the
bound covers only the others.

It scores the stored documents in the search's mask (later segments only
those whose bound reaches the floor of the segments searched before), and
returns their ranking only when every other document is certainly below the
segment's ``k``-th score or the floor: that is exactly the ranking scoring
every match would give (same scores, ties to the lower document). When the
bound does not prove it, or the file is missing or damaged, it returns None
and the segment ranks as before.
"""

from __future__ import annotations

from itertools import compress, repeat
from operator import and_, itemgetter, rshift
from typing import TYPE_CHECKING, Any

from whoosh import query as wq

from absreader.core.search import bounds
from absreader.core.search.format.prefix_tops import LENGTHS, TOPS_EXT, PrefixTops, idf
from absreader.core.search.format.prefixes import PrefixTerms
from absreader.core.search.format.terms import iter_bits

if TYPE_CHECKING:
    from absreader.core.search.evaluate import SegmentSearch

#: Documents of query terms the stored entry lacks, or set apart, that may be scored besides it.
UNCOVERED_LIMIT = 2000
#: Terms in at most this many documents of the segment are set apart from the bound at once.
RARE = 32

_BIT = (1, 2, 4, 8, 16, 32, 64, 128)


def typed_prefix(tree: wq.Query | None) -> str | None:
    """The one prefix the tree matches by (``PrefixTerms``), or None (none, or several)."""
    if tree is None:
        return None
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, PrefixTerms):
            found.add(node.text)
        elif isinstance(node, wq.CompoundQuery):
            stack.extend(node.subqueries)
        elif isinstance(node, (wq.AndNot, wq.AndMaybe)):
            stack.extend((node.a, node.b))
        elif isinstance(node, wq.Not):
            stack.append(node.query)
    return found.pop() if len(found) == 1 else None


def top(
    search: SegmentSearch,
    mask: int,
    terms: list[tuple[Any, float, Any]],
    k: int,
    floor: float | None,
    tree: wq.Query | None,
) -> list[tuple[float, int]] | None:
    """The exact best ``k`` of ``mask`` from the stored documents, or None when not proven."""
    prefix = typed_prefix(tree)
    if prefix is None or len(prefix) not in LENGTHS or not terms:
        return None
    tops: PrefixTops | None = search.snap._sidecar(search.i, TOPS_EXT)
    ranking = search.ranking
    if tops is None or ranking.k1 != tops.k1 or ranking.b != tops.b:
        return None
    entry = tops.get(prefix)
    if entry is None:
        return None
    stored, theta, ids, values = entry
    boosts = {(f, t): b for f, t, b in stored}
    n = search.n
    extra = 0  # documents scored besides the stored ones: those of the terms set apart
    budget = UNCOVERED_LIMIT
    ratios: list[tuple[float, Any]] = []
    for st, c, _ in terms:
        if c < 0:
            return None  # no bound holds
        boost = boosts.get((st.field, st.term))
        if not boost or boost <= 0:
            budget -= st.df
            if budget < 0:
                return None
            extra |= st.mask
            continue
        ratios.append((c / (idf(n, st.df) * boost * (tops.k1 + 1)), st))
    # Rare terms are rarer in the index than in one segment by chance, so their ratio
    # is the highest. The rarest are set apart at once (their documents scored, ``R``
    # taken without them); more only while the bound does not prove the page yet.
    ratios.sort(key=itemgetter(0), reverse=True)
    while ratios and ratios[0][0] > 1.0 and ratios[0][1].df <= min(RARE, budget):
        budget -= ratios[0][1].df
        extra |= ratios.pop(0)[1].mask
    avg = search.snap.avg_length
    rho = max([1.0] + [avg.get(f, 1.0) / tops.avg.get(f, 1.0) for f in {st.field for _, st in ratios}])
    r = (ratios[0][0] if ratios else 0.0) * rho
    size = (n >> 3) + 1
    inside = mask.to_bytes(size, "little").__getitem__
    held = list(compress(range(len(ids)), map(and_, map(inside, map(rshift, ids, repeat(3))), _bits(ids))))
    if floor is not None and floor > 0:
        # Stored scores descend: past the first bound under the floor, none reaches it
        # (``R`` only falls from here, so the cut stays safe).
        cut = len(held)
        for at, j in enumerate(held):
            if bounds.below(r * values[j], floor):
                cut = at
                break
        held = held[:cut]
    scored = {ids[j] for j in held}
    extra &= mask
    if extra:
        scored.update(iter_bits(extra))
    ranked = _ranked(search, sorted(scored), terms, [], k)
    while True:
        need = floor if floor is not None and floor > 0 else None
        if len(ranked) >= k:
            need = ranked[-1][0] if need is None else max(need, ranked[-1][0])
        r = (ratios[0][0] if ratios else 0.0) * rho
        if need is not None and need > 0 and bounds.below(r * theta, need):
            return ranked
        if not ratios or ratios[0][1].df > budget:
            return None
        budget -= ratios[0][1].df
        fresh = [d for d in iter_bits(ratios.pop(0)[1].mask & mask) if d not in scored]
        scored.update(fresh)
        ranked = _ranked(search, fresh, terms, ranked, k)


def _ranked(
    search: SegmentSearch, docs: list[int], terms: list[tuple[Any, float, Any]], ranked: list, k: int
) -> list[tuple[float, int]]:
    """``ranked`` with ``docs`` (ascending) scored into it: the best ``k``, ties to the lower document."""
    if not docs:
        return ranked
    out = ranked + list(zip(search._scores(docs, terms), docs, strict=True))
    out.sort(key=itemgetter(1))
    out.sort(key=itemgetter(0), reverse=True)
    return out[:k]


def _bits(docs: Any) -> Any:
    return map(_BIT.__getitem__, map(and_, docs, repeat(7)))
