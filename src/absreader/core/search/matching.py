"""Every paper a query matches, unranked: for facet counts and lists sorted by a field.

Ranking 100,000 hits to count their categories (or to sort them by date
afterwards) scored every one of them, in pages of doubling depth: 5-130 s at
a million papers, with the GIL held. The set itself costs only the bitmaps
the totals already come from; scoring is skipped altogether.
"""

from __future__ import annotations

from operator import itemgetter

from whoosh import query as wq

from absreader.core.search.evaluate import SegmentSearch, Snapshot
from absreader.core.search.format.terms import iter_bits


def matching_keys(snapshot: Snapshot, tiers: list[wq.Query], restrict: list[int] | None) -> list[str]:
    """The keys of the live papers any of ``tiers`` matches (within ``restrict``), in index order.

    The same papers the search's total counts (every tier, each paper once).
    """
    keys: list[str] = []
    for i, seg in enumerate(snapshot.segments):
        allowed = snapshot.live_mask(i)
        if restrict is not None:
            allowed &= restrict[i]
        if not allowed:
            continue
        seg_search = SegmentSearch(snapshot, i)
        found = 0
        for q in tiers:
            left = allowed & ~found
            if not left:
                break
            found |= seg_search.mask(q) & left
        docs = iter_bits(found)
        if len(docs) == 1:
            keys.append(seg.keys[docs[0]])
        elif docs:
            keys.extend(itemgetter(*docs)(seg.keys))
    return keys
