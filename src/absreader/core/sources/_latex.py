"""TeX markup as found in BibTeX fields, turned into plain Unicode text.

Handles accents in every spelling (``{\\"o}``, ``\\"{o}``, ``\\'e``, ``\\c{c}``,
``\\v s``), named letters and symbols (``{\\ss}``, ``\\o``, ``\\&``, ``\\textendash``),
formatting commands whose argument is the text (``\\textit{x}`` -> ``x``),
a few math symbols and Greek letters, ``--``/``---`` dashes, ``~`` and TeX
quotes. Braces and ``$`` disappear; unknown commands are dropped, their
arguments kept. One linear pass, no recursion: safe on hostile input.
"""

from __future__ import annotations

import re
import unicodedata

_ACCENTS = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "c": "\u0327",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
    "t": "\u0361",
}

_GREEK = (
    "alpha α beta β gamma γ delta δ epsilon ϵ varepsilon ε zeta ζ eta η theta θ vartheta ϑ "
    "iota ι kappa κ lambda λ mu μ nu ν xi ξ pi π varpi ϖ rho ρ varrho ϱ sigma σ varsigma ς "
    "tau τ upsilon υ phi ϕ varphi φ chi χ psi ψ omega ω Gamma Γ Delta Δ Theta Θ Lambda Λ "
    "Xi Ξ Pi Π Sigma Σ Upsilon Υ Phi Φ Psi Ψ Omega Ω"
)
_SYMBOLS: dict[str, str] = dict(zip(_GREEK.split()[::2], _GREEK.split()[1::2], strict=True))
_SYMBOLS.update(
    {
        "ss": "ß",
        "SS": "SS",
        "o": "ø",
        "O": "Ø",
        "ae": "æ",
        "AE": "Æ",
        "oe": "œ",
        "OE": "Œ",
        "aa": "å",
        "AA": "Å",
        "l": "ł",
        "L": "Ł",
        "i": "ı",
        "j": "ȷ",
        "dh": "ð",
        "DH": "Ð",
        "th": "þ",
        "TH": "Þ",
        "ng": "ŋ",
        "NG": "Ŋ",
        "dj": "đ",
        "DJ": "Đ",
        "textendash": "–",
        "textemdash": "—",
        "ldots": "…",
        "dots": "…",
        "textellipsis": "…",
        "S": "§",
        "P": "¶",
        "copyright": "©",
        "textcopyright": "©",
        "pounds": "£",
        "textsterling": "£",
        "euro": "€",
        "texteuro": "€",
        "textregistered": "®",
        "texttrademark": "™",
        "textdegree": "°",
        "degree": "°",
        "textbackslash": "\\",
        "textasciitilde": "~",
        "textasciicircum": "^",
        "textless": "<",
        "textgreater": ">",
        "textbar": "|",
        "textunderscore": "_",
        "textquoteleft": "‘",
        "textquoteright": "’",
        "textquotedblleft": "“",
        "textquotedblright": "”",
        "textquotesingle": "'",
        "textquotedbl": '"',
        "guillemotleft": "«",
        "guillemotright": "»",
        "textbullet": "•",
        "dag": "†",
        "ddag": "‡",
        "textperiodcentered": "·",
        "textmu": "µ",
        "textpm": "±",
        "texttimes": "×",
        "LaTeX": "LaTeX",
        "LaTeXe": "LaTeX2e",
        "TeX": "TeX",
        "BibTeX": "BibTeX",
        "infty": "∞",
        "times": "×",
        "pm": "±",
        "mp": "∓",
        "leq": "≤",
        "le": "≤",
        "geq": "≥",
        "ge": "≥",
        "neq": "≠",
        "ne": "≠",
        "approx": "≈",
        "sim": "∼",
        "simeq": "≃",
        "equiv": "≡",
        "propto": "∝",
        "cdot": "·",
        "cdots": "⋯",
        "rightarrow": "→",
        "to": "→",
        "leftarrow": "←",
        "Rightarrow": "⇒",
        "leftrightarrow": "↔",
        "ell": "ℓ",
        "hbar": "ℏ",
        "partial": "∂",
        "nabla": "∇",
        "sum": "∑",
        "prod": "∏",
        "int": "∫",
        "sqrt": "√",
        "circ": "∘",
        "in": "∈",
        "subset": "⊂",
        "cup": "∪",
        "cap": "∩",
        "forall": "∀",
        "exists": "∃",
        "emptyset": "∅",
        "langle": "⟨",
        "rangle": "⟩",
        "quad": " ",
        "qquad": " ",
        "par": " ",
        "newline": " ",
    }
)
_OPERATORS = {"log", "ln", "exp", "sin", "cos", "tan", "max", "min", "lim", "sup", "inf", "det"}
# Commands whose first argument is not text (it is dropped with them).
_DROP_ARGUMENT = {
    "noopsort",
    "hspace",
    "vspace",
    "label",
    "cite",
    "citep",
    "citet",
    "ref",
    "eqref",
    "thanks",
    "color",
    "textcolor",
    "href",
    "footnote",
}
_ESCAPED = {
    "&": "&",
    "%": "%",
    "$": "$",
    "#": "#",
    "_": "_",
    "{": "{",
    "}": "}",
    " ": " ",
    "\n": " ",
    "\t": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    "!": "",
    "-": "",
    "/": "",
    "@": "",
    "\\": " ",
}

_TOKEN = re.compile(
    r"""
    \\(?P<accent>["'`^~=.])\s*
        (?:\{\s*(?P<abody>\\[ij](?![A-Za-z])|[^{}\\\s]?)\s*\}|(?P<achar>\\[ij](?![A-Za-z])|[A-Za-z]))?
    | \\(?P<laccent>[cuvHkrdbt])
        (?:\s*\{\s*(?P<lbody>\\[ij](?![A-Za-z])|[^{}\\\s]{0,2})\s*\}|\s+(?P<lchar>[A-Za-z]))
    | \\(?P<name>[A-Za-z]+)\*?(?P<space>[ \t\n]*)
    | \\(?P<sym>.)
    | (?P<dash>---?)
    | (?P<quote>``|'')
    | (?P<special>[~$`{}\\])
    """,
    re.VERBOSE | re.DOTALL,
)


def _accented(base: str, accent: str) -> str:
    if base in ("\\i", "\\j"):
        base = base[1]
    if not base:
        return accent if accent in "^~" else ""  # \^{} is a literal caret
    return base[0] + _ACCENTS[accent] + base[1:]


def _skip_group(text: str, pos: int) -> int:
    """The position after the balanced ``{...}`` starting at ``pos`` (after blanks)."""
    while pos < len(text) and text[pos] in " \t\n":
        pos += 1
    if pos >= len(text) or text[pos] != "{":
        return pos
    depth = 0
    for index in range(pos, min(len(text), pos + 4096)):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return pos  # unbalanced or huge: leave it for the brace remover


def _replace(match: re.Match[str], text: str) -> tuple[str, int]:
    """The text for one token and where scanning resumes."""
    end = match.end()
    if match.group("accent"):
        base = match.group("abody") or match.group("achar") or ""
        return _accented(base, match.group("accent")), end
    if match.group("laccent"):
        base = match.group("lbody") or match.group("lchar") or ""
        return _accented(base, match.group("laccent")), end
    name = match.group("name")
    if name is not None:
        if name in _DROP_ARGUMENT:
            return "", _skip_group(text, end)
        if name in _OPERATORS:
            return name + (" " if match.group("space") else ""), end
        return _SYMBOLS.get(name, ""), end
    sym = match.group("sym")
    if sym is not None:
        return _ESCAPED.get(sym, sym), end
    dash = match.group("dash")
    if dash:
        return ("—" if dash == "---" else "–"), end
    quote = match.group("quote")
    if quote:
        return ("“" if quote == "``" else "”"), end
    special = match.group("special")
    return {"~": " ", "`": "‘"}.get(special, ""), end


def tex_to_text(text: str) -> str:
    """Plain Unicode text (NFC) for a TeX-marked-up BibTeX value."""
    if not any(c in text for c in "\\{}$~-`'"):
        return text
    out: list[str] = []
    pos = 0
    while True:
        match = _TOKEN.search(text, pos)
        if match is None:
            out.append(text[pos:])
            break
        out.append(text[pos : match.start()])
        replacement, pos = _replace(match, text)
        out.append(replacement)
    return unicodedata.normalize("NFC", "".join(out))
