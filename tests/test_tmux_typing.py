"""Typing a word letter by letter in the real reader: the count never rises, never hits zero."""

from __future__ import annotations

import re
import time

import pytest

from absreader.core.catalog import Catalog, ListSpec
from absreader.paths import get_paths
from test_tmux import DEADLINE, Tmux, tmux_home  # noqa: F401 - the fixture

pytest_plugins = ["conftest_ui"]

pytestmark = pytest.mark.tmux

_COUNTS = re.compile(r"([\d,]+) of ([\d,]+) papers")


@pytest.mark.parametrize("word", ["transformer", "diffusion"])
def test_typing_a_word_narrows_steadily(tmux_home, word: str) -> None:  # noqa: F811
    catalog = Catalog.open(get_paths({"ABSREADER_HOME": str(tmux_home)}))
    try:
        library = catalog.library.count()
        # What the core says each prefix finds, as the reader asks for it.
        expected = [
            catalog.page(word[:n], ListSpec(), limit=1, as_you_type=True).total
            for n in range(1, len(word) + 1)
        ]
        assert catalog.page(word, ListSpec(), limit=1).total > 0, "the word is in the sample data"
    finally:
        catalog.close()
    term = Tmux(tmux_home)
    seen: list[int] = []
    try:
        term.wait_for("of ", "papers")
        term.send("/")
        for n in range(1, len(word) + 1):
            term.type(word[n - 1])
            want = f"{expected[n - 1]:,} of {library:,} papers"
            end = time.monotonic() + DEADLINE
            screen = term.screen()
            while want not in screen or word[:n] not in screen:
                # Every count the screen shows on the way is recorded, not just the last one.
                seen.extend(int(m.group(1).replace(",", "")) for m in _COUNTS.finditer(screen))
                assert time.monotonic() < end, f"waited for {want!r}:\n{screen}"
                time.sleep(0.05)  # polling the terminal, not waiting for a result
                screen = term.screen()
            seen.append(expected[n - 1])
        # One Esc clears the search and leaves the bar. A second one would sit in the
        # terminal's escape wait and turn the "q" after it into Alt+q.
        term.send("Escape")
        term.wait_without("· search")
        term.send("q")
        term.wait_until_gone()
    finally:
        term.kill()
    # From the first letter on (the count of the whole list may show before it).
    first = seen.index(expected[0])
    shown = seen[first:]
    assert all(count > 0 for count in shown), shown
    assert all(a >= b for a, b in zip(shown, shown[1:], strict=False)), shown
    assert expected[-1] < expected[0]  # typing narrowed the list
