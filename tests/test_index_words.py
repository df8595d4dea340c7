"""The words an index build and a query see: the ASCII fast path finds what the pattern finds.

``schema.words`` splits ASCII text with one ``bytes.translate`` and ``split``
instead of the word regular expression (a fifth of a build's analysis); both
must give the same words, or a query would miss what the index holds.
"""

from __future__ import annotations

import string
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from absreader.core.catalog import Catalog
from absreader.core.search.format.schema import _WORD, words
from absreader.paths import get_paths

_ASCII = st.text(alphabet=st.sampled_from(string.printable + "\x00\x7f_-'"), max_size=200)


@given(_ASCII)
def test_ascii_words_are_the_patterns_words(text: str) -> None:
    assert words(text) == _WORD.findall(text.lower())


def test_words_of_real_text() -> None:
    text = "Self-attention (a.k.a. GPT_4o) beats 3D-CNNs; see arXiv:2401.00001v2 & e^{i\\pi}."
    assert words(text) == ["self", "attention", "a", "k", "a", "gpt", "4o", "beats", "3d", "cnns",
                           "see", "arxiv", "2401", "00001v2", "e", "i", "pi"]  # fmt: skip
    assert words("Café ÉCOLE naïve") == ["cafe", "ecole", "naive"]  # not ASCII: the pattern path


def test_row_ids_are_the_nth_ids_a_build_cuts_at(sample_home: Path) -> None:
    catalog = Catalog.open(get_paths({"ABSREADER_HOME": str(sample_home)}))
    try:
        keys = [p.key for p in catalog.iter_papers()]
        catalog.delete_papers(keys[5:40:3])  # gaps in the row ids
        library = catalog.library
        ids = library.row_ids()
        assert len(ids) == library.count() == len(keys) - len(keys[5:40:3])
        assert ids == [library.nth_id(n) for n in range(1, len(ids) + 1)]
        assert library.nth_id(len(ids) + 1) is None
    finally:
        catalog.close()


def test_runs_of_papers_are_the_rows_between_their_cuts(sample_home: Path) -> None:
    catalog = Catalog.open(get_paths({"ABSREADER_HOME": str(sample_home)}))
    try:
        every = [p.key for p in catalog.iter_papers()]
        catalog.delete_papers(every[3:30:4])  # gaps in the row ids
        library = catalog.library
        ids = library.row_ids()
        keys = [p.key for p in library.iter_papers()]
        cuts = [0, ids[4], ids[11], ids[-2]]
        runs = [
            [p.key for p in library.iter_papers(batch=3, after=a, until=u)]
            for a, u in zip(cuts, [*cuts[1:], None], strict=True)
        ]
        assert [len(r) for r in runs] == [5, 7, len(ids) - 13, 1]
        assert [k for r in runs for k in r] == keys  # every paper once, in row order
        assert list(library.iter_papers(after=ids[-1])) == []
    finally:
        catalog.close()
