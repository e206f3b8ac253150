"""``python -m bench``: build or reuse the generated office, measure, print the table.

    python -m bench [--scale 0.01|0.1|0.3|1.0] [--engine sqlite|postgresql]
                    [--only records|rules|report] [--json] [--seed N] [--pg-url URL]

A missing cache entry is generated first, in a child process (so that the
peak memory shown is the measurements', not the generator's).  Exit codes:
0 measured (whatever the figures), 1 a figure's ratio regressed more than 3×
its budget with ``--check``, 2 usage, 3 the database could not be built or
opened (one Chinese-and-English line on stderr).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable

import peewee

from supervise.db import close_database, open_database
from supervise.errors import EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, EXIT_USAGE, UserError

from . import Context, documents, ratings, records, rules
from .generate import DEFAULT_PG_URL, Spec, cached, discard_work_copy, ensure, work_copy
from .report import Figure, as_json, table

logger = logging.getLogger(__name__)

# rules runs last: it rewrites every complaint's state and writes millions of rows
SUITES: dict[str, Callable[[Context], list[Figure]]] = {"records": records.run, "ratings": ratings.run,
                                                         "report": documents.run, "rules": rules.run}
SCALES = (0.01, 0.1, 0.3, 1.0)


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
        type=float,
        choices=SCALES,
        default=0.1,
        help="share of 1,000,000 complaints (default 0.1)",
    )
    p.add_argument("--complaints", type=int, help="exact number of complaints (overrides --scale)")
    p.add_argument(
        "--ratings",
        type=int,
        help="number of 好差评 ratings (default: 10 per complaint when the ratings suite runs, else none)",
    )
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
        "--ratings",
        str(spec.ratings),
        "--engine",
        engine,
        "--pg-url",
        pg_url,
    ]
    print(
        f"bench: 生成测试库 generating {spec.complaints:,} complaints ({engine}) …", file=sys.stderr
    )
    # progress (the child's stdout) shows on our stderr; the child's one error line is kept
    done = subprocess.run(cmd, stdout=sys.stderr, stderr=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise UserError(
            lines[-1]
            if lines
            else f"生成测试库失败 / generating the bench database failed ({done.returncode})"
        )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    spec = (
        Spec(args.complaints, args.seed)
        if args.complaints
        else Spec.at_scale(args.scale, args.seed)
    )
    suites = args.only or list(SUITES)
    ratings = args.ratings if args.ratings is not None else (10 * spec.complaints if "ratings" in suites else 0)
    spec = dataclasses.replace(spec, ratings=ratings)
    if spec.complaints < 1000 or args.repeats < 1:
        print(
            "bench: 至少 1000 件工单、每例至少计时 1 次 / at least 1000 complaints and 1 repeat",
            file=sys.stderr,
        )
        return EXIT_USAGE
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
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
            for name in suites:
                figures += SUITES[name](ctx)
        finally:
            close_database()
            discard_work_copy(spec, args.engine, args.pg_url)
    except UserError as exc:
        print(f"bench: {exc.line()}", file=sys.stderr)
        return exc.exit_code or EXIT_INVALID
    meta = {
        "scale": spec.complaints / 1_000_000,
        "complaints": spec.complaints,
        "ratings": spec.ratings,
        "engine": args.engine,
        "seed": spec.seed,
        "generation_s": {k: round(v, 1) for k, v in office.timings.items()},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "run_s": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(as_json(figures, meta))
    else:
        gen = ", ".join(f"{k} {v}" for k, v in meta["generation_s"].items())
        print(
            table(
                figures,
                [
                    f"supervise bench — {spec.complaints:,} complaints, {spec.ratings:,} ratings, "
                    f"{args.engine}, seed {spec.seed}",
                    f"machine: {meta['machine']}; generation (s): {gen}; this run: {meta['run_s']} s",
                    "",
                ],
            )
        )
    if args.check and any(f.regressed for f in figures):
        return EXIT_INTERNAL
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
