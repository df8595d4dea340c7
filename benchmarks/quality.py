"""Search quality on an IR test collection: absreader's default search against references.

    python benchmarks/quality.py ../shared/testcollections/cisi
    python benchmarks/quality.py DIR --json

``DIR`` holds a collection in the CISI/Cranfield format: documents (``*.ALL``
or ``*.DOC``: ``.I`` id, ``.T`` title, ``.A`` authors, ``.W`` text; other
sections are ignored), queries (``*.QRY``: ``.I`` and ``.W``) and judgements
(``*.REL`` or ``*qrel*``: ``query doc [grade ...]`` or TREC ``query Q0 doc
grade``). Grades are gains for nDCG; when every judgement carries the same
grade (CISI's are all 0) each judged document has gain 1. ``--lower-is-better``
reads grades as ranks (Cranfield's 1 = most relevant).

In one run and over the same documents it scores:

* **absreader**: the documents imported as papers (title, abstract, authors),
  indexed by :class:`absreader.core.search.index.SearchIndex`, and each query's text
  searched exactly as typed, as the command line does (``as_you_type=False``)
  and as the reader does while typing (``as_you_type=True``).
* **Whoosh BM25F OR**: a plain Whoosh index (stemming analyser, title and
  abstract) searched with ``MultifieldParser(..., group=OrGroup)`` over the
  query's words (punctuation removed, so Whoosh's syntax does not misread it).
* **SQLite FTS5 bm25() OR**: an FTS5 table (``porter unicode61``) queried with
  the words joined by ``OR``, ordered by ``bm25()``.

For each: nDCG@10 (graded gains), MAP, P@10 and R@100 over the judged queries
(a ranking of up to 1,000 documents), the share of queries with no result, and
the median and 95th-percentile CPU time per query. It reports; it never asserts.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from absreader.core.models import Paper  # noqa: E402
from absreader.core.search.index import SearchIndex  # noqa: E402

DEPTH = 1000
_SECTION = re.compile(r"^\.([A-Z])\b\s*(.*)$")


@dataclass
class Doc:
    """One document of the collection."""

    ident: str
    title: str = ""
    authors: list[str] = field(default_factory=list)
    text: str = ""


@dataclass
class Collection:
    """Documents, queries and graded judgements (query id -> doc id -> gain)."""

    docs: list[Doc]
    queries: dict[str, str]
    qrels: dict[str, dict[str, float]]


def _sections(path: Path) -> list[dict[str, list[str]]]:
    """``.I``-delimited records, each a dict of section letter -> lines."""
    records: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    section = ""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _SECTION.match(line)
        if match:
            section = match.group(1)
            if section == "I":
                current = {"I": [match.group(2).strip()]}
                records.append(current)
                continue
            if current is not None:
                current.setdefault(section, [])
                if match.group(2).strip():
                    current[section].append(match.group(2))
            continue
        if current is not None and section:
            current.setdefault(section, []).append(line)
    return records


def _find(folder: Path, patterns: tuple[str, ...]) -> Path:
    for pattern in patterns:
        found = sorted(p for p in folder.iterdir() if re.search(pattern, p.name, re.I))
        if found:
            return found[0]
    raise SystemExit(f"{folder}: no file matching {' or '.join(patterns)}")


def load_collection(folder: Path, lower_is_better: bool = False) -> Collection:
    """Read a CISI/Cranfield-format collection from ``folder``."""
    docs = []
    for rec in _sections(_find(folder, (r"\.all$", r"\.doc$", r"docs?"))):
        docs.append(
            Doc(
                rec["I"][0],
                " ".join(" ".join(rec.get("T", [])).split()),
                [a.strip() for a in rec.get("A", []) if a.strip()],
                " ".join(" ".join(rec.get("W", [])).split()),
            )
        )
    queries = {
        rec["I"][0]: " ".join(" ".join(rec.get("W", [])).split())
        for rec in _sections(_find(folder, (r"\.qry$", r"quer")))
    }
    raw: list[tuple[str, str, float]] = []
    for line in _find(folder, (r"\.rel$", r"qrel")).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 4 and not _is_number(parts[1]):  # TREC: qid Q0 doc grade
            raw.append((parts[0], parts[2], float(parts[3])))
        elif len(parts) >= 2:
            raw.append((parts[0], parts[1], float(parts[2]) if len(parts) > 2 else 1.0))
    grades = {g for _, _, g in raw}
    qrels: dict[str, dict[str, float]] = {}
    top = max(grades, default=1.0)
    for qid, doc, grade in raw:
        if len(grades) == 1:
            gain = 1.0
        elif lower_is_better:
            gain = top + 1 - grade if grade > 0 else 0.0
        else:
            gain = grade
        if gain > 0:
            qrels.setdefault(_norm_id(qid), {})[_norm_id(doc)] = gain
    queries = {_norm_id(k): v for k, v in queries.items()}
    for doc in docs:
        doc.ident = _norm_id(doc.ident)
    return Collection(docs, queries, qrels)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _norm_id(text: str) -> str:
    return text.lstrip("0") or "0" if text.isdigit() else text


# ---------------------------------------------------------------- metrics


def ndcg(ranked: list[str], gains: dict[str, float], k: int = 10) -> float:
    """Normalised discounted cumulative gain at ``k`` (gain / log2(rank + 1))."""
    dcg = sum(gains.get(d, 0.0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    best = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def average_precision(ranked: list[str], gains: dict[str, float]) -> float:
    """Mean of the precision at each relevant document, over all relevant ones."""
    found, total = 0, 0.0
    for i, d in enumerate(ranked):
        if d in gains:
            found += 1
            total += found / (i + 1)
    return total / len(gains) if gains else 0.0


def score_run(runs: dict[str, list[str]], cpu: list[float], qrels: dict[str, dict[str, float]]) -> dict[str, float]:
    """The figures of one system over the judged queries."""
    judged = [q for q in runs if q in qrels]
    n = len(judged) or 1

    def mean(fn: Callable[[str], float]) -> float:
        return sum(fn(q) for q in judged) / n

    cpu_sorted = sorted(cpu)
    return {
        "ndcg10": mean(lambda q: ndcg(runs[q], qrels[q])),
        "map": mean(lambda q: average_precision(runs[q], qrels[q])),
        "p10": mean(lambda q: sum(1 for d in runs[q][:10] if d in qrels[q]) / 10),
        "r100": mean(lambda q: sum(1 for d in runs[q][:100] if d in qrels[q]) / len(qrels[q])),
        "zero": sum(1 for q in judged if not runs[q]) / n,
        "cpu_median_ms": statistics.median(cpu_sorted) * 1000 if cpu else 0.0,
        "cpu_p95_ms": cpu_sorted[min(len(cpu) - 1, int(0.95 * len(cpu)))] * 1000 if cpu else 0.0,
        "queries": len(judged),
    }


def _timed(queries: dict[str, str], fn: Callable[[str], list[str]]) -> tuple[dict[str, list[str]], list[float]]:
    runs, cpu = {}, []
    fn(next(iter(queries.values()), "warm up"))  # warm-up, not counted
    for qid, text in queries.items():
        start = time.process_time()
        runs[qid] = fn(text)
        cpu.append(time.process_time() - start)
    return runs, cpu


# ---------------------------------------------------------------- systems


def absreader_index(coll: Collection, folder: Path) -> SearchIndex:
    """The collection as absreader papers, in a fresh index."""
    papers = [
        Paper(
            key=f"doc{d.ident}",
            title=d.title,
            display_title=d.title or d.text[:60],
            untitled=not d.title,
            abstract=d.text,
            authors=tuple(d.authors),
        )
        for d in coll.docs
    ]
    index = SearchIndex(folder / "index")
    for _ in index.build(iter(papers), len(papers), seq=1):
        pass
    return index


def run_absreader(index: SearchIndex, as_you_type: bool) -> Callable[[str], list[str]]:
    def search(text: str) -> list[str]:
        result = index.search(text, limit=DEPTH, as_you_type=as_you_type)
        return [h.key[3:] for h in result.hits]

    return search


def _plain_words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text))


def run_whoosh(coll: Collection, folder: Path) -> Callable[[str], list[str]]:
    """Plain Whoosh: BM25F over title and abstract, the words OR-ed."""
    from whoosh import fields, index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.qparser import MultifieldParser, OrGroup

    schema = fields.Schema(
        ident=fields.ID(stored=True),
        title=fields.TEXT(analyzer=StemmingAnalyzer()),
        abstract=fields.TEXT(analyzer=StemmingAnalyzer()),
    )
    ix = index.create_in(str(folder), schema)
    with ix.writer() as w:
        for d in coll.docs:
            w.add_document(ident=d.ident, title=d.title, abstract=d.text)
    parser = MultifieldParser(["title", "abstract"], schema, group=OrGroup)
    searcher = ix.searcher()

    def search(text: str) -> list[str]:
        q = parser.parse(_plain_words(text))
        return [hit["ident"] for hit in searcher.search(q, limit=DEPTH)]

    return search


def run_fts5(coll: Collection) -> Callable[[str], list[str]]:
    """SQLite FTS5 with the porter tokenizer, the words OR-ed, ordered by bm25()."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE d USING fts5(ident UNINDEXED, title, abstract, tokenize='porter unicode61')")
    db.executemany("INSERT INTO d VALUES (?, ?, ?)", [(d.ident, d.title, d.text) for d in coll.docs])

    def search(text: str) -> list[str]:
        words = re.findall(r"\w+", text.lower())
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        rows = db.execute(
            "SELECT ident FROM d WHERE d MATCH ? ORDER BY bm25(d) LIMIT ?", (match, DEPTH)
        )
        return [r[0] for r in rows]

    return search


def evaluate(folder: Path, lower_is_better: bool = False) -> dict[str, Any]:
    """Every system's figures on the collection in ``folder``."""
    coll = load_collection(folder, lower_is_better)
    queries = {q: t for q, t in coll.queries.items() if q in coll.qrels}
    out: dict[str, Any] = {
        "collection": folder.name,
        "documents": len(coll.docs),
        "queries": len(queries),
        "systems": {},
    }
    with tempfile.TemporaryDirectory(prefix="absreader-quality-") as tmp:
        index = absreader_index(coll, Path(tmp))
        systems: list[tuple[str, Callable[[str], list[str]]]] = [
            ("absreader (search)", run_absreader(index, False)),
            ("absreader (as you type)", run_absreader(index, True)),
        ]
        whoosh_dir = Path(tmp) / "whoosh"
        whoosh_dir.mkdir()
        systems.append(("Whoosh BM25F OR", run_whoosh(coll, whoosh_dir)))
        systems.append(("SQLite FTS5 bm25() OR", run_fts5(coll)))
        for name, fn in systems:
            runs, cpu = _timed(queries, fn)
            out["systems"][name] = score_run(runs, cpu, coll.qrels)
        index.close()
    return out


def table(report: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    lines = [
        f"{report['collection']}: {report['documents']:,} documents, {report['queries']} judged queries",
        "",
        "| System | nDCG@10 | MAP | P@10 | R@100 | zero results | CPU median | CPU p95 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, f in report["systems"].items():
        lines.append(
            f"| {name} | {f['ndcg10']:.3f} | {f['map']:.3f} | {f['p10']:.3f} | {f['r100']:.3f} "
            f"| {f['zero']:.0%} | {f['cpu_median_ms']:.1f} ms | {f['cpu_p95_ms']:.1f} ms |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("collection", type=Path, help="folder with the .ALL, .QRY and .REL files")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--lower-is-better", action="store_true", help="grades are ranks (1 = most relevant)"
    )
    args = parser.parse_args(argv)
    report = evaluate(args.collection, args.lower_is_better)
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
