"""Where absreader keeps its files: platformdirs, or everything under ABSREADER_HOME.

Nothing here creates directories at import time; callers ask for a path and
create it when they are about to write.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "absreader"
HOME_ENV = "ABSREADER_HOME"


@dataclass(frozen=True)
class Paths:
    """The three directories absreader uses, plus the files inside them."""

    data_dir: Path
    cache_dir: Path
    config_dir: Path

    @property
    def library_file(self) -> Path:
        return self.data_dir / "library.sqlite3"

    @property
    def index_dir(self) -> Path:
        return self.cache_dir / "index"

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def state_file(self) -> Path:
        return self.config_dir / "state.json"


def get_paths(env: dict[str, str] | None = None) -> Paths:
    """Return the paths, honouring ABSREADER_HOME when it is set."""
    env = os.environ if env is None else env
    home = env.get(HOME_ENV)
    if home:
        root = Path(home).expanduser()
        return Paths(root / "data", root / "cache", root / "config")
    return Paths(
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
    )


def _package_dir(name: str) -> Path:
    """A directory shipped inside the wheel, or beside src/ in a checkout."""
    packaged = Path(str(resources.files("absreader"))) / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / name


def sample_data_dir() -> Path:
    """The bundled sample abstracts."""
    return _package_dir("sample_data")


def styles_dir() -> Path:
    """The bundled Textual stylesheets."""
    return _package_dir("styles")
