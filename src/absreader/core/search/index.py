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

See :mod:`absreader.core.search.query.parser` for the query language,
:mod:`absreader.core.search.evaluate` for how matching and ranking stay fast.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from whoosh import query as wq

from absreader.core.models import Paper
from absreader.core.search import evaluate as index_eval
from absreader.core.search import sidecars, word_runs
from absreader.core.search.build_parallel import BuildPlan, build_runs
from absreader.core.search.evaluate import Ranking, Snapshot
from absreader.core.search.format.pairs import backfill_steps as backfill_pairs
from absreader.core.search.format.schema import SCHEMA, SCHEMA_VERSION, analyse
from absreader.core.search.format.segments import (
    EXTRAS_EXT,
    SIDECAR_EXT,
    SIGNATURES_EXT,
    SegmentCorrupt,
    SegmentData,
    latest_generation,
    open_storage,
    read_toc,
    write_toc,
)
from absreader.core.search.generations import (
    BatchWriter,
    read_meta,
    write_atomic,
    write_lock,
    write_meta,
)
from absreader.core.search.matching import matching_keys
from absreader.core.search.query.canonical import tree_key
from absreader.core.search.query.parser import ParsedQuery, QueryBuilder, suggest_text
from absreader.core.search.similar import most_alike, signature_query, text_query
from absreader.core.search.state import quick_state
from absreader.core.search.types import Hit, IndexProgress, IndexUnavailable, SearchResult
from absreader.core.search.vocabulary import Vocabulary

CURRENT_FILE = "CURRENT"
#: Papers per segment while building (the first one is small, to be searchable soon).
FIRST_SEGMENT = 5_000
SEGMENT_SIZE = 25_000
PROGRESS_EVERY = 500
FEW_HITS = 3
#: Hits ranked at once (the reader's page); scrolling further deepens the same ranking.
PAGE_DEPTH = 200
#: Rankings kept (per generation, query, typing mode and list).
RANKING_CACHE = 32
#: How the default search ranks: BM25F with an idf that all but ignores words
#: most papers use (tuned on the CISI collection; see benchmarks/quality.py).
DEFAULT_RANKING = Ranking(idf="probabilistic")
_GEN = re.compile(r"^g(\d{6})(\.new)?$")


@dataclass
class Ranked:
    """A query's ranking as far as it was computed, and what to tell the user about it."""

    parsed: ParsedQuery
    docs: list[tuple[int, float]]
    total: int
    strict_total: int | None
    suggestion: str | None
    notices: list[str] = field(default_factory=list)


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
        self._rankings: OrderedDict[tuple, Ranked] = OrderedDict()
        #: ``search_tiers`` results by snapshot, tree key, restriction and depth.
        self._evaluations: OrderedDict[tuple, tuple[list[int], list[list[tuple[int, float]]]]] = OrderedDict()
        #: Pair files the last :meth:`add_phrase_pairs` wrote.
        self.pairs_written = 0

    # -- state --------------------------------------------------------------------------

    def state(self) -> str:
        """ "ok", "missing", "incomplete" (a build was interrupted), "corrupt" or "outdated"."""
        state = quick_state(self.index_dir)
        if state != "ok":
            return state
        folder = self.index_dir / (self._current_name() or "")
        try:
            storage = open_storage(folder)
            toc = read_toc(storage)
            for segment in toc.segments:
                for ext in (".trm", ".pst", SIDECAR_EXT, EXTRAS_EXT, SIGNATURES_EXT):
                    if not (folder / segment.make_filename(ext)).is_file():
                        return "corrupt"
                SegmentData(storage, segment, eager=False).close()  # its files' headers read
        except Exception:  # an unreadable table of contents or segment, whatever the cause
            return "corrupt"
        return "ok"

    @property
    def synced_seq(self) -> int:
        """The highest library ``seq`` the live index has taken in (0 when none)."""
        current = self._current_name()
        meta = read_meta(self.index_dir / current) if current else None
        return int(meta.get("seq", 0)) if meta and meta.get("complete") else 0

    def searchable_mark(self) -> tuple[str, int] | None:
        """While a first build runs, what a search sees (folder, commit generation).

        It changes as the build's segments become searchable one by one; None
        when no first build is being searched (a live index changes only when
        an update or a rebuild is done, and the reader refreshes then anyway).
        """
        with self._mutex:
            partial = self._partial
            try:
                folder = self._live_folder()
                if not self._partial:
                    return None
                return str(folder), latest_generation(open_storage(folder))
            except (IndexUnavailable, OSError):
                return None
            finally:
                self._partial = partial  # the notice follows the snapshot searched

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

    def build(
        self,
        papers: Iterable[Paper],
        total: int,
        seq: int,
        *,
        unique: bool = False,
        plan: BuildPlan | None = None,
    ) -> Iterator[IndexProgress]:
        """Rebuild from scratch beside the live index, then swap it in.

        ``unique``: the papers' keys are known to be distinct (they come from
        the library), so the build does not remember every key it has seen.
        ``plan``: build on several cores, the worker processes reading the
        papers from the library themselves (``papers`` is then not read).
        """
        with self._write_lock():
            self.index_dir.mkdir(parents=True, exist_ok=True)
            for leftover in self._build_dirs():
                shutil.rmtree(leftover, ignore_errors=True)
            name = f"g{self._next_generation():06d}"
            folder = self.index_dir / f"{name}.new"
            folder.mkdir()
            try:
                if plan is not None:
                    yield from self._build_parallel(folder, plan, total, seq)
                else:
                    yield from self._build_into(folder, papers, total, seq, unique)
                # Derived from the segments, read by searches (the slowest, sidecars.LATER,
                # are left to the reader's background child: the build goes live sooner).
                sidecars.backfill(folder, later=False)
                final = self.index_dir / name
                os.replace(folder, final)
                write_atomic(self.index_dir / CURRENT_FILE, name + "\n")
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            for old in self.index_dir.iterdir():
                match = _GEN.match(old.name)
                if match and old.name != name and old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
            yield IndexProgress(total, total, "done")

    def _build_parallel(
        self, folder: Path, plan: BuildPlan, total: int, seq: int
    ) -> Iterator[IndexProgress]:
        """``_build_into`` on several cores (see ``build_parallel``): one segment per run."""
        storage = open_storage(folder, create=True)
        write_meta(folder, {"schema": SCHEMA_VERSION, "complete": False, "total": total})
        write_toc(storage, SCHEMA, [], 0)
        # The runs' word counts stay on disk, merged as a stream when the vocabulary is
        # saved (word_runs.py): this process holds no counts of the whole library.
        word_files: list[Path] = []
        generation = 0
        vocab_saved = 0
        segments: list[Any] = []

        def commit(done_segments: list[Any], done: int) -> None:
            nonlocal generation, vocab_saved
            segments[:] = done_segments
            generation += 1
            write_toc(storage, SCHEMA, done_segments, generation)
            if done >= 2 * vocab_saved:  # words so far, at doubling sizes (as _build_into)
                Vocabulary.write_sorted(folder, word_runs.merged(word_files))
                vocab_saved = done
            meta = {"schema": SCHEMA_VERSION, "complete": False, "total": total, "done": done}
            write_meta(folder, meta)

        yield from build_runs(folder, plan, total, word_files, commit)
        Vocabulary.write_sorted(folder, word_runs.merged(word_files))
        shutil.rmtree(folder / word_runs.FOLDER, ignore_errors=True)
        write_meta(
            folder,
            {
                "schema": SCHEMA_VERSION,
                "complete": True,
                "seq": seq,
                "papers": sum(s.doc_count_all() for s in segments),
                "built": time.time(),
            },
        )

    def _build_into(
        self, folder: Path, papers: Iterable[Paper], total: int, seq: int, unique: bool
    ) -> Iterator[IndexProgress]:
        storage = open_storage(folder, create=True)
        write_meta(folder, {"schema": SCHEMA_VERSION, "complete": False, "total": total})
        write_toc(storage, SCHEMA, [], 0)
        writer = BatchWriter(storage, [], 0, signatures=False)
        counts: Counter[str] = Counter()
        seen: set[str] = set()
        done = 0
        vocab_written = [0, 0]
        yield IndexProgress(0, total, "indexing")
        for paper in papers:
            doc = analyse(paper)
            if unique:
                counts.update(doc.surface)
            elif paper.key in seen:
                writer.delete_key(paper.key)  # the same paper twice: the last one wins
            else:
                seen.add(paper.key)
                counts.update(doc.surface)
            writer.add(doc)
            done += 1
            limit = FIRST_SEGMENT if not writer.segments else SEGMENT_SIZE
            if writer.pending >= limit:
                writer.flush()
                # Words so far, so prefix and fuzzy search work while the first build runs.
                Vocabulary.build_progress(folder, counts, vocab_written)
                write_meta(
                    folder,
                    {"schema": SCHEMA_VERSION, "complete": False, "total": total, "done": done},
                )
            if done % PROGRESS_EVERY == 0:
                yield IndexProgress(done, max(total, done), "indexing")
        writer.flush()
        if writer.segments:
            # Segments of up to MERGE_CAP papers, with "more like this" signatures
            # (partial segments have none).
            yield IndexProgress(done, max(total, done), "optimising")
            for merged in writer.optimise(everything=True):
                yield IndexProgress(min(merged, done), max(total, done), "optimising")
        vocab = Vocabulary(dict(counts))
        vocab.save(folder)
        write_meta(
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
            writer = BatchWriter(storage, list(toc.segments), toc.generation)
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
                for _merged in writer.optimise():
                    pass
            else:
                writer.merge_small()
            writer.commit()
            if Vocabulary.append_delta(folder, new_words):
                Vocabulary.load(folder).save(folder)
            meta = read_meta(folder) or {}
            meta.update({"seq": max(seq, int(meta.get("seq", 0))), "papers": writer.live_docs()})
            write_meta(folder, meta)
            yield IndexProgress(total, total, "done")

    def start_sidecars(self) -> Any:
        """Write the derived files the live generation's segments lack, in a child process.

        See :mod:`~absreader.core.search.sidecars`: an index built before them,
        or the new segments of updates, gain them without a rebuild and without
        this process's CPU. Returns the child (None when nothing lacks them).
        """
        name = self._current_name()
        if name is None:
            return None
        return sidecars.start_backfill(self.index_dir / name)
    def add_phrase_pairs(self) -> Iterator[IndexProgress]:
        """Give the live index's large segments the phrase pair sets they lack (no rebuild).

        An index built before them searches correctly without them, only common
        phrases are slower (see ``format/pairs.py``). Searches pick the files up
        as they appear.
        """
        if self.state() != "ok":
            raise IndexUnavailable("The search index needs a rebuild.", self.state())
        folder = self.index_dir / (self._current_name() or "")
        self.pairs_written = 0
        for done, total, written in backfill_pairs(folder):
            self.pairs_written = written
            yield IndexProgress(done, total, "phrases")

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
        """Run a query; ``restrict`` keeps only these keys. Never raises for bad input.

        Papers with all the words rank first; papers with some of them follow
        (see :class:`SearchResult`). The ranking is kept per index generation,
        query and list, so the next page of a scroll continues the same ranking.
        """
        started = time.perf_counter()
        limit, offset = max(0, int(limit)), max(0, int(offset))

        def work(snap: Snapshot) -> SearchResult:
            ranked = self._ranking(snap, query, as_you_type, restrict, offset + limit)
            notices = list(ranked.notices)
            if self._partial:
                notices.append(self._partial)
            return SearchResult(
                hits=[Hit(snap.key_of(doc), score) for doc, score in ranked.docs[offset : offset + limit]],
                total=ranked.total,
                suggestion=ranked.suggestion,
                notice=" ".join(notices) or None,
                elapsed_ms=(time.perf_counter() - started) * 1000,
                strict_total=ranked.strict_total,
                offset=offset,
            )

        with self._mutex:
            return self._guarded(work)

    def matching(
        self, query: str, *, as_you_type: bool = False, restrict: frozenset[str] | None = None
    ) -> list[str]:
        """The keys of every paper ``query`` finds (the papers its total counts), unranked."""

        def work(snap: Snapshot) -> list[str]:
            vocab = self._vocabulary() if _needs_vocab(query, as_you_type) else self._vocab
            parsed = QueryBuilder(vocab, self._keyword_prefix).parse(query, as_you_type=as_you_type)
            masks = snap.restrict_masks(frozenset(restrict)) if restrict is not None else None
            tiers = [parsed.query] + ([parsed.relaxed] if parsed.relaxed is not None else [])
            keys = matching_keys(snap, tiers, masks)
            if parsed.arxiv_id:
                found = set(keys)
                keys += [k for k in (snap.key_of(d) for d, _ in self._id_first(snap, parsed.arxiv_id, [], masks)) if k not in found]
            return keys

        with self._mutex:
            return self._guarded(work)

    def _ranking(
        self,
        snap: Snapshot,
        query: str,
        as_you_type: bool,
        restrict: frozenset[str] | None,
        depth: int,
    ) -> Ranked:
        """The ranking of a query to at least ``depth`` hits (cached; deepened in place)."""
        key = (self._snapshot_key, self._vocab_key, query, as_you_type, restrict)
        cached = self._rankings.get(key)
        if cached is not None:
            self._rankings.move_to_end(key)
            if len(cached.docs) >= min(depth, cached.total):
                return cached
        vocab = self._vocabulary() if _needs_vocab(query, as_you_type) else self._vocab
        builder = QueryBuilder(vocab, self._keyword_prefix)
        parsed = cached.parsed if cached is not None else builder.parse(query, as_you_type=as_you_type)
        masks = snap.restrict_masks(frozenset(restrict)) if restrict is not None else None
        k = max(depth, PAGE_DEPTH) if cached is None else max(depth, 2 * len(cached.docs))
        tiers = [parsed.query] + ([parsed.relaxed] if parsed.relaxed is not None else [])
        # Texts that parse to trees matching and ranking alike (``diffusion m``,
        # ``diffusion mo``) share one evaluation.
        same = (self._snapshot_key, tuple(map(tree_key, tiers)), restrict, k)
        evaluated = self._evaluations.get(same)
        if evaluated is None:
            evaluated = index_eval.search_tiers(
                snap, tiers, k, masks, ranking=DEFAULT_RANKING, pooled=True
            )
            self._evaluations[same] = evaluated
            while len(self._evaluations) > RANKING_CACHE:
                self._evaluations.popitem(last=False)
        else:
            self._evaluations.move_to_end(same)
        totals, tops = evaluated
        docs = tops[0] + (tops[1][: max(0, k - len(tops[0]))] if len(tops) > 1 else [])
        if parsed.arxiv_id:
            docs = self._id_first(snap, parsed.arxiv_id, docs, masks)
        if cached is not None:
            # Deeper, not different: the hits already shown keep their places.
            seen = {d for d, _ in cached.docs}
            docs = cached.docs + [(d, s) for d, s in docs if d not in seen]
            ranked = replace(cached, docs=docs)
        else:
            strict = totals[0]
            suggestion = None
            if strict < FEW_HITS and parsed.words:
                suggestion = self._suggestion(snap, builder, parsed, strict, masks)
            ranked = Ranked(
                parsed=parsed,
                docs=docs,
                total=sum(totals),
                strict_total=strict if len(tiers) > 1 else None,
                suggestion=suggestion,
                notices=list(dict.fromkeys(parsed.notices)),
            )
        self._rankings[key] = ranked
        self._rankings.move_to_end(key)
        while len(self._rankings) > RANKING_CACHE:
            self._rankings.popitem(last=False)
        return ranked

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
        from absreader.core.search.query.highlight import highlight_parsed

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

    def more_like(self, paper: Paper | str, limit: int = 10) -> list[Hit]:
        """Papers most like ``paper`` (a Paper, or the key of an indexed one), never itself.

        Given a Paper, its text is analysed afresh; given a key, the words the
        index chose for it when it was indexed (its signature) are used.
        """

        def work(snap: Snapshot) -> list[Hit]:
            key = paper if isinstance(paper, str) else paper.key
            own = snap.key_docnum(key)
            if isinstance(paper, str):
                if own is None:
                    return []
                parts = signature_query(snap, own)
            else:
                parts = text_query(snap, paper)
            if not parts:
                return []
            top = most_alike(snap, parts, max(0, int(limit)), own)
            return [Hit(snap.key_of(d), s) for d, s in top]

        with self._mutex:
            return self._guarded(work)

    # -- internals ----------------------------------------------------------------------------

    def _id_first(
        self, snap: Snapshot, ident: str, top: list[tuple[int, float]], masks: list[int] | None
    ) -> list[tuple[int, float]]:
        _, exact = index_eval.search(snap, wq.Term("id", ident), 5, masks)
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
        count, _ = index_eval.search(snap, again.query, 0, masks)
        return better if count > total else None  # more papers with all the words

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
        for _attempt in range(3):
            folder = self._live_folder()
            try:
                storage = open_storage(folder)
                generation = latest_generation(storage)
                key = (str(folder), generation)
                if self._snapshot is not None and self._snapshot_key == key:
                    return self._snapshot
                toc = read_toc(storage, generation)
                snap = Snapshot(storage, list(toc.segments), generation, self._snapshot)
            except FileNotFoundError:
                continue  # a commit or a rebuild replaced the files while we looked
            except Exception as exc:  # damaged files: unpickling, struct, OS errors
                raise IndexUnavailable(f"The search index is damaged ({exc}).") from exc
            if self._snapshot is not None:
                self._snapshot.close(keep=snap)
            self._snapshot, self._snapshot_key = snap, key
            return snap
        raise IndexUnavailable("The search index keeps changing; try again.", "corrupt")

    def _live_folder(self) -> Path:
        """The generation to search: the live one, or a first build's progress so far."""
        current = self._current_name()
        self._partial = None
        if current is None:
            folder = self._partial_build()
            if folder is None:
                raise IndexUnavailable("There is no search index yet.", self.state())
            return folder
        folder = self.index_dir / current
        meta = read_meta(folder)
        if meta is None:
            if not folder.exists() and self._current_name() != current:
                raise FileNotFoundError(folder)  # swapped while we looked: try again
            raise IndexUnavailable("The search index is damaged.", "corrupt")
        if meta.get("schema") != SCHEMA_VERSION:
            raise IndexUnavailable("The search index is from another version.", "outdated")
        return folder

    def _guarded(self, work: Any) -> Any:
        """Run ``work(snapshot)``; retry once when another process changed the index under it."""
        for attempt in (0, 1):
            snap = self._open()
            stale = self._snapshot_key
            try:
                return work(snap)
            except (SegmentCorrupt, OSError, EOFError, ValueError) as exc:
                self.close()
                if attempt == 0 and self._moved(stale):
                    continue
                raise IndexUnavailable(f"The search index is damaged ({exc}).") from exc
        raise AssertionError("unreachable")

    def _moved(self, stale: tuple[str, int] | None) -> bool:
        try:
            folder = self._live_folder()
            return stale != (str(folder), latest_generation(open_storage(folder)))
        except (IndexUnavailable, OSError):
            return False

    def _partial_build(self) -> Path | None:
        """A first build still running: search what it has committed so far."""
        for folder in sorted(self._build_dirs(), reverse=True):
            meta = read_meta(folder)
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

    def _write_lock(self) -> AbstractContextManager[None]:
        """Hold the cache dir's lock file (a second writer waits)."""
        return write_lock(self.lock_path)


def _needs_vocab(query: str, as_you_type: bool) -> bool:
    return as_you_type or "*" in query or "~" in query or "?" in query


__all__ = ["Hit", "IndexProgress", "IndexUnavailable", "SearchIndex", "SearchResult"]
