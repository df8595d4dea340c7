"""What every command shares: the catalog (opened lazily), output and errors."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any, TextIO

from absreader.core.catalog import Catalog
from absreader.core.clean import printable
from absreader.paths import Paths, get_paths

_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _printable(value: Any) -> Any:
    """``value`` with every string in it passed through :func:`printable`."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


def positive_int(text: str) -> int:
    """argparse type for --limit and friends: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


class CommandError(Exception):
    """A user-facing failure: the message is printed, the process exits with ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class Context:
    """Lazily opened catalog plus safe printing helpers."""

    def __init__(self, paths: Paths | None = None, out: TextIO | None = None) -> None:
        self.paths = paths or get_paths()
        self.out = out or sys.stdout
        self.err = sys.stderr
        self._catalog: Catalog | None = None

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog.open(self.paths)
            # A command's search takes in whatever earlier commands left behind,
            # however much (they do not update the index: no Whoosh to load).
            self._catalog.catch_up_limit = None
        return self._catalog

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None

    def print(self, text: str = "") -> None:
        """Print untrusted text safely: no escape or control sequence gets through."""
        self.out.write(printable(text) + "\n")

    def json(self, data: Any) -> None:
        """Print JSON; C1 controls and bidi overrides are escaped too (json escapes C0).

        Strings are made printable first, as plain output is: a title that
        reached the library with an escape sequence in it (written by another
        program) must not come back out of ``jq -r`` and act on the terminal.
        """
        text = json.dumps(_printable(data), ensure_ascii=False, indent=2)
        self.out.write(_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")

    def json_inline(self, data: Any) -> None:
        """Write one JSON value without a trailing newline (for streamed lists)."""
        text = json.dumps(_printable(data), ensure_ascii=False)
        self.out.write(_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text))

    def error(self, message: str) -> None:
        self.err.write(f"absreader: error: {printable(message)}\n")

    def warn(self, message: str) -> None:
        self.err.write(f"absreader: {printable(message)}\n")

    @property
    def interactive(self) -> bool:
        return self.err.isatty()
