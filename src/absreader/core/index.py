"""The search index: build, update, search, suggest, highlight, more like this.

The index is derived from the library and can be deleted at any time. Its
directory holds generations::

    index/CURRENT        names the live generation (replaced atomically)
    index/g000007/       a Whoosh index, ``meta.json`` and the vocabulary
    index/g000008.new/   a build in progress (or left by a killed one)
    index.lock           held while a build or update writes

A build writes a new generation beside the live one, writes ``meta.json``
with ``complete: true`` last, then swaps ``CURRENT``; so a killed build never
replaces a good index and is detected (``state() == "incomplete"``) when there
was none. Updates add small segments to the live generation and merge them
back into one when many papers were added. Searching needs no lock.

See :mod:`absreader.core.query` for the query language,
:mod:`absreader.core.index_eval` for how matching and ranking stay fast.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import query as wq

from absreader.core import index_eval
from absreader.core.index_eval import Snapshot
from absreader.core.index_schema import SCHEMA, SCHEMA_VERSION, analyse
from absreader.core.index_segments import (
    EXTRAS_EXT,
    SIDECAR_EXT,
    SegmentBuilder,
    SegmentCorrupt,
    SegmentData,
    latest_generation,
    merge_segments,
    open_storage,
    read_toc,
    write_toc,
)
from absreader.core.index_vocab import Vocabulary
from absreader.core.models import Paper
from absreader.core.query import STOP_WORDS, QueryBuilder, suggest_text

try:  # POSIX; elsewhere builds are not guarded against a second process
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

META_FILE = "meta.json"
CURRENT_FILE = "CURRENT"
#: Papers per segment while building (the first one is small, to be searchable soon).
FIRST_SEGMENT = 5_000
SEGMENT_SIZE = 25_000
PROGRESS_EVERY = 500
FEW_HITS = 3
_GEN = re.compile(r"^g(\d{6})(\.new)?$")


@dataclass(frozen=True)
class IndexProgress:
    """How far a build or update is: ``phase`` is "indexing", "optimising" or "done"."""

    done: int
    total: int
    phase: str


@dataclass(frozen=True)
class Hit:
    """One search result: the paper's key and its score."""

    key: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    """A page of results, the number of all matches, and what to tell the user."""

    hits: list[Hit]
    total: int
    suggestion: str | None
    notice: str | None
    elapsed_ms: float


class IndexUnavailable(Exception):
    """The index cannot be searched or updated; rebuilding it from the library fixes it.

    ``state`` is what :meth:`SearchIndex.state` would say ("missing", "corrupt", ...).
    """

    def __init__(self, message: str, state: str = "corrupt") -> None:
        super().__init__(message)
        self.state = state


class SearchIndex:
    """The Whoosh index of a library, in ``index_dir`` (created on first build)."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self.lock_path = self.index_dir.parent / f"{self.index_dir.name}.lock"
        self._mutex = threading.RLock()
        self._snapshot: Snapshot | None = None
        self._snapshot_key: tuple[str, int] | None = None
        self._partial: str | None = None
        self._vocab: Vocabulary | None = None
        self._vocab_key: tuple[str, float, float] | None = None

    # -- state --------------------------------------------------------------------------

    def state(self) -> str:
        """ "ok", "missing", "incomplete" (a build was interrupted), "corrupt" or "outdated"."""
        current = self._current_name()
        if current is None:
            if self.index_dir.is_dir() and any(self._build_dirs()):
                return "incomplete"
            return "missing"
        folder = self.index_dir / current
        if not folder.is_dir():
            return "corrupt"
        meta = _read_meta(folder)
        if meta is None:
            return "corrupt"
        if meta.get("schema") != SCHEMA_VERSION:
            return "outdated"
        if not meta.get("complete"):
            return "incomplete"
        try:
            storage = open_storage(folder)
            toc = read_toc(storage)
            for segment in toc.segments:
                for ext in (".trm", ".pst", SIDECAR_EXT, EXTRAS_EXT):
                    if not (folder / segment.make_filename(ext)).is_file():
                        return "corrupt"
                SegmentData(storage, segment).close()  # the headers of its files read
        except Exception:  # an unreadable table of contents or segment, whatever the cause
            return "corrupt"
        return "ok"

    @property
    def synced_seq(self) -> int:
        """The highest library ``seq`` the live index has taken in (0 when none)."""
        current = self._current_name()
        meta = _read_meta(self.index_dir / current) if current else None
        return int(meta.get("seq", 0)) if meta and meta.get("complete") else 0

    def doc_count(self) -> int:
        """Papers in the index (0 when it cannot be opened)."""
        try:
            with self._mutex:
                return self._open().doc_count
        except IndexUnavailable:
            return 0

    def close(self) -> None:
        """Release open files (the object can still be used; it reopens)."""
        with self._mutex:
            if self._snapshot is not None:
                self._snapshot.close()
            self._snapshot = None
            self._snapshot_key = None

    # -- building ------------------------------------------------------------------------

    def build(self, papers: Iterable[Paper], total: int, seq: int) -> Iterator[IndexProgress]:
        """Rebuild from scratch beside the live index, then swap it in."""
        with self._write_lock():
            self.index_dir.mkdir(parents=True, exist_ok=True)
            for leftover in self._build_dirs():
                shutil.rmtree(leftover, ignore_errors=True)
            name = f"g{self._next_generation():06d}"
            folder = self.index_dir / f"{name}.new"
            folder.mkdir()
            try:
                yield from self._build_into(folder, papers, total, seq)
                final = self.index_dir / name
                os.replace(folder, final)
                _write_atomic(self.index_dir / CURRENT_FILE, name + "\n")
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            for old in self.index_dir.iterdir():
                match = _GEN.match(old.name)
                if match and old.name != name and old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
            yield IndexProgress(total, total, "done")

    def _build_into(
        self, folder: Path, papers: Iterable[Paper], total: int, seq: int
    ) -> Iterator[IndexProgress]:
        storage = open_storage(folder, create=True)
        _write_meta(folder, {"schema": SCHEMA_VERSION, "complete": False, "total": total})
        write_toc(storage, SCHEMA, [], 0)
        writer = _BatchWriter(storage, [], 0)
        counts: Counter[str] = Counter()
        seen: set[str] = set()
        done = 0
        yield IndexProgress(0, total, "indexing")
        for paper in papers:
            doc = analyse(paper)
            if paper.key in seen:
                writer.delete_key(paper.key)  # the same paper twice: the last one wins
            else:
                seen.add(paper.key)
                counts.update(doc.surface)
            writer.add(doc)
            done += 1
            limit = FIRST_SEGMENT if not writer.segments else SEGMENT_SIZE
            if writer.pending >= limit:
                writer.flush()
                _write_meta(
                    folder,
                    {"schema": SCHEMA_VERSION, "complete": False, "total": total, "done": done},
                )
            if done % PROGRESS_EVERY == 0:
                yield IndexProgress(done, max(total, done), "indexing")
        writer.flush()
        if len(writer.segments) > 1:
            yield IndexProgress(done, max(total, done), "optimising")
            writer.optimise()
        vocab = Vocabulary(dict(counts))
        vocab.save(folder)
        _write_meta(
            folder,
            {
                "schema": SCHEMA_VERSION,
                "complete": True,
                "seq": seq,
                "papers": writer.live_docs(),
                "built": time.time(),
            },
        )

    def update(
        self, papers: Iterable[Paper], deleted_keys: Iterable[str], seq: int
    ) -> Iterator[IndexProgress]:
        """Re-index the given papers (new or changed) and drop deleted ones."""
        with self._write_lock():
            if self.state() != "ok":
                raise IndexUnavailable("The search index needs a rebuild.", self.state())
            folder = self.index_dir / (self._current_name() or "")
            storage = open_storage(folder)
            toc = read_toc(storage)
            writer = _BatchWriter(storage, list(toc.segments), toc.generation)
            before = writer.live_docs()
            new_words: Counter[str] = Counter()
            done = 0
            total = len(papers) if hasattr(papers, "__len__") else 0  # type: ignore[arg-type]
            yield IndexProgress(0, total, "indexing")
            for key in deleted_keys:
                writer.delete_key(key)
            for paper in papers:
                doc = analyse(paper)
                if not writer.delete_key(paper.key):
                    new_words.update(doc.surface)
                writer.add(doc)
                done += 1
                if writer.pending >= SEGMENT_SIZE:
                    writer.flush()
                if done % PROGRESS_EVERY == 0:
                    yield IndexProgress(done, max(total, done), "indexing")
            writer.flush()
            total = max(total, done)
            if writer.needs_optimise(added=done, before=before):
                yield IndexProgress(done, total, "optimising")
                writer.optimise()
            else:
                writer.merge_small()
            writer.commit()
            if Vocabulary.append_delta(folder, new_words):
                Vocabulary.load(folder).save(folder)
            meta = _read_meta(folder) or {}
            meta.update({"seq": max(seq, int(meta.get("seq", 0))), "papers": writer.live_docs()})
            _write_meta(folder, meta)
            yield IndexProgress(total, total, "done")

    # -- searching ---------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 50,
        offset: int = 0,
        as_you_type: bool = False,
        restrict: frozenset[str] | None = None,
    ) -> SearchResult:
        """Run a query; ``restrict`` keeps only these keys. Never raises for bad input."""
        started = time.perf_counter()
        limit, offset = max(0, int(limit)), max(0, int(offset))
        with self._mutex:
            snap = self._open()
            vocab = self._vocabulary() if _needs_vocab(query, as_you_type) else self._vocab
            builder = QueryBuilder(vocab, self._keyword_prefix)
            parsed = builder.parse(query, as_you_type=as_you_type)
            masks = snap.restrict_masks(restrict) if restrict is not None else None
            total, top = self._run(snap, parsed.query, offset + limit, masks)
            if parsed.arxiv_id:
                top = self._id_first(snap, parsed.arxiv_id, top, masks)
            suggestion = None
            if total < FEW_HITS and parsed.words:
                suggestion = self._suggestion(snap, builder, parsed, total, masks)
            notices = list(dict.fromkeys(parsed.notices))
            if self._partial:
                notices.append(self._partial)
            hits = [Hit(snap.key_of(doc), score) for doc, score in top[offset:]]
        return SearchResult(
            hits=hits,
            total=total,
            suggestion=suggestion,
            notice=" ".join(notices) or None,
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )

    def suggest(self, query: str) -> str | None:
        """A corrected version of the whole query ("did you mean"), or None."""
        with self._mutex:
            self._open()
            vocab = self._vocabulary()
            parsed = QueryBuilder(vocab, self._keyword_prefix).parse(query)
            return suggest_text(parsed, vocab)

    def highlights(
        self, paper: Paper, query: str, *, as_you_type: bool = False
    ) -> dict[str, list[tuple[int, int]]]:
        """Character spans of ``paper.title`` and ``paper.abstract`` the query matches."""
        from absreader.core.highlight import highlight_parsed

        vocab = None
        if _needs_vocab(query, as_you_type):
            try:
                with self._mutex:
                    self._open()
                    vocab = self._vocabulary()
            except IndexUnavailable:
                vocab = None
        parsed = QueryBuilder(vocab, None).parse(query, as_you_type=as_you_type)
        title = "" if paper.untitled else paper.title
        return highlight_parsed(parsed, title, paper.abstract)

    def more_like(self, paper: Paper, limit: int = 10) -> list[Hit]:
        """Papers most like ``paper`` (by its most telling words), never itself."""
        with self._mutex:
            snap = self._open()
            doc = analyse(paper)
            weighted = []
            n = max(snap.doc_count_all, 1)
            for fieldname in ("title", "abstract"):
                for term, positions in doc.positions.get(fieldname, {}).items():
                    if term in STOP_WORDS or term.isdigit() or len(term) < 3:
                        continue
                    df = snap.doc_frequency(fieldname, term)
                    if df < 2 or df > n // 3:
                        continue
                    weight = len(positions) * snap.idf(fieldname, term)
                    if fieldname == "title":
                        weight *= 1.5
                    weighted.append((weight, fieldname, term))
            weighted.sort(reverse=True)
            parts = [wq.Term(f, t, boost=w) for w, f, t in weighted[:20]]
            if not parts:
                return []
            own = snap.key_docnum(paper.key)
            _, top = self._run(snap, wq.Or(parts), limit, None, exclude=own)
            return [Hit(snap.key_of(d), s) for d, s in top]

    # -- internals ----------------------------------------------------------------------------

    def _run(
        self,
        snap: Snapshot,
        q: wq.Query,
        k: int,
        masks: list[int] | None,
        exclude: int | None = None,
    ) -> tuple[int, list[tuple[int, float]]]:
        try:
            return index_eval.search(snap, q, k, masks, exclude)
        except (SegmentCorrupt, OSError, EOFError, ValueError) as exc:
            self.close()
            raise IndexUnavailable(f"The search index is damaged ({exc}).") from exc

    def _id_first(
        self, snap: Snapshot, ident: str, top: list[tuple[int, float]], masks: list[int] | None
    ) -> list[tuple[int, float]]:
        _, exact = self._run(snap, wq.Term("id", ident), 5, masks)
        if not exact:
            return top
        best = (top[0][1] if top else 0.0) + 1.0
        first = [(d, best) for d, _ in exact]
        seen = {d for d, _ in exact}
        return first + [(d, s) for d, s in top if d not in seen]

    def _suggestion(
        self,
        snap: Snapshot,
        builder: QueryBuilder,
        parsed: Any,
        total: int,
        masks: list[int] | None,
    ) -> str | None:
        vocab = self._vocabulary()
        builder.vocab = vocab
        better = suggest_text(parsed, vocab)
        if not better:
            return None
        again = builder.parse(better)
        count, _ = self._run(snap, again.query, 0, masks)
        return better if count > total else None

    def _keyword_prefix(self, fieldname: str, prefix: str, limit: int) -> list[str]:
        snap = self._snapshot
        if snap is None:
            return []
        found: list[str] = []
        for seg in snap.segments:
            for term in seg.terms_with_prefix(fieldname, prefix, limit):
                if term not in found:
                    found.append(term)
        return sorted(found)[:limit]

    def _open(self) -> Snapshot:
        """The current snapshot, reopened when another commit or build happened."""
        current = self._current_name()
        self._partial = None
        folder: Path | None = None
        if current is not None:
            folder = self.index_dir / current
            meta = _read_meta(folder)
            if meta is None or not folder.is_dir():
                raise IndexUnavailable("The search index is damaged.", "corrupt")
            if meta.get("schema") != SCHEMA_VERSION:
                raise IndexUnavailable("The search index is from another version.", "outdated")
        else:
            folder = self._partial_build()
            if folder is None:
                raise IndexUnavailable("There is no search index yet.", self.state())
        for _attempt in range(3):
            try:
                storage = open_storage(folder)
                generation = latest_generation(storage)
                key = (str(folder), generation)
                if self._snapshot is not None and self._snapshot_key == key:
                    return self._snapshot
                toc = read_toc(storage, generation)
                snap = Snapshot(storage, list(toc.segments), generation)
            except FileNotFoundError:
                continue  # a commit replaced the files while we looked; look again
            except Exception as exc:  # damaged files: unpickling, struct, OS errors
                raise IndexUnavailable(f"The search index is damaged ({exc}).") from exc
            if self._snapshot is not None:
                self._snapshot.close()
            self._snapshot, self._snapshot_key = snap, key
            return snap
        raise IndexUnavailable("The search index keeps changing; try again.", "corrupt")

    def _partial_build(self) -> Path | None:
        """A first build still running: search what it has committed so far."""
        for folder in sorted(self._build_dirs(), reverse=True):
            meta = _read_meta(folder)
            if meta and meta.get("schema") == SCHEMA_VERSION and meta.get("done"):
                self._partial = f"Still indexing: searching {meta['done']:,} of {meta.get('total', 0):,} papers."
                return folder
        return None

    def _vocabulary(self) -> Vocabulary:
        folder = Path(self._snapshot_key[0]) if self._snapshot_key else None
        if folder is None:
            return Vocabulary()
        stamps = []
        for name in ("vocab.bin", "vocab.delta"):
            try:
                stamps.append((folder / name).stat().st_mtime)
            except OSError:
                stamps.append(0.0)
        key = (str(folder), stamps[0], stamps[1])
        if self._vocab is None or self._vocab_key != key:
            self._vocab = Vocabulary.load(folder)
            self._vocab_key = key
        return self._vocab

    def _current_name(self) -> str | None:
        try:
            name = (self.index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return name if _GEN.match(name) and not name.endswith(".new") else None

    def _build_dirs(self) -> list[Path]:
        try:
            return [p for p in self.index_dir.iterdir() if p.is_dir() and p.name.endswith(".new")]
        except OSError:
            return []

    def _next_generation(self) -> int:
        numbers = [0]
        for child in self.index_dir.iterdir():
            match = _GEN.match(child.name)
            if match:
                numbers.append(int(match.group(1)))
        return max(numbers) + 1

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """Hold the cache dir's lock file (a second writer waits) and drop stale snapshots."""
        self.index_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+b") as handle:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class _BatchWriter:
    """Adds analysed papers to a generation as segments, and commits them."""

    def __init__(self, storage: Any, segments: list[Any], generation: int) -> None:
        self.storage = storage
        self.segments = segments
        self.generation = generation
        self.builder: SegmentBuilder | None = None
        self.pending_keys: dict[str, int] = {}
        self._pending_deletes: list[int] = []
        self._readers: dict[str, Any] = {}

    @property
    def pending(self) -> int:
        return len(self.builder) if self.builder is not None else 0

    def add(self, doc: Any) -> None:
        if self.builder is None:
            self.builder = SegmentBuilder(self.storage, SCHEMA)
            self.pending_keys = {}
        if doc.key in self.pending_keys:
            self._pending_deletes.append(self.pending_keys[doc.key])
        self.pending_keys[doc.key] = len(self.builder)
        self.builder.add(doc)

    def delete_key(self, key: str) -> bool:
        """Mark every committed copy of ``key`` deleted; True when there was one."""
        found = False
        for segment in self.segments:
            seg_id = segment.segment_id()
            reader = self._readers.get(seg_id)
            if reader is None:
                reader = self._readers[seg_id] = SegmentData(self.storage, segment)
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
        self.generation += 1
        self._close_readers()
        write_toc(self.storage, SCHEMA, self.segments, self.generation)

    def live_docs(self) -> int:
        return sum(s.doc_count_all() - s.deleted_count() for s in self.segments)

    def needs_optimise(self, added: int, before: int) -> bool:
        if len(self.segments) <= 1:
            return False
        deleted = sum(s.deleted_count() for s in self.segments)
        total = sum(s.doc_count_all() for s in self.segments)
        return added >= max(1_000, before // 5) or deleted > total // 10 or len(self.segments) > 12

    def optimise(self) -> None:
        """Merge every segment into one (dropping deleted documents) and commit."""
        self._close_readers()
        merged = merge_segments(self.storage, SCHEMA, self.segments)
        self.segments = [merged] if merged is not None else []
        self.commit()

    def merge_small(self) -> None:
        """Merge the small segments that updates leave behind, once there are several."""
        if len(self.segments) < 4:
            return
        biggest = max(s.doc_count_all() for s in self.segments)
        small = [s for s in self.segments if s.doc_count_all() * 10 < biggest]
        if len(small) < 4:
            return
        self._close_readers()
        merged = merge_segments(self.storage, SCHEMA, small)
        keep = [s for s in self.segments if s not in small]
        self.segments = keep + ([merged] if merged is not None else [])

    def _close_readers(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()


def _needs_vocab(query: str, as_you_type: bool) -> bool:
    return as_you_type or "*" in query or "~" in query or "?" in query


def _read_meta(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
    _write_atomic(folder / META_FILE, json.dumps(meta, indent=1))


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


__all__ = ["Hit", "IndexProgress", "IndexUnavailable", "SearchIndex", "SearchResult"]
