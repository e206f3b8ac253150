"""Bad input (issue #8, item 3): generated malformed files and command lines never give a
traceback, always the exit code of SPEC §8, and never a partial import.

Property tests (hypothesis) run every importer through the CLI entry point in process, on
SQLite and PostgreSQL.  A plain run tries a few examples (profile ``reliability-ci``);
``SUPERVISE_LONG_TESTS=1``, which CI sets, selects ``reliability-long`` (4,530 inputs in about
a minute) unless ``SUPERVISE_INPUT_PROFILE`` names a profile.  The inputs tried are counted
and, with ``SUPERVISE_RELIABILITY_REPORT=FILE``, written there as JSON for docs/RELIABILITY.md;
every property must try all its examples, and the profile that .ci/run selects must plan at
least ``FLOOR`` inputs.  Zip bombs are opened by a subprocess whose peak RSS growth is measured.

An example costs what its import or command costs (~25 ms for a file, ~3 ms for a command
line): the parser is built once per module, and "nothing changed" is the row count of every
table in one statement over one connection held for the test.
"""

# The fixtures `cli` and `office` come from tests/import_support.py and are requested by name.
# ruff: noqa: F811

from __future__ import annotations

import collections
import datetime as dt
import functools
import json
import os
import re
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supervise.cli import main as cli_main
from supervise.cli.main import build_parser
from supervise.registry import get_registry

from .import_support import cli, counts, office, rows, write_csv, write_xlsx  # noqa: F401

settings.register_profile(
    "reliability-ci",
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "reliability-long",
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def profile_name(env: Mapping[str, str]) -> str:
    """SUPERVISE_INPUT_PROFILE names the profile outright; else the long flag picks it."""
    return env.get("SUPERVISE_INPUT_PROFILE") or (
        "reliability-long" if env.get("SUPERVISE_LONG_TESTS") == "1" else "reliability-ci"
    )


PROFILE = settings.get_profile(profile_name(os.environ))
FORMATS = ("ratings", "hotline", "survey", "findings", "units", "staff", "matters")
JUNK_SUFFIXES = (".xlsx", ".csv")
ARGV_TIMES = 5  # command lines are the cheapest inputs: 5× the examples of a file property
EXIT_CODES = {0, 2, 3, 4, 5, 6}
TRIED: collections.Counter[str] = collections.Counter()


def add_to_report(tried: collections.Counter[str]) -> None:
    """Add the counts to the JSON file named by SUPERVISE_RELIABILITY_REPORT, if any."""
    target = os.environ.get("SUPERVISE_RELIABILITY_REPORT")
    if target:
        path = Path(target)
        old = json.loads(path.read_text()) if path.exists() else {}
        for key, n in tried.items():
            old[key] = old.get(key, 0) + n
        path.write_text(json.dumps(old, ensure_ascii=False, indent=1, sort_keys=True))


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    yield
    add_to_report(TRIED)


ONE_PARSER = functools.cache(build_parser)


@pytest.fixture(autouse=True)
def _one_parser(monkeypatch):
    """Every command goes through ``main`` and the real parser, built once per module: building
    it costs ~30 ms (a help formatter and gettext look-ups for every argument of every command),
    parsing under 1 ms."""
    monkeypatch.setattr(cli_main, "build_parser", ONE_PARSER)


def run_all(check: Callable[[], None], key: str, planned: int) -> None:
    """Run the property ``check``; hypothesis must have tried all ``planned`` examples (the
    floor below counts on it)."""
    start = TRIED[key]
    check()
    assert TRIED[key] - start >= planned, f"{key}: {TRIED[key] - start} of {planned} tried"


def one_clean_line(err: str) -> None:
    assert "Traceback" not in err and "内部错误" not in err, err
    assert len(err.strip().splitlines()) == 1, err


def refused(office, rows, path: Path, fmt: str, before: dict[str, int]) -> str:
    code, _, err = office("import", fmt, str(path))
    assert code == 3, err
    one_clean_line(err)
    assert rows() == before
    return err


# -- generated values ------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
PLAUSIBLE = st.sampled_from(
    [
        "U01",
        "U0101",
        "U99",
        "S001",
        "M001",
        "满意",
        "5",
        "0",
        "-1",
        "1e9",
        "2025-10-09 10:00",
        "2026年10月5日 14时03分",
        "2025-02-30",
        "9999-99-99",
        "是",
        "否",
        "匿名",
        "=1+1",
        "@SUM(A1)",
        "",
        " ",
        "　",
        "nan",
        "NULL",
        "'; DROP TABLE complaint; --",
    ]
)
CELL = st.one_of(
    st.none(),
    TEXT,
    PLAUSIBLE,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)),
    st.tuples(st.sampled_from("好a="), st.integers(32_768, 40_000)).map(lambda p: p[0] * p[1]),
)


def columns(fmt: str) -> list[str]:
    return [c.name for c in get_registry().importer(fmt).columns]


def poison(fmt: str) -> list[object]:
    """A row that is always an error: the first required value missing, the rest filled."""
    spec = get_registry().importer(fmt)
    required = [c.name for c in spec.columns if c.required]
    return [None if c.name == required[0] else (c.example or "x") for c in spec.columns]


@st.composite
def malformed_table(draw, fmt: str) -> tuple[list[str], list[list[object]], str]:
    names = columns(fmt)
    rows = draw(st.lists(st.lists(CELL, min_size=len(names), max_size=len(names)), max_size=6))
    rows.insert(draw(st.integers(0, len(rows))), poison(fmt))
    kind = draw(st.sampled_from(["xlsx", "csv-utf-8", "csv-gb18030", "csv-utf-8-sig"]))
    return names, rows, kind


def write_table(tmp: Path, names: list[str], rows: list[list[object]], kind: str) -> Path:
    if kind == "xlsx":
        return write_xlsx(tmp / "in.xlsx", names, rows)
    encoding = kind.removeprefix("csv-")
    text_rows = [
        [("" if v is None else str(v)).encode(encoding, "replace").decode(encoding) for v in row]
        for row in rows
    ]
    return write_csv(tmp / "in.csv", names, text_rows, encoding=encoding)


@pytest.mark.parametrize("fmt", FORMATS)
def test_generated_malformed_rows_import_nothing(office, rows, tmp_path, fmt):
    before = rows()

    @PROFILE
    @given(malformed_table(fmt))
    def check(table):
        names, cells, kind = table
        path = write_table(tmp_path, names, cells, kind)
        code, _, err = office("import", fmt, str(path), "--errors", str(tmp_path / "errs.xlsx"))
        TRIED[f"rows:{fmt}"] += 1
        assert code == 3, err
        one_clean_line(err)
        assert rows() == before

    run_all(check, f"rows:{fmt}", PROFILE.max_examples)


@pytest.mark.parametrize("suffix", JUNK_SUFFIXES)
def test_binary_junk_is_refused(office, rows, tmp_path, suffix):
    before = rows()

    @PROFILE
    @given(
        st.binary(max_size=2000),
        st.sampled_from(FORMATS),
        st.sampled_from([b"", b"PK\x03\x04", b"\xef\xbb\xbf"]),
    )
    def check(junk, fmt, prefix):
        path = tmp_path / f"junk{suffix}"
        path.write_bytes(prefix + junk)
        TRIED[f"junk{suffix}"] += 1
        refused(office, rows, path, fmt, before)

    run_all(check, f"junk{suffix}", PROFILE.max_examples)


def test_damaged_workbooks_are_refused(office, rows, tmp_path):
    """A real workbook (with one bad row) with bytes flipped or cut off anywhere."""
    good = write_xlsx(tmp_path / "good.xlsx", columns("ratings"), [poison("ratings")]).read_bytes()
    before = rows()

    @PROFILE
    @given(
        st.lists(
            st.tuples(st.integers(0, len(good) - 1), st.integers(0, 255)), min_size=1, max_size=8
        ),
        st.integers(1, len(good)),
    )
    def check(flips, keep):
        data = bytearray(good[:keep])
        for at, value in flips:
            if at < len(data):
                data[at] = value
        path = tmp_path / "damaged.xlsx"
        path.write_bytes(bytes(data))
        TRIED["damaged.xlsx"] += 1
        refused(office, rows, path, "ratings", before)

    run_all(check, "damaged.xlsx", PROFILE.max_examples)


# -- the command line ------------------------------------------------------------------

SKIP_COMMANDS = {"gui", "demo"}


def _commands() -> list[tuple[list[str], list[str]]]:
    """(command words, option strings) of every leaf command of the parser."""
    import argparse

    found = []

    def walk(parser: argparse.ArgumentParser, words: list[str]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            opts = [
                s
                for a in parser._actions
                for s in a.option_strings
                if s.startswith("--") and s != "--help"
            ]
            found.append((words, opts))
            return
        for name, child in subs[0].choices.items():
            if not words and name in SKIP_COMMANDS:
                continue
            walk(child, [*words, name])

    walk(build_parser(), [])
    return found


COMMANDS = _commands()
ARG = st.one_of(
    TEXT.filter(lambda s: "\x00" not in s),
    PLAUSIBLE,
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(
        [
            "2026-13-01",
            "2026-02-30T25:61",
            "2026-10",
            "-1",
            "0",
            "TS20260300001",
            "--json",
            "蓝",
            "满意",
            "yes",
            "--",
            "-",
            "10000000000000000000000",
            "1e400",
            "../../etc/passwd",
        ]
    ),
)


@st.composite
def argv(draw) -> list[str]:
    words, options = draw(st.sampled_from(COMMANDS))
    tail: list[str] = []
    for _ in range(draw(st.integers(0, 5))):
        if options and draw(st.booleans()):
            tail.append(draw(st.sampled_from(options)))
        tail.append(draw(ARG))
    return [*words, *tail]


def test_generated_command_lines(cli, rows, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    @settings(PROFILE, max_examples=PROFILE.max_examples * ARGV_TIMES)
    @given(argv())
    def check(args):
        before = rows()
        try:
            code, _, err = cli(*args)
        except SystemExit as exc:  # argparse: usage errors and --help
            code, err = exc.code, ""
        TRIED["argv"] += 1
        assert code in EXIT_CODES, (args, code, err)
        assert "Traceback" not in err and "内部错误" not in err, (args, err)
        if code != 0:  # a refused command changes nothing but the audit of a failed log-in
            after = rows()
            assert {
                k: v for k, v in after.items() if k not in ("audit_entry", "user", "setting")
            } == {k: v for k, v in before.items() if k not in ("audit_entry", "user", "setting")}, (
                args
            )

    run_all(check, "argv", PROFILE.max_examples * ARGV_TIMES)


# -- zip bombs and oversized cells -------------------------------------------------------


def _deflated_spaces(head: bytes, spaces: int, tail: bytes) -> tuple[bytes, int, int]:
    """A raw deflate stream of head + spaces + tail built from one repeated block: (data, crc, size)."""
    chunk = b" " * 2**20
    block = (c := zlib.compressobj(9, zlib.DEFLATED, -15)).compress(chunk) + c.flush(
        zlib.Z_FULL_FLUSH
    )
    start = (c := zlib.compressobj(9, zlib.DEFLATED, -15)).compress(head) + c.flush(
        zlib.Z_FULL_FLUSH
    )
    end = (c := zlib.compressobj(9, zlib.DEFLATED, -15)).compress(tail) + c.flush(zlib.Z_FINISH)
    times = spaces // len(chunk)
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    return start + block * times + end, crc, len(head) + times * len(chunk) + len(tail)


def bomb_xlsx(path: Path, template: Path, unpacked: int, declared: int | None = None) -> Path:
    """A real workbook whose first sheet XML expands to ``unpacked`` bytes of whitespace.

    With ``declared`` the zip directory lies about the size (a forged bomb)."""
    import zipfile

    with zipfile.ZipFile(template) as z:
        parts = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    out, central = bytearray(), bytearray()
    for name, content in parts:
        if name == "xl/worksheets/sheet1.xml":
            cut = content.index(b"<sheetData>") + len(b"<sheetData>")
            data, crc, size = _deflated_spaces(content[:cut], unpacked, content[cut:])
            size = size if declared is None else declared
        else:
            data, crc, size = zlib.compress(content)[2:-4], zlib.crc32(content), len(content)
        n, offset = name.encode(), len(out)
        fields = (8, 0, 0x21, crc, len(data), size, len(n))
        out += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, *fields, 0) + n + data
        central += (
            struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, *fields, 0, 0, 0, 0, 0, offset) + n
        )
    cd = len(out)
    out += central + struct.pack(
        "<4s4H2IH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(central), cd, 0
    )
    path.write_bytes(bytes(out))
    return path


CHILD = """
import resource, sys
from supervise.cli.main import main
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
code = main(sys.argv[1:])
print("RSS", code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base)
"""


def rss_growth(db: str, *argv: str) -> tuple[int, int, str]:
    """Run the CLI in a fresh interpreter: (exit code, peak RSS growth in MB, stderr)."""
    env = dict(os.environ, SUPERVISE_USER="admin")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "--db", db, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    marker = done.stdout.strip().splitlines()[-1].split()
    assert marker[0] == "RSS", done.stdout
    return int(marker[1]), int(marker[2]) // 1024, done.stderr


@pytest.mark.parametrize(
    "db_url", ["sqlite"], indirect=True
)  # refused before any storage is touched
@pytest.mark.parametrize("declared", [None, 4096], ids=["honest", "forged-directory"])
def test_zip_bomb_refused_in_bounded_memory(office, tmp_path, declared):
    template = write_xlsx(tmp_path / "t.xlsx", columns("ratings"), [poison("ratings")])
    bomb = bomb_xlsx(tmp_path / "bomb.xlsx", template, 3 * 2**30, declared)
    assert bomb.stat().st_size < 4 * 2**20
    before = counts(office.url)
    code, growth, err = rss_growth(office.url, "import", "ratings", str(bomb))
    TRIED["zip bomb"] += 1
    assert code == 3, err
    one_clean_line(err)
    assert "xlsx" in err or "工作簿" in err
    assert growth < 300, f"peak RSS grew by {growth} MB"
    assert counts(office.url) == before


def oversize(path: Path) -> Path:
    """openpyxl cuts a cell to Excel's 32,767 characters; put the whole 40,000 back into the XML."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, content in parts:
            z.writestr(info, content.replace(("超" * 32_767).encode(), ("超" * 40_000).encode()))
    return path


def test_oversized_cells_in_every_format(office, rows, tmp_path):
    before = rows()
    for fmt in FORMATS:
        names = columns(fmt)
        row = [
            ("超" * 40_000) if i == 0 else (c or "x")
            for i, c in enumerate(c.example for c in get_registry().importer(fmt).columns)
        ]
        for path in (
            oversize(write_xlsx(tmp_path / f"{fmt}.xlsx", names, [row])),
            write_csv(tmp_path / f"{fmt}.csv", names, [row]),
        ):
            code, _, err = office("import", fmt, str(path))
            TRIED["oversized cell"] += 1
            assert code == 3, err
            one_clean_line(err)
            assert rows() == before


# -- the floor ---------------------------------------------------------------------------

FLOOR = 4_000  # docs/RELIABILITY.md, "Bad input": what CI tries, both engines together
ROOT = Path(__file__).resolve().parent.parent


def planned_inputs(max_examples: int) -> int:
    """The inputs one run of this module tries on both engines with ``max_examples``."""
    per_engine = (len(FORMATS) + len(JUNK_SUFFIXES) + 1 + ARGV_TIMES) * max_examples
    oversized = 2 * len(FORMATS)  # xlsx and csv
    return 2 * (per_engine + oversized) + 2  # the zip bombs run on SQLite only


def test_ci_tries_at_least_the_documented_floor():
    """The profile .ci/run selects plans at least FLOOR inputs (each property tries all its
    examples: ``run_all``), and docs/RELIABILITY.md states that floor."""
    env = {
        name: value
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.startswith("export ")
        for name, value in re.findall(r"\b(SUPERVISE_[A-Z_]+)=(\S+)", line)
    }
    max_examples = settings.get_profile(profile_name(env)).max_examples
    assert planned_inputs(max_examples) >= FLOOR, (profile_name(env), planned_inputs(max_examples))
    doc = (ROOT / "docs" / "RELIABILITY.md").read_text()
    assert f"floor of {FLOOR:,} inputs" in doc
