"""``python -m bench``: build or reuse the generated office, measure, print the table.

    python -m bench [--scale 0.1 | --scale 0.1,0.3,1.0 | --scaling] [--engine sqlite|postgresql]
                    [--only records|report|gui|imports|rules] [--json] [--save FILE]
                    [--seed N] [--pg-url URL] [--check]

A missing cache entry is generated first, in a child process (so that the
peak memory shown is the measurements', not the generator's).  With several
scales each scale is measured in its own process and a scaling table
(:mod:`bench.scaling`) follows the figures.  Exit codes:
0 measured (whatever the figures), 1 a figure's ratio regressed more than 3×
its budget with ``--check``, 2 usage, 3 the database could not be built or
opened, or the ``gui`` suite found no X display (one Chinese-and-English line on stderr).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import peewee

from supervise.db import close_database, open_database
from supervise.errors import EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, EXIT_USAGE, UserError

from . import Context, documents, gui, imports, records, rules, scaling
from .cache import cached, discard_work_copy, ensure, work_copy
from .generate import DEFAULT_PG_URL, Spec
from .report import Figure, table

logger = logging.getLogger(__name__)

# gui after report (whose ratings its rating list then shows); rules runs last: it
# rewrites every complaint's state and writes millions of rows
SUITES: dict[str, Callable[[Context], list[Figure]]] = {
    "records": records.run,
    "report": documents.run,
    "gui": gui.run,
    "imports": imports.run,
    "rules": rules.run,
}
SMALLEST = 1000  # complaints


def _scales(text: str) -> list[float]:
    """``0.1`` or ``0.1,0.3,1.0``: shares of 1,000,000 complaints, each in (0, 1]."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是比例 not a scale: {text!r}") from None
    if not values or any(not 0 < v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"比例应在 0 与 1 之间 scales are in (0, 1]: {text!r}")
    return sorted(set(values))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"bench: 用法错误 / usage error: {message}\n")


def _database_errors() -> tuple[type[Exception], ...]:
    errors: list[type[Exception]] = [sqlite3.Error, peewee.PeeweeException]
    try:
        import psycopg2

        errors.append(psycopg2.Error)
    except ImportError:
        pass
    return tuple(errors)


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m bench",
        description="性能基准 benchmark figures on a generated city-scale office",
    )
    p.add_argument(
        "--scale",
        type=_scales,
        default=[0.1],
        help="share of 1,000,000 complaints, or several: 0.1,0.3,1.0 (default 0.1)",
    )
    p.add_argument(
        "--scaling",
        action="store_const",
        dest="scale",
        const=list(scaling.SCALING),
        help="the figures at 10 %%, 30 %% and 100 %% and how each grows",
    )
    p.add_argument("--complaints", type=int, help="exact number of complaints (overrides --scale)")
    p.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument(
        "--only", choices=sorted(SUITES), action="append", help="run only this suite (repeatable)"
    )
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--repeats", type=int, default=3, help="timings per case (median kept)")
    p.add_argument(
        "--pg-url",
        default=os.environ.get("SUPERVISE_BENCH_PG_URL", DEFAULT_PG_URL),
        help="server and base name for the PostgreSQL bench databases",
    )
    p.add_argument(
        "--check", action="store_true", help="exit 1 when a ratio is more than 3× its budget"
    )
    p.add_argument("--json", action="store_true", help="以 JSON 输出 / print one JSON object")
    p.add_argument("--save", metavar="FILE", help="also write the JSON object to FILE")
    return p


def _generate(spec: Spec, engine: str, pg_url: str) -> None:
    """Build the cache entry in a child process; raise UserError when it fails."""
    cmd = [
        sys.executable,
        "-m",
        "bench.generate",
        "--complaints",
        str(spec.complaints),
        "--seed",
        str(spec.seed),
        "--engine",
        engine,
        "--pg-url",
        pg_url,
    ]
    print(
        f"bench: 生成测试库 generating {spec.complaints:,} complaints ({engine}) …", file=sys.stderr
    )
    # progress (the child's stdout) shows on our stderr; the child's one error line is kept
    done = subprocess.run(cmd, stdout=2, stderr=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise UserError(
            lines[-1]
            if lines
            else f"生成测试库失败 / generating the bench database failed ({done.returncode})"
        )


def measure(spec: Spec, args: argparse.Namespace) -> tuple[dict[str, Any], list[Figure]]:
    """Build or reuse ``spec``'s office, run the chosen suites on a fresh copy."""
    started = time.perf_counter()
    try:
        if cached(spec, args.engine, args.pg_url) is None:
            _generate(spec, args.engine, args.pg_url)
        office = ensure(spec, args.engine, args.pg_url)
        url = work_copy(spec, args.engine, args.pg_url)
    except (OSError, ImportError, *_database_errors()) as exc:  # no server, no driver, no disk
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(
            f"无法准备测试库：{first}", f"cannot prepare the bench database: {first}"
        ) from exc
    open_database(url)
    ctx = Context(url, args.engine, spec, office, repeats=args.repeats)
    figures: list[Figure] = []
    try:
        for name in args.only or list(SUITES):
            figures += SUITES[name](ctx)
    finally:
        close_database()
        discard_work_copy(spec, args.engine, args.pg_url)
    meta = {
        "scale": spec.complaints / 1_000_000,
        "complaints": spec.complaints,
        "history": office.history,
        "ratings": office.ratings,
        "engine": args.engine,
        "seed": spec.seed,
        "suites": args.only or list(SUITES),
        "generation_s": {k: round(v, 1) for k, v in office.timings.items()},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "run_s": round(time.perf_counter() - started, 1),
    }
    return meta, figures


def _header(meta: dict[str, Any]) -> list[str]:
    gen = ", ".join(f"{k} {v}" for k, v in meta["generation_s"].items())
    load = " ".join(f"{x:g}" for x in meta["load_average"])
    return [
        f"supervise bench — {meta['complaints']:,} complaints (+{meta['history']:,} history, "
        f"{meta['ratings']:,} ratings), {meta['engine']}, seed {meta['seed']}",
        f"machine: {meta['machine']}; load {load}; generation (s): {gen}; this run: {meta['run_s']} s",
        "",
    ]


def _child_run(scale: float, argv: list[str]) -> dict[str, Any]:
    """One scale measured in a child process; its JSON object."""
    keep: list[str] = []
    skip = False
    for arg in argv:  # the child gets every option but the scales, --save and --json
        if skip:
            skip = False
            continue
        if arg in ("--scale", "--save"):
            skip = True
            continue
        if arg.startswith(("--scale=", "--save=")) or arg in ("--scaling", "--json"):
            continue
        keep.append(arg)
    cmd = [sys.executable, "-m", "bench", *keep, "--scale", repr(scale), "--json"]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode not in (EXIT_OK, EXIT_INTERNAL):
        error = UserError(
            f"规模 {scale:g} 的测量失败（{done.returncode}）",
            f"the run at scale {scale:g} failed ({done.returncode})",
        )
        error.exit_code = done.returncode
        raise error
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    specs = (
        [Spec(args.complaints, args.seed)]
        if args.complaints
        else [Spec.at_scale(s, args.seed) for s in args.scale]
    )
    if any(s.complaints < SMALLEST for s in specs) or args.repeats < 1:
        print(
            "bench: 至少 1000 件工单、每例至少计时 1 次 / at least 1000 complaints and 1 repeat",
            file=sys.stderr,
        )
        return EXIT_USAGE
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if len(specs) == 1:
            meta, figures = measure(specs[0], args)
            result: dict[str, Any] = {**meta, "figures": [f.as_dict() for f in figures]}
            text = table(figures, _header(meta))
            regressed = any(f.regressed for f in figures)
        else:
            runs = [_child_run(s.complaints / 1_000_000, argv) for s in specs]
            rows = scaling.grow(runs)
            result = {"runs": runs, "scaling": rows}
            parts = [table([Figure.from_dict(f) for f in r["figures"]]) for r in runs]
            text = "\n\n".join(
                "\n".join(_header(r)) + "\n" + part for r, part in zip(runs, parts, strict=True)
            )
            text += "\n\n" + scaling.table(runs, rows)
            regressed = any(f["regressed"] for r in runs for f in r["figures"])
    except UserError as exc:
        print(f"bench: {exc.line()}", file=sys.stderr)
        return exc.exit_code or EXIT_INVALID
    blob = json.dumps(result, ensure_ascii=False)
    if args.save:
        Path(args.save).write_text(blob + "\n", encoding="utf-8")
    print(blob if args.json else text)
    if args.check and regressed:
        return EXIT_INTERNAL
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
