"""Which records become one paper, seen where the user looks: `absreader list --json`.

Same arXiv id is one paper; the same title is one paper only when the abstracts
agree too (or one side has none): real collections reuse titles ("Erratum",
"Note on creep buckling of columns") on different papers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def _collection(name: str) -> Path | None:
    """A shared test collection (beside the checkout in CI, or in the workplace's shared/)."""
    for shared in [parent / "shared" for parent in ROOT.parents][:3]:
        folder = shared / "testcollections" / name
        if folder.is_dir():
            return folder
    return None


def test_same_title_different_abstracts_stay_apart(cli) -> None:
    result = cli("import", FIXTURES / "same-titles.jsonl", "--json")
    assert result.code == 0, result.err
    papers = json.loads(cli("list", "--json").out)
    titles = sorted(p["title"] for p in papers)
    # Two errata and two creep-buckling notes: four papers. The reply without an
    # abstract joins its twin; the two scrapes of one abstract are one paper.
    assert len(papers) == 6, titles
    assert titles.count("Erratum") == 2
    assert sum(t.lower().startswith("note on creep") for t in titles) == 2
    reply = [p for p in papers if p["title"].lower().startswith("reply to comment")]
    assert len(reply) == 1 and reply[0]["authors"] == ["E. Replier"]
    assert "embedding parameters" in reply[0]["abstract"]
    assert sum(t.lower() == "a study of glued scrapes" for t in titles) == 1


def test_sample_data_cross_file_merges_still_happen(cli) -> None:
    result = cli("import", SAMPLE, "--json")
    assert result.code == 0, result.err
    by_name = {Path(r["path"]).name: r for r in result.json()}
    # The dump's three entries that a listing page also has are merged into those papers.
    assert by_name["dataset-viewer-arxiv-abstracts.txt"]["merged"] == 3
    assert cli("stats", "--json").json()["papers"] == 650


def _cisi_documents(path: Path) -> list[dict]:
    """CISI.ALL (`.I n`, then `.T` title, `.A` authors, `.W` abstract, `.X` links)."""
    text = path.read_text(encoding="latin-1")
    docs = []
    for chunk in re.split(r"^\.I ", text, flags=re.MULTILINE)[1:]:
        number, _, rest = chunk.partition("\n")
        fields: dict[str, list[str]] = {}
        current = None
        for line in rest.split("\n"):
            mark = re.fullmatch(r"\.([TAWXB])\s*", line)
            if mark:
                current = mark.group(1)
                fields.setdefault(current, [])
            elif current:
                fields[current].append(line)
        docs.append({
            "number": int(number),
            "title": " ".join(" ".join(fields.get("T", [])).split()),
            "abstract": " ".join(" ".join(fields.get("W", [])).split()),
            "authors": [a.strip() for a in fields.get("A", []) if a.strip()],
        })
    return docs


@pytest.fixture(scope="module")
def cisi() -> list[dict]:
    folder = _collection("cisi")
    if folder is None:
        pytest.skip("the CISI test collection is not beside this checkout")
    return _cisi_documents(folder / "CISI.ALL")


def test_cisi_titles_shared_by_different_papers_stay_apart(cli, tmp_path: Path, cisi) -> None:
    assert len(cisi) == 1460
    lines = [json.dumps({k: d[k] for k in ("title", "abstract", "authors")}) for d in cisi]
    source = tmp_path / "cisi.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli("import", source).code == 0
    papers = json.loads(cli("list", "--json", "--limit", "5000").out)
    held = {(p["title"], p["abstract"]) for p in papers}
    # Every document is in the library as itself (title and abstract), whatever it shares.
    missing = [d["number"] for d in cisi if (d["title"], d["abstract"]) not in held]
    # Only CISI's own repeats are one paper: the same title over the same abstract
    # (documents 5/945, 234/1440, 458/538, 1084/1447), or an abstract that is another's
    # with a sentence added in front (175/179).
    assert len(papers) == 1455, len(papers)
    assert len(missing) <= 5, missing
