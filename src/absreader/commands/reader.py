"""`absreader` with no command: open the reader."""

from __future__ import annotations

import argparse

from absreader.commands.context import Context


def run(args: argparse.Namespace, ctx: Context) -> int:
    del args
    from absreader.ui.app import run_reader

    return run_reader(ctx.paths)
