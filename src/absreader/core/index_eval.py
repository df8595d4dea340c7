"""Evaluating a query tree over one committed generation, term at a time.

Whoosh's matchers walk posting lists one document at a time in Python, which
is what makes a common word cost a second at 100,000 abstracts. Here a term's
whole posting list is decoded in bulk (cached), scored with the same BM25F
formula Whoosh uses (``B=0.75``, ``K1=1.2``, Whoosh's idf and its one-byte field
lengths), and boolean logic is done with dict and set operations that run in C.

The query tree is made of ordinary Whoosh query objects (``Term``, ``Phrase``,
``And``, ``Or``, ``Not``, ``AndNot``, ``AndMaybe``, ``Every``, ``NullQuery``),
so Whoosh's own searcher can check this evaluator in the tests.
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Segment
from whoosh.filedb.filestore import FileStorage

from absreader.core.index_schema import TEXT_FIELDS, decode_positions
from absreader.core.index_segments import SegmentData, quantised_length

B = 0.75
K1 = 1.2
_POSTINGS_CACHE = 96
_VALUES_CACHE = 16

Scores = dict[int, float]


class Snapshot:
    """One committed generation of the index, opened for searching.

    Document numbers are global: segment ``i`` holds ``bases[i]`` onwards.
    """

    def __init__(self, storage: FileStorage, segments: list[W3Segment], generation: int) -> None:
        self.generation = generation
        self.segments: list[SegmentData] = []
        try:
            for segment in segments:
                self.segments.append(SegmentData(storage, segment))
        except BaseException:
            self.close()
            raise
        self.bases: list[int] = []
        base = 0
        for seg in self.segments:
            self.bases.append(base)
            base += seg.doc_count_all
        self.doc_count_all = base
        self.doc_count = base - sum(len(s.deleted) for s in self.segments)
        totals: dict[str, int] = {}
        for segment in segments:
            for field, length in getattr(segment, "_fieldlengths", {}).items():
                totals[field] = totals.get(field, 0) + length
        self.avg_length = {f: (totals.get(f, 0) / (base or 1)) or 1.0 for f in TEXT_FIELDS}
        self._df: dict[tuple[str, str], int] = {}
        self._postings: OrderedDict[tuple[int, str, str], Any] = OrderedDict()
        self._values: OrderedDict[tuple[int, str, str], dict[int, bytes]] = OrderedDict()
        self._norms: dict[tuple[int, str], list[float]] = {}
        self._inv1: dict[tuple[int, str], list[float]] = {}

    def close(self) -> None:
        """Release every segment's files."""
        for seg in self.segments:
            seg.close()
        self.segments = []

    # -- statistics -----------------------------------------------------------------

    def doc_frequency(self, field: str, term: str) -> int:
        """Documents containing the term, over all segments (deleted ones included)."""
        key = (field, term)
        df = self._df.get(key)
        if df is None:
            df = 0
            for seg in self.segments:
                stats = seg.term_stats(field, term)
                if stats:
                    df += stats[0]
            if len(self._df) > 100_000:
                self._df.clear()
            self._df[key] = df
        return df

    def idf(self, field: str, term: str) -> float:
        """Whoosh's idf: ``log(N / (df + 1)) + 1``."""
        return math.log(self.doc_count_all / (self.doc_frequency(field, term) + 1)) + 1

    def _norm(self, i: int, field: str) -> list[float]:
        """Per document ``K1 * (1 - B + B * length / average)`` for one segment and field."""
        key = (i, field)
        norm = self._norms.get(key)
        if norm is None:
            avg = self.avg_length.get(field, 1.0)
            table: dict[int, float] = {}
            norm = []
            append = norm.append
            for length in self.segments[i].lens.get(field, ()):
                value = table.get(length)
                if value is None:
                    value = table[length] = K1 * ((1 - B) + B * quantised_length(length) / avg)
                append(value)
            self._norms[key] = norm
        return norm

    def _inv(self, i: int, field: str) -> list[float]:
        """Per document ``1 / (1 + norm)``: the BM25 factor for a term seen once."""
        key = (i, field)
        inv = self._inv1.get(key)
        if inv is None:
            inv = self._inv1[key] = [1.0 / (1.0 + n) for n in self._norm(i, field)]
        return inv

    # -- postings ---------------------------------------------------------------------

    def postings(self, i: int, field: str, term: str) -> Any:
        """``(ids, weights)`` of a term in segment ``i`` (None when absent); cached."""
        key = (i, field, term)
        cache = self._postings
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
            return hit if hit != () else None
        seg = self.segments[i]
        stats = seg.term_stats(field, term)
        if stats is None:
            result: Any = ()
        else:
            ids, weights, _ = seg.postings(stats[1], False)
            result = (ids, weights)
        cache[key] = result
        if len(cache) > _POSTINGS_CACHE:
            cache.popitem(last=False)
        return result if result != () else None

    def positions(self, i: int, field: str, term: str) -> dict[int, bytes]:
        """Segment-local docnum -> encoded positions of a term; cached."""
        key = (i, field, term)
        cache = self._values
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
            return hit
        seg = self.segments[i]
        stats = seg.term_stats(field, term)
        if stats is None:
            result: dict[int, bytes] = {}
        else:
            ids, _, values = seg.postings(stats[1], True)
            result = dict(zip(ids, values or (), strict=False))
        cache[key] = result
        if len(cache) > _VALUES_CACHE:
            cache.popitem(last=False)
        return result

    def key_docnum(self, key: str) -> int | None:
        """Global docnum of the live document with this key."""
        for base, seg in zip(self.bases, self.segments, strict=True):
            local = seg.key_docnum(key)
            if local is not None:
                return base + local
        return None

    def key_of(self, docnum: int) -> str:
        """The key of a global docnum."""
        for base, seg in zip(reversed(self.bases), reversed(self.segments), strict=True):
            if docnum >= base:
                return seg.keys[docnum - base]
        raise IndexError(docnum)


class Evaluator:
    """Evaluates a query tree over one segment of a snapshot into ``{docnum: score}``."""

    def __init__(self, snapshot: Snapshot, i: int) -> None:
        self.snap = snapshot
        self.i = i
        self.seg = snapshot.segments[i]

    def run(self, q: wq.Query) -> Scores:
        """Evaluate; deleted documents are removed from the result."""
        result = self.eval(q)
        deleted = self.seg.deleted
        if deleted and result:
            for doc in deleted & result.keys():
                del result[doc]
        return result

    def eval(self, q: wq.Query) -> Scores:
        """Dispatch on the query type (unknown types match nothing)."""
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, q.text, q.boost)
        if isinstance(q, wq.Phrase):
            return self.phrase(q.fieldname, list(q.words), q.slop, q.boost)
        if isinstance(q, wq.And):
            return self.conjunction(q.subqueries)
        if isinstance(q, wq.Or):
            return self.disjunction(q.subqueries)
        if isinstance(q, wq.Not):
            return self.subtract(self.every(), self.eval(q.query))
        if isinstance(q, wq.AndNot):
            return self.subtract(self.eval(q.a), self.eval(q.b))
        if isinstance(q, wq.AndMaybe):
            return self.maybe(self.eval(q.a), self.eval(q.b))
        if isinstance(q, wq.Every):
            return self.every()
        return {}

    def every(self) -> Scores:
        """Every document of the segment, with score 0."""
        return dict.fromkeys(range(self.seg.doc_count_all), 0.0)

    def term(self, field: str, text: str, boost: float = 1.0) -> Scores:
        """One term: BM25F scores for text fields, a constant for keyword fields."""
        post = self.snap.postings(self.i, field, text)
        if post is None:
            return {}
        ids, weights = post
        if field not in TEXT_FIELDS:
            return dict.fromkeys(ids, float(boost) if boost != 1.0 else 0.0)
        c = self.snap.idf(field, text) * boost
        if weights is None:
            inv = self.snap._inv(self.i, field)
            c1 = c * (K1 + 1)
            return dict(zip(ids, [c1 * inv[d] for d in ids], strict=True))
        norm = self.snap._norm(self.i, field)
        c1 = c * (K1 + 1)
        return dict(
            zip(ids, [c1 * t / (t + norm[d]) for d, t in zip(ids, weights, strict=True)], strict=True)
        )

    def phrase(self, field: str, words: list[str], slop: int, boost: float) -> Scores:
        """Documents where the words occur in order, each within ``slop`` of the last."""
        if not words:
            return {}
        if len(words) == 1:
            return self.term(field, words[0], boost)
        scores = [self.term(field, w, boost) for w in words]
        if not all(scores):
            return {}
        order = sorted(range(len(words)), key=lambda k: len(scores[k]))
        candidates = scores[order[0]].keys() & scores[order[1]].keys()
        for k in order[2:]:
            candidates &= scores[k].keys()
        if not candidates:
            return {}
        values = [self.snap.positions(self.i, field, w) for w in words]
        slop = max(1, int(slop))
        out: Scores = {}
        for doc in candidates:
            if _phrase_at(doc, values, slop):
                out[doc] = sum(s[doc] for s in scores)
        return out

    def conjunction(self, subqueries: Iterable[wq.Query]) -> Scores:
        """All positive children must match; ``Not`` children exclude."""
        positives: list[Scores] = []
        negatives: list[Scores] = []
        for sub in subqueries:
            if isinstance(sub, wq.Not):
                negatives.append(self.eval(sub.query))
                continue
            result = self.eval(sub)
            if not result:
                return {}
            positives.append(result)
        if not positives:
            base = self.every()
        else:
            positives.sort(key=len)
            base = positives[0]
            if len(positives) > 1:
                keys = base.keys() & positives[1].keys()
                for other in positives[2:]:
                    keys &= other.keys()
                base = {k: sum(p[k] for p in positives) for k in keys}
        for neg in negatives:
            base = self.subtract(base, neg)
        return base

    def disjunction(self, subqueries: Iterable[wq.Query]) -> Scores:
        """Any child matches; scores add up. ``Not`` children mean "everything but"."""
        results = [self.eval(sub) for sub in subqueries]
        results = [r for r in results if r]
        if not results:
            return {}
        results.sort(key=len, reverse=True)
        out = dict(results[0])
        for other in results[1:]:
            overlap = out.keys() & other.keys()
            if overlap:
                added = {k: out[k] + other[k] for k in overlap}
                out.update(other)
                out.update(added)
            else:
                out.update(other)
        return out

    @staticmethod
    def subtract(base: Scores, neg: Scores) -> Scores:
        """``base`` without the documents in ``neg``."""
        if not neg or not base:
            return base
        if len(neg) * 4 < len(base):
            base = dict(base)
            for doc in neg.keys() & base.keys():
                del base[doc]
            return base
        return {k: v for k, v in base.items() if k not in neg}

    @staticmethod
    def maybe(base: Scores, extra: Scores) -> Scores:
        """``base`` with the scores of ``extra`` added where both match."""
        if not extra:
            return base
        out = dict(base)
        for doc in extra.keys() & base.keys():
            out[doc] += extra[doc]
        return out


def _phrase_at(doc: int, values: list[dict[int, bytes]], slop: int) -> bool:
    """True when the phrase's words occur in order in ``doc``."""
    first = decode_positions(values[0][doc])
    rest = [decode_positions(v[doc]) for v in values[1:]]
    if slop == 1:
        starts = set(first)
        for k, positions in enumerate(rest, 1):
            starts &= {p - k for p in positions}
            if not starts:
                return False
        return True
    for start in first:
        last = start
        for positions in rest:
            nxt = [p for p in positions if last < p <= last + slop]
            if not nxt:
                break
            last = nxt[0]
        else:
            return True
    return False


def top_hits(scores: dict[int, float], k: int) -> list[tuple[int, float]]:
    """The ``k`` best ``(docnum, score)`` pairs: highest score, then lowest docnum."""
    if k <= 0 or not scores:
        return []
    if len(scores) <= k:
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    best = heapq.nlargest(k, scores.items(), key=itemgetter(1))
    return sorted(best, key=lambda kv: (-kv[1], kv[0]))


def evaluate(snapshot: Snapshot, q: wq.Query) -> dict[int, float]:
    """Evaluate over every segment; global docnums."""
    out: dict[int, float] = {}
    for i, base in enumerate(snapshot.bases):
        result = Evaluator(snapshot, i).run(q)
        if base:
            out.update({d + base: s for d, s in result.items()})
        else:
            out.update(result)
    return out
