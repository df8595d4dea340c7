"""Evaluating a query tree over one committed generation of the index.

Whoosh's matchers walk posting lists one document at a time in Python, which
is what makes a common word cost a second at 100,000 abstracts. Here matching
and ranking are split:

* **Matching** is exact and works on bitmaps (a Python ``int`` with a bit per
  document), so ``AND``/``OR``/``NOT`` and the total count are a few C calls.
  Frequent terms have their bitmap stored in the segment; rare ones are built
  from their (short) posting lists. Phrases check positions, per candidate when
  there are few, or by intersecting ``document * 65536 + position`` sets.
* **Ranking** uses the BM25F formula Whoosh uses (``B=0.75``, ``K1=1.2``, its idf
  and its one-byte field lengths) unless a :class:`Ranking` says otherwise (the
  default search uses Robertson's idf). Branches are scored as Whoosh scores
  them (only those a document matches). When a segment has few matches every match
  is scored, giving exactly Whoosh's scores; when it has many, only candidates
  are scored: each term's stored champions (its best documents), the shortest
  matching abstracts, and the shortest matching titles that contain a query
  word. The total is always exact; only the order of very large result sets
  is approximate, and only beyond their best documents.
* **Across segments** the largest is searched first and the ``k``-th score so
  far is a floor: later segments score only documents whose BM25 upper bound
  (:mod:`absreader.core.search.bounds`) can reach it, which ranks exactly
  what scoring them all would.
* **A typed prefix** (``dif``) with stored best documents in a segment
  (:mod:`absreader.core.search.prefix_tops`) is ranked from them when a bound
  proves the page is what scoring every match would give.

The query tree is made of ordinary Whoosh query objects (``Term``, ``Phrase``,
``And``, ``Or``, ``Not``, ``AndNot``, ``AndMaybe``, ``Every``, ``NullQuery``),
so Whoosh's own searcher can check this evaluator in the tests. :func:`search_tiers`
ranks several trees at once, each tier holding the matches no earlier one had
("all the words", then "some of them").
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import compress, repeat
from operator import add, and_, eq, gt, itemgetter, lshift, or_, rshift
from operator import sub as minus
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Segment
from whoosh.filedb.filestore import FileStorage

from absreader.core.search import bounds, prefix_tops
from absreader.core.search.format.frequencies import FREQ_EXT, StoredFrequencies
from absreader.core.search.format.long_prefixes import LONG_EXT, LONG_LENGTHS
from absreader.core.search.format.prefix_tops import TOPS_EXT, PrefixTops
from absreader.core.search.format.prefixes import PrefixSets, PrefixTerms, scan_union
from absreader.core.search.format.schema import TEXT_FIELDS
from absreader.core.search.format.segments import K1, B, SegmentData, quantised_length
from absreader.core.search.format.terms import SegTerm, bits_of, byte_per_doc, iter_bits
from absreader.core.search.pair_phrases import PairFiles

#: ``(field, term, boost)``: one term whose score counts towards ranking.
ScoringTerm = tuple[str, str, float]

#: Segments with at most this many matches have every match scored exactly.
EXACT_LIMIT = 1500
#: Candidates taken from each length order when a result set is large.
LENGTH_CANDIDATES = 128
#: Phrases with more candidate documents than this are checked in bulk (C-level maps).
PHRASE_PER_DOC = 200
#: ... or than this share of the rarest word's documents (1/8): then positions are
#: read for the candidates only.
PHRASE_DF_SHARE = 8
#: Budget of the decoded-term cache, in postings (roughly 6 bytes each), and in terms.
_CACHE_POSTINGS = 6_000_000
_CACHE_TERMS = 8192
#: New terms between two sums of the cache's memory (a sum is linear in the cache).
_TRIM_EVERY = 1024
#: Documents looked at a time when walking a length order.
_WALK_CHUNK = 4096
#: Segments after the first that fill the page score only what can still enter it.
SHARED_FLOOR = True
_BIT = (1, 2, 4, 8, 16, 32, 64, 128)
#: Seconds before a segment without a derived file is looked at again (a backfill may run).
_SIDECAR_RECHECK = 30.0
#: Prefix document sets kept (per segment, field and prefix), and their budget in bits.
_PREFIX_CACHE = 256
_PREFIX_BITS = 400_000_000


@dataclass(frozen=True)
class Ranking:
    """The BM25F variant a search ranks with.

    ``whoosh`` idf is Whoosh's ``log(N / (df + 1)) + 1`` (what :data:`WHOOSH`
    uses, so the evaluator can be checked against Whoosh's own searcher);
    ``probabilistic`` is Robertson's ``log(1 + (N - df + 0.5) / (df + 0.5))``,
    which gives words most documents use almost no weight.
    """

    k1: float = K1
    b: float = B
    idf: str = "whoosh"


#: Exactly Whoosh's BM25F.
WHOOSH = Ranking()


class Snapshot:
    """One committed generation of the index, opened for searching.

    Document numbers are global: segment ``i`` holds ``bases[i]`` onwards.
    """

    def __init__(
        self,
        storage: FileStorage,
        segments: list[W3Segment],
        generation: int,
        previous: Snapshot | None = None,
    ) -> None:
        self.generation = generation
        self.folder = str(storage.folder)
        # Stored sets of frequent word pairs (phrases), per segment, opened on first use.
        self.pairs = PairFiles(storage, previous.pairs if previous is not None else None)
        reuse: dict[str, SegmentData] = {}
        if previous is not None and previous.folder == self.folder:
            reuse = {sd.segment.segment_id(): sd for sd in previous.segments}
        self.segments: list[SegmentData] = []
        try:
            for segment in segments:
                seg = reuse.pop(segment.segment_id(), None)
                if seg is None:
                    seg = SegmentData(storage, segment)
                else:
                    seg.refresh(segment)
                self.segments.append(seg)
        except BaseException:
            self.close()
            raise
        self.seg_ids = [seg.segment.segment_id() for seg in self.segments]
        self.pairs.keep_only(set(self.seg_ids))
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
        # Decoded terms of segments that survive a commit are kept (keyed by segment id).
        self._terms: OrderedDict[tuple[str, str, str], SegTerm | None] = OrderedDict()
        if previous is not None and previous.folder == self.folder:
            alive = set(self.seg_ids)
            self._terms.update((k, v) for k, v in previous._terms.items() if k[0] in alive)
        self._df: dict[tuple[str, str], int] = {}
        self._norms: dict[tuple[str, float, float], dict[int, float]] = {}
        self._live: list[int | None] = [None] * len(self.segments)
        self._restricts: OrderedDict[frozenset[str], list[int]] = OrderedDict()
        self._storage = storage
        # Stored prefix sets per segment id (None: the segment has none), and unions made.
        self._prefix_files: dict[str, PrefixSets | None] = {}
        self._prefix_masks: OrderedDict[tuple[str, str, str], int] = OrderedDict()
        # Derived files per (segment id, extension), with when they were looked for.
        self._sidecars: dict[tuple[str, str], tuple[Any, float]] = {}
        if previous is not None and previous.folder == self.folder:
            alive = set(self.seg_ids)
            self._prefix_files = {k: v for k, v in previous._prefix_files.items() if k in alive}
            previous._prefix_files = {k: v for k, v in previous._prefix_files.items() if k not in alive}
            self._sidecars = {k: v for k, v in previous._sidecars.items() if k[0] in alive}
            previous._sidecars = {k: v for k, v in previous._sidecars.items() if k[0] not in alive}
            self._prefix_masks.update(
                (k, v) for k, v in previous._prefix_masks.items() if k[0] in alive
            )

    def close(self, keep: Snapshot | None = None) -> None:
        """Release the segments' files (except those ``keep`` took over)."""
        self.pairs.close()  # a snapshot taking over took its open pair files already
        kept = {id(seg) for seg in keep.segments} if keep is not None else set()
        for seg in self.segments:
            if id(seg) not in kept:
                seg.close()
        kept_files = {id(f) for f in keep._prefix_files.values()} if keep is not None else set()
        for sets in self._prefix_files.values():
            if sets is not None and id(sets) not in kept_files:
                sets.close()
        self._prefix_files = {}
        self._prefix_masks = OrderedDict()
        kept_sidecars = {id(f) for f, _ in keep._sidecars.values()} if keep is not None else set()
        for found, _ in self._sidecars.values():
            if found is not None and id(found) not in kept_sidecars:
                found.close()
        self._sidecars = {}
        self.segments = []
        self._terms = OrderedDict()

    # -- statistics -----------------------------------------------------------------

    def seg_term(self, i: int, field: str, term: str) -> SegTerm | None:
        """The term in segment ``i`` (None when absent); cached, least recently used out."""
        key = (self.seg_ids[i], field, term)
        cache = self._terms
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        seg = self.segments[i]
        # A text field no document of the segment has (``note``, mostly) has no terms:
        # a term lookup in it costs as much as a hit.
        absent = field in TEXT_FIELDS and seg.lacks_field(field)
        stats = None if absent else seg.term_record(field, term)
        st = SegTerm(seg, field, term, *stats) if stats else None
        cache[key] = st
        if len(cache) > _CACHE_TERMS + _TRIM_EVERY or len(cache) % _TRIM_EVERY == 0:
            self._trim()
        return st

    def prefix_mask(self, i: int, field: str, prefix: str) -> int:
        """Documents of segment ``i`` with a term of ``field`` beginning ``prefix`` (cached).

        Read from the segment's stored prefix sets when it has this one, else
        the union of the terms' documents.
        """
        seg_id = self.seg_ids[i]
        key = (seg_id, field, prefix)
        cache = self._prefix_masks
        mask = cache.get(key)
        if mask is not None:
            cache.move_to_end(key)
            return mask
        if seg_id not in self._prefix_files:
            self._prefix_files[seg_id] = PrefixSets.open(self._storage, self.segments[i])
        sets = self._prefix_files[seg_id]
        stored = sets.get(field, prefix) if sets is not None else None
        if stored is None and len(prefix) in LONG_LENGTHS:
            longer = self._sidecar(i, LONG_EXT)
            stored = longer.get(field, prefix) if longer is not None else None
        mask = stored if stored is not None else scan_union(self.segments[i], field, prefix)
        cache[key] = mask
        n = self.segments[i].doc_count_all
        while len(cache) > _PREFIX_CACHE or (len(cache) > 1 and len(cache) * n > _PREFIX_BITS):
            cache.popitem(last=False)
        return mask

    def frequencies(self, i: int, st: SegTerm) -> tuple[Any, Any]:
        """``(ids, tfs)`` for scoring ``st``: a document of its bitmap missing from ``ids`` has tf 1.

        From the segment's stored frequencies when it has them (only the
        documents with the term more than once), else the decoded posting list
        (every document; ``tfs`` None when every tf is 1). Kept with the term.
        """
        if st.frequencies is None:
            freqs = self._sidecar(i, FREQ_EXT)
            stored = freqs.get(st.field, st.term) if freqs is not None else None
            st.frequencies = stored if stored is not None else (st.ids, st.tfs)
        return st.frequencies

    def _sidecar(self, i: int, ext: str) -> Any:
        """Segment ``i``'s derived file ``ext`` opened (None: it has none; looked for again later).

        These files (stored frequencies, long prefix sets, prefix tops) may be written after
        the segment, by a backfill in another process.
        """
        key = (self.seg_ids[i], ext)
        found, looked = self._sidecars.get(key, (None, -1.0))
        now = time.monotonic()
        if found is None and (looked < 0 or now - looked > _SIDECAR_RECHECK):
            if ext == FREQ_EXT:
                found = StoredFrequencies.open(self.folder, self.segments[i].segment)
            elif ext == TOPS_EXT:
                found = PrefixTops.open(self.folder, self.segments[i].segment)
            else:
                found = PrefixSets.open(self._storage, self.segments[i], ext)
            self._sidecars[key] = (found, now)
        return found

    def _trim(self) -> None:
        """Drop least recently used terms beyond the memory budget.

        Called every ``_TRIM_EVERY`` new terms (summing the costs is linear in the cache),
        so a query with thousands of prefix terms stays linear too.
        """
        cache = self._terms
        while len(cache) > _CACHE_TERMS:
            cache.popitem(last=False)
        total = sum(st.cost() for st in cache.values() if st is not None)
        while cache and total > _CACHE_POSTINGS:
            _, old = cache.popitem(last=False)
            if old is not None:
                total -= old.cost()

    def doc_frequency(self, field: str, term: str) -> int:
        """Documents containing the term, over all segments (deleted ones included)."""
        key = (field, term)
        df = self._df.get(key)
        if df is None:
            df = 0
            for i in range(len(self.segments)):
                st = self.seg_term(i, field, term)
                if st is not None:
                    df += st.df
            if len(self._df) > 100_000:
                self._df.clear()
            self._df[key] = df
        return df

    def idf(self, field: str, term: str, ranking: Ranking = WHOOSH) -> float:
        """The term's idf (Whoosh's ``log(N / (df + 1)) + 1`` unless ``ranking`` says otherwise)."""
        n, df = self.doc_count_all, self.doc_frequency(field, term)
        if ranking.idf == "probabilistic":
            return math.log(1 + (n - df + 0.5) / (df + 0.5))
        return math.log(n / (df + 1)) + 1

    def norm(self, field: str, length: int, ranking: Ranking = WHOOSH) -> float:
        """``K1 * (1 - B + B * length / average)`` with Whoosh's one-byte lengths."""
        table = self.norm_table(field, ranking)
        value = table.get(length)
        if value is None:
            avg = self.avg_length.get(field, 1.0)
            k1, b = ranking.k1, ranking.b
            value = table[length] = k1 * ((1 - b) + b * quantised_length(length) / avg)
        return value

    def norm_table(self, field: str, ranking: Ranking = WHOOSH) -> dict[int, float]:
        """The memo behind :meth:`norm` for one field (length -> norm)."""
        key = (field, ranking.k1, ranking.b)
        table = self._norms.get(key)
        if table is None:
            table = self._norms[key] = {}
        return table

    def live_mask(self, i: int) -> int:
        """Bitmap of the live (not deleted) documents of segment ``i``."""
        mask = self._live[i]
        if mask is None:
            seg = self.segments[i]
            mask = (1 << seg.doc_count_all) - 1
            if seg.deleted:
                mask &= ~bits_of(seg.deleted, seg.doc_count_all)
            self._live[i] = mask
        return mask

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

    def restrict_masks(self, keys: frozenset[str]) -> list[int]:
        """Per segment, the bitmap of the live documents holding these keys (cached)."""
        cached = self._restricts.get(keys)
        if cached is not None:
            return cached
        masks = self._restrict_masks(keys)
        self._restricts[keys] = masks
        while len(self._restricts) > 4:
            self._restricts.popitem(last=False)
        return masks

    def _restrict_masks(self, keys: Iterable[str]) -> list[int]:
        per_seg: list[list[int]] = [[] for _ in self.segments]
        for key in keys:
            for i, seg in enumerate(self.segments):
                local = seg.key_docnum(key)
                if local is not None:
                    per_seg[i].append(local)
                    break
        return [
            bits_of(docs, seg.doc_count_all) if docs else 0
            for docs, seg in zip(per_seg, self.segments, strict=True)
        ]


class SegmentSearch:
    """Matching (bitmaps) and scoring for one segment of a snapshot."""

    def __init__(self, snapshot: Snapshot, i: int) -> None:
        self.snap = snapshot
        self.i = i
        self.seg = snapshot.segments[i]
        self.n = self.seg.doc_count_all
        self.ranking = WHOOSH
        # Phrase masks by node: matching and branch scoring both need them.
        self._phrases: dict[int, tuple[wq.Query, int]] = {}

    def term(self, field: str, term: str) -> SegTerm | None:
        """The term's data in this segment."""
        return self.snap.seg_term(self.i, field, term)

    # -- matching -----------------------------------------------------------------------

    def mask(self, q: wq.Query) -> int:
        """Bitmap of the documents matching ``q`` (deleted ones included)."""
        if isinstance(q, wq.Term):
            st = self.term(q.fieldname, q.text)
            return st.mask if st is not None else 0
        if isinstance(q, PrefixTerms):
            return self.snap.prefix_mask(self.i, q.fieldname, q.text)
        if isinstance(q, wq.Phrase):
            known = self._phrases.get(id(q))
            if known is not None and known[0] is q:
                return known[1]
            mask = self.phrase(q.fieldname, list(q.words), q.slop)
            self._phrases[id(q)] = (q, mask)
            return mask
        if isinstance(q, wq.And):
            return self.conjunction(q.subqueries)
        if isinstance(q, wq.Or):
            out = 0
            for sub in prefix_tops.not_subsumed(q.subqueries):
                out |= self.mask(sub)
            return out
        if isinstance(q, wq.Not):
            return self.snap.live_mask(self.i) & ~self.mask(q.query)
        if isinstance(q, wq.AndNot):
            return self.mask(q.a) & ~self.mask(q.b)
        if isinstance(q, wq.AndMaybe):
            return self.mask(q.a)
        if isinstance(q, wq.Every):
            return self.snap.live_mask(self.i)
        return 0

    def conjunction(self, subqueries: Iterable[wq.Query]) -> int:
        """All positive children match, no ``Not`` child does."""
        positive: int | None = None
        negative = 0
        for sub in subqueries:
            if isinstance(sub, wq.Not):
                negative |= self.mask(sub.query)
                continue
            m = self.mask(sub)
            positive = m if positive is None else positive & m
            if not positive:
                return 0
        if positive is None:
            positive = self.snap.live_mask(self.i)
        return positive & ~negative if negative else positive

    def phrase(self, field: str, words: list[str], slop: int = 1) -> int:
        """Documents where the words occur in order, each within ``slop`` of the last."""
        if not words:
            return 0
        terms = [self.term(field, w) for w in words]
        if any(t is None for t in terms):
            return 0
        sts: list[SegTerm] = terms  # type: ignore[assignment]
        candidates = sts[0].mask
        for st in sts[1:]:
            candidates &= st.mask
            if not candidates:
                return 0
        if len(sts) == 1:
            return candidates
        slop = max(1, int(slop))
        if slop > 1:
            found = [doc for doc in iter_bits(candidates) if _phrase_in(doc, sts, slop)]
            return bits_of(found, self.n)
        # Stored pair sets answer or narrow it (pair_phrases); the rest by position.
        known, candidates = self.snap.pairs.narrow(self.seg, field, sts, candidates)
        if not candidates:
            return known
        if candidates.bit_count() <= max(PHRASE_PER_DOC, min(st.df for st in sts) // PHRASE_DF_SHARE):
            return known | bits_of(_phrase_docs(iter_bits(candidates), sts), self.n)
        return known | self._phrase_bulk(sts, candidates)

    def _phrase_bulk(self, sts: list[SegTerm], candidates: int) -> int:
        """Exact phrases over many candidates, settled mostly by first positions.

        Every word's postings are cut to the candidates with C-level maps. A
        candidate whose words' first positions follow each other holds the
        phrase; one where every word occurs once and they do not, does not.
        Only the rest (a word occurring several times) read position bitmaps:
        for word ``j`` of ``n``, ``bitmap << (first + n - 1 - j)`` puts every
        occurrence that could start the phrase on the same bit, and a
        document holds the phrase when the AND over its words is not zero.
        """
        n = len(sts)
        get = byte_per_doc(candidates, self.n).__getitem__
        docs: list[int] = []
        picks: list[list[int]] = []
        firsts: list[list[int]] = []
        multi: list[bool] | None = None
        keeps: list[list[int]] = []
        for j, st in enumerate(sts):
            tfs, term_firsts, _, _ = st.packed()
            keep = list(map(get, st.ids))
            keeps.append(keep)
            if j == 0:
                docs = list(compress(st.ids, keep))
            firsts.append(list(compress(term_firsts, keep)))
            if tfs is not None:
                several = list(map(gt, compress(tfs, keep), repeat(1)))
                multi = several if multi is None else list(map(or_, multi, several))
        if multi is not None and 2 * sum(multi) > len(docs):
            # Mostly repeated words (``model``): first positions settle too few.
            return bits_of(_phrase_bitmaps(sts, keeps, firsts, docs), self.n)
        picks = [list(compress(range(len(keep)), keep)) for keep in keeps]
        chained: list[bool] | None = None
        for j in range(1, n):
            step = map(eq, map(minus, firsts[j], firsts[0]), repeat(j))
            chained = list(step) if chained is None else list(map(and_, chained, step))
        assert chained is not None
        found = list(compress(docs, chained))
        if multi is not None:
            # Undecided: the first positions do not chain and some word occurs again.
            open_ = list(compress(range(len(docs)), map(gt, multi, chained)))
            if open_:
                combined: Any = None
                frombytes = int.from_bytes
                for j, st in enumerate(sts):
                    _, _, blob, ends = st.packed()
                    lens = st._packed_lens
                    at = list(map(picks[j].__getitem__, open_))
                    stop = list(map(ends.__getitem__, at))
                    start = map(minus, stop, map(lens.__getitem__, at))
                    maps = map(blob.__getitem__, map(slice, start, stop))
                    shifts = map(add, map(firsts[j].__getitem__, open_), repeat(n - 1 - j))
                    aligned = map(lshift, map(frombytes, maps, repeat("little")), shifts)
                    combined = list(aligned) if combined is None else list(map(and_, combined, aligned))
                found.extend(compress(map(docs.__getitem__, open_), combined))
        return bits_of(found, self.n)

    # -- ranking ------------------------------------------------------------------------

    def top(
        self,
        mask: int,
        scoring: list[ScoringTerm],
        k: int,
        ranking: Ranking = WHOOSH,
        tree: wq.Query | None = None,
        floor: float | None = None,
    ) -> list[tuple[float, int]]:
        """The best ``k`` documents of ``mask`` as ``(score, local docnum)``.

        Scores sum the ``scoring`` terms a document holds. When ``tree`` is given
        and summing would count a term of a branch the document does not match
        (``a OR (b AND c)``, phrases under ``OR``), the tree is
        scored branch by branch instead, as Whoosh does.

        ``floor`` (the ``k``-th score of the segments searched before) lets
        documents that certainly score under it go unscored and unlisted
        (:mod:`absreader.core.search.bounds`); every document that could
        score at least ``floor`` is ranked as without it.
        """
        if not mask or k <= 0:
            return []
        self.ranking = ranking
        if tree is not None and mask.bit_count() > max(EXACT_LIMIT, k) and flat_scoring(tree):
            found = prefix_tops.stored_top(self, mask, scoring, k, floor, tree)  # a typed prefix
            if found is not None:
                return found
        terms = self.weighted(scoring, ranking)
        by_tree = tree is not None and not flat_scoring(tree)
        keep: int | None = None
        if floor is not None and floor > 0:
            bounded = self._bounds(terms, tree if by_tree else None)
            if bounded is not None:
                total, needed = bounds.essential(bounded, floor)
                if bounds.below(total, floor):
                    return []
                if needed is not None:
                    keep = 0
                    for st in needed:
                        keep |= st.mask
        count = mask.bit_count()
        if not terms:  # nothing ranks (a word of one or two letters being typed): document order
            return [(0.0, d) for d in first_bits(mask if keep is None else mask & keep, k)]
        if count <= max(EXACT_LIMIT, k):
            docs = iter_bits(mask if keep is None else mask & keep)
        else:
            if not by_tree:  # a typed prefix with stored best documents: exact when proven
                found = prefix_tops.top(self, mask, terms, k, floor, tree)
                if found is not None:
                    return found
            docs = self._candidates(mask, terms, k)
            if keep is not None:
                member = (keep & mask).to_bytes((self.n >> 3) + 1, "little").__getitem__
                docs = list(compress(docs, map(and_, map(member, map(rshift, docs, repeat(3))), _bits(docs))))
        if not docs:
            return []
        if by_tree:
            assert tree is not None
            scores = self._tree_scores(tree, docs, {})
        else:
            scores = self._scores(docs, terms)
        scored = zip(scores, docs, strict=True)
        # ``docs`` ascend, and a stable sort by score keeps ties in that order.
        return sorted(scored, key=itemgetter(0), reverse=True)[:k]

    def _bounds(
        self, terms: list[tuple[SegTerm, float, Any]], tree: wq.Query | None
    ) -> bounds.Bounded | None:
        """Each scoring term with its best possible contribution here (None: no bound holds)."""
        ranking = self.ranking
        avg = self.snap.avg_length
        if tree is None:
            return [
                (st, bounds.term_bound(st, c, ranking.k1, ranking.b, avg.get(st.field, 1.0)))
                for st, c, _ in terms
            ]
        weights = bounds.tree_weights(tree)
        if weights is None:
            return None
        out: bounds.Bounded = []
        for (field, text), weight in weights.items():
            st = self.term(field, text)
            if st is None:
                continue
            c = self.snap.idf(field, text, ranking) * weight * (ranking.k1 + 1)
            out.append((st, bounds.term_bound(st, c, ranking.k1, ranking.b, avg.get(field, 1.0))))
        return out

    def _term_scores(self, field: str, text: str, boost: float, docs: list[int]) -> list[float]:
        st = self.term(field, text)
        if st is None or field not in TEXT_FIELDS or not boost:
            return [0.0] * len(docs)
        c = self.snap.idf(field, text, self.ranking) * boost * (self.ranking.k1 + 1)
        return self._scores(docs, [(st, c, self.seg.lens.get(field))])

    def _tree_scores(self, q: wq.Query, docs: list[int], memo: dict[int, bytes]) -> list[float]:
        """Scores of ``docs`` for ``q``, summing only the branches each document matches."""
        if isinstance(q, wq.Term):
            return self._term_scores(q.fieldname, q.text, q.boost, docs)
        if isinstance(q, wq.Phrase):
            out = [0.0] * len(docs)
            for word in q.words:
                out = list(map(float.__add__, out, self._term_scores(q.fieldname, word, 1.0, docs)))
            return self._only_matching(q, docs, [x * q.boost for x in out], memo)
        if isinstance(q, wq.AndNot):
            return self._tree_scores(q.a, docs, memo)
        parts: list[wq.Query] = []
        if isinstance(q, wq.AndMaybe):
            parts = [q.a, q.b]
        elif isinstance(q, (wq.And, wq.Or)):
            parts = [p for p in q.subqueries if not isinstance(p, wq.Not)]
        out = [0.0] * len(docs)
        for child in parts:
            child_scores = self._tree_scores(child, docs, memo)
            if not isinstance(child, wq.Term):
                child_scores = self._only_matching(child, docs, child_scores, memo)
            out = list(map(float.__add__, out, child_scores))
        boost = getattr(q, "boost", 1.0)
        return out if boost == 1.0 else [x * boost for x in out]

    def _only_matching(
        self, q: wq.Query, docs: list[int], scores: list[float], memo: dict[int, bytes]
    ) -> list[float]:
        data = memo.get(id(q))
        if data is None:
            data = memo[id(q)] = self.mask(q).to_bytes((self.n >> 3) + 1, "little")
        return [s if data[d >> 3] >> (d & 7) & 1 else 0.0 for s, d in zip(scores, docs, strict=True)]

    def weighted(self, scoring: list[ScoringTerm], ranking: Ranking = WHOOSH) -> list[tuple[SegTerm, float, Any]]:
        """The scoring terms this segment holds, each with its factor and field lengths (for :meth:`scores`)."""
        self.ranking = ranking
        terms = []
        for field, text, boost in scoring:
            st = self.term(field, text)
            if st is not None and field in TEXT_FIELDS and boost:
                c = self.snap.idf(field, text, ranking) * boost * (ranking.k1 + 1)
                terms.append((st, c, self.seg.lens.get(field)))
        return terms

    def scores(self, docs: list[int], terms: list[tuple[SegTerm, float, Any]]) -> list[float]:
        """BM25F sums of ``terms`` (from :meth:`weighted`) for ascending ``docs``."""
        return self._scores(docs, terms)

    def _scores(self, docs: list[int], terms: list[tuple[SegTerm, float, Any]]) -> list[float]:
        """BM25F sums for ``docs``; each term visits only the documents holding it.

        ``docs`` are ascending. Which of them hold a term is read from the
        term's bitmap bytes with C-level maps over the candidates (not by
        listing the bits of a segment-wide ``int``); a term frequency is found
        by bisecting the term's ids from where the previous one was.
        """
        scores = [0.0] * len(docs)
        if not docs or not terms:
            return scores
        norm_of = self.snap.norm
        ranking = self.ranking
        wanted = bits_of(docs, self.n)
        at_byte = list(map(rshift, docs, repeat(3)))
        bit = list(_bits(docs))
        slots = range(len(docs))
        for st, c, lens in terms:
            if not wanted & st.mask:
                continue
            held = compress(slots, map(and_, map(st.mask_bytes().__getitem__, at_byte), bit))
            norms = self.snap.norm_table(st.field, ranking)
            ids, tfs = self.snap.frequencies(self.i, st)
            if tfs is None or not ids:
                for j in held:
                    length = lens[docs[j]]
                    norm = norms.get(length)
                    if norm is None:
                        norm = norm_of(st.field, length, ranking)
                    scores[j] += c * 1 / (1 + norm)
                continue
            k, last = 0, len(ids)
            ones: dict[int, float] = {}  # length -> the contribution at tf 1 (most documents)
            for j in held:
                doc = docs[j]
                k = bisect_left(ids, doc, k)
                length = lens[doc]
                if k < last and ids[k] == doc and tfs[k] != 1:
                    tf = tfs[k]
                    norm = norms.get(length)
                    if norm is None:
                        norm = norm_of(st.field, length, ranking)
                    scores[j] += c * tf / (tf + norm)
                    continue
                one = ones.get(length)
                if one is None:
                    norm = norms.get(length)
                    if norm is None:
                        norm = norm_of(st.field, length, ranking)
                    one = ones[length] = c * 1 / (1 + norm)
                scores[j] += one
        return scores

    def _candidates(self, mask: int, terms: list[tuple[SegTerm, float, Any]], k: int) -> list[int]:
        inside = mask.to_bytes((self.n >> 3) + 1, "little").__getitem__
        want = max(LENGTH_CANDIDATES, 2 * k)
        found: set[int] = set()
        used = min(256, max(64, 768 // len(terms)))
        for st, _, lens in terms:
            champions = st.champions
            if champions is None:  # kept with the term: the next keystroke needs them again
                champions = self.seg.champions(st.field, st.term)
                if champions is None:
                    champions = _champions_of(st, lens)
                st.champions = champions
            best = champions[:used]
            found.update(compress(best, map(and_, map(inside, map(rshift, best, repeat(3))), _bits(best))))
        found.update(self._shortest("abstract", mask, want))
        title_mask = 0
        for st, _, _ in terms:
            if st.field == "title":
                title_mask |= st.mask
        title_mask &= mask
        if title_mask:
            found.update(self._shortest("title", title_mask, want))
        return sorted(found)

    def _shortest(self, field: str, mask: int, want: int) -> list[int]:
        """The ``want`` documents of ``mask`` with the shortest ``field`` (ties: lowest first).

        A mask with few documents is sorted by length directly; otherwise the
        stored length order is walked in chunks with C-level maps over the
        mask's bytes, stopping once it has enough (about ``want * n / count``
        documents looked at, so the sort wins below ``count**2 = want * n``).
        Both give the documents sorted stably by their exact lengths, which is
        how the order was made.
        """
        count = mask.bit_count()
        if not count:
            return []
        if not self.seg.length_order(field):  # a segment written without one (as before it)
            lens = self.seg.lens.get(field)
            if lens is None or count > self.n >> 4:
                return []
            return sorted(iter_bits(mask), key=lens.__getitem__)[:want]
        lens = self.seg.lens.get(field)
        if lens is not None and count * count <= want * self.n:
            return sorted(iter_bits(mask), key=lens.__getitem__)[:want]
        get = mask.to_bytes((self.n >> 3) + 1, "little").__getitem__
        out: list[int] = []
        for chunk in range(-(-len(self.seg.length_order(field)) // _WALK_CHUNK)):
            order, at_byte, bit = self.seg.length_walk(field, chunk, _WALK_CHUNK)
            out.extend(compress(order, map(and_, map(get, at_byte), bit)))
            if len(out) >= want:
                break
        return out[:want]


def _bits(docs: Iterable[int]) -> Iterable[int]:
    """Each document's bit within its bitmap byte (``1 << (doc & 7)``), lazily, in C."""
    return map(_BIT.__getitem__, map(and_, docs, repeat(7)))


def first_bits(mask: int, k: int) -> list[int]:
    """``iter_bits(mask)[:k]`` without listing a whole segment's bits: the low end first."""
    width = 2 * k + 64
    while True:
        low = mask & ((1 << width) - 1)
        if low.bit_count() >= k or width >= mask.bit_length():
            return iter_bits(low)[:k]
        width *= 4


def _champions_of(st: SegTerm, lens: Any) -> list[int]:
    """Best documents of a term without stored champions (it is short)."""
    ids = st.ids
    if len(ids) <= 256:
        return list(ids)
    tfs = st.tfs
    if tfs is None:
        return sorted(ids, key=lens.__getitem__)[:256]  # what heapq.nsmallest gives, in C
    impact = [t / (t + 0.4 * lens[d] + 1) for d, t in zip(ids, tfs, strict=True)]
    best = sorted(range(len(ids)), key=impact.__getitem__, reverse=True)[:256]  # as heapq.nlargest
    return [ids[j] for j in best]


def _phrase_bitmaps(
    sts: list[SegTerm], keeps: list[list[int]], firsts: list[list[int]], docs: list[int]
) -> list[int]:
    """The ``docs`` holding the phrase, from every candidate's position bitmaps.

    For word ``j`` of ``n``, ``bitmap << (first + n - 1 - j)`` puts every
    occurrence that could start the phrase on the same bit; a document holds
    the phrase when the AND over its words is not zero.
    """
    n = len(sts)
    combined: Any = None
    frombytes = int.from_bytes
    for j, st in enumerate(sts):
        # Only the kept postings' bitmaps are cut out of the packed blob.
        _, _, blob, ends = st.packed()
        stop = list(compress(ends, keeps[j]))
        start = map(minus, stop, compress(st._packed_lens, keeps[j]))
        maps = map(blob.__getitem__, map(slice, start, stop))
        shifts = map(add, firsts[j], repeat(n - 1 - j))
        aligned = map(lshift, map(frombytes, maps, repeat("little")), shifts)
        combined = list(aligned) if combined is None else list(map(and_, combined, aligned))
    return list(compress(docs, combined))


def _phrase_docs(docs: list[int], sts: list[SegTerm]) -> list[int]:
    """The ``docs`` holding the words consecutively, from each word's position bitmap there.

    As in ``_phrase_bulk``, word ``j`` of ``n`` is shifted by ``n - 1 - j`` so
    the occurrences of one phrase land on the same bit.
    """
    n = len(sts)
    columns = []
    for j, st in enumerate(sts):
        _, firsts, _, _ = st.packed()
        columns.append((st.ids, firsts, st.bitmap_at, n - 1 - j))
    frombytes = int.from_bytes
    found = []
    for doc in docs:
        acc = -1
        for ids, firsts, bitmap_at, shift in columns:
            k = bisect_left(ids, doc)
            acc &= frombytes(bitmap_at(k), "little") << (firsts[k] + shift)
            if not acc:
                break
        else:
            found.append(doc)
    return found


def _phrase_in(doc: int, sts: list[SegTerm], slop: int) -> bool:
    """True when the phrase occurs in ``doc``."""
    positions = [st.positions_of(doc) for st in sts]
    if slop == 1:
        starts = set(positions[0])
        for k, plist in enumerate(positions[1:], 1):
            starts &= {p - k for p in plist}
            if not starts:
                return False
        return True
    for start in positions[0]:
        last = start
        for plist in positions[1:]:
            nxt = [p for p in plist if last < p <= last + slop]
            if not nxt:
                break
            last = nxt[0]
        else:
            return True
    return False


def flat_scoring(q: wq.Query) -> bool:
    """Whether summing the tree's terms scores it as its branches would.

    True unless a conjunction or a phrase sits under an ``OR`` (or under the
    optional side of ``ANDMAYBE``): a term of a branch that matches scores
    whether or not the branch is a term, so only such branches can differ.
    """

    def walk(node: wq.Query, optional: bool) -> bool:
        if isinstance(node, (wq.Term, PrefixTerms, wq.Not, wq.Every)) or node is wq.NullQuery:
            return True
        if isinstance(node, wq.Phrase):
            return not optional
        if isinstance(node, wq.Or):
            return all(walk(c, True) for c in node.subqueries)
        if isinstance(node, wq.AndMaybe):
            return walk(node.a, optional) and walk(node.b, True)
        if isinstance(node, wq.AndNot):
            return walk(node.a, optional)
        if isinstance(node, wq.And):
            return not optional and all(walk(c, False) for c in node.subqueries)
        return not optional

    return walk(q, False)


def scoring_terms(q: wq.Query, negated: bool = False) -> list[ScoringTerm]:
    """The positive text terms of a query, with their boosts (what ranking sums)."""
    out: list[ScoringTerm] = []
    if isinstance(q, wq.Term):
        if not negated and q.fieldname in TEXT_FIELDS:
            out.append((q.fieldname, q.text, q.boost))
    elif isinstance(q, wq.Phrase):
        if not negated:
            out.extend((q.fieldname, w, q.boost) for w in q.words)
    elif isinstance(q, wq.Not):
        out.extend(scoring_terms(q.query, not negated))
    elif isinstance(q, wq.AndNot):
        out.extend(scoring_terms(q.a, negated))
        out.extend(scoring_terms(q.b, not negated))
    elif isinstance(q, (wq.AndMaybe,)):
        out.extend(scoring_terms(q.a, negated))
        out.extend(scoring_terms(q.b, negated))
    elif isinstance(q, wq.CompoundQuery):
        for sub in q.subqueries:
            out.extend(scoring_terms(sub, negated))
    return out


def search(
    snapshot: Snapshot,
    q: wq.Query,
    k: int,
    restrict: list[int] | None = None,
    exclude: int | None = None,
    ranking: Ranking = WHOOSH,
) -> tuple[int, list[tuple[int, float]]]:
    """Total matches and the best ``k`` as ``(global docnum, score)``.

    ``restrict`` is a per-segment bitmap the matches must fall in; ``exclude`` a
    global docnum to leave out (the paper itself, for "more like this").
    """
    totals, ranked = search_tiers(snapshot, [q], k, restrict, exclude, ranking)
    return totals[0], ranked[0]


def search_tiers(
    snapshot: Snapshot,
    tiers: list[wq.Query],
    k: int,
    restrict: list[int] | None = None,
    exclude: int | None = None,
    ranking: Ranking = WHOOSH,
    scoring: list[ScoringTerm] | None = None,
    pooled: bool = False,
) -> tuple[list[int], list[list[tuple[int, float]]]]:
    """Matches of each tier that no earlier tier matched: their counts and best ``k`` each.

    Every tier is ranked with the same ``scoring`` terms (by default those of
    the last tier, the widest), so scores compare across tiers. ``pooled``:
    the tiers fill one list of ``k`` (tier after tier), so a tier is ranked
    only as deep as the earlier tiers' totals leave room for, and not at all
    when they fill it (the counts are always exact). Segments are searched
    largest first and each tier's ``k``-th score so far is the floor later
    segments must reach (see :meth:`SegmentSearch.top`).
    """
    tree = None
    if scoring is None:
        scoring = scoring_terms(tiers[-1])
        tree = tiers[-1]
    totals = [0] * len(tiers)
    # Counting first (bitmaps only), so the ranking knows how deep each tier must go.
    visits: list[tuple[int, SegmentSearch, list[int]]] = []
    for i in visiting_order(snapshot):
        base = snapshot.bases[i]
        seg_search = SegmentSearch(snapshot, i)
        allowed = snapshot.live_mask(i)
        if restrict is not None:
            allowed &= restrict[i]
        if exclude is not None and base <= exclude < base + seg_search.n:
            allowed &= ~(1 << (exclude - base))
        taken = 0
        masks = [0] * len(tiers)
        for t, q in enumerate(tiers):
            if not allowed:
                break
            mask = seg_search.mask(q) & allowed & ~taken
            taken |= mask
            totals[t] += mask.bit_count()
            masks[t] = mask
        visits.append((base, seg_search, masks))
    out = []
    for t in range(len(tiers)):
        need = max(0, k - sum(totals[:t])) if pooled else k
        tier: list[tuple[float, int]] = []
        floor: float | None = None
        for base, seg_search, masks in visits if need else ():
            if not masks[t]:
                continue
            # Ranked to ``k`` as always (its candidates depend on it), then cut.
            found = seg_search.top(masks[t], scoring, k, ranking, tree, floor)[:need]
            tier.extend((score, doc + base) for score, doc in found)
            if len(tier) >= need and found and SHARED_FLOOR:
                rank_best_first(tier)
                del tier[need:]
                floor = tier[-1][0]
        rank_best_first(tier)
        out.append([(doc, score) for score, doc in tier[:need]])
    return totals, out


def rank_best_first(tier: list[tuple[float, int]]) -> None:
    """Sort ``(score, doc)`` pairs best first, ties by the lower document (two C-level sorts)."""
    tier.sort(key=itemgetter(1))
    tier.sort(key=itemgetter(0), reverse=True)


def visiting_order(snapshot: Snapshot) -> list[int]:
    """The order segments are searched in: largest first, whose best fills the page highest.

    The ``k``-th score of the segments searched so far is the floor later
    segments must reach, so the higher it starts the less they score.
    """
    sizes = [seg.doc_count_all - len(seg.deleted) for seg in snapshot.segments]
    return sorted(range(len(sizes)), key=lambda i: -sizes[i])
