"""Export writers: BibTeX, Markdown, the JSON backup, CSV and RIS, all streaming.

Every writer takes papers one at a time and writes each before reading the
next, so exporting the whole library never holds it twice. Every value passes
through :func:`absreader.core.clean.printable` first: no file can smuggle a
terminal escape sequence through an export.

Choices made here, so nobody has to rediscover them:

- **BibTeX** entries are ``@misc`` in arXiv's own style (``eprint``,
  ``archivePrefix = {arXiv}``, ``primaryClass``). The title is wrapped in one
  extra pair of braces so BibTeX and biblatex keep its capitalisation as
  written. LaTeX specials are escaped (``\\&``, ``\\%``, ``\\$``, ``\\#``,
  ``\\_``); backslash, braces, tilde and caret become ``\\textbackslash{}``,
  ``\\textbraceleft{}``, ``\\textbraceright{}``, ``\\textasciitilde{}`` and
  ``\\textasciicircum{}``, because BibTeX counts ``\\{`` as a brace and an odd
  one would unbalance the entry. Math in titles (``$x^2$``) is therefore
  printed literally, not typeset. Non-ASCII text stays UTF-8 (biber and
  Zotero read it). An ``@`` that opens a line is written ``{@}`` so parsers
  that look for entries at line starts do not see one inside an abstract.
  URLs and DOIs are not escaped (biblatex reads them verbatim); the few
  characters that would break the entry are percent-encoded. The personal
  note goes in ``annote``, which standard styles do not print, rather than
  ``note``, which would appear in the reference list. Tags become
  ``keywords`` (a comma inside a tag becomes a space: commas separate keywords).
- **Citation keys** are author + year + word (``beyer2024scaling``): the first
  author's last name without particles (``van``, ``de``), ASCII-folded,
  letters only; the year from ``published``, else from the arXiv id, else from
  ``updated``; the first title word that is not a stopword (for an untitled
  paper, the abstract's). No author gives ``anon``. Clashes get ``a``, ``b``,
  ... ``z``, ``aa``, ... appended.
- **Markdown** escapes titles, authors, tags and notes alike (a note may have
  come from an imported file too): no raw HTML, no links, no list or heading
  markers take effect. The note keeps its lines, inside a blockquote. More than
  five authors are shortened to three and "et al.".
- **JSON** is ``{"absreader_backup": 1, "exported", "saved_searches",
  "papers"}`` with each paper as :meth:`Paper.to_json`. Characters a terminal
  could act on are written as ``\\uXXXX`` escapes, so the backup stays lossless.
- **CSV** uses the csv module's default (RFC 4180, ``\\r\\n``) dialect; open the
  output with ``newline=""``. Lists are joined with ``"; "``. A cell that starts
  with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'`` so a spreadsheet
  shows it as text instead of running it as a formula (OWASP CSV injection);
  absreader's CSV import takes that ``'`` off again.
- **RIS** uses ``TY  - RPRT`` for arXiv papers, with ``PB  - arXiv`` and
  ``SN  - arXiv:ID``. Zotero's RIS translator maps RPRT to its Report type
  with arXiv as the institution and the id as the report number, which cites
  the way a preprint should; ``UNPB``, ``GEN`` and any type it does not know
  all become a Journal Article with no journal, and it has no RIS type for
  its Preprint item. Papers without an arXiv id are ``GEN``. Values are
  collapsed onto one line.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TextIO

from absreader.core.clean import fold, printable
from absreader.core.models import Paper, SavedSearch, TagInfo

FORMATS = ("bibtex", "markdown", "json", "csv", "ris")

CSV_COLUMNS = (
    "key", "arxiv_id", "title", "authors", "year", "published", "categories", "tags",
    "bookmarked", "read", "url", "doi", "note", "abstract",
)  # fmt: skip

# --------------------------------------------------------------------------- text


def _text(value: str | None) -> str:
    """Any value made safe for output (controls and escapes out, newlines kept)."""
    if not value:
        return ""
    # Fast path: everything printable() removes is non-printable to Python too.
    return value if value.isprintable() else printable(value)


def _line(value: str | None) -> str:
    """A value on one line: every run of whitespace (newlines too) becomes one space."""
    return " ".join(_text(value).split())


def _year(paper: Paper) -> str:
    """Four-digit year: published date, else the arXiv id, else the updated date."""
    match = re.match(r"\d{4}", paper.published or "")
    if match:
        return match.group()
    ident = paper.arxiv_id or ""
    if re.fullmatch(r"\d{4}\.\d{4,5}", ident):
        return "20" + ident[:2]  # new-style ids began in 2007 (0704.xxxx)
    match = re.fullmatch(r"[a-z][a-z.-]*/(\d\d)\d{5}", ident)
    if match:
        yy = int(match.group(1))
        return f"{1900 + yy if yy >= 91 else 2000 + yy}"  # arXiv opened in 1991
    match = re.match(r"\d{4}", paper.updated or "")
    return match.group() if match else ""


_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
# Lowercase particles that begin a last name ("van Beethoven", "de la Cruz").
_PARTICLES = frozenset({
    "af", "al", "av", "bin", "da", "das", "de", "degli", "dei", "del", "della", "der", "des",
    "di", "do", "dos", "du", "el", "ibn", "la", "le", "lo", "ten", "ter", "van", "von", "zu",
    "zum", "zur",
})  # fmt: skip


_MISREAD = re.compile(r"(?:^|\s)and(?:\s|$)|^others$", re.IGNORECASE)


def _corporate(name: str) -> bool:
    """Names BibTeX would misread unless braced: an "and" word, "others", 3+ commas."""
    return bool(_MISREAD.search(name)) or name.count(",") > 2


def _split_name(name: str) -> tuple[str, str, str]:
    """``(first, last, suffix)`` of a name written ``First Last`` or ``Last, First``.

    The last name keeps its particles (``Ludwig van Beethoven`` -> ``van
    Beethoven``). A single word, or a corporate name, is all last name.
    """
    name = _line(name)
    if _corporate(name):
        return "", name, ""
    if "," in name:
        parts = [part.strip() for part in name.split(",")]
        if len(parts) == 2:
            return parts[1], parts[0], ""
        return parts[2], parts[0], parts[1]
    tokens = name.split()
    suffix = ""
    if len(tokens) > 2 and tokens[-1].lower().rstrip(".") in _SUFFIXES:
        suffix = tokens.pop()
    if len(tokens) <= 1:
        return "", " ".join(tokens), suffix
    start = len(tokens) - 1
    for index in range(1, len(tokens) - 1):
        if tokens[index] in _PARTICLES:
            start = index
            break
    return " ".join(tokens[:start]), " ".join(tokens[start:]), suffix


# --------------------------------------------------------------------------- keys

# Letters NFKD does not decompose, so folding alone would drop them.
_TRANSLIT = str.maketrans(
    {"æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l",
     "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i", "ħ": "h"}
)  # fmt: skip

_STOPWORDS = frozenset({
    "a", "about", "above", "across", "after", "against", "along", "among", "an", "and", "any",
    "are", "as", "at", "be", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "could", "do", "does", "doing", "down", "during", "each", "for", "from", "had", "has",
    "have", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "more", "most", "no",
    "nor", "not", "of", "off", "on", "once", "only", "onto", "or", "our", "out", "over", "own",
    "same", "should", "so", "some", "such", "than", "that", "the", "their", "them", "then",
    "there", "these", "they", "this", "those", "through", "to", "too", "toward", "towards",
    "under", "until", "up", "upon", "us", "using", "versus", "very", "via", "vs", "was", "we",
    "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
    "within", "without", "would", "you", "your",
})  # fmt: skip


def _ascii_words(text: str) -> list[str]:
    """Lowercase ASCII letter runs of ``text``, LaTeX commands (``\\alpha``) dropped."""
    text = re.sub(r"\\[A-Za-z]+", " ", text)
    text = text.lower() if text.isascii() else fold(text.translate(_TRANSLIT))
    return re.findall(r"[a-z]+", text)


def _key_author(paper: Paper) -> str:
    for author in paper.authors:
        _, last, _ = _split_name(author)
        if _corporate(last):  # "Smith and Sons Lab": its first word
            last = last.split()[0]
        proper = [word for word in last.split() if word not in _PARTICLES] or last.split()
        letters = "".join(_ascii_words(" ".join(proper)))
        if letters:
            return letters
        if last:  # the first author's name has no Latin letters: "anon", not a co-author
            break
    return "anon"


def _key_word(paper: Paper) -> str:
    text = paper.title if paper.title and not paper.untitled else paper.abstract
    for word in _ascii_words(text or ""):
        if len(word) > 1 and word not in _STOPWORDS:
            return word
    return ""


def _key_base(paper: Paper) -> str:
    return f"{_key_author(paper)}{_year(paper)}{_key_word(paper)}"


def _suffix(number: int) -> str:
    """1 -> a, 26 -> z, 27 -> aa: the letters appended to a clashing key."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _unique(base: str, taken: set[str], counters: dict[str, int]) -> str:
    key = base
    number = counters.get(base, 0)
    while key in taken:
        number += 1
        key = base + _suffix(number)
    counters[base] = number
    taken.add(key)
    return key


def citation_key(paper: Paper, taken: set[str]) -> str:
    """An author-year-word key (``beyer2024scaling``) not in ``taken``; adds it to ``taken``."""
    return _unique(_key_base(paper), taken, {})


# --------------------------------------------------------------------------- BibTeX

_TEX = str.maketrans(
    {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
     "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
     "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
)  # fmt: skip
_LINE_START_AT = re.compile(r"^([ ]*)@", re.MULTILINE)


def _tex(text: str) -> str:
    """LaTeX-escape text for a braced BibTeX value; braces always balance."""
    text = text.translate(_TEX)
    return _LINE_START_AT.sub(r"\1{@}", text) if "@" in text else text


def _tex_block(text: str | None) -> str:
    """A multi-line value (abstract, note): lines kept, blank-line runs collapsed."""
    text = _text(text)
    if "\n" not in text:
        return _tex(" ".join(text.split()))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return _tex(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip())


_VERBATIM = str.maketrans({char: f"%{ord(char):02X}" for char in ' "{}\\'})


def _verbatim(text: str | None) -> str:
    """A URL or DOI for BibTeX: left as is but for characters that break a value."""
    return _line(text).translate(_VERBATIM)


def _bib_name(name: str) -> str:
    value = _tex(_line(name))
    return "{" + value + "}" if _corporate(value) else value


def to_bibtex_entry(paper: Paper, key: str) -> str:
    """One ``@misc`` entry for ``paper`` under ``key``, ending with a newline."""
    key = re.sub(r"[^A-Za-z0-9_:.+/-]", "", key) or "anon"
    fields: list[tuple[str, str]] = []
    title = _line(paper.title) if not paper.untitled else ""
    if title:
        fields.append(("title", "{" + _tex(title) + "}"))
    names = [_bib_name(name) for name in paper.authors if _line(name)]
    if names:
        fields.append(("author", " and ".join(names)))
    year = _year(paper)
    if year:
        fields.append(("year", year))
    if paper.arxiv_id:
        fields.append(("eprint", _verbatim(paper.arxiv_id)))
        fields.append(("archivePrefix", "arXiv"))
        primary = _line(paper.categories[0]) if paper.categories else ""
        if not primary and "/" in paper.arxiv_id:
            primary = paper.arxiv_id.split("/")[0]  # old-style ids name the archive
        if primary:
            fields.append(("primaryClass", _tex(primary)))
    if paper.abs_url:
        fields.append(("url", _verbatim(paper.abs_url)))
    if paper.doi:
        fields.append(("doi", _verbatim(paper.doi)))
    abstract = _tex_block(paper.abstract)
    if abstract:
        fields.append(("abstract", abstract))
    tags = [_tex(_line(tag.replace(",", " "))) for tag in paper.tags]
    if any(tags):
        fields.append(("keywords", ", ".join(tag for tag in tags if tag)))
    note = _tex_block(paper.note)
    if note:
        fields.append(("annote", note))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


def _write_bibtex(papers: Iterable[Paper], out: TextIO, title: str | None, **_: object) -> int:
    heading = _line(title).replace("@", " ")
    if heading:
        out.write(f"% {heading}\n\n")
    return _write_keyed(papers, out, to_bibtex_entry)


# --------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#~$&|])")
_MD_BLOCK_START = re.compile(r"^(\d+)([.)])|^([-+*=])")


def _md(text: str) -> str:
    """Inline text from a file, escaped so Markdown shows it literally."""
    return _MD_SPECIAL.sub(r"\\\1", _line(text))


def _md_block_line(text: str) -> str:
    """One line of a note, escaped like a title: no raw HTML, links, lists or headings."""
    return _MD_BLOCK_START.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], _md(text))


_MD_URL = str.maketrans({char: f"%{ord(char):02X}" for char in " ()<>"})


def _md_url(url: str) -> str:
    return _line(url).translate(_MD_URL)


def _display_name(name: str) -> str:
    """``Last, First`` turned round to ``First Last`` so a list of names reads right."""
    if "," not in name:
        return _line(name)
    first, last, suffix = _split_name(name)
    return " ".join(part for part in (first, last) if part) + (f", {suffix}" if suffix else "")


def _md_authors(authors: Sequence[str]) -> str:
    names = [_md(_display_name(name)) for name in authors if _line(name)]
    if len(names) > 5:
        return ", ".join(names[:3]) + " et al."
    return ", ".join(names)


def _markdown_item(paper: Paper) -> str:
    text = "" if paper.untitled else _md(paper.title)
    text = text or _md(paper.display_title) or "(untitled)"
    if paper.abs_url:
        head = f"[{text}]({_md_url(paper.abs_url)})"
    else:  # keep "1986. A year" from turning into an ordered list
        head = _MD_BLOCK_START.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], text)
    line = f"- {head}"
    authors = _md_authors(paper.authors)
    if authors:
        line += f" — {authors}"
    year = _year(paper)
    if year:
        line += f" ({year})"
    lines = [line]
    meta = []
    if paper.arxiv_id:
        meta.append(f"arXiv:{_md(paper.arxiv_id)}")
    categories = ", ".join(_md(c) for c in paper.categories if _line(c))
    if categories:
        meta.append(categories)
    if meta:
        lines.append("  - " + " · ".join(meta))
    tags = ", ".join(_md(tag) for tag in paper.tags if _line(tag))
    if tags:
        lines.append(f"  - Tags: {tags}")
    note = _text(paper.note).strip()
    if note:
        lines.append("  - Note:")
        lines.extend(f"    > {_md_block_line(row)}".rstrip() for row in note.split("\n"))
    return "\n".join(lines) + "\n"


def _write_markdown(papers: Iterable[Paper], out: TextIO, title: str | None, **_: object) -> int:
    if _line(title):
        out.write(f"# {_md(title or '')}\n\n")
    count = 0
    for paper in papers:
        out.write(_markdown_item(paper))
        count += 1
    return count


# --------------------------------------------------------------------------- JSON

# json.dumps escapes C0 controls; these it would leave raw with ensure_ascii=False.
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\u061c\ufeff"
    "\ufff9-\ufffb\ud800-\udfff]"
)


def _json(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    if text.isprintable():  # the usual case: nothing to escape
        return text
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _write_json(
    papers: Iterable[Paper],
    out: TextIO,
    saved_searches: Sequence[SavedSearch],
    tags: Sequence[TagInfo] = (),
    **_: object,
) -> int:
    exported = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    searches = [{"name": s.name, "query": s.query} for s in saved_searches]
    out.write('{"absreader_backup": 1, "exported": ' + _json(exported))
    out.write(', "saved_searches": ' + _json(searches))
    # Every reading list by name, so lists with no papers yet survive a restore.
    out.write(', "tags": ' + _json([t.name for t in tags]) + ', "papers": [')
    count = 0
    for paper in papers:
        out.write(",\n" if count else "\n")
        out.write(_json(paper.to_json()))
        count += 1
    out.write("\n]}\n")
    return count


# --------------------------------------------------------------------------- CSV


#: What a spreadsheet takes for the start of a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text: a formula start gets a leading ``'``."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_row(paper: Paper) -> list[str]:
    def joined(values: Iterable[str]) -> str:
        return "; ".join(v for v in map(_line, values) if v)

    return [
        _line(paper.key),
        _line(paper.arxiv_id),
        "" if paper.untitled else _line(paper.title),
        joined(paper.authors),
        _year(paper),
        _line(paper.published),
        joined(paper.categories),
        joined(paper.tags),
        "true" if paper.bookmarked else "false",
        "true" if paper.read else "false",
        _line(paper.abs_url),
        _line(paper.doi),
        _text(paper.note),
        _text(paper.abstract),
    ]


def _write_csv(papers: Iterable[Paper], out: TextIO, **_: object) -> int:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for paper in papers:
        writer.writerow([_cell(value) for value in _csv_row(paper)])
        count += 1
    return count


# --------------------------------------------------------------------------- RIS


def _ris_name(name: str) -> str:
    first, last, suffix = _split_name(name)
    return ", ".join(part for part in (last, first, suffix) if part)


def _ris_record(paper: Paper, key: str) -> str:
    rows: list[tuple[str, str]] = [("TY", "RPRT" if paper.arxiv_id else "GEN"), ("ID", key)]
    if not paper.untitled:
        rows.append(("TI", _line(paper.title)))
    rows.extend(("AU", _ris_name(name)) for name in paper.authors)
    rows.append(("PY", _year(paper)))
    published = _line(paper.published)
    if re.fullmatch(r"\d{4}(-\d\d){0,2}", published):
        rows.append(("DA", published.replace("-", "/")))
    rows.append(("AB", _line(paper.abstract)))
    if paper.arxiv_id:
        rows.append(("PB", "arXiv"))
        rows.append(("SN", f"arXiv:{_line(paper.arxiv_id)}"))
    rows.append(("UR", _line(paper.abs_url)))
    rows.append(("DO", _line(paper.doi)))
    rows.extend(("KW", _line(tag)) for tag in paper.tags)
    rows.append(("N1", _line(paper.note)))
    lines = [f"{tag}  - {value}" for tag, value in rows if value]
    return "\n".join(lines) + "\nER  - \n"


def _write_ris(papers: Iterable[Paper], out: TextIO, **_: object) -> int:
    return _write_keyed(papers, out, _ris_record)


def _write_keyed(
    papers: Iterable[Paper], out: TextIO, render: Callable[[Paper, str], str]
) -> int:
    """Write one record per paper, each under a citation key unique in this export."""
    taken: set[str] = set()
    counters: dict[str, int] = {}
    count = 0
    for paper in papers:
        if count:
            out.write("\n")
        out.write(render(paper, _unique(_key_base(paper), taken, counters)))
        count += 1
    return count


# --------------------------------------------------------------------------- entry point

_WRITERS: dict[str, Callable[..., int]] = {
    "bibtex": _write_bibtex,
    "markdown": _write_markdown,
    "json": _write_json,
    "csv": _write_csv,
    "ris": _write_ris,
}


def write_export(
    papers: Iterable[Paper],
    fmt: str,
    out: TextIO,
    *,
    saved_searches: Sequence[SavedSearch] = (),
    tags: Sequence[TagInfo] = (),
    title: str | None = None,
) -> int:
    """Write ``papers`` to ``out`` in format ``fmt``; return how many were written.

    Papers are consumed one at a time. ``saved_searches`` go only into the
    JSON backup, as do ``tags`` (every reading list, including empty ones); ``title`` heads a Markdown list and a BibTeX file as a comment.
    Raises ValueError for a format not in :data:`FORMATS`.
    """
    writer = _WRITERS.get(fmt)
    if writer is None:
        raise ValueError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return writer(papers, out, saved_searches=saved_searches, tags=tags, title=title)
