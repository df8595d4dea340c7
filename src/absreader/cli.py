"""The command line: `absreader` opens the reader, subcommands do the rest.

Every command is registered by a module under ``absreader.commands``; each
module adds its subparsers and a handler ``(args, ctx) -> exit code``. User
mistakes become one clear line on stderr and exit 1 (bad arguments exit 2, as
argparse does); tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from absreader import __version__
from absreader.commands import REGISTRY
from absreader.commands.context import CommandError, Context
from absreader.commands.searching import query_argv
from absreader.core.catalog import LibraryError


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a hint on every usage error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.stderr.write(f"Try '{self.prog} --help' for more.\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used by the docs and tests)."""
    parser = _Parser(
        prog="absreader",
        description=(
            "Read research-paper abstracts in the terminal. With no command, opens the reader "
            "(importing the bundled sample data on the first run)."
        ),
        epilog="Data lives in the platform's user dirs; set ABSREADER_HOME=DIR to keep it all in DIR.",
    )
    parser.add_argument("--version", action="version", version=f"absreader {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for register in REGISTRY:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for the `absreader` script."""
    parser = build_parser()
    args = parser.parse_args(query_argv(sys.argv[1:] if argv is None else argv))
    ctx = Context()
    try:
        if args.command is None:
            from absreader.commands.reader import run

            return run(args, ctx)
        return args.handler(args, ctx)
    except (CommandError, LibraryError) as exc:
        ctx.error(str(exc))
        return getattr(exc, "code", 1)
    except KeyboardInterrupt:
        ctx.error("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        # The system refused (disk full, read-only, permissions): say what and where.
        where = f"{exc.filename}: " if exc.filename else ""
        ctx.error(f"{where}{exc.strerror or exc}")
        return 1
    finally:
        ctx.close()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
