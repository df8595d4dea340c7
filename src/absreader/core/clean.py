"""Cleaning untrusted text: escapes, control characters, whitespace, Unicode form.

Every record passes through here before it reaches the library, and the UI and
CLI pass anything they print through :func:`printable` as a second line of
defence, so no escape sequence from a file can ever reach the terminal.
"""

from __future__ import annotations

import re
import unicodedata

# ESC-introduced sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL/ST),
# DCS/SOS/PM/APC (ESC P/X/^/_ ... ST), and two-byte escapes (ESC + one char).
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?            # CSI
    | \x1b[\]PX^_].*?(?:\x07|\x1b\\|\x9c|$)   # OSC, DCS, SOS, PM, APC
    | \x9b[0-?]*[ -/]*[@-~]?            # C1 CSI
    | [\x90\x98\x9d\x9e\x9f].*?(?:\x07|\x1b\\|\x9c|$)  # C1 string controls
    | \x1b[ -~]?                        # other escapes
    """,
    re.VERBOSE | re.DOTALL,
)
# C0 controls except tab/newline, DEL, C1 controls, bidi overrides/isolates,
# and other invisible format characters that can reorder or hide text.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff\ufff9-\ufffb]"
)
_SURROGATES = re.compile("[\ud800-\udfff]")
# Every character the three patterns above (and a carriage return) start with: text
# without any, nearly every field of every file, needs none of them.
_SUSPECT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c"
    "\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
_PARAGRAPH = re.compile(r"\n\s*\n")


def strip_controls(text: str) -> str:
    """Remove terminal escape sequences and control characters, keep newlines."""
    if _SUSPECT.search(text) is None:
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPES.sub("", text)
    text = _SURROGATES.sub("\ufffd", text)
    return _CONTROLS.sub(lambda m: " " if m.group() == "\t" else "", text)


def clean_text(text: str | None, *, paragraphs: bool = True) -> str:
    """Clean one field: escapes and controls out, NFC, whitespace collapsed.

    With ``paragraphs`` true, blank-line paragraph breaks are kept as ``\\n\\n``;
    every other run of whitespace becomes one space.
    """
    if not text:
        return ""
    text = strip_controls(text)
    text = unicodedata.normalize("NFC", text)
    # str.split() splits on exactly the characters \s matches: every run of whitespace
    # becomes one space, the ends go.
    if paragraphs:
        parts = (" ".join(p.split()) for p in _PARAGRAPH.split(text))
        return "\n\n".join(p for p in parts if p)
    return " ".join(text.split())


def clean_line(text: str | None) -> str:
    """Clean a one-line field (title, author, category): no newlines at all."""
    return clean_text(text, paragraphs=False)


def printable(text: str) -> str:
    """Make any text safe to write to a terminal (used on output, as a last guard)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", _SURROGATES.sub("\ufffd", text))).replace("\t", " ")


_TITLE_NOISE = re.compile(r"[^0-9a-z]+")


class _Marks(dict):
    """``str.translate`` table deleting combining marks, filled in as characters appear."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_NO_MARKS = _Marks()


def fold(text: str) -> str:
    """Lowercase and strip accents: ``Café`` -> ``cafe``."""
    if text.isascii():
        return text.casefold()
    return unicodedata.normalize("NFKD", text).translate(_NO_MARKS).casefold()


def normalise_title(title: str | None) -> str:
    """The form titles are compared in: folded, punctuation and spacing ignored."""
    if not title:
        return ""
    return _TITLE_NOISE.sub(" ", fold(title)).strip()


def display_title(arxiv_id: str | None, abstract: str, words: int = 10) -> str:
    """A readable title for an untitled paper: its id and the abstract's opening words."""
    head = abstract.split(None, words)  # the opening words and the rest, unsplit
    opening = " ".join(head[:words])
    if len(head) > words:
        opening += "…"
    opening = opening or "(no abstract)"
    return f"{arxiv_id}: {opening}" if arxiv_id else opening
