"""The import figures of issue #4, measured in one run.

    python -m bench.bench_import [--rows 1000000] [--json]

1. A ``ratings`` workbook of N rows (16 columns, a title row above the
   header, Excel date cells, levels as words and digits, one 差评 in about
   five) is written once with openpyxl's write-only mode into
   ``bench/.cache/`` and reused.
2. Reader only: the rows as the import's reader returns them (python-calamine,
   or openpyxl when it is missing), header found, cells normalised.
3. Baseline: the same reader's rows, unit codes and levels mapped, sent by a
   bare ``sqlite3`` ``executemany`` into the ``rating`` table of a fresh
   database at the current schema (same indexes), in chunks of 5,000, one
   transaction.
4. The import itself: ``supervise import ratings FILE`` in a child process
   against another fresh database (validation, duplicates, 差评 deadlines,
   timeline events, batch and audit entry), timed end to end without the
   process start-up; its peak memory is the child's ``ru_maxrss``.

Printed: rows/s of each, the ratio import ÷ baseline (issue target ≥ 0.5)
and the import's peak memory (target < 1.5 GB).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import logging
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from supervise import identity

logger = logging.getLogger(__name__)

CACHE = Path(__file__).resolve().parent / ".cache"
UNITS = 50
HEADER = [
    "评价编号",
    "评价时间",
    "单位编码",
    "单位名称",
    "服务窗口",
    "工作人员工号",
    "工作人员姓名",
    "事项编码",
    "事项名称",
    "评价渠道",
    "评价等级",
    "差评原因",
    "评价内容",
    "评价人",
    "联系电话",
    "是否实名",
]
LEVEL_WORDS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
CHANNELS = ("窗口", "网上", "掌上", "自助终端")
GOOD = (
    "办事效率高，工作人员态度很好",
    "一次办成，非常方便",
    "材料齐全当场办结",
    "指引清楚，服务热情",
)
BAD = ("等待时间太长", "工作人员态度生硬", "要求重复提交材料", "系统故障无法办理")
PASSWORD = "bench-pass-123"


def workbook(rows: int) -> Path:
    """The cached ratings workbook of ``rows`` rows (written once)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"ratings_{rows}.xlsx"
    if path.exists():
        return path
    from openpyxl import Workbook

    started = time.monotonic()
    rnd = random.Random(4)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("评价明细")
    sheet.append(["政务服务好差评评价明细（导出）"])
    sheet.append(HEADER)
    base = dt.datetime(2026, 3, 1, 8, 30)
    for i in range(rows):
        level = rnd.choice((5, 5, 5, 5, 5, 4, 4, 3, 2, 1))
        unit = rnd.randrange(UNITS)
        real = rnd.random() < 0.3
        sheet.append(
            [
                f"PJ{i:010d}",
                base + dt.timedelta(seconds=i * 2),
                f"U{unit:03d}",
                f"单位{unit:03d}",
                f"{unit % 7 + 1}号窗口",
                None,
                None,
                None,
                None,
                rnd.choice(CHANNELS),
                LEVEL_WORDS[level] if i % 2 else level,
                rnd.choice(BAD) if level <= 2 else None,
                rnd.choice(BAD if level <= 2 else GOOD),
                "张三" if real else None,
                13800000000 + i % 10_000_000 if real else None,
                "是" if real else "否",
            ]
        )
    tmp = path.with_suffix(".part")
    book.save(tmp)
    tmp.replace(path)
    print(f"generated {path.name} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return path


def fresh_database(folder: Path, name: str) -> str:
    """A new SQLite database at the current schema with the bench units; returns its URL."""
    from supervise import migrations
    from supervise.db import close_database, open_database
    from supervise.models import Unit

    url = f"sqlite:///{folder / name}"
    open_database(url)
    try:
        migrations.upgrade()
        Unit.insert_many(
            [{"code": f"U{i:03d}", "name": f"单位{i:03d}"} for i in range(UNITS)]
        ).execute()
    finally:
        close_database()
    return url


def read_only(path: Path) -> tuple[int, float]:
    from supervise.registry import get_registry
    from supervise.tabular import RowReader

    columns = get_registry().importer("ratings").columns
    started = time.monotonic()
    count = sum(1 for _ in RowReader(path, columns))
    return count, time.monotonic() - started


def baseline(path: Path, db_file: Path) -> tuple[int, float]:
    """Same reader, minimal mapping, bare executemany into ``rating``."""
    from supervise.db import SQLITE_PRAGMAS
    from supervise.registry import get_registry
    from supervise.tabular import RowReader

    columns = get_registry().importer("ratings").columns
    conn = sqlite3.connect(db_file, isolation_level=None)
    for key, value in SQLITE_PRAGMAS.items():
        conn.execute(f"PRAGMA {key} = {value}")
    units = dict(conn.execute("SELECT code, id FROM unit"))
    levels = {**{w: lv for lv, w in LEVEL_WORDS.items()}, **{lv: lv for lv in LEVEL_WORDS}}
    sql = (
        "INSERT INTO rating (version, source, external_id, unit_id, window, channel, level, bad, reasons, "
        "comment, identity_sealed, masked_name, masked_phone, real_name, rated_at, status) "
        "VALUES (1, 'ratings', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    public = conn.execute("SELECT public_key FROM identity_key WHERE kind = 'office'").fetchone()[0]
    started = time.monotonic()
    seal = identity.Sealer(base64.b64decode(public))  # the identities sealed as the importer seals them
    conn.execute("BEGIN IMMEDIATE")
    chunk: list[tuple] = []
    count = 0
    for row in RowReader(path, columns):
        v = row.cells
        level = levels[v["评价等级"]]
        chunk.append(
            (
                v["评价编号"],
                units[v["单位编码"]],
                v["服务窗口"] or "",
                v["评价渠道"],
                level,
                level <= 2,
                v["差评原因"] or "",
                v["评价内容"] or "",
                *_identity(seal, units[v["单位编码"]], v["评价时间"], v["评价编号"], v["评价人"], v["联系电话"]),
                v["是否实名"] == "是",
                str(v["评价时间"]),
                "待核实" if level <= 2 else "无需处理",
            )
        )
        if len(chunk) == 5000:
            conn.executemany(sql, chunk)
            count += len(chunk)
            chunk = []
    conn.executemany(sql, chunk)
    count += len(chunk)
    conn.execute("COMMIT")
    elapsed = time.monotonic() - started
    conn.close()
    return count, elapsed


def full_import(path: Path, folder: Path, url: str) -> tuple[dict, float, int]:
    """``supervise import ratings`` in a child process: (answer, seconds, peak RSS in bytes)."""
    env = dict(
        os.environ,
        SUPERVISE_HOME=str(folder / "home"),
        SUPERVISE_USER="bench",
        SUPERVISE_PASSWORD=PASSWORD,
        SUPERVISE_DB=url,
    )
    subprocess.run(
        [sys.executable, "-m", "supervise", "init", "--admin", "bench"],
        env=env,
        check=True,
        capture_output=True,
    )
    probe = [
        sys.executable,
        "-c",
        "import supervise.cli.main, supervise.registry as r; r.get_registry().importers()",
    ]
    started = time.monotonic()
    subprocess.run(probe, env=env, check=True)
    startup = (
        time.monotonic() - started
    )  # interpreter, imports and plugin loading: not the import's work
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "supervise", "import", "ratings", str(path), "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.monotonic() - started - startup
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}): {done.stderr.strip()}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # kilobytes on Linux
    return json.loads(done.stdout), elapsed, peak


def reader_name() -> str:
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl read-only"
    return "python-calamine"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_import", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    path = workbook(args.rows)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        count, read_s = read_only(path)
        fresh_database(folder, "baseline.db")
        base_rows, base_s = baseline(path, folder / "baseline.db")
        url = fresh_database(folder, "import.db")
        answer, import_s, peak = full_import(path, folder, url)
    result = {
        "rows": count,
        "reader": reader_name(),
        "reader_rows_per_s": round(count / read_s),
        "baseline_rows_per_s": round(base_rows / base_s),
        "import_rows_per_s": round(answer["imported"] / import_s),
        "ratio": round((answer["imported"] / import_s) / (base_rows / base_s), 3),
        "import_seconds": round(import_s, 1),
        "baseline_seconds": round(base_s, 1),
        "reader_seconds": round(read_s, 1),
        "peak_memory_mb": round(peak / 2**20),
        "imported": answer["imported"],
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"rows {count:,}  reader {result['reader']}")
    print(f"reader only          {read_s:8.1f} s  {result['reader_rows_per_s']:>10,} rows/s")
    print(
        f"baseline executemany {base_s:8.1f} s  {result['baseline_rows_per_s']:>10,} rows/s  (read + insert)"
    )
    print(f"supervise import     {import_s:8.1f} s  {result['import_rows_per_s']:>10,} rows/s")
    print(f"ratio import/baseline {result['ratio']:.2f}  (target >= 0.50)")
    print(f"peak memory of the import {result['peak_memory_mb']:,} MB  (target < 1,536 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def _identity(seal: identity.Sealer, unit: int, rated: Any, key: str, rater: str | None,
              phone: str | None) -> tuple[str | None, str | None, str | None]:
    if rater is None and phone is None:
        return None, None, None
    cols = identity.rating_columns(seal, identity.rating_aad(unit, rated, "ratings", key), rater, phone)
    return cols["identity_sealed"], cols["masked_name"], cols["masked_phone"]
