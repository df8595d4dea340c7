"""Every paper a search finds, unranked (facets, lists sorted by a field) is the ranked set."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("conftest_ui")
from absreader.core.catalog import Catalog, Filters  # noqa: E402
from conftest_ui import sample_paths as sample_paths  # noqa: E402, F401 (a fixture)

pytest_plugins = ["conftest_ui"]

QUERIES = [
    "model", "language models", '"language models"', "diffusion -image", "transf",
    "graph neural", "author:smith", "modle~", "2403.13043", "zzzznothing", "is:unread learning",
]  # fmt: skip


@pytest.mark.parametrize("as_you_type", [False, True])
def test_the_unranked_set_is_what_the_ranking_finds_and_the_total_says(
    sample_paths, as_you_type: bool  # noqa: F811
) -> None:
    catalog = Catalog.open(sample_paths)
    try:
        for query in QUERIES:
            ranked = catalog.select(Filters(), query, limit=None, as_you_type=as_you_type)
            bare = catalog.select(
                Filters(), query, limit=None, as_you_type=as_you_type, ordered=False
            )
            assert sorted(bare.keys) == sorted(ranked.keys), query
            assert len(set(bare.keys)) == len(bare.keys) == ranked.total, query
            # Sorted by a field: the same papers, in that field's order.
            newest = catalog.select(
                Filters(), query, limit=None, sort="newest", as_you_type=as_you_type
            )
            assert newest.keys == catalog.library.order_keys(ranked.keys, "newest"), query
            # Within a list: the list's papers only.
            shown = catalog.select(Filters(bookmarked=True), query, limit=None, ordered=False)
            bookmarked = set(catalog.library.list_keys(bookmarked=True))
            assert set(shown.keys) <= bookmarked, query
    finally:
        catalog.close()
