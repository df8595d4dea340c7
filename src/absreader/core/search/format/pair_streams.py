"""A build's own pair sets (``.absw``): from the papers' term sequences, not the stored positions.

:func:`~absreader.core.search.format.pairs.derive` makes a segment's pair
sets from its written positions: every occurrence of every frequent term is
decoded and placed in a token array (a slot per position, one empty slot
after each document), about 40 CPU-s a 100,000-paper segment. The builder
already sees each paper's words in order, so it keeps that token array
itself: :class:`TermStreams` records, per pair field, each document's
sequence of term numbers (spilled beside the postings, so memory stays that
of ``spill_every`` papers); while the segment is written,
:class:`FrequentTerms` notes the field's terms in at least ``least``
documents, in term order, with their documents; then :func:`derive_streamed`
turns the term numbers into those terms' ranks and groups the followers
exactly as ``derive`` does (:func:`~absreader.core.search.format.pairs.group_pairs`).
The answers are the same, so the file is byte for byte the one ``derive``
writes (``tests/test_phrase_pairs.py`` compares them).
"""

from __future__ import annotations

import os
from array import array
from collections import deque
from collections.abc import Iterator
from itertools import chain, filterfalse, islice, repeat
from operator import add, call
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import W3Segment
from whoosh.filedb.filestore import FileStorage

from absreader.core.search.format import pairs
from absreader.core.search.format.pairs import (
    _SHIFT,
    PAIR_FIELDS,
    group_pairs,
    min_candidates,
    write_derived,
)
from absreader.core.search.format.schema import MAX_POSITION
from absreader.core.search.format.terms import bits_of

_EMPTY = 0  # the term number of a slot with no term (a document's end, an irregular document)


class TermStreams:
    """Each pair field's term numbers, slot by slot, for the documents added so far."""

    def __init__(self) -> None:
        #: Per field: term -> its number (from 1), for the whole segment.
        self.numbers: dict[str, dict[str, int]] = {f: {} for f in PAIR_FIELDS}
        self._next = dict.fromkeys(PAIR_FIELDS, 1)
        self._streams = {f: array("I") for f in PAIR_FIELDS}
        self._spilled: list[dict[str, Path]] = []

    def numbered(self, field: str) -> int:
        """How many terms of ``field`` were given numbers (1 to this)."""
        return self._next[field] - 1

    def add(self, field: str, seq: list[str] | None, distinct: Any, length: int) -> None:
        """One document's field: its terms in word order (None: no words), the same terms
        once each (its positions dict) and its length."""
        stream = self._streams[field]
        if not seq or length > MAX_POSITION:  # no words, or left out of the sets (derive)
            stream.extend(repeat(_EMPTY, length + 1))
            return
        numbers = self.numbers[field]
        for term in filterfalse(numbers.__contains__, distinct):  # new to the segment
            numbers[term] = self._next[field]
            self._next[field] += 1
        stream.extend(map(numbers.__getitem__, seq))
        stream.append(_EMPTY)

    def spill(self, folder: Path, run: int) -> None:
        """Write the streams so far into ``folder`` and empty them."""
        folder.mkdir(exist_ok=True)
        files = {}
        for field, stream in self._streams.items():
            path = folder / f"stream{run:04d}.{field}"
            with open(path, "wb") as f:
                stream.tofile(f)
            files[field] = path
            self._streams[field] = array("I")
        self._spilled.append(files)

    def chunks(self, field: str) -> Iterator[array]:
        """The field's stream, a spilled run at a time, then what is in memory."""
        for files in self._spilled:
            path = files[field]
            chunk = array("I")
            with open(path, "rb") as f:
                chunk.fromfile(f, os.path.getsize(path) // chunk.itemsize)
            yield chunk
        yield self._streams[field]

    def clear(self) -> None:
        """Forget everything (the spilled files go with the spill folder)."""
        self.numbers = {f: {} for f in PAIR_FIELDS}
        self._next = dict.fromkeys(PAIR_FIELDS, 1)
        self._streams = {f: array("I") for f in PAIR_FIELDS}
        self._spilled = []


class FrequentTerms:
    """The pair fields' terms in at least ``least`` documents, noted as the segment is written.

    Their documents go to a file in ``folder`` (not held through the segment's write,
    its memory peak) and are read back, one field at a time, by :meth:`masks`.
    """

    def __init__(self, doc_count: int, folder: Path, streams: TermStreams) -> None:
        self.doc_count = doc_count
        self.least = min_candidates(doc_count)
        self.terms: dict[str, list[str]] = {f: [] for f in PAIR_FIELDS}
        #: Their numbers in the streams (0: in no stream, only in irregular documents).
        self.numbers: dict[str, list[int]] = {f: [] for f in PAIR_FIELDS}
        # Each written term leaves the streams' numbering, so its string goes with the pool.
        self._numbering = streams.numbers
        self._sizes: dict[str, list[int]] = {f: [] for f in PAIR_FIELDS}
        folder.mkdir(exist_ok=True)
        self._path = folder / "frequent-ids"
        self._file = open(self._path, "w+b")  # noqa: SIM115 - closed in close()
        self._starts: dict[str, int] = {}

    def add(self, field: str, term: str, ids: array) -> None:
        """One written term (terms in order) and its documents."""
        if field not in self.terms:
            return
        number = self._numbering[field].pop(term, 0)
        if len(ids) >= self.least:
            self.terms[field].append(term)
            self.numbers[field].append(number)
            self._sizes[field].append(len(ids))
            self._starts.setdefault(field, self._file.tell())
            ids.tofile(self._file)

    def masks(self, field: str) -> list[int]:
        """The documents of each of the field's frequent terms, as bitmaps."""
        out = []
        self._file.flush()
        self._file.seek(self._starts.get(field, 0))
        for size in self._sizes[field]:
            ids = array("I")
            ids.fromfile(self._file, size)
            out.append(bits_of(ids, self.doc_count))
        return out

    def close(self) -> None:
        """Release and delete the file."""
        self._file.close()
        self._path.unlink(missing_ok=True)


def derive_streamed(
    streams: TermStreams, frequent: FrequentTerms, field: str, lens: array, n: int
) -> tuple[list[str], list[int], dict]:
    """What ``pairs.derive`` gives for ``field`` of the segment just written."""
    if n >= 1 << _SHIFT:
        return [], [], {}
    irregular = [d for d, length in enumerate(lens) if length > MAX_POSITION]
    terms = frequent.terms[field]
    count = len(terms)
    if count == 0:
        return [], irregular, {}
    none = count
    code = "H" if count < 0xFFFF else "I"
    rank = array(code, [none]) * (streams.numbered(field) + 1)
    for r, number in enumerate(frequent.numbers[field]):
        if number:  # 0: seen only in irregular documents, so in no slot
            rank[number] = r
    tokens = array(code)
    for chunk in streams.chunks(field):
        tokens.extend(map(rank.__getitem__, chunk))
    del chunk
    tokens.append(none)
    if len(tokens) != sum(lens) + n + 1:
        raise ValueError("the term streams do not match the field lengths")
    # Two bucket passes over the slots: for each frequent term, the term after each of
    # its occurrences and the occurrence's document (slots without one go to a sink).
    sink = deque(maxlen=0).append
    nexts = [array(code) for _ in range(count)]
    appends = [row.append for row in nexts]
    appends.append(sink)
    deque(map(call, map(appends.__getitem__, tokens), islice(tokens, 1, None)), maxlen=0)
    docs = [array("I") for _ in range(count)]
    appends = [row.append for row in docs]
    appends.append(sink)
    slot_docs = chain.from_iterable(map(repeat, range(n), map(add, lens, repeat(1))))
    deque(map(call, map(appends.__getitem__, tokens), slot_docs), maxlen=0)
    del appends, tokens
    masks = frequent.masks(field)
    rows = list(zip(nexts, docs, strict=True))
    del nexts, docs
    pairs = group_pairs(rows, masks, frequent.least)
    # Fresh strings, held by this list only, as derive's (marshal flags objects held twice,
    # and these are also the pool's and the streams' keys): the same header bytes.
    fresh = [t.encode("utf-8").decode("utf-8") for t in terms]
    return fresh, irregular, pairs


def write_streamed(
    storage: FileStorage,
    segment: W3Segment,
    streams: TermStreams,
    frequent: FrequentTerms,
    lens: dict[str, array],
    n: int,
) -> int:
    """Write the segment's ``.absw`` file from the build's streams (``pairs.MIN_DOCS`` papers or more)."""
    if n < pairs.MIN_DOCS:
        return 0
    derived = {}
    for field in PAIR_FIELDS:
        field_lens = lens.get(field)
        if field_lens is not None:
            derived[field] = derive_streamed(streams, frequent, field, field_lens, n)
    return write_derived(storage, segment, n, frequent.least, derived)
