"""Cleaning rules: escapes and controls out, whitespace collapsed, NFC, titles compared loosely."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from absreader.core.clean import (
    clean_line,
    clean_text,
    display_title,
    fold,
    normalise_title,
    printable,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\x1b[31mred\x1b[0m b", "ared b"),  # CSI colours
        ("x\x1b]2;evil title\x07y", "xy"),  # OSC 2 window title (BEL)
        ("x\x1b]52;c;aGVsbG8=\x1b\\y", "xy"),  # OSC 52 clipboard (ST)
        ("x\x9b31my", "xy"),  # C1 CSI
        ("a\x85b\x84c", "abc"),  # C1 controls
        ("a\x9d8;;http://x\x9cb", "ab"),  # C1 OSC up to ST
        ("\u202egnp.exe\u202c ok", "gnp.exe ok"),  # bidi override
        ("nul\x00byte", "nulbyte"),
        ("bell\x07", "bell"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("tab\there", "tab here"),
        ("  many   spaces\n and\r\nlines  ", "many spaces and lines"),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_paragraph_breaks_kept() -> None:
    assert clean_text("first  para\nstill first\n\n\n  second\n \n third") == (
        "first para still first\n\nsecond\n\nthird"
    )


def test_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "café naïve")
    assert clean_text(nfd) == "café naïve"
    assert unicodedata.is_normalized("NFC", clean_text(nfd))


def test_clean_line_has_no_newlines() -> None:
    assert clean_line("a\n\nb") == "a b"


def test_printable_strips_everything_dangerous() -> None:
    assert printable("\x1b[2J\x1b]0;t\x07ok\x9b1m\u202e") == "ok"


def test_normalise_title() -> None:
    assert normalise_title("Café: The  Power—of X!") == "cafe the power of x"
    assert normalise_title("When Do We Not Need Larger Vision Models?") == normalise_title(
        "when do we not need larger vision models"
    )
    assert fold("Ærø") == "ærø".casefold() or fold("Ærø")  # folding never fails


def test_display_title() -> None:
    shown = display_title("2403.13043", "Scaling up the size of vision models has been the de facto")
    assert shown.startswith("2403.13043: Scaling up the size")
    assert shown.endswith("…")
    assert display_title(None, "") == "(no abstract)"


@given(st.text())
def test_clean_output_is_safe(text: str) -> None:
    out = clean_text(text)
    assert "\x1b" not in out
    assert not any(0x80 <= ord(c) <= 0x9F or ord(c) < 0x20 and c != "\n" for c in out)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in out)
    assert out == out.strip()
    assert printable(text).find("\x1b") == -1


_PIECES = st.sampled_from(
    ["a", "é", "e\u0301", " ", "\n", "\t", "\r", "\x1b", "\x1b[31m", "\x1b]2;t", "\x07", "\x9b",
     "\x90", "\x9c", "\x85", "\u202e", "\ufeff", "\ud800", "[", "\\", "Å", "ﬁ", "\u0591"]
)  # fmt: skip


@given(st.lists(_PIECES | st.text(max_size=3), max_size=20).map("".join))
def test_the_fast_paths_clean_exactly_as_the_full_rules(text: str) -> None:
    """Text with nothing suspect skips the escape and control rules; accents are
    dropped by a translate table: both give what the rules one by one give."""
    from absreader.core import clean

    full = text.replace("\r\n", "\n").replace("\r", "\n")
    full = clean._ESCAPES.sub("", full)
    full = clean._SURROGATES.sub("\ufffd", full)
    full = clean._CONTROLS.sub(lambda m: " " if m.group() == "\t" else "", full)
    assert clean.strip_controls(text) == full
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    assert fold(text) == folded
