"""Writing segments: whole posting lists in Whoosh's W3 format, and merging them.

Whoosh's own writer pushes every posting through several Python calls and an
external sort; at 100,000 abstracts that alone costs more than the whole
indexing budget. Papers arrive in document order, so each posting list is
already sorted: :class:`SegmentBuilder` keeps them in arrays and writes whole
blocks (``w3_postings.py``), and :func:`merge_segments` streams the segments' term lists together.
Beside the W3 files each segment gets ``.absr`` (keys, exact field lengths),
``.absx`` (bitmaps and champions of frequent terms, documents by length),
``.absm`` ("more like this" signatures), and two of the derived files searches
read (``sidecars.py``), made from the lists in hand instead of reading the
segment back: ``.abst`` (stored frequencies) and ``.absq`` (five-letter prefix sets).
"""

from __future__ import annotations

import contextlib
import marshal
import shutil
import struct
import sys
from array import array
from collections import deque
from collections.abc import Sequence
from itertools import compress, repeat
from operator import add, mul, ne, truediv
from pathlib import Path

from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.system import pack_ushort

from absreader.core.search.format import pairs as pair_sets
from absreader.core.search.format.frequencies import FrequencyWriter
from absreader.core.search.format.long_prefixes import LONG_EXT, LONG_LENGTHS
from absreader.core.search.format.pair_streams import FrequentTerms, TermStreams, write_streamed
from absreader.core.search.format.pairs import PAIR_FIELDS
from absreader.core.search.format.prefixes import PrefixSetWriter
from absreader.core.search.format.schema import (
    KEYWORD_FIELDS,
    MAX_POSITION,
    ONE,
    TEXT_FIELDS,
    AnalysedDoc,
    position_bitmap,
)
from absreader.core.search.format.segments import (
    CHAMPIONS,
    CODEC,
    EXTRAS_EXT,
    EXTRAS_MAGIC,
    INDEX_NAME,
    K1,
    SIDECAR_EXT,
    SIGNATURES_EXT,
    B,
    bitmap_threshold,
)
from absreader.core.search.format.signatures import SIGNATURE_FIELDS, DocFrequency, Signatures
from absreader.core.search.format.spill import drain_pool, merge_runs, read_run, write_run
from absreader.core.search.format.term_index import TermIndexWriter
from absreader.core.search.format.terms import bits_of
from absreader.core.search.format.w3_postings import write_postings

_BIG_ENDIAN = sys.byteorder == "big"


def write_sidecar(storage: FileStorage, segment: W3Segment, keys: list[str], lens: dict) -> None:
    data = {"v": 1, "keys": keys, "lens": {f: a.tobytes() for f, a in lens.items()}}
    with storage.create_file(segment.make_filename(SIDECAR_EXT)) as f:
        f.write(marshal.dumps(data))


class TermsWriter:
    """Writes a segment's term index, postings and the ``.absx`` extras.

    Terms must arrive in (field, term) order. Frequent terms also get a bitmap
    of their documents and a champion list (their best documents by BM25
    impact), which let a search over 100,000 papers skip decoding and scoring
    posting lists that cover most of the collection.
    """

    def __init__(
        self,
        storage: FileStorage,
        segment: W3Segment,
        doc_count: int,
        lens: dict[str, array],
        df_of: DocFrequency | None = None,
        signatures: bool = True,
        frequent: FrequentTerms | None = None,
    ) -> None:
        self.storage = storage
        self.segment = segment
        #: Notes the pair fields' frequent terms for the build's own pair sets (pair_streams.py).
        self.frequent = frequent
        self.doc_count = doc_count
        self.lens = lens
        self.signatures = Signatures(doc_count, df_of, signatures)
        self.threshold = bitmap_threshold(doc_count)
        self.avg = {f: (sum(a) / doc_count) or 1.0 for f, a in lens.items() if doc_count}
        self.tindex = TermIndexWriter(segment.create_file(storage, W3Codec.TERMS_EXT))
        self.fieldmap: dict[str, int] = {}
        self.tindex.extras["fieldmap"] = self.fieldmap
        self.postfile = segment.create_file(storage, W3Codec.POSTS_EXT)
        # Postings go straight to the buffered file under Whoosh's wrapper (a Python
        # call less per write and tell; the same bytes).
        self._posts = self.postfile.raw_file()
        self.extras: dict[str, tuple[int, int, int, int]] = {}
        self.blob = bytearray()
        self.prefixes = PrefixSetWriter(doc_count)  # the .absp file (query side, issue 15)
        # Two derived files (see sidecars.py) made here from the lists in hand, rather
        # than by reading the written segment back: .abst and .absq.
        self.frequencies = FrequencyWriter()
        self.long_prefixes = PrefixSetWriter(doc_count, LONG_LENGTHS)

    def add(
        self,
        field: str,
        term: str,
        ids: array,
        tfs: array | None = None,
        firsts: array | None = None,
        bitmaps: list[bytes] | None = None,
    ) -> None:
        """Write one term's postings (ids ascending; positional data for text fields)."""
        fid = self.fieldmap.get(field)
        if fid is None:
            fid = self.fieldmap[field] = len(self.fieldmap)
        doclens = self.lens.get(field) if firsts is not None else None
        info = write_postings(self._posts, ids, tfs, firsts, bitmaps, doclens)
        self.tindex.add(pack_ushort(fid) + term.encode("utf-8"), info)
        if field in SIGNATURE_FIELDS:
            self.signatures.add(field, term, ids, tfs)
        self.prefixes.add(field, term, ids)
        self.long_prefixes.add(field, term, ids)
        if self.frequent is not None:
            self.frequent.add(field, term, ids)
        if len(ids) >= self.threshold:
            if field in TEXT_FIELDS:
                self.frequencies.add(field, term, ids, tfs)
            bitmap = bits_of(ids, self.doc_count).to_bytes((self.doc_count >> 3) + 1, "little")
            champions = b""
            if doclens is not None:
                champions = self._champions(ids, tfs, doclens, self.avg.get(field, 1.0))
            offset = len(self.blob)
            self.blob += bitmap
            self.blob += champions
            self.extras[f"{field}\x00{term}"] = (
                offset,
                len(bitmap),
                offset + len(bitmap),
                len(champions),
            )

    @staticmethod
    def _champions(ids: array, tfs: array | None, doclens: Sequence[int], avg: float) -> bytes:
        k = K1 * B / avg
        k0 = K1 * (1 - B)
        # sorted(...)[:CHAMPIONS] is what heapq.nsmallest/nlargest return (ties included),
        # sorted in C instead of a Python loop over every posting.
        if tfs is None:
            # One occurrence everywhere: the shortest documents score best.
            best = sorted(ids, key=doclens.__getitem__)[:CHAMPIONS]
        else:
            # t / (t + k0 + k * doclens[d]) for every posting, in C-level maps (same floats).
            lens = map(doclens.__getitem__, ids)
            impact = list(map(truediv, tfs, map(add, map(add, tfs, repeat(k0)), map(mul, repeat(k), lens))))
            order = sorted(range(len(ids)), key=impact.__getitem__, reverse=True)[:CHAMPIONS]
            best = list(map(ids.__getitem__, order))
        return array("I", best).tobytes()

    def close(self) -> None:
        """Finish the term index, the postings and the extras file."""
        self.tindex.close()
        self.postfile.close()
        # The files of whole sets first, each writer dropped once written, so that their
        # blobs are not held through the signatures' finish (the write's memory peak).
        self.prefixes.write(self.storage, self.segment)
        self.long_prefixes.write(self.storage, self.segment, LONG_EXT)
        self.frequencies.write(self.storage, self.segment)
        self.prefixes = self.long_prefixes = PrefixSetWriter(0)
        self.frequencies = FrequencyWriter()
        orders = {}
        for field in ("title", "abstract"):
            lens = self.lens.get(field)
            if lens is None:
                continue
            order = array("I", sorted(range(len(lens)), key=lens.__getitem__))
            offset = len(self.blob)
            self.blob += order.tobytes()
            orders[field] = (offset, len(order) * 4)
        index = marshal.dumps({"v": 1, "terms": self.extras, "order": orders})
        with self.storage.create_file(self.segment.make_filename(EXTRAS_EXT)) as f:
            f.write(EXTRAS_MAGIC + struct.pack("<Q", len(index)) + index)
            f.write(self.blob)  # the same bytes, without two copies of the blob
        self.blob = bytearray()
        self.extras = {}
        with self.storage.create_file(self.segment.make_filename(SIGNATURES_EXT)) as f:
            f.write(marshal.dumps(self.signatures.finish()))


class SegmentBuilder:
    """Accumulates analysed papers in memory and writes them as one W3 segment."""

    def __init__(
        self,
        storage: FileStorage,
        schema: Schema,
        df_of: DocFrequency | None = None,
        signatures: bool = True,
        spill_every: int | None = None,
        pairs: bool = False,
    ) -> None:
        self.storage = storage
        self.schema = schema
        self.df_of = df_of
        #: Keep each pair field's term sequence and write the segment's pair sets (.absw)
        #: from it when it is large enough (see pair_streams.py); else a backfill derives them.
        self._streams = TermStreams() if pairs else None
        #: Write the pool to a run file every this many papers (bounded memory; see spill.py).
        self.spill_every = spill_every
        self._runs: list[Path] = []
        self._since_spill = 0
        #: False while building: the final merge computes "more like this" signatures.
        self.signatures = signatures
        self.segment = CODEC.new_segment(storage, INDEX_NAME)
        self._perdoc = CODEC.per_document_writer(storage, self.segment)
        # Text fields: term -> one array of pairs (doc, tf << 16 | first position), and
        # term -> the position bitmaps of its postings with tf > 1 (the rest are ONE).
        # Keywords: term -> doc ids. One array a term, not four objects: a build's
        # pool holds hundreds of thousands of terms and tens of millions of postings.
        self._pool: dict[str, dict[str, array]] = {f: {} for f in TEXT_FIELDS}
        self._pool.update({f: {} for f in KEYWORD_FIELDS})
        self._maps: dict[str, dict[str, list[bytes]]] = {f: {} for f in TEXT_FIELDS}
        self._lens = {f: array("I") for f in TEXT_FIELDS}
        self._keys: list[str] = []
        self.postings = 0

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, doc: AnalysedDoc) -> None:
        """Add one analysed paper as the next document of this segment."""
        docnum = len(self._keys)
        self._keys.append(doc.key)
        perdoc = self._perdoc
        schema = self.schema
        perdoc.start_doc(docnum)
        count = 0
        streams = self._streams
        for field in TEXT_FIELDS:
            terms = doc.positions.get(field)
            length = doc.lengths.get(field, 0)
            self._lens[field].append(length)
            if streams is not None and field in PAIR_FIELDS:
                streams.add(field, doc.sequences.get(field), terms, length)
            if not terms:
                continue
            pool = self._pool[field]
            get = pool.get
            maps = self._maps[field]
            for term, plist in terms.items():
                post = get(term)
                if post is None:
                    post = pool[term] = array("I")
                if len(plist) == 1:  # most postings: no bitmap to build
                    first = plist[0]
                    post.append(docnum)
                    post.append(_TF1 | (first if first < MAX_POSITION else MAX_POSITION))
                else:
                    first, bitmap = position_bitmap(plist)
                    post.append(docnum)
                    post.append(min(len(plist), 0xFFFF) << 16 | first)
                    held = maps.get(term)
                    if held is None:
                        maps[term] = [bitmap]
                    else:
                        held.append(bitmap)
            count += len(terms)
            perdoc.add_field(field, schema[field], None, length)
        for field, terms in doc.keywords.items():
            pool = self._pool[field]
            for term in terms:
                post = pool.get(term)
                if post is None:
                    post = pool[term] = array("I")
                post.append(docnum)
            count += len(terms)
        perdoc.add_field("key", schema["key"], doc.key, 0)
        perdoc.finish_doc()
        self.postings += count
        if self.spill_every is not None:
            self._since_spill += 1
            if self._since_spill >= self.spill_every:
                self._spill()

    def _spill_dir(self) -> Path:
        return Path(self.storage.folder) / f"{self.segment.segment_id()}.spill.tmp"

    def _spill(self) -> None:
        """Write the pool so far to a run file and empty it."""
        folder = self._spill_dir()
        folder.mkdir(exist_ok=True)
        path = folder / f"run{len(self._runs):04d}"
        write_run(path, drain_pool(self._pool, self._maps))
        if self._streams is not None:
            self._streams.spill(folder, len(self._runs))
        self._runs.append(path)
        self._since_spill = 0

    def finish(self) -> W3Segment | None:
        """Write the segment's files; return the segment (None if no documents)."""
        if not self._keys:
            self.cancel()
            return None
        self._perdoc.close()
        cleanup_temp(self.storage)
        segment = self.segment
        segment.set_doc_count(len(self._keys))
        count = len(self._keys)
        frequent = None
        if self._streams is not None and count >= pair_sets.MIN_DOCS:
            # The streams so far go to disk too: none of it is held through the write.
            self._streams.spill(self._spill_dir(), len(self._runs))
            frequent = FrequentTerms(count, self._spill_dir(), self._streams)
        writer = TermsWriter(
            self.storage, segment, count, self._lens, self.df_of, self.signatures, frequent
        )
        # Terms in (field, term) order; each leaves the pool as it is written.
        entries = drain_pool(self._pool, self._maps)
        if self._runs:
            entries = merge_runs([*(read_run(p) for p in self._runs), entries])
        for fieldname, term, post, maps in entries:
            if fieldname in KEYWORD_FIELDS:
                writer.add(fieldname, term, post)
            else:
                writer.add(fieldname, term, *_unpack(post, maps))
        if self._streams is not None:
            self._streams.numbers = {}  # every term written (and popped by FrequentTerms.add)
        writer.close()
        del writer, entries  # its signatures: not held any longer
        write_sidecar(self.storage, segment, self._keys, self._lens)
        self._pool.clear()
        self._maps.clear()
        if frequent is not None and self._streams is not None:
            # Failing, it leaves no pair file: the build derives one from the positions.
            try:
                with contextlib.suppress(OSError, ValueError, KeyError, IndexError):
                    write_streamed(self.storage, segment, self._streams, frequent, self._lens, count)
            finally:
                frequent.close()
        self._drop_runs()
        return segment

    def _drop_runs(self) -> None:
        if self._streams is not None:
            self._streams.clear()
        shutil.rmtree(self._spill_dir(), ignore_errors=True)
        self._runs = []

    def cancel(self) -> None:
        """Drop the documents added so far (files already written are left for cleanup)."""
        if not self._perdoc.is_closed:
            self._perdoc.close()
        cleanup_temp(self.storage)
        self._pool.clear()
        self._maps.clear()
        self._drop_runs()


_TF1 = 1 << 16
_TF_OF = (16).__rrshift__  # packed >> 16: the term frequency
_FIRST_OF = (0xFFFF).__and__  # packed & 0xFFFF: the first position


def _unpack(post: array, maps: list[bytes] | None) -> tuple[array, array, array, list[bytes]]:
    """A text term's pool entry as ``(ids, tfs, first positions, bitmaps)`` for ``TermsWriter``."""
    n = len(post) >> 1
    if _BIG_ENDIAN:
        packed = post[1::2]
        tfs = array("H", map(_TF_OF, packed))
        firsts = array("H", map(_FIRST_OF, packed))
    else:
        # Each pair (doc, tf << 16 | first) is four 16-bit halves: doc, doc, first, tf.
        halves = memoryview(post).cast("B").cast("H")
        tfs = array("H")
        tfs.frombytes(halves[3::4].tobytes())
        firsts = array("H")
        firsts.frombytes(halves[2::4].tobytes())
    bitmaps = [ONE] * n
    if maps is not None:  # the postings with tf > 1 take their bitmaps, in order
        deque(map(bitmaps.__setitem__, compress(range(n), map(ne, tfs, repeat(1))), maps), maxlen=0)
    return post[0::2], tfs, firsts, bitmaps


def cleanup_temp(storage: FileStorage) -> None:
    # The W3 per-document writer buffers columns in "<index>.tmp" beside the index.
    temp = Path(storage.folder) / f"{INDEX_NAME}.tmp"
    if temp.is_dir():
        for child in temp.iterdir():
            child.unlink(missing_ok=True)
        temp.rmdir()
