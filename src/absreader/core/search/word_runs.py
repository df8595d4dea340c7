"""A parallel build's word counts on disk: one sorted file a run, merged as a stream.

Each worker of a parallel build counts the papers of its run that use each
word (the vocabulary's document counts) and writes them here, sorted, one
``word<TAB>count`` line each. The build's parent never holds the counts of
the whole library: when it saves the vocabulary (at doubling sizes while the
build runs, and at the end) it merges the run files as a stream into
:meth:`~absreader.core.search.vocabulary.Vocabulary.write_sorted`. The parent's
memory is then that of a few open files at any library size; with the counts
held in one ``Counter``, it grew with the number of distinct words (the
parent was 399 MB of a 961 MB build at a million papers).
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path

#: The folder of run files inside a build (no index file is named like it).
FOLDER = "words.tmp"


def run_file(build: Path, number: int) -> Path:
    """Where run ``number`` of the build in ``build`` keeps its word counts."""
    return build / FOLDER / f"run-{number:05d}"


def write_run(path: Path, counts: dict[str, int]) -> None:
    """Write ``counts`` sorted by word, whole or not at all (renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        words = sorted(counts)
        for start in range(0, len(words), 8192):
            chunk = words[start : start + 8192]
            f.write("".join(f"{w}\t{counts[w]}\n" for w in chunk))
    os.replace(tmp, path)


def _read(path: Path, f: Iterable[str]) -> Iterator[tuple[str, int]]:
    for number, line in enumerate(f, 1):
        word, tab, count = line.rstrip("\n").rpartition("\t")
        if not tab or not count.isdigit():
            raise ValueError(f"{path}: line {number}: not a word count")
        yield word, int(count)


def merged(paths: Iterable[Path]) -> Iterator[tuple[str, int]]:
    """Every word of the run files in sorted order, its counts added up."""
    with ExitStack() as stack:
        streams = [
            _read(p, stack.enter_context(open(p, encoding="utf-8", newline="\n"))) for p in paths
        ]
        last: str | None = None
        total = 0
        for word, count in heapq.merge(*streams):
            if word == last:
                total += count
                continue
            if last is not None:
                yield last, total
            last, total = word, count
        if last is not None:
            yield last, total
