"""The core never imports Textual, and importing the package does no work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CORE_MODULES = [
    "absreader",
    "absreader.paths",
    "absreader.core.models",
    "absreader.core.ids",
    "absreader.core.clean",
    "absreader.core.library",
    "absreader.core.importer",
    "absreader.core.catalog",
    "absreader.core.search.index",
    "absreader.core.export",
    "absreader.core.sources",
    "absreader.cli",
]


def test_core_does_not_import_textual(tmp_path: Path) -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    env = dict(os.environ, ABSREADER_HOME=str(tmp_path / "home"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == ""
    # Importing creates nothing on disk.
    assert not (tmp_path / "home").exists()


def test_core_sources_have_no_textual_import() -> None:
    core = Path(__file__).resolve().parents[1] / "src" / "absreader" / "core"
    for path in core.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import textual" not in text and "from textual" not in text, path
