"""One TeX-to-text decoder for every source and field, on top of ``pylatexenc``.

BibTeX values are TeX through and through; arXiv's own metadata (listing
e-mails, the Atom API, the Kaggle snapshot, dataset dumps and daily-papers
pages of arXiv abstracts) is plain text with TeX in it: accents (``F\\'elix``,
``Nor\\'en``), escapes (``50\\%``) and math (``$\\alpha$-divergence``). Both go
through :func:`tex_to_text`.

``pylatexenc``'s ``LatexNodes2Text`` does the decoding; math is kept readable as
text (``$\\alpha$`` -> ``α``, ``$x^2$`` -> ``x^2``, ``$\\frac{1}{2}$`` -> ``1/2``).
It is slow on long plain text, so only the *islands* of TeX are handed to it: a
command with its arguments, a math span, a brace group holding a command. The
rest of the text is left alone (for BibTeX, its grouping braces, ``~`` ties and
``--`` dashes are undone as well). Islands repeat (``\\'e``, ``$\\alpha$``) and
their decodings are cached. A ``%`` is always a percent sign, never a comment.
Hostile input (deep nesting, unbalanced braces, huge values) cannot make it
raise: an island pylatexenc refuses loses its markup characters instead.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

#: Longest island handed to pylatexenc; longer ones lose their markup characters instead.
_MAX_ISLAND = 4000
_MAX_MATH = 300


def _verbatim_argument(node: object, _l2t: object = None) -> str:
    """``\\url{http://x.org/~a}``: the argument exactly as written."""
    try:
        argument = node.nodeargd.argnlist[0]  # type: ignore[attr-defined]
        return argument.latex_verbatim().removeprefix("{").removesuffix("}")
    except (AttributeError, IndexError, TypeError):
        return ""


def _converter() -> LatexNodes2Text:
    context = get_default_latex_context_db()
    symbols = {
        "textbraceleft": "{", "textbraceright": "}", "textbackslash": "\\",
        "textasciitilde": "~", "textasciicircum": "^", "textunderscore": "_",
        "textless": "<", "textgreater": ">", "textbar": "|", "textquotedbl": '"',
        "textquotesingle": "'", "cite": "", "citep": "", "citet": "", "ref": "", "eqref": "",
        "label": "", "footnote": "", "thanks": "", "noopsort": "",
    }  # fmt: skip
    macros = [MacroTextSpec(name, simplify_repl=text) for name, text in symbols.items()]
    macros += [MacroTextSpec(name, simplify_repl=_verbatim_argument) for name in ("url", "path")]
    context.add_context_category("absreader", prepend=True, macros=macros)
    # An author's own macro (\proj, \model, \etc) keeps its name as the word it stood for.
    context.set_unknown_macro_spec(
        MacroTextSpec("", simplify_repl=lambda node, _l2t=None: node.macroname)
    )
    return LatexNodes2Text(latex_context=context, math_mode="text", strict_latex_spaces=False)


_CONVERT = _converter()
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)((?:\\\\)*)%")
_MARKUP = re.compile(r"\\[A-Za-z]+\*?|[\\{}$]")


@lru_cache(maxsize=65536)
def _decode(island: str) -> str:
    """One island of TeX as text (cached: the same accents and symbols recur)."""
    if len(island) > _MAX_ISLAND:
        return _MARKUP.sub("", island)
    try:
        text = _CONVERT.latex_to_text(_UNESCAPED_PERCENT.sub(r"\1\\%", island))
    except Exception:  # noqa: BLE001 - pylatexenc on hostile input; never let it stop an import
        return _MARKUP.sub("", island)
    return text.replace("\xa0", " ")


_ACCENT_SYMBOLS = "'\"^~=.`"
_ACCENT_LETTERS = frozenset("cuvHkrdbt")
_MATH_TEX = re.compile(r"[\\^_{}=+<>|]")


def _group_end(text: str, pos: int) -> int | None:
    """The index after the balanced ``{...}`` that opens at ``pos``."""
    depth = 0
    for index in range(pos, min(len(text), pos + _MAX_ISLAND)):
        char = text[index]
        if char == "\\":
            continue
        if char == "{" and (index == 0 or text[index - 1] != "\\"):
            depth += 1
        elif char == "}" and (index == 0 or text[index - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def _math_end(text: str, pos: int) -> int | None:
    """The index after the math span opening at ``pos`` (``$...$``, ``$$...$$``, ``\\(...\\)``)."""
    opener = "$$" if text.startswith("$$", pos) else text[pos : pos + 2] if text[pos] == "\\" else "$"
    closer = {"$$": "$$", "$": "$", "\\(": "\\)", "\\[": "\\]"}[opener]
    start = pos + len(opener)
    index = start
    while True:
        index = text.find(closer, index)
        if index < 0 or index - start > _MAX_MATH:
            return None
        if text[index - 1] != "\\" or closer != "$":
            break
        index += 1
    body = text[start:index]
    if not body.strip() or "\n\n" in body:
        return None
    if closer == "$" and (
        body[0].isspace()
        or body[-1].isspace()
        or text[index + 1 : index + 2].isdigit()
        or (len(body) > 20 and not _MATH_TEX.search(body))
    ):
        return None  # "costs $20 per item, or $15": money, not math
    return index + len(closer)


def _command_end(text: str, pos: int) -> int | None:
    """The index after the command at ``pos`` and the arguments that follow it."""
    nxt = pos + 1
    if nxt >= len(text):
        return None
    char = text[nxt]
    if char in "([":
        return _math_end(text, pos)
    if not char.isalpha():
        end = nxt + 1
        if char in _ACCENT_SYMBOLS:
            while end < len(text) and text[end] in " \t":
                end += 1
            if text[end : end + 1] == "{":
                return _group_end(text, end) or nxt + 1
            if text[end : end + 2] in ("\\i", "\\j"):
                return end + 2
            return end + 1 if end < len(text) and text[end].isalpha() else nxt + 1
        return end
    end = nxt
    while end < len(text) and text[end].isalpha():
        end += 1
    name = text[nxt:end]
    if text[end : end + 1] == "*":
        end += 1
    groups = 0
    while groups < 3:
        probe = end
        while probe < len(text) and text[probe] in " \t":
            probe += 1
        if text[probe : probe + 1] != "{":
            break
        close = _group_end(text, probe)
        if close is None:
            break
        end, groups = close, groups + 1
    if (
        not groups
        and name in _ACCENT_LETTERS
        and text[end : end + 1] == " "
        and text[end + 1 : end + 2].isalpha()
    ):
        end += 2  # "\v s"
    return end


def _islands(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        found = min((i for i in (text.find("\\", pos), text.find("$", pos)) if i >= 0), default=-1)
        if found < 0:
            return spans
        end = _math_end(text, found) if text[found] == "$" else _command_end(text, found)
        if end is None:
            pos = found + 1
            continue
        start = found
        while start > pos and end < len(text) and text[start - 1] == "{" and text[end] == "}":
            start, end = start - 1, end + 1  # {\"U}ber: the braces go with it
        spans.append((start, end))
        pos = end


_BIBTEX_PLAIN = re.compile(r"---|--|``|''|[{}~]")
_BIBTEX_PLAIN_MAP = {"---": "—", "--": "–", "``": "“", "''": "”", "{": "", "}": "", "~": " "}


def _plain(text: str, bibtex: bool) -> str:
    if not bibtex:
        return text
    return _BIBTEX_PLAIN.sub(lambda m: _BIBTEX_PLAIN_MAP[m.group()], text)


def tex_to_text(text: str, *, bibtex: bool = True) -> str:
    """Plain Unicode text (NFC) for a value with TeX in it.

    ``bibtex`` (a BibTeX value) also undoes grouping braces, ``~`` ties, ``--``
    dashes and TeX quotes; arXiv metadata keeps those as typed.
    """
    if not text or not any(c in text for c in ("\\{}$~-`'" if bibtex else "\\$")):
        return text
    out: list[str] = []
    pos = 0
    for start, end in _islands(text):
        out.append(_plain(text[pos:start], bibtex))
        out.append(_decode(text[start:end]))
        pos = end
    out.append(_plain(text[pos:], bibtex))
    return unicodedata.normalize("NFC", "".join(out))


def metadata_to_text(text: str | None) -> str | None:
    """:func:`tex_to_text` for arXiv metadata (accents, escapes, math; braces kept)."""
    return tex_to_text(text, bibtex=False) if text else text
