"""What the reader remembers between runs: list, query, selected paper, theme.

Kept as JSON in ``Paths.state_file`` and written atomically (a temporary file
beside it, then ``os.replace``) so a crash never leaves half a file. A missing
or damaged file just means a fresh start.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from absreader.core.catalog import LIST_KINDS, SORTS, ListSpec


@dataclass
class UiState:
    """The remembered parts of a session."""

    list_kind: str = "all"
    list_name: str = ""
    query: str = ""
    selected: str | None = None
    theme: str | None = None
    #: The order chosen for each list (``kind:name`` -> one of the catalog's SORTS).
    sorts: dict[str, str] = field(default_factory=dict)

    @property
    def spec(self) -> ListSpec:
        return ListSpec(self.list_kind, self.list_name)

    @spec.setter
    def spec(self, spec: ListSpec) -> None:
        self.list_kind, self.list_name = spec.kind, spec.name


def load_state(path: Path) -> UiState:
    """The state saved at ``path``, or defaults if there is none or it is unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return UiState()
    if not isinstance(data, dict):
        return UiState()
    state = UiState()
    kind = data.get("list_kind")
    if kind in LIST_KINDS:
        state.list_kind = kind
        name = data.get("list_name")
        state.list_name = name if isinstance(name, str) else ""
    if state.list_kind in ("tag", "saved") and not state.list_name:
        state.list_kind = "all"
    for name in ("query", "selected", "theme"):
        value = data.get(name)
        if isinstance(value, str):
            setattr(state, name, value[:1000])
    sorts = data.get("sorts")
    if isinstance(sorts, dict):
        state.sorts = {
            k[:200]: v for k, v in list(sorts.items())[:500] if isinstance(k, str) and v in SORTS
        }
    return state


def list_id(spec: ListSpec) -> str:
    """How a list is named in the remembered sorts."""
    return f"{spec.kind}:{spec.name}"


def save_state(path: Path, state: UiState) -> None:
    """Write ``state`` to ``path`` atomically (raises OSError if it cannot)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(state), handle, indent=2, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
