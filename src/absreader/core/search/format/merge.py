"""Merging segments into one: what optimising the index means.

Segments are streamed together term by term (``heapq.merge`` over their sorted
term lists); documents keep their order, deleted ones are dropped, and the
"more like this" signatures are recomputed with the merged frequencies.
"""

from __future__ import annotations

import heapq
import marshal
from array import array
from collections.abc import Iterator, Sequence
from itertools import compress
from typing import Any

from whoosh.codec.whoosh3 import W3Segment
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage

from absreader.core.search.format.pairs import write_for_segment
from absreader.core.search.format.schema import TEXT_FIELDS
from absreader.core.search.format.segments import (
    CODEC,
    INDEX_NAME,
    ONES,
    SIGNATURES_EXT,
    SegmentData,
)
from absreader.core.search.format.signatures import pack_signatures
from absreader.core.search.format.write import TermsWriter, cleanup_temp, write_sidecar


def merge_segments(
    storage: FileStorage,
    schema: Schema,
    segments: Sequence[W3Segment],
    keep_signatures: bool = False,
) -> W3Segment | None:
    """Merge segments (dropping deleted documents) into one new segment.

    Merging everything recomputes the "more like this" signatures with the
    merged frequencies; merging a few small segments (``keep_signatures``)
    carries each document's signature over unchanged, which is much cheaper.
    """
    datas = [SegmentData(storage, s, eager=False) for s in segments]
    try:
        return _merge(storage, schema, datas, keep_signatures)
    finally:
        for data in datas:
            data.close()


def _merge(
    storage: FileStorage, schema: Schema, datas: list[SegmentData], keep_signatures: bool
) -> W3Segment | None:
    segment = CODEC.new_segment(storage, INDEX_NAME)
    perdoc = CODEC.per_document_writer(storage, segment)
    keys: list[str] = []
    lens = {f: array("I") for f in TEXT_FIELDS}
    docmaps: list[Any] = []
    for data in datas:
        base = len(keys)
        if data.deleted:
            docmap = {}
            for old in range(data.doc_count_all):
                if old not in data.deleted:
                    docmap[old] = len(keys)
                    keys.append(data.keys[old])
                    for field in TEXT_FIELDS:
                        lens[field].append(data.lens[field][old])
            docmaps.append(docmap)
        else:
            keys.extend(data.keys)
            for field in TEXT_FIELDS:
                lens[field].extend(data.lens[field])
            docmaps.append(base)
    for docnum, key in enumerate(keys):
        perdoc.start_doc(docnum)
        for field in TEXT_FIELDS:
            if lens[field][docnum]:
                perdoc.add_field(field, schema[field], None, lens[field][docnum])
        perdoc.add_field("key", schema["key"], key, 0)
        perdoc.finish_doc()
    perdoc.close()
    cleanup_temp(storage)
    if not keys:
        return None
    segment.set_doc_count(len(keys))

    def stream(i: int, data: SegmentData) -> Iterator[tuple[str, str, int, Any]]:
        for field, term, info in data.iter_terms():
            yield field, term, i, info

    writer = TermsWriter(storage, segment, len(keys), lens, None, not keep_signatures)
    merged = heapq.merge(*(stream(i, d) for i, d in enumerate(datas)))
    current: tuple[str, str] | None = None
    parts: list[tuple[int, Any]] = []

    def flush() -> None:
        assert current is not None
        field, term = current
        positional = field in TEXT_FIELDS
        ids = array("I")
        tfs = array("H")
        firsts = array("H")
        bitmaps: list[bytes] = []
        for i, info in parts:
            pids, ptfs, pfirsts, pmaps = datas[i].postings(info.extent(), positional)
            counts = ptfs if ptfs is not None else ONES * len(pids)
            dmap = docmaps[i]
            if isinstance(dmap, int):
                ids.extend(map(dmap.__add__, pids) if dmap else pids)
                tfs.extend(counts)
                if positional:
                    firsts.extend(pfirsts)
                    bitmaps.extend(pmaps)
                continue
            keep = [d in dmap for d in pids]
            ids.extend(dmap[d] for d in compress(pids, keep))
            tfs.extend(compress(counts, keep))
            if positional:
                firsts.extend(compress(pfirsts, keep))
                bitmaps.extend(compress(pmaps, keep))
        if not ids:
            return
        if positional:
            writer.add(field, term, ids, tfs, firsts, bitmaps)
        else:
            writer.add(field, term, ids)

    for field, term, i, info in merged:
        if (field, term) != current:
            if current is not None:
                flush()
            current = (field, term)
            parts = []
        parts.append((i, info))
    if current is not None:
        flush()
    writer.close()
    if keep_signatures:
        carried = []
        for data, dmap in zip(datas, docmaps, strict=True):
            olds = range(data.doc_count_all) if isinstance(dmap, int) else sorted(dmap)
            carried.extend(data.signature(old) for old in olds)
        with storage.create_file(segment.make_filename(SIGNATURES_EXT)) as f:
            f.write(marshal.dumps(pack_signatures(carried)))
    write_sidecar(storage, segment, keys, lens)
    write_for_segment(storage, segment)  # phrase pair sets (format/pairs.py)
    return segment
