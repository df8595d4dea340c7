"""Subcommands of the `absreader` command line, one module per area."""

from __future__ import annotations

from collections.abc import Callable

from absreader.commands import exporting, fetching, importing, lists, papers, searching

Register = Callable[..., None]

REGISTRY: list[Register] = [
    importing.register,
    papers.register,
    searching.register,
    lists.register,
    exporting.register,
    fetching.register,  # feeds (issue 14)
]
