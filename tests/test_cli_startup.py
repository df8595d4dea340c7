"""Commands that do not search start without loading Whoosh (it costs ~130 ms of CPU).

Commands that change a paper (bookmark, read, note, tag...) commit to the
library and leave the index behind; the next search, in the command line or
in a reader that has the index open, takes the change in before answering.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli_process

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


@pytest.mark.parametrize(
    "args",
    [
        ("bookmark", KEY),
        ("bookmark", KEY, "--off"),
        ("read", KEY),
        ("read", KEY, "--unread"),
        ("note", KEY, "a note"),
        ("tag", KEY, "later"),
        ("untag", KEY, "later"),
        ("edit", KEY, "--title", "A corrected title"),
        ("delete", KEY, "--yes"),
    ],
)
def test_command_that_changes_a_paper_does_not_load_whoosh(
    sample_home: Path, args: tuple[str, ...]
) -> None:
    result = _probe(sample_home, *args)
    assert result["code"] == 0
    assert result["whoosh"] == []


def _search_keys(home: Path, *query: str) -> list[str]:
    done = run_cli_process(home, "search", "--json", "--limit", "50", *query)
    assert done.returncode == 0, done.stderr
    return [hit["key"] for hit in json.loads(done.stdout)["results"]]


def test_the_next_search_finds_what_commands_changed(sample_home: Path) -> None:
    for args in (("tag", KEY, "zz-later"), ("bookmark", KEY), ("note", KEY, "quokkas everywhere")):
        assert run_cli_process(sample_home, *args).returncode == 0
    assert _search_keys(sample_home, "tag:zz-later") == [KEY]
    assert KEY in _search_keys(sample_home, "is:bookmarked")
    assert _search_keys(sample_home, "quokkas") == [KEY]
    assert run_cli_process(sample_home, "untag", KEY, "zz-later").returncode == 0
    assert run_cli_process(sample_home, "delete", KEY, "--yes").returncode == 0
    assert _search_keys(sample_home, "tag:zz-later") == []
    assert _search_keys(sample_home, "quokkas") == []


def test_renaming_a_tag_does_not_load_whoosh_and_searches_follow(sample_home: Path) -> None:
    assert run_cli_process(sample_home, "tag", KEY, "later").returncode == 0
    result = _probe(sample_home, "tags", "rename", "later", "someday")
    assert result["code"] == 0
    assert result["whoosh"] == []
    assert _search_keys(sample_home, "tag:someday") == [KEY]
    assert _search_keys(sample_home, "tag:later") == []


def test_an_open_reader_sees_a_commands_change_on_its_next_search(sample_home: Path) -> None:
    from absreader.core.catalog import Catalog
    from absreader.core.selection import ListSpec
    from absreader.paths import get_paths

    reader = Catalog.open(get_paths({"ABSREADER_HOME": str(sample_home)}))
    try:
        assert reader.page("tag:zz-later").keys == []  # the index is open, as in the reader
        title = reader.paper(KEY).title
        assert run_cli_process(sample_home, "tag", KEY, "zz-later").returncode == 0
        assert run_cli_process(sample_home, "bookmark", KEY).returncode == 0
        assert reader.page("tag:zz-later").keys == [KEY]
        assert reader.page(title, ListSpec("bookmarked")).keys == [KEY]
        assert KEY in reader.page("is:bookmarked", limit=200).keys
        assert run_cli_process(sample_home, "delete", KEY, "--yes").returncode == 0
        assert reader.page("tag:zz-later").keys == []
    finally:
        reader.close()


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
