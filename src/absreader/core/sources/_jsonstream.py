"""Reading JSON values one at a time from a text stream, in bounded memory.

:class:`JsonStream` keeps a buffer over the stream. To read a value it first
finds where the value ends with a cheap, non-recursive scan (strings and
brackets only), reading more text as needed, then decodes exactly that slice
with :mod:`json`. So a 4 GB array is never held whole, a broken element is
reported and skipped without losing the rest, and deep nesting surfaces as a
``RecursionError`` from :func:`json.loads` that callers turn into a Problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from absreader.core.sources._fields import MAX_RECORD_CHARS

_WS = re.compile(r"[ \t\r\n\ufeff]*")
_STRING = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')
# Everything up to the next bracket (or unterminated quote): plain text and whole strings.
_SKIP = re.compile(r'(?:[^"\[\]{}]++|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+")*+')
_SCALAR = re.compile(r'[^\s,\]\}:\[\{"]+')
_CLOSER = {"]": "[", "}": "{"}
_CHUNK = 64 * 1024


@dataclass
class Value:
    """A decoded value (``ok``) or why it could not be read (``reason``)."""

    line: int
    column: int
    ok: bool
    value: Any = None
    reason: str = ""
    fatal: bool = False
    broken: bool = False  # its extent could not be found: the position is a guess


class JsonStream:
    """Consecutive JSON tokens and values from a text stream, with line numbers."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line = 1
        self._line_start = 0  # index in buf where the current line starts (may be < 0)

    # -- buffer -----------------------------------------------------------------
    def _fill(self, want: int = _CHUNK) -> bool:
        if self.eof:
            return False
        if self.pos > _CHUNK and self.pos * 2 > len(self.buf):
            self.buf = self.buf[self.pos :]
            self._line_start -= self.pos
            self.pos = 0
        chunk = self.stream.read(max(want, _CHUNK))
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def _advance(self, end: int) -> None:
        newlines = self.buf.count("\n", self.pos, end)
        if newlines:
            self.line += newlines
            self._line_start = self.buf.rfind("\n", self.pos, end) + 1
        self.pos = end

    @property
    def column(self) -> int:
        """1-based column of the read position."""
        return self.pos - self._line_start + 1

    # -- tokens -----------------------------------------------------------------
    def peek(self) -> str:
        """The next non-blank character, without consuming it ("" at the end)."""
        while True:
            end = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            self._advance(end)
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def ahead(self, size: int) -> str:
        """Up to ``size`` characters from the read position, reading more if needed."""
        while len(self.buf) - self.pos < size and self._fill():
            pass
        return self.buf[self.pos : self.pos + size]

    def skip(self, count: int = 1) -> None:
        """Consume ``count`` characters (after :meth:`peek`)."""
        self._advance(min(self.pos + count, len(self.buf)))

    def skip_to_line(self, accept: Callable[[str], bool] | None = None) -> None:
        """Move to the start of the next line (whose opening text ``accept`` approves).

        With ``accept``, a read position already at the start of an approved line stays.
        """
        if accept is not None and self.pos == self._line_start and accept(self.ahead(256)):
            return
        while True:
            newline = self.buf.find("\n", self.pos)
            if newline < 0:
                self._advance(len(self.buf))
                if not self._fill():
                    return
                continue
            self._advance(newline + 1)
            if accept is None:
                return
            head = self.ahead(256)
            if not head or accept(head):
                return

    def line_prefix(self) -> str | None:
        """The text between the start of the line and the read position, if still buffered."""
        if self._line_start < 0:
            return None
        return self.buf[self._line_start : self.pos]

    def finish(self) -> None:
        """Give up on the rest of the stream: everything after reads as the end."""
        self.buf, self.pos, self.eof, self._line_start = "", 0, True, 0

    # -- values -----------------------------------------------------------------
    def _extent(self) -> tuple[str, int]:
        """Where the value at ``pos`` ends: ("ok", end), ("more", 0) or ("bad", resume)."""
        buf, start = self.buf, self.pos
        first = buf[start]
        if first not in "[{":
            pattern = _STRING if first == '"' else _SCALAR
            match = pattern.match(buf, start)
            if match and (match.end() < len(buf) or self.eof):
                return "ok", match.end()
            if first == '"':
                newline = buf.find("\n", start)
                if newline >= 0:
                    return "bad", newline + 1
            if not match and first != '"':
                return "bad", start + 1
            return ("bad", len(buf)) if self.eof else ("more", 0)
        stack: list[str] = []
        pos, size = start, len(buf)
        skip = _SKIP.match
        while True:
            pos = skip(buf, pos).end()  # type: ignore[union-attr]
            if pos >= size:
                break
            token = buf[pos]
            pos += 1
            if token in "[{":
                stack.append(token)
            elif token in "]}":
                if not stack or stack.pop() != _CLOSER[token]:
                    return "bad", pos
                if not stack:
                    return "ok", pos
            else:  # a string not closed on its line
                newline = buf.find("\n", pos)
                if newline >= 0:
                    return "bad", newline + 1
                break
        return ("bad", len(buf)) if self.eof else ("more", 0)

    def value(self) -> Value:
        """Read and decode the value at the read position (call after :meth:`peek`)."""
        line, column = self.line, self.column
        while True:
            state, end = self._extent()
            if state != "more":
                break
            if len(self.buf) - self.pos > MAX_RECORD_CHARS:
                return Value(line, column, False, reason="value too large to read", fatal=True)
            self._fill(len(self.buf) - self.pos)
        text = self.buf[self.pos : end]
        self._advance(end)
        try:
            decoded = json.loads(text)
            if state == "bad":  # pragma: no cover - the scan found it broken; trust the scan
                return Value(line, column, False, reason="invalid JSON", broken=True)
            return Value(line, column, True, decoded)
        except RecursionError:
            return Value(line, column, False, reason="JSON nested too deeply", fatal=True)
        except json.JSONDecodeError as exc:
            reason = describe(exc, line, column)
            return Value(line, column, False, reason=reason, broken=state == "bad")
        except ValueError as exc:  # e.g. an integer too long to convert
            return Value(line, column, False, reason=f"invalid JSON: {exc}")


def describe(exc: json.JSONDecodeError, line: int, column: int) -> str:
    """``invalid JSON: <message> at column C`` (or ``at line L, column C``)."""
    message = exc.msg.removesuffix(" at")  # "Invalid control character at"
    if exc.lineno == 1:
        return f"invalid JSON: {message} at column {column + exc.colno - 1}"
    return f"invalid JSON: {message} at line {line + exc.lineno - 1}, column {exc.colno}"
