"""Hostile text: shown literally, and nothing that changes the terminal ever reaches it.

Titles, abstracts, authors and tags carry Rich/Textual markup, terminal escape
sequences (CSI colours and window ops, OSC 2 titles, OSC 52 clipboard writes,
OSC 8 links, C1 controls), bidi overrides, NUL and BEL, lone surrogates, NFD
accents, right-to-left text, emoji and a very long unbroken word. They arrive
two ways: through `absreader import` (cleaned on the way in), and written
straight into the library file, raw, as another program or an old version
might have left them (so the output side's own guard is tested too).

Checked in the CLI (`show`, `search`, `list`, with and without --json, in
process and as real bytes from a subprocess), in the reader through Pilot (the
rendered segments: literal text, no markup actions or links from the data,
the app still running after clicks), and in a real terminal: the reader runs
in tmux and every byte it writes to the pane is captured and searched for the
payloads.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytest.register_assert_rewrite("reliability_helpers")
from reliability_helpers import paths_of  # noqa: E402

# (name, what the file says, what absreader shows after cleaning it on import)
HOSTILE = [
    ("click", "[@click=app.quit]Click me[/]", "[@click=app.quit]Click me[/]"),
    (
        "link",
        "[link=https://evil.example]a link[/link]",
        "[link=https://evil.example]a link[/link]",
    ),
    ("bold", "[bold red]loud[/bold red] [/] stray [", "[bold red]loud[/bold red] [/] stray ["),
    ("emoji-code", ":warning: :cross_mark:", ":warning: :cross_mark:"),
    ("csi", "\x1b[31;42;5;7;8;9mcoloured\x1b[0m \x1b[8;1;1t\x1b[2J", "coloured"),
    ("osc2", "\x1b]2;pwned-title\x07visible", "visible"),
    ("osc52", "\x1b]52;c;cHduZWQ=\x07copy", "copy"),
    ("osc8", "\x1b]8;;https://evil.example\x1b\\hidden\x1b]8;;\x1b\\", "hidden"),
    ("c1", "\x9b31m\x9d2;c1-pwned\x9c plain \x85next", "plain next"),
    ("bidi", "abc\u202edcba\u202c \u2066iso\u2069 \u200fmark\u061c", "abcdcba iso mark"),
    ("nul-bel", "nul\x00byte\x07bell\x08back", "nulbytebellback"),
    ("surrogate", "lone \ud800 surrogate", "lone \ufffd surrogate"),
    ("nfd", "Cafe\u0301 nai\u0308ve", "Caf\u00e9 na\u00efve"),
    ("rtl", "مرحبا بالعالم — עברית", "مرحبا بالعالم — עברית"),
    ("emoji", "🚀 rocket 👩‍🔬 scientist 🏳️‍🌈", "🚀 rocket 👩‍🔬 scientist 🏳️‍🌈"),
    ("long-word", "x" * 5000 + "y", "x" * 5000 + "y"),
]
# Written raw into the library, past the import's cleaning: the output must still be safe.
RAW = [
    ("raw-click", "[@click=app.quit]Raw click[/] \x1b]2;pwned-raw\x07"),
    ("raw-escapes", "Raw \x1b[31;42;5;7;8;9mcsi\x1b]52;c;cHduZWQ=\x07 \x9b1m\u202eevil\u202c"),
]
PAYLOADS = ["pwned", "cHduZWQ", "evil.example\x1b", "31;42;5;7;8;9", "8;1;1t"]

# Characters that must never reach a terminal from the data.
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ud800-\udfff]"
)


def key_of(i: int) -> str:
    return f"2402.{i:05d}"


def write_hostile_file(path: Path) -> None:
    lines = []
    for i, (name, raw, _) in enumerate(HOSTILE):
        lines.append(
            json.dumps(
                {
                    "id": key_of(i),
                    "title": f"Title {name} {raw}",
                    "abstract": f"Abstract {name} says {raw} and zebra{i}.",
                    "authors": [f"{raw} Author"],
                    "categories": ["cs.CL"],
                },
                ensure_ascii=True,  # lone surrogates and controls travel as \\u escapes
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def inject_raw(home: Path) -> list[str]:
    """Put raw hostile text straight into the library file (bypassing every cleaner)."""
    conn = sqlite3.connect(paths_of(home).library_file)
    keys = []
    with conn:
        seq = int(conn.execute("SELECT value FROM meta WHERE name = 'seq'").fetchone()[0]) + 1
        conn.execute("UPDATE meta SET value = ? WHERE name = 'seq'", (str(seq),))
        for j, (name, raw) in enumerate(RAW):
            key = key_of(100 + j)
            conn.execute(
                "INSERT INTO papers (key, arxiv_id, title, title_norm, abstract, authors, added, "
                "seq, sort_key) VALUES (?, ?, ?, ?, ?, ?, '2024-01-01T00:00:00Z', ?, '2099')",
                (key, key, f"Title {name} {raw}", name, f"Abstract {raw} zebra{100 + j}.",
                 json.dumps([f"{raw} Author"]), seq),
            )  # fmt: skip
            keys.append(key)
    conn.close()
    return keys


@pytest.fixture
def hostile(cli, home: Path, tmp_path: Path) -> Path:
    source = tmp_path / "hostile.jsonl"
    write_hostile_file(source)
    done = cli("import", source)
    assert done.code == 0, done.err
    assert f"json, {len(HOSTILE)} records, added {len(HOSTILE)}" in done.out
    tagged = cli("tag", key_of(0), "[bold]tag[/] \x1b]2;pwned-tag\x07", "\u202eevil")
    assert tagged.code == 0, tagged.err
    inject_raw(home)
    return home


def assert_inert(text: str) -> None:
    """No control, escape, C1 or bidi character, no surrogate, and none of the payloads."""
    found = UNSAFE.findall(text)
    assert not found, f"unsafe characters reached the output: {found[:10]!r}"
    for payload in PAYLOADS:
        assert payload not in text, payload


# ----------------------------------------------------------------------------- the command line


def test_show_prints_every_field_literally(cli, hostile: Path) -> None:
    for i, (name, _, shown) in enumerate(HOSTILE):
        result = cli("show", key_of(i))
        assert result.code == 0, result.err
        assert_inert(result.out + result.err)
        flat = result.out.replace("\n", "")  # long words are wrapped for reading
        assert f"Title {name} {shown}" in flat
        assert f"Abstract {name} says {shown} and zebra{i}." in flat
        assert f"{shown} Author" in flat
        record = cli("show", key_of(i), "--json")
        assert_inert(record.out)
        paper = json.loads(record.out)
        assert paper["title"] == f"Title {name} {shown}"
        assert paper["abstract"] == f"Abstract {name} says {shown} and zebra{i}."
        assert paper["authors"] == [f"{shown} Author"]
    tags = json.loads(cli("show", key_of(0), "--json").out)["tags"]
    assert sorted(tags) == ["[bold]tag[/]", "evil"]  # markup kept, escapes and bidi gone


def test_search_and_list_print_literally(cli, hostile: Path) -> None:
    for i, (name, _, shown) in enumerate(HOSTILE):
        plain = cli("search", f"zebra{i}")
        assert plain.code == 0, plain.err
        assert_inert(plain.out + plain.err)
        assert key_of(i) in plain.out and "1 of 1 matches" in plain.out
        found = cli("search", f"zebra{i}", "--json")
        assert_inert(found.out)
        (paper,) = json.loads(found.out)["results"]
        assert paper["key"] == key_of(i) and paper["title"] == f"Title {name} {shown}"
        for start, end in paper["highlights"].get("abstract", []):
            assert paper["abstract"][start:end].lower() == f"zebra{i}"
    listed = cli("list")
    assert listed.code == 0
    assert_inert(listed.out + listed.err)
    for name, _, shown in HOSTILE:
        if name != "long-word":
            assert f"Title {name} {shown}" in listed.out
    records = json.loads(cli("list", "--json").out)
    assert_inert(cli("list", "--json").out)
    titles = {r["key"]: r["title"] for r in records}
    for i, (name, _, shown) in enumerate(HOSTILE):
        assert titles[key_of(i)] == f"Title {name} {shown}"


def test_raw_text_in_the_library_is_still_made_safe_on_output(cli, hostile: Path) -> None:
    for j, (_name, _) in enumerate(RAW):
        key = key_of(100 + j)
        for args in (("show", key), ("show", key, "--json"), ("search", f"zebra{100 + j}"),
                     ("search", f"zebra{100 + j}", "--json"), ("list",), ("list", "--json")):  # fmt: skip
            result = cli(*args)
            assert result.code == 0, (args, result.err)
            assert_inert(result.out + result.err)
            assert key in result.out
        assert "[@click=app.quit]Raw click[/]" in cli("show", "2402.00100").out


def test_real_process_bytes_are_utf8_and_inert(hostile: Path) -> None:
    for args in (("list",), ("list", "--json"), ("show", key_of(9)), ("show", "2402.00101"),
                 ("search", "zebra10", "--json")):  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "absreader", *args], capture_output=True, timeout=60,
            env=dict(os.environ, ABSREADER_HOME=str(hostile), PYTHONIOENCODING="utf-8"),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        out = done.stdout.decode("utf-8")  # strict: no lone surrogate ever gets encoded
        assert_inert(out + done.stderr.decode("utf-8"))


# ----------------------------------------------------------------------------- the reader (Pilot)


def _rendered(app) -> list:
    """Every segment every visible widget renders (what Textual will draw)."""
    from textual.geometry import Region

    segments = []
    for widget in app.screen.walk_children(with_self=True):
        if not widget.display or not widget.size.area:
            continue
        for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height)):
            segments.extend(strip)
    return segments


def _assert_screen_safe(app) -> str:
    segments = _rendered(app)
    text = "".join(segment.text for segment in segments)
    assert_inert(text)
    for segment in segments:
        style = segment.style
        if style is None:
            continue
        meta = style.meta or {}
        assert "app.quit" not in str(meta.get("@click", "")), meta  # markup was not obeyed
        assert "evil.example" not in (style.link or ""), style.link
    return text


async def test_reader_shows_hostile_text_literally_and_keeps_running(hostile: Path) -> None:
    from conftest_ui import app_for, settle

    app = app_for(paths_of(hostile))
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        papers = app.main_screen.paper_list
        assert papers.total == len(HOSTILE) + len(RAW)
        seen_titles = set()
        for row in range(papers.total):
            papers.cursor = row
            await settle(pilot)
            paper = app.main_screen.current_paper
            assert paper is not None
            text = _assert_screen_safe(app)
            assert paper.key in text
            seen_titles.add(paper.key)
            if paper.key == key_of(0):  # the click-markup paper
                assert "[@click=app.quit]Click me[/]" in text
                await pilot.click("#detail", offset=(4, 1))
                await pilot.click("#papers", offset=(12, 2 * row))
                await settle(pilot)
                assert app.is_running
            if paper.key == key_of(1):
                assert "[link=https://evil.example]a link[/link]" in text
        assert len(seen_titles) == papers.total
        # Searching for the payloads finds the papers and renders them safely too.
        for query in ("zebra4", "click", "raw", "[@click=app.quit]", "evil"):
            await pilot.press("slash")
            app.main_screen.search_input.value = query
            await settle(pilot)
            _assert_screen_safe(app)
            await pilot.press("escape")
            await settle(pilot)
        assert app.is_running


# ----------------------------------------------------------------------------- a real terminal


def _reader_command(home: Path, script: Path) -> str:
    code = (
        "from absreader.ui.app import run_reader; from absreader.paths import get_paths; "
        "raise SystemExit(run_reader(get_paths()))"
    )
    script.write_text(
        "#!/bin/sh\nread go\n"
        f"export ABSREADER_HOME={shlex.quote(str(home))} TERM=xterm-256color\n"
        f"exec {shlex.quote(sys.executable)} -c {shlex.quote(code)}\n"
    )
    script.chmod(0o755)
    return str(script)


def _screen(name: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True
    ).stdout


def _wait_for(name: str, text: str, deadline: float = 30.0) -> str:
    end = time.monotonic() + deadline
    screen = ""
    while time.monotonic() < end:
        screen = _screen(name)
        if text in screen:
            return screen
        time.sleep(0.05)  # polling the screen; nothing is killed on a timer
    raise AssertionError(f"waited for {text!r}; the screen shows:\n{screen}")


@pytest.mark.tmux
def test_real_terminal_receives_no_payload(hostile: Path, tmp_path: Path) -> None:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is not installed (CI must install it)")
        pytest.skip("tmux is not installed")
    name = f"absreader-raw-{uuid.uuid4().hex[:8]}"
    raw = tmp_path / "pane.bin"
    command = _reader_command(hostile, tmp_path / "reader.sh")
    env = {k: v for k, v in os.environ.items() if k != "TMUX"}
    subprocess.run(
        ["tmux", "-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "200", "-y", "50",
         command], check=True, env=env,
    )  # fmt: skip
    try:
        # Capture from the very first byte: the reader starts only after the pipe is on.
        subprocess.run(
            ["tmux", "pipe-pane", "-o", "-t", name, f"cat >> {shlex.quote(str(raw))}"], check=True
        )
        subprocess.run(["tmux", "send-keys", "-t", name, "Enter"], check=True)
        _wait_for(name, "Title click [@click=app.quit]Click me[/]")
        for _ in range(len(HOSTILE) + len(RAW)):  # select each paper in turn
            subprocess.run(["tmux", "send-keys", "-t", name, "j"], check=True)
        _wait_for(name, "Title bidi abcdcba iso mark")
        subprocess.run(["tmux", "send-keys", "-t", name, "/"], check=True)
        subprocess.run(["tmux", "send-keys", "-t", name, "-l", "zebra1"], check=True)
        screen = _wait_for(name, "All · zebra1 ")  # the search ran
        assert "Title link [link=https://evil.example]a link[/link]" in screen
        subprocess.run(["tmux", "send-keys", "-t", name, "Escape"], check=True)  # clears it
        # Only then "q": an Esc followed at once by q reads as Alt+q in a terminal.
        _wait_for(name, "─ All · 18 papers ─")  # (the list's title carries its count)
        subprocess.run(["tmux", "send-keys", "-t", name, "q"], check=True)
        end = time.monotonic() + 15
        while _session_alive(name) and time.monotonic() < end:
            time.sleep(0.05)  # the session ends when the reader exits
        assert not _session_alive(name), f"the reader did not quit:\n{_screen(name)}"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    data = raw.read_bytes()
    assert len(data) > 10_000, "the pane capture is nearly empty"
    text = data.decode("utf-8")  # strict: everything written was valid UTF-8
    assert "Click me" in text  # the capture holds the hostile papers' text
    # Textual's own sequences stay: OSC 8 links to arXiv and OSC 22 (pointer shape).
    oscs = re.findall(r"\x1b\](\d+);([^\x07\x1b]*)(?:\x07|\x1b\\)", text)
    assert {code for code, _ in oscs} <= {"8", "22"}, {code for code, _ in oscs}
    links = {body.split(";", 1)[1] for code, body in oscs if code == "8" and ";" in body}
    assert all(url == "" or url.startswith("https://arxiv.org/abs/2402.") for url in links), links
    without_osc = re.sub(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)", "", text)
    assert "\x07" not in without_osc  # no bell (and no stray OSC terminator) from the data
    for payload in PAYLOADS + ["\x1b]2;", "\x1b]0;", "\x1b]52;"]:
        assert payload not in text, payload
    leftover = re.findall("[\x00\x80-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]", text)
    assert not leftover, leftover[:10]


def _session_alive(name: str) -> bool:
    return subprocess.run(["tmux", "has-session", "-t", name], capture_output=True).returncode == 0
