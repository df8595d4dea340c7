"""Parsing typed prefixes as a search does, for deriving a segment's prefix tops (``.absk``).

The stored best documents of a prefix are only right for the terms a search
of that prefix scores, and those come from the query parser over the
generation's vocabulary. The file format (:mod:`~absreader.core.search.format.prefix_tops`)
stays below the parser; this module joins them: :func:`write_for` is the
``.absk`` writer :mod:`~absreader.core.search.sidecars` runs for a segment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage

from absreader.core.search.evaluate import scoring_terms
from absreader.core.search.format import prefix_tops
from absreader.core.search.format.schema import TEXT_FIELDS
from absreader.core.search.format.segments import SegmentData
from absreader.core.search.query.parser import QueryBuilder
from absreader.core.search.vocabulary import DELTA_FILE, VOCAB_FILE, Vocabulary

#: The last generation's query builder and its parsed prefixes (a backfill derives every
#: segment of one generation in turn, and a prefix parses alike in each).
_PARSED: dict[tuple[str, float, float], tuple[Any, dict[str, list[prefix_tops.Term]]]] = {}


def builder_for(folder: Path) -> QueryBuilder | None:
    """A query builder on the generation's vocabulary (kept for its next segment); None: no words."""
    stamps = []
    for name in (VOCAB_FILE, DELTA_FILE):
        try:
            stamps.append((folder / name).stat().st_mtime)
        except OSError:
            stamps.append(0.0)
    key = (str(folder), stamps[0], stamps[1])
    kept = _PARSED.get(key)
    if kept is None:
        vocab = Vocabulary.load(folder)
        _PARSED.clear()
        kept = _PARSED[key] = (QueryBuilder(vocab) if len(vocab) else None, {})
    return kept[0]


def query_terms(builder: QueryBuilder, prefix: str) -> list[prefix_tops.Term]:
    """The scoring terms of ``prefix`` typed as the last word, as a search parses it."""
    for kept_builder, parsed in _PARSED.values():
        if kept_builder is builder and prefix in parsed:
            return parsed[prefix]
    tree = builder.parse(prefix, as_you_type=True).query
    out: list[prefix_tops.Term] = []
    for field, term, boost in scoring_terms(tree):
        if field in TEXT_FIELDS and boost > 0 and (field, term, boost) not in out:
            out.append((field, term, boost))
    for kept_builder, parsed in _PARSED.values():
        if kept_builder is builder:
            parsed[prefix] = out
    return out


def write_for(storage: FileStorage, seg: SegmentData) -> None:
    """Write the segment's ``.absk`` file, parsing prefixes with its generation's vocabulary."""
    builder = builder_for(Path(storage.folder))
    if builder is None:
        prefix_tops.write_for(storage, seg, None, None)
        return
    prefix_tops.write_for(storage, seg, builder.vocab, lambda prefix: query_terms(builder, prefix))
