"""Shared fixtures: an isolated ABSREADER_HOME per test, the sample data, a CLI runner."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from absreader.paths import Paths, get_paths

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run long fuzz and stress tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="long run: opt in with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ABSREADER_HOME for this test (also set in the environment)."""
    root = tmp_path / "home"
    monkeypatch.setenv("ABSREADER_HOME", str(root))
    return root


@pytest.fixture
def paths(home: Path) -> Paths:
    return get_paths({"ABSREADER_HOME": str(home)})


@pytest.fixture
def sample_files() -> list[Path]:
    return sorted(SAMPLE.iterdir())


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


@pytest.fixture
def cli(home: Path) -> Iterator:
    """Run the CLI in-process: cli("import", path) -> Result(code, out, err)."""
    from absreader.cli import main

    def run(*args: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:
                code = int(exc.code or 0)
        return Result(code, out.getvalue(), err.getvalue())

    yield run


def run_cli_process(home: Path, *args: str, timeout: float = 120, **kw: object) -> subprocess.CompletedProcess:
    """Run `python -m absreader ARGS` in a real subprocess with ABSREADER_HOME=home."""
    env = dict(os.environ, ABSREADER_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "absreader", *args],
        capture_output=True, text=True, env=env, timeout=timeout, **kw,
    )


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ABSREADER_HOME holding the imported, indexed sample data, built once per
    session by a real `absreader import`; never written to (tests copy it)."""
    template = tmp_path_factory.mktemp("sample-home") / "home"
    done = run_cli_process(template, "import", str(SAMPLE))
    assert done.returncode == 0, done.stderr
    return template


@pytest.fixture
def sample_home(home: Path, sample_template: Path) -> Path:
    """A private copy of the imported sample library as this test's ABSREADER_HOME."""
    shutil.copytree(sample_template, home)
    return home


@pytest.fixture
def sample(sample_home: Path, cli):
    """The in-process CLI on a private copy of the imported sample library."""
    return cli
