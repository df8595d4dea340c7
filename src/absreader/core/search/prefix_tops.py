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
from typing import Any

from whoosh import query as wq

from absreader.core.search import bounds
from absreader.core.search.format.prefix_tops import LENGTHS, RARE, TOPS_EXT, PrefixTops, idf
from absreader.core.search.format.prefixes import PrefixTerms
from absreader.core.search.format.schema import TEXT_FIELDS
from absreader.core.search.format.terms import iter_bits

#: A segment's search (:class:`absreader.core.search.evaluate.SegmentSearch`, which imports
#: this module: named here, not imported).
SegmentSearch = Any

#: Documents of query terms the stored entry lacks, or set apart, that may be scored besides it.
UNCOVERED_LIMIT = 2000

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


def not_subsumed(subqueries: list[wq.Query]) -> list[wq.Query]:
    """An OR's children less the terms a sibling prefix already matches (``model`` beside ``mod*``).

    Their documents are in the prefix's set, so the OR's documents are the
    same without looking them up.
    """
    prefixes = [(q.fieldname, q.text) for q in subqueries if isinstance(q, PrefixTerms)]
    if not prefixes:
        return subqueries
    return [
        q
        for q in subqueries
        if not (
            type(q) is wq.Term
            and any(q.fieldname == f and isinstance(q.text, str) and q.text.startswith(p) for f, p in prefixes)
        )
    ]


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
    stored, _, ids, values, theta = entry[:5]
    boosts = {(f, t): b for f, t, b in stored}
    n = search.n
    extra = 0  # documents scored besides the stored ones: those of the terms set apart
    budget = UNCOVERED_LIMIT
    ratios: list[tuple[float, Any]] = []
    if len({id(st) for st, _, _ in terms}) != len(terms):
        return None  # a term counted twice: the bound takes each once
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


def stored_top(
    search: SegmentSearch,
    mask: int,
    scoring: list[tuple[str, str, float]],
    k: int,
    floor: float | None,
    tree: wq.Query | None,
) -> list[tuple[float, int]] | None:
    """:func:`top` from the file alone: no term looked up, no posting or bitmap read.

    The entry holds each scoring term's df in the segment and the term
    frequencies of its stored documents (the best ones and every document of
    a rare term), so when every term of the search is in it, and every other
    segment's entry gives the term's df, idf and exact scores come from
    there: the same numbers, summed in the same order, as scoring the
    segment's postings would give. None when that does not hold or the
    bound does not prove the page (then :func:`top` and the candidates).
    """
    prefix = typed_prefix(tree)
    if prefix is None or len(prefix) not in LENGTHS:
        return None
    snap = search.snap
    tops: PrefixTops | None = snap._sidecar(search.i, TOPS_EXT)
    ranking = search.ranking
    if tops is None or ranking.k1 != tops.k1 or ranking.b != tops.b:
        return None
    entry = tops.get(prefix)
    if entry is None:
        return None
    stored_terms, dfs, ids, values, theta, docs, starts, which, freqs = entry
    at = {(f, t): j for j, (f, t, _) in enumerate(stored_terms)}
    n = search.n
    lens = search.seg.lens
    # The search's terms present here, in its order (as ``SegmentSearch.top`` lists them).
    query: list[tuple[int, str, float, Any]] = []
    ratios: list[tuple[float, int]] = []
    for field, text, boost in scoring:
        if field not in TEXT_FIELDS or not boost:
            continue
        j = at.get((field, text))
        if j is None or any(j == seen for seen, _, _, _ in query):
            return None  # a term the entry never saw (or twice): the slower paths
        if not dfs[j]:
            continue  # not in this segment (segments never change)
        df = _global_df(snap, prefix, field, text)
        c = snap.idf(field, text, ranking) if df is None else _idf(snap, field, text, df, ranking)
        c = c * boost * (ranking.k1 + 1)
        if c < 0 or field not in lens:
            return None
        query.append((j, field, c, lens[field]))
        ratios.append((c / (idf(n, dfs[j]) * stored_terms[j][2] * (tops.k1 + 1)), j))
    if not query:
        return None
    # Rare terms (their documents are all stored) are scored apart, the rest bounded.
    apart = {j for ratio, j in ratios if ratio > 1.0 and dfs[j] <= RARE}
    rest = [ratio for ratio, j in ratios if j not in apart]
    avg = snap.avg_length
    fields = {stored_terms[j][0] for _, j in ratios if j not in apart}
    rho = max([1.0] + [avg.get(f, 1.0) / tops.avg.get(f, 1.0) for f in fields])
    r = max(rest, default=0.0) * rho
    inside = mask.to_bytes((n >> 3) + 1, "little").__getitem__
    member = list(map(and_, map(inside, map(rshift, docs, repeat(3))), _bits(docs)))
    slot = {d: p for p, d in enumerate(docs)}
    chosen: list[int] = []
    cut = floor if floor is not None and floor > 0 else None
    for p, d in enumerate(ids):
        if cut is not None and bounds.below(r * values[p], cut):
            break  # stored scores descend: none after reaches the floor
        if member[slot[d]]:
            chosen.append(d)
    picked = set(chosen)
    if apart:
        for p, d in enumerate(docs):
            if member[p] and d not in picked and any(which[x] in apart for x in range(starts[p], starts[p + 1])):
                picked.add(d)
    norm_of = snap.norm
    scored = []
    for d in sorted(picked):
        p = slot[d]
        tf_of = dict(zip(which[starts[p] : starts[p + 1]], freqs[starts[p] : starts[p + 1]], strict=True))
        score = 0.0
        for j, field, c, field_lens in query:
            tf = tf_of.get(j)
            if tf is None:
                continue
            norm = norm_of(field, field_lens[d], ranking)
            score += c * 1 / (1 + norm) if tf == 1 else c * tf / (tf + norm)
        scored.append((score, d))
    ranked = sorted(scored, key=itemgetter(0), reverse=True)[:k]
    need = cut
    if len(ranked) >= k:
        need = ranked[-1][0] if need is None else max(need, ranked[-1][0])
    if need is None or need <= 0 or not bounds.below(r * theta, need):
        return None
    return ranked


def _global_df(snap: Any, prefix: str, field: str, text: str) -> int | None:
    """The term's df over every segment from their entries (None: some segment lacks one)."""
    known = snap._df.get((field, text))
    if known is not None:
        return known
    total = 0
    for i in range(len(snap.segments)):
        tops = snap._sidecar(i, TOPS_EXT)
        entry = _entry(tops, prefix) if tops is not None else None
        if entry is None:
            st = snap.seg_term(i, field, text)  # this segment alone is looked up
            total += st.df if st is not None else 0
            continue
        terms, dfs = entry
        j = terms.get((field, text))
        if j is None:
            return None
        total += dfs[j]
    return total


def _entry(tops: PrefixTops, prefix: str) -> tuple[dict[tuple[str, str], int], list[int]] | None:
    """An entry's term indexes and dfs, kept with the open file."""
    memo = tops.memo
    if prefix not in memo:
        entry = tops.get(prefix)
        memo[prefix] = None if entry is None else ({(f, t): j for j, (f, t, _) in enumerate(entry[0])}, entry[1])
        if len(memo) > 256:
            memo.pop(next(iter(memo)))
    return memo[prefix]


def _idf(snap: Any, field: str, text: str, df: int, ranking: Any) -> float:
    """``Snapshot.idf`` with the df known (kept where it keeps its own)."""
    if len(snap._df) > 100_000:
        snap._df.clear()
    snap._df[(field, text)] = df
    return float(snap.idf(field, text, ranking))


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
