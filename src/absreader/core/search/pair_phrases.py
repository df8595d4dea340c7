"""Phrases answered from the segments' stored pair sets (``.absw``), where they can be.

:mod:`absreader.core.search.format.pairs` stores, per segment, the documents
where one frequent word follows another. Here a phrase of a search is cut
down with them before any position is read: a two-word phrase whose pair the
file covers is answered outright (its exact documents, so its total is exact
too); a longer phrase keeps only the candidates holding every covered pair of
neighbouring words, of which those where every inner word occurs once hold
the phrase (the pairs meet at that word), and the rest are checked by
position as before. A segment
without a readable file, and a pair whose stored set does not read, fall back
to positions: the answer is the same, only slower.
"""

from __future__ import annotations

import time
from itertools import compress, repeat
from operator import eq

from whoosh.filedb.filestore import FileStorage

from absreader.core.search.format.pairs import PairSets
from absreader.core.search.format.segments import SegmentData
from absreader.core.search.format.terms import SegTerm, bits_of

#: A segment found without a pair file is looked at again after this many seconds
#: (``absreader reindex --phrases`` may have written it meanwhile).
RETRY_SECONDS = 30.0


class PairFiles:
    """The pair files of a snapshot's segments, opened on first use (kept across commits)."""

    def __init__(self, storage: FileStorage, previous: PairFiles | None = None) -> None:
        self._storage = storage
        self._open: dict[str, tuple[PairSets | None, float]] = {}
        if previous is not None and previous._storage.folder == storage.folder:
            self._open = previous._open
            previous._open = {}
        #: Phrases (per pair) answered from a stored set, and from positions: for tests.
        self.used = 0

    def get(self, seg: SegmentData) -> PairSets | None:
        """The segment's pair sets (None: it has none that read)."""
        seg_id = seg.segment.segment_id()
        entry = self._open.get(seg_id)
        now = time.monotonic()
        if entry is not None and (entry[0] is not None or now - entry[1] < RETRY_SECONDS):
            return entry[0]
        sets = PairSets.open(self._storage, seg.segment)
        self._open[seg_id] = (sets, now)
        return sets

    def keep_only(self, alive: set[str]) -> None:
        """Close the files of segments no longer in the index."""
        for seg_id in [k for k in self._open if k not in alive]:
            sets = self._open.pop(seg_id)[0]
            if sets is not None:
                sets.close()

    def close(self) -> None:
        """Release every file."""
        for sets, _ in self._open.values():
            if sets is not None:
                sets.close()
        self._open = {}

    def narrow(
        self, seg: SegmentData, field: str, sts: list[SegTerm], candidates: int
    ) -> tuple[int, int]:
        """``(documents known to hold the phrase, candidates still to check by position)``.

        ``sts`` are the phrase's words in order (adjacent, slop 1), ``candidates``
        the documents holding all of them.
        """
        sets = self.get(seg)
        if sets is None or field not in sets.fields:
            return 0, candidates
        narrowed = -1
        covered = 0
        for first, second in zip(sts, sts[1:], strict=False):
            pair_candidates = candidates if len(sts) == 2 else first.mask & second.mask
            if not sets.covers(field, first.term, second.term, pair_candidates.bit_count()):
                continue
            stored = sets.get(field, first.term, second.term)
            if stored is None:  # damaged: this pair is checked by position
                continue
            narrowed &= stored
            covered += 1
        if not covered:
            return 0, candidates
        self.used += covered
        odd = sets.irregular(field) & candidates  # left out of the sets: by position
        if len(sts) == 2:
            return narrowed & candidates & ~odd, odd
        narrowed &= candidates & ~odd
        if covered == len(sts) - 1 and narrowed:
            # Every neighbouring pair occurs; where each inner word occurs once, the
            # pairs share its position, so they chain into the phrase.
            settled = narrowed
            for st in sts[1:-1]:
                settled &= _once(st)
                if not settled:
                    break
            return settled, (narrowed & ~settled) | odd
        return 0, narrowed | odd


def _once(st: SegTerm) -> int:
    """Documents holding the term exactly once."""
    if st.tfs is None:
        return st.mask
    return bits_of(compress(st.ids, map(eq, st.tfs, repeat(1))), st.seg.doc_count_all)
