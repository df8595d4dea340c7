"""Committing papers to a generation: segments, deletions, merges, and ``meta.json``.

Used by :class:`absreader.core.search.index.SearchIndex` under its write lock. Every
commit writes a new Whoosh table of contents atomically; ``meta.json`` is
replaced atomically too (and written last by a build: the completion marker).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from absreader.core.search.format.merge import merge_segments
from absreader.core.search.format.schema import SCHEMA, AnalysedDoc
from absreader.core.search.format.segments import SegmentData, write_toc
from absreader.core.search.format.write import SegmentBuilder
from absreader.core.search.lock import IndexLock
from absreader.core.search.state import META_FILE, read_meta  # noqa: F401 - re-exported

#: Most documents merged into one segment. A merge holds its documents' postings
#: and "more like this" candidates in memory (about 4 KB a paper), so capping it
#: bounds a build's peak memory at any library size; a big library is then a few
#: segments of this size instead of one.
MERGE_CAP = 100_000


class BatchWriter:
    """Adds analysed papers to a generation as segments, and commits them."""

    def __init__(
        self, storage: Any, segments: list[Any], generation: int, signatures: bool = True
    ) -> None:
        self.storage = storage
        self.signatures = signatures
        self.segments = segments
        self.generation = generation
        self.builder: SegmentBuilder | None = None
        self.pending_keys: dict[str, int] = {}
        self._pending_deletes: list[int] = []
        self._readers: dict[str, Any] = {}
        self._df_cache: dict[tuple[str, str, int], int] = {}

    @property
    def pending(self) -> int:
        """Papers added but not yet written as a segment."""
        return len(self.builder) if self.builder is not None else 0

    def add(self, doc: AnalysedDoc) -> None:
        """Queue a paper for the next segment (a later copy of the same key wins)."""
        if self.builder is None:
            df_of = self.doc_frequency if self.segments else None
            self.builder = SegmentBuilder(self.storage, SCHEMA, df_of, self.signatures)
            self.pending_keys = {}
        if doc.key in self.pending_keys:
            self._pending_deletes.append(self.pending_keys[doc.key])
        self.pending_keys[doc.key] = len(self.builder)
        self.builder.add(doc)

    def _reader(self, segment: Any) -> SegmentData:
        seg_id = segment.segment_id()
        reader = self._readers.get(seg_id)
        if reader is None:
            reader = self._readers[seg_id] = SegmentData(self.storage, segment, eager=False)
        return reader

    def doc_frequency(self, fieldname: str, term: str) -> int:
        """Documents holding a term in the committed segments (``("", "")``: all documents)."""
        if not fieldname:
            return sum(s.doc_count_all() for s in self.segments) + self.pending
        key = (fieldname, term, len(self.segments))
        cached = self._df_cache.get(key)
        if cached is not None:
            return cached
        total = 0
        for segment in self.segments:
            stats = self._reader(segment).term_stats(fieldname, term)
            if stats is not None:
                total += stats[0]
        if len(self._df_cache) > 50_000:
            self._df_cache.clear()
        self._df_cache[key] = total
        return total

    def delete_key(self, key: str) -> bool:
        """Mark every committed copy of ``key`` deleted; True when there was one."""
        found = False
        for segment in self.segments:
            reader = self._reader(segment)
            for docnum in reader.find_key(key):
                if not segment.is_deleted(docnum):
                    segment.delete_document(docnum)
                    found = True
        return found

    def flush(self) -> None:
        """Write the pending papers as a segment and commit."""
        if self.builder is None:
            return
        segment = self.builder.finish()
        deletes, self._pending_deletes = self._pending_deletes, []
        self.builder = None
        if segment is not None:
            for docnum in deletes:
                segment.delete_document(docnum)
            self.segments.append(segment)
        self.commit()

    def commit(self) -> None:
        """Write a new table of contents naming the current segments."""
        self.generation += 1
        self._close_readers()
        write_toc(self.storage, SCHEMA, self.segments, self.generation)

    def live_docs(self) -> int:
        """Documents in the committed segments, minus deleted ones."""
        return sum(s.doc_count_all() - s.deleted_count() for s in self.segments)

    def needs_optimise(self, added: int, before: int) -> bool:
        """After an update: merge when many papers came or went, or small segments piled up."""
        if len(self.segments) <= 1:
            return False
        deleted = sum(s.deleted_count() for s in self.segments)
        total = sum(s.doc_count_all() for s in self.segments)
        small = sum(1 for s in self.segments if s.doc_count_all() < MERGE_CAP // 2)
        return added >= max(1_000, before // 5) or deleted > total // 10 or small > 12

    def merge_groups(self, *, everything: bool = False) -> list[list[Any]]:
        """Runs of neighbouring segments to merge, each of at most ``MERGE_CAP`` live papers.

        Unless ``everything`` (a build: its segments have no "more like this"
        signatures yet), a segment alone in its run is left as it is unless a
        tenth of it is deleted.
        """
        groups: list[list[Any]] = []
        run: list[Any] = []
        size = 0
        for segment in self.segments:
            live = segment.doc_count_all() - segment.deleted_count()
            if run and size + live > MERGE_CAP:
                groups.append(run)
                run, size = [], 0
            run.append(segment)
            size += live
        if run:
            groups.append(run)
        if everything:
            return groups
        return [
            g
            for g in groups
            if len(g) > 1 or g[0].deleted_count() * 10 > g[0].doc_count_all()
        ]

    def optimise(self, *, everything: bool = False) -> Iterator[int]:
        """Merge segments in runs of at most ``MERGE_CAP`` papers, committing after each run.

        Yields the number of papers merged so far (for progress). Memory stays
        bounded by the cap however large the index is.
        """
        merged_docs = 0
        for group in self.merge_groups(everything=everything):
            self._close_readers()
            merged = merge_segments(self.storage, SCHEMA, group)
            at = self.segments.index(group[0])
            rest = [s for s in self.segments if all(s is not g for g in group)]
            self.segments = rest[:at] + ([merged] if merged is not None else []) + rest[at:]
            self.commit()
            merged_docs += sum(s.doc_count_all() for s in group)
            yield merged_docs

    def merge_small(self) -> None:
        """Merge the small segments that updates leave behind, once there are several."""
        if len(self.segments) < 4:
            return
        biggest = max(s.doc_count_all() for s in self.segments)
        small = [s for s in self.segments if s.doc_count_all() * 10 < biggest]
        if len(small) < 4:
            return
        merged = merge_segments(self.storage, SCHEMA, small, keep_signatures=True)
        self._close_readers()
        keep = [s for s in self.segments if s not in small]
        self.segments = keep + ([merged] if merged is not None else [])

    def _close_readers(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Replace a generation's ``meta.json`` atomically."""
    write_atomic(folder / META_FILE, json.dumps(meta, indent=1))


def write_atomic(path: Path, text: str) -> None:
    """Write a small file beside itself, sync it, then rename it into place."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Hold the index's one lock (see ``index_lock``); a second holder waits."""
    with IndexLock.for_path(path).hold():
        yield
