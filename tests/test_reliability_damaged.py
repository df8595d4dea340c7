"""Damaged state: a broken library, a broken index, a full disk, a read-only folder.

The library is the store of record: when it is damaged absreader refuses to
touch it. Every command (and the reader) exits 1 with one message naming the
file and saying how to start afresh (move it aside) or keep the papers
(restore a backup); the file is left byte for byte as it was, and no empty
library ever appears in its place.

The index is derived: deleted, truncated or garbage, it is rebuilt from the
library by the next command, with a one-line notice when it was damaged
rather than simply missing, and bookmarks and tags are searchable again.

A full disk is simulated for real in a subprocess (``RLIMIT_FSIZE`` with
SIGXFSZ ignored: writes past the limit fail with EFBIG, as they would on a
full disk) and for SQLite's own "disk is full" code with ``max_page_count``.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytest.register_assert_rewrite("reliability_helpers")
from absreader.core.library import Library, LibraryError  # noqa: E402
from absreader.core.models import Record  # noqa: E402
from reliability_helpers import (  # noqa: E402
    BIG,
    assert_kept,
    big_jsonl,
    bookmarked,
    cli_process,
    copy_sample,
    decorate,
    digest,
    env_for,
    index_state,
    integrity,
    open_library,
    paths_of,
    personal_data,
    read_only,
)

KEY = "2403.13043"  # a sample paper with an arXiv id

# ----------------------------------------------------------------------------- the library


def _zero_pages(data: bytes) -> bytes:
    return data[:4096] + bytes(len(data) - 4096)


def _scramble_pages(data: bytes) -> bytes:
    return data[:4096] + os.urandom(len(data) - 4096)


DAMAGE = {
    "garbage": (lambda d: os.urandom(65536), "not an SQLite database"),
    "empty": (lambda d: b"", "the file is empty"),
    "cut-in-header": (lambda d: d[:50], "cut short"),
    "cut-in-half": (lambda d: d[: len(d) // 2 // 4096 * 4096], "cut short"),
    "zeroed-pages": (_zero_pages, "database disk image is malformed"),
    "scrambled-pages": (_scramble_pages, "database disk image is malformed"),
    "a-bibtex-file": (lambda d: b"@article{x, title={Not a database}}\n" * 100, "not an SQLite"),
}
COMMANDS = [
    ("stats",),
    ("list", "--json"),
    ("show", KEY),
    ("bookmark", KEY),
    ("tag", KEY, "keep"),
    ("search", "vision"),
    ("export", "--all", "--format", "json"),
    ("import", "SAMPLE_FILE"),
    (),  # the reader
]
#: Every command meets the two kinds of damage (caught before SQLite opens the file,
#: and by SQLite); the other kinds meet a reading, a writing command and the reader.
EVERY_COMMAND = ("garbage", "zeroed-pages")


#: More kinds of the same damage, for the long run (``--run-slow``).
LONG_RUN = {"cut-in-header", "scrambled-pages", "a-bibtex-file", "deleted-index",
            "empty-index-folder", "garbage-meta", "empty-segments"}  # fmt: skip


def _kinds(names: list[str]) -> list:
    return [pytest.param(n, marks=pytest.mark.slow) if n in LONG_RUN else n for n in names]


@pytest.mark.parametrize("damage", _kinds(list(DAMAGE)))
def test_damaged_library_is_reported_and_left_alone(tmp_path: Path, damage: str) -> None:
    home = copy_sample(tmp_path / "home")
    library = paths_of(home).library_file
    spoil, detail = DAMAGE[damage]
    library.write_bytes(spoil(library.read_bytes()))
    before = digest(library)
    sample_file = str(next(iter(sorted((Path(__file__).parents[1] / "sample_data").iterdir()))))
    commands = COMMANDS if damage in EVERY_COMMAND else [("stats",), ("bookmark", KEY), ()]
    for args in commands:
        args = tuple(sample_file if a == "SAMPLE_FILE" else a for a in args)
        done = cli_process(home, *args, timeout=60)
        assert done.returncode == 1, (args, done.stderr)
        assert done.stdout == ""
        err = done.stderr
        assert "Traceback" not in err and "╰" not in err, err
        assert err.count("\n") == 1, err  # one line
        assert f"{library}: the library file is damaged ({detail}" in err, err
        assert "has not changed it" in err
        assert f"mv {library} {library}.damaged" in err  # how to start afresh
        assert "restore" in err and "backup" in err  # how to keep the papers
        assert digest(library) == before, f"{args} changed the damaged file"
        assert sorted(os.listdir(library.parent)) == ["library.sqlite3"], args

    # Following the advice works: the damaged file stays, aside, and a new library starts.
    library.rename(f"{library}.damaged")
    done = cli_process(home, "stats", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["papers"] == 0
    assert digest(Path(f"{library}.damaged")) == before


def test_damage_found_mid_command_is_the_same_clear_error(tmp_path: Path) -> None:
    """Damage past the pages read at start-up surfaces as the same message, not a traceback."""
    home = copy_sample(tmp_path / "home")
    library = paths_of(home).library_file
    conn = sqlite3.connect(library)
    root = conn.execute(
        "SELECT rootpage FROM sqlite_schema WHERE name = 'sqlite_autoindex_sources_1'"
    ).fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with library.open("r+b") as fh:  # the index of where each paper came from
        fh.seek((root - 1) * page_size)
        fh.write(b"\xff" * page_size)
    before = digest(library)
    done = cli_process(home, "show", KEY)
    assert done.returncode == 1, done
    assert f"{library}: the library file is damaged (" in done.stderr
    assert "Traceback" not in done.stderr
    assert digest(library) == before
    with pytest.raises(LibraryError, match="damaged"):
        Library.open(library).require(KEY)


def test_a_killed_creation_never_leaves_an_empty_library(tmp_path: Path) -> None:
    """A new library is built aside and linked in whole: no step leaves a 0-byte file."""
    data = tmp_path / "data"
    data.mkdir()
    (data / ".library.sqlite3.999.1.new").write_bytes(b"")  # what a killed creation leaves
    with Library.open(data / "library.sqlite3") as lib:
        assert lib.count() == 0
    assert (data / "library.sqlite3").stat().st_size > 0


# ----------------------------------------------------------------------------- the index


def _segment_files(home: Path) -> list[Path]:
    index_dir = paths_of(home).index_dir
    live = index_dir / (index_dir / "CURRENT").read_text().strip()
    return [p for p in live.iterdir() if p.is_file() and p.suffix not in (".json",)]


def _truncate_segments(home: Path) -> None:
    for path in _segment_files(home):
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


def _garbage_segments(home: Path) -> None:
    for path in _segment_files(home):
        path.write_bytes(os.urandom(max(64, path.stat().st_size)))


def _empty_segments(home: Path) -> None:
    for path in _segment_files(home):
        path.write_bytes(b"")


def _garbage_current(home: Path) -> None:
    (paths_of(home).index_dir / "CURRENT").write_bytes(os.urandom(40))


def _dangling_current(home: Path) -> None:
    (paths_of(home).index_dir / "CURRENT").write_text("g000042\n")


def _garbage_meta(home: Path) -> None:
    index_dir = paths_of(home).index_dir
    live = index_dir / (index_dir / "CURRENT").read_text().strip()
    (live / "meta.json").write_text("{not json")


def _delete_index(home: Path) -> None:
    import shutil

    shutil.rmtree(paths_of(home).index_dir)


def _delete_cache(home: Path) -> None:
    import shutil

    shutil.rmtree(paths_of(home).cache_dir)


def _empty_index_dir(home: Path) -> None:
    _delete_index(home)
    paths_of(home).index_dir.mkdir()


INDEX_DAMAGE = {
    "deleted-index": (_delete_index, None),
    "deleted-cache": (_delete_cache, None),
    "empty-index-folder": (_empty_index_dir, None),
    "garbage-CURRENT": (_garbage_current, None),
    "dangling-CURRENT": (_dangling_current, "search index was corrupt; rebuilt it"),
    "garbage-meta": (_garbage_meta, "search index was corrupt; rebuilt it"),
    "truncated-segments": (_truncate_segments, "rebuilt it from the library"),
    "garbage-segments": (_garbage_segments, "rebuilt it from the library"),
    "empty-segments": (_empty_segments, "rebuilt it from the library"),
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """What an intact library answers, to compare the repaired ones with."""
    home = copy_sample(tmp_path_factory.mktemp("reference") / "home")
    mine = decorate(home)
    done = cli_process(home, "search", "vision transformer", "--limit", "50", "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    return {
        "mine": mine,
        "keys": [r["key"] for r in found["results"]],
        "total": found["total"],
        "strict": found["strict_total"],
    }


@pytest.mark.parametrize("damage", _kinds(list(INDEX_DAMAGE)))
def test_damaged_index_is_rebuilt_by_the_next_command(
    tmp_path: Path, damage: str, reference: dict[str, object]
) -> None:
    home = copy_sample(tmp_path / "home")
    mine = decorate(home)
    assert mine == reference["mine"]
    spoil, notice = INDEX_DAMAGE[damage]
    spoil(home)
    library_before = personal_data(home)

    done = cli_process(home, "search", "vision transformer", "--limit", "50", "--json")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    if notice:
        assert notice in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1, done.stderr  # one line
    found = json.loads(done.stdout)
    assert found["total"] == reference["total"]
    assert found["strict_total"] == reference["strict"]
    keys, want = [r["key"] for r in found["results"]], reference["keys"]
    strict = found["strict_total"] or 0
    assert set(keys[:strict]) == set(want[:strict])  # the papers with all the words
    # The same ranking, up to near-ties: scores use the index's statistics, in which
    # replaced papers count until segments merge, so a rebuilt index can swap two
    # papers whose scores differ by a fraction of a percent.
    common = set(keys) & set(want)
    assert len(common) >= len(want) - 3
    assert all(abs(keys.index(k) - want.index(k)) <= 3 for k in common)

    assert index_state(home) == "ok"
    assert personal_data(home) == library_before  # rebuilt from the library, which kept all
    done = cli_process(home, "search", "is:bookmarked", "--limit", "50", "--json")
    assert {r["key"] for r in json.loads(done.stdout)["results"]} == bookmarked(mine)
    done = cli_process(home, "search", "tag:keep", "--limit", "50", "--json")
    assert json.loads(done.stdout)["total"] == dict(mine["tags"])["keep"]


@pytest.mark.parametrize("damage", _kinds(["garbage-segments", "deleted-index"]))
async def test_reader_rebuilds_a_damaged_index_and_keeps_running(
    tmp_path: Path, damage: str
) -> None:
    from conftest_ui import app_for, settle

    home = copy_sample(tmp_path / "home")
    mine = decorate(home)
    INDEX_DAMAGE[damage][0](home)
    app = app_for(paths_of(home))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        for char in "is:bookmarked":
            await pilot.press({":": "colon"}.get(char, char))
        await settle(pilot)
        assert app.is_running
        papers = app.main_screen.paper_list
        assert papers.total == len(bookmarked(mine))
        shown = {papers.paper_at(i).key for i in range(papers.total)}
        assert shown == bookmarked(mine)
        errors = [n for n in app.notified if n[0] == "error"]
        assert not errors, errors
    assert index_state(home) == "ok"


# ----------------------------------------------------------------------------- a full disk


def _limited(max_bytes: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death, like ENOSPC
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


def _cli_limited(
    home: Path, max_bytes: int, *args: str, **kw: object
) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    return subprocess.run(
        [sys.executable, "-m", "absreader", *map(str, args)],
        text=True, env=env_for(home), timeout=300, preexec_fn=_limited(max_bytes), **kw,
    )  # fmt: skip


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX resource limits")
def test_disk_full_during_import_keeps_whole_batches_and_says_so(tmp_path: Path) -> None:
    home = copy_sample(tmp_path / "home")
    mine = decorate(home)
    library = paths_of(home).library_file
    big, ids = big_jsonl()
    room = library.stat().st_size + 1_500_000  # a batch or so fits, then the disk is "full"
    done = _cli_limited(home, room, "import", big)
    assert done.returncode == 1, done
    err = done.stderr
    assert "Traceback" not in err, err
    assert f"{library}: could not write to the library (" in err, err
    assert "is the disk full?" in err
    assert f"Import of {big} stopped at record" in err
    assert "Importing again is safe." in err

    assert integrity(home) == "ok"
    assert_kept(home, mine)
    with open_library(home) as lib:
        present = [i for i in ids if lib.get(i) is not None]
    assert present == ids[: len(present)]  # whole transactions only, in file order
    saved = int(err.split("; the ")[1].split(" papers")[0].replace(",", ""))
    assert saved == len(present)

    # With room again, the same import finishes the job and the index catches up.
    again = cli_process(home, "import", big)
    assert again.returncode == 0, again.stderr
    with open_library(home) as lib:
        assert lib.count() == 650 + BIG
    assert_kept(home, mine)
    assert index_state(home) == "ok"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX resource limits")
def test_disk_full_during_export_writes_nothing(tmp_path: Path) -> None:
    home = copy_sample(tmp_path / "home")
    target = tmp_path / "backup.json"
    target.write_text("the previous backup")
    room = 200_000  # less than the export; more than SQLite's shared-memory file
    done = _cli_limited(home, room, "export", "--all", "--format", "json", "-o", target)
    assert done.returncode == 1, done
    assert done.stderr.startswith(f"absreader: error: cannot write {target}: File too large")
    assert "nothing was written" in done.stderr
    assert target.read_text() == "the previous backup"  # the old file is untouched
    assert sorted(os.listdir(tmp_path)) == ["backup.json", "home"]  # no temporary left over

    # To standard output, redirected to a file: the same clear error, not a traceback.
    with (tmp_path / "stdout.json").open("w") as out:
        done = _cli_limited(home, room, "export", "--all", "--format", "json", stdout=out,
                            stderr=subprocess.PIPE, capture_output=False)  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "File too large" in done.stderr


def test_sqlite_disk_full_is_a_clear_error_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    lib = Library.open(path)
    lib.upsert([Record(source="t", line=1, title="First paper", abstract="Words.")])
    pages = lib._conn.execute("PRAGMA page_count").fetchone()[0]
    lib._conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # SQLite's SQLITE_FULL
    seq = lib.current_seq()
    many = [Record(source="t", line=i, title=f"Paper {i}", abstract="x " * 500) for i in range(200)]
    with pytest.raises(LibraryError, match=r"the disk is full; nothing was changed"):
        lib.upsert(many)
    assert lib.count() == 1 and lib.current_seq() == seq
    with pytest.raises(LibraryError, match="the disk is full"):
        lib.set_note(lib.list_keys()[0], "n " * 50_000)
    lib.set_bookmarked(lib.list_keys()[0])  # small writes that fit still work
    assert lib.require(lib.list_keys()[0]).bookmarked
    lib.close()


# ----------------------------------------------------------------------------- read-only folders


def test_read_only_data_folder_is_a_clear_error_and_nothing_is_written(tmp_path: Path) -> None:
    home = copy_sample(tmp_path / "home")
    data = paths_of(home).data_dir
    library = paths_of(home).library_file
    before = digest(library)
    big, _ = big_jsonl()
    with read_only(data):
        for args in (("import", str(big)), ("bookmark", KEY), ("show", KEY), ("stats",)):
            done = cli_process(home, *args)
            assert done.returncode == 1, (args, done)
            err = done.stderr
            assert "Traceback" not in err and err.count("\n") == 1, err
            assert f"{library}: cannot open the library: its folder is read-only" in err
            assert f"Make {data} writable, or set ABSREADER_HOME" in err
            assert "nothing was changed" in err
        assert sorted(os.listdir(data)) == ["library.sqlite3"]
    assert digest(library) == before
    with open_library(home) as lib:
        assert lib.count() == 650 and not lib.list_keys(bookmarked=True)


def test_read_only_library_file_reads_and_refuses_writes(tmp_path: Path) -> None:
    home = copy_sample(tmp_path / "home")
    library = paths_of(home).library_file
    before = digest(library)
    big, _ = big_jsonl()
    import contextlib
    import shutil as _shutil

    library.chmod(0o444)
    immutable = False
    if os.access(library, os.W_OK):  # root: make it immutable instead
        chattr = _shutil.which("chattr")
        if not chattr or subprocess.run([chattr, "+i", str(library)]).returncode:
            pytest.skip("cannot make a read-only file as this user")
        immutable = True
    try:
        shown = cli_process(home, "show", KEY, "--json")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["key"] == KEY
        for args in (("bookmark", KEY), ("import", str(big)), ("tag", KEY, "x")):
            done = cli_process(home, *args)
            assert done.returncode == 1, (args, done)
            assert "Traceback" not in done.stderr
            assert f"{library}: the library is read-only" in done.stderr, done.stderr
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(library)], check=True)
        with contextlib.suppress(OSError):
            library.chmod(0o644)
    assert digest(library) == before


async def test_reader_meeting_damage_mid_session_says_so_and_keeps_running(
    tmp_path: Path,
) -> None:
    """Damage the start-up checks cannot see (an index inside the file) reaches the reader
    as one readable notification naming the file, never a crash."""
    from conftest_ui import app_for, settle

    home = copy_sample(tmp_path / "home")
    library = paths_of(home).library_file
    conn = sqlite3.connect(library)
    root = conn.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'papers_seq'").fetchone()[
        0
    ]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with library.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xff" * page_size)
    before = digest(library)
    app = app_for(paths_of(home))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        # Another process commits (the change counter moves): the reader reads what
        # changed, through the damaged index.
        other = sqlite3.connect(library)
        with other:
            other.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE name = 'seq'")
        other.close()
        before = digest(library)
        for _ in range(100):  # the watcher looks twice a second
            if any(severity == "error" for severity, _, _ in app.notified):
                break
            await pilot.pause(0.1)
        await settle(pilot)
        assert app.is_running
        errors = [message for severity, _, message in app.notified if severity == "error"]
        assert errors, app.notified
        assert all(f"{library}: the library file is damaged" in m for m in errors), errors
    assert digest(library) == before
