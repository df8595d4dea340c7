"""Commands that do not search start without loading Whoosh (it costs ~130 ms of CPU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

KEY = "2403.13043"

# Run one command in a fresh interpreter, then report which search modules it loaded.
PROBE = (
    "import sys, json\n"
    "from absreader.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "loaded = sorted(m for m in sys.modules if m == 'whoosh' or m.startswith('whoosh.'))\n"
    "sys.stderr.write('PROBE ' + json.dumps({'code': code, 'whoosh': loaded[:5]}) + '\\n')\n"
)


def _probe(home: Path, *args: str) -> dict:
    env = dict(os.environ, ABSREADER_HOME=str(home))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=120
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("PROBE ")]
    assert lines, done.stderr
    return json.loads(lines[-1].removeprefix("PROBE "))


@pytest.mark.parametrize(
    "args",
    [
        ("stats",),
        ("stats", "--json"),
        ("list",),
        ("list", "--json"),
        ("show", KEY),
        ("tags",),
        ("export", "--all", "--format", "bibtex", "--output", "{home}/out.bib"),
    ],
)
def test_command_does_not_load_whoosh(sample_home: Path, args: tuple[str, ...]) -> None:
    args = tuple(a.format(home=sample_home) for a in args)
    result = _probe(sample_home, *args)
    assert result["code"] == 0
    assert result["whoosh"] == []


def test_stats_reports_a_built_index_without_whoosh(sample_home: Path) -> None:
    env = dict(os.environ, ABSREADER_HOME=str(sample_home))
    done = subprocess.run(
        [sys.executable, "-m", "absreader", "stats", "--json"], capture_output=True, text=True, env=env
    )
    assert json.loads(done.stdout)["index"] == "ok"


def test_stats_sees_an_interrupted_build(sample_home: Path) -> None:
    index_dir = sample_home / "cache" / "index"
    current = (index_dir / "CURRENT").read_text().strip()
    meta = json.loads((index_dir / current / "meta.json").read_text())
    meta["complete"] = False
    (index_dir / current / "meta.json").write_text(json.dumps(meta))
    env = dict(os.environ, ABSREADER_HOME=str(sample_home))
    done = subprocess.run(
        [sys.executable, "-m", "absreader", "stats", "--json"], capture_output=True, text=True, env=env
    )
    assert json.loads(done.stdout)["index"] == "incomplete"


def test_search_still_loads_the_index(sample_home: Path) -> None:
    result = _probe(sample_home, "search", "vision")
    assert result["code"] == 0
    assert result["whoosh"]
