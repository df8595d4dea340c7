"""A segment built with its postings spilled to disk is the segment built in memory."""

from __future__ import annotations

import marshal
from dataclasses import replace
from pathlib import Path

import pytest

from absreader.core.catalog import Catalog
from absreader.core.search.format.schema import SCHEMA, analyse
from absreader.core.search.format.segments import open_storage
from absreader.core.search.format.write import SegmentBuilder
from absreader.paths import get_paths


def _build(folder: Path, docs: list, spill_every: int | None) -> dict[str, bytes]:
    folder.mkdir()
    storage = open_storage(folder, create=True)
    builder = SegmentBuilder(storage, SCHEMA, None, signatures=True, spill_every=spill_every)
    for doc in docs:
        builder.add(doc)
    segment = builder.finish()
    assert segment is not None
    prefix = segment.segment_id()
    files = {p.name.replace(prefix, "SEG"): p.read_bytes() for p in folder.iterdir() if p.name.startswith(prefix)}
    assert not [p.name for p in folder.iterdir() if p.is_dir()]  # no spill folder left behind
    return files


@pytest.mark.parametrize("spill_every", [1, 7, 250])
def test_spilled_build_writes_the_same_segment(sample_home: Path, tmp_path: Path, spill_every: int) -> None:
    catalog = Catalog.open(get_paths({"ABSREADER_HOME": str(sample_home)}))
    try:
        papers = list(catalog.iter_papers())
    finally:
        catalog.close()
    # A paper with a note and repeated words, so positions bitmaps and the note field spill too.
    papers[5] = replace(papers[5], note="note note words and more note words")
    in_memory = _build(tmp_path / "memory", [analyse(p) for p in papers], None)
    spilled = _build(tmp_path / f"spill{spill_every}", [analyse(p) for p in papers], spill_every)
    assert sorted(spilled) == sorted(in_memory)
    for name, data in in_memory.items():
        if name.endswith((".absr", ".absm")):  # marshal may flag shared strings differently
            assert marshal.loads(spilled[name]) == marshal.loads(data), name
        else:
            assert spilled[name] == data, name
