"""The reader's settings from ``config.toml``: key remapping and a default theme.

```toml
theme = "nord"            # used until a theme is chosen in the palette

[keys]                     # binding id = key, or several keys separated by commas
bookmark = "B"
more_like_this = "M,ctrl+m"
```

A file that cannot be read or parsed never stops the reader: the defaults are
used and each problem becomes one line the app shows as a notification.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

_KEY = re.compile(r"^[A-Za-z0-9_+\-]+$|^.$")


@dataclass
class ReaderConfig:
    """What the config file asked for, plus the problems found reading it."""

    keymap: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    problems: list[str] = field(default_factory=list)


def _valid_keys(value: str) -> bool:
    parts = [p.strip() for p in value.split(",")]
    return bool(parts) and all(p and _KEY.match(p) for p in parts)


def load_config(
    path: Path, binding_ids: Collection[str], themes: Collection[str] = ()
) -> ReaderConfig:
    """Read ``path``; unknown ids, bad values and syntax errors become ``problems``."""
    config = ReaderConfig()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return config
    except (OSError, UnicodeDecodeError) as exc:
        config.problems.append(f"{path}: cannot read it ({exc}); using the default keys")
        return config
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        config.problems.append(f"{path}: {exc}; using the default keys")
        return config
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        config.problems.append(f'{path}: [keys] should be a table of id = "key"')
        keys = {}
    for binding_id, value in keys.items():
        if binding_id not in binding_ids:
            known = ", ".join(sorted(binding_ids))
            config.problems.append(f"{path}: unknown key id {binding_id!r} (known: {known})")
        elif not isinstance(value, str) or not _valid_keys(value):
            config.problems.append(f"{path}: keys.{binding_id} = {value!r} is not a key name")
        else:
            config.keymap[binding_id] = ",".join(p.strip() for p in value.split(","))
    theme = data.get("theme")
    if theme is not None:
        if isinstance(theme, str) and (not themes or theme in themes):
            config.theme = theme
        else:
            config.problems.append(f"{path}: theme {theme!r} is not an available theme")
    for name in data:
        if name not in ("keys", "theme", "fetch"):  # [fetch] is read by core/feeds/config.py
            config.problems.append(f"{path}: unknown setting {name!r}")
    return config
