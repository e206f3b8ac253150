"""A deterministic city-scale office for the benchmarks: :func:`build`, and its command line.

:func:`build` fills an empty database (created by
:func:`supervise.migrations.upgrade`) with 300 units in a two-level tree,
their staff and matters, ``Spec.complaints`` complaints received over
one month (the measured month), ``Spec.history_months`` months of older
complaints (together ``Spec.history_share`` of the month's count), ten
ratings per complaint of the month with the demo's reasons and comments
(:mod:`bench.gen_ratings`, which writes their keyword index too), then the
complaints' keyword index: on SQLite through :func:`supervise.search.rebuild`
(which feeds :func:`supervise.search.index_complaints` in big batches), on
PostgreSQL as the ``tsv`` column written in the ``COPY`` with each row, the
GIN indexes built once at the end.  The import files
come from the same spec (:mod:`bench.gen_files`).  Everything follows from
``Spec.seed``: the same spec always gives the same rows.

The parts, each its own module:

- :mod:`bench.gen_spec`: :class:`Spec` (what to generate), its cache key
  (:attr:`Spec.key`, :func:`schema_tag`) and :class:`Office` (what was made);
- :mod:`bench.gen_office`: the units, matters and staff, and the unit skew;
- :mod:`bench.gen_complaints`: the complaint rows (content, times, statuses);
- :mod:`bench.gen_ratings`: the ratings, written set-based in the database;
- :mod:`bench.gen_write`: the raw-driver writer (``executemany`` on SQLite,
  ``COPY`` on PostgreSQL) and index rebuilds after a bulk load;
- :mod:`bench.gen_files`: the import files.

No timeline events or audit entries are written for the generated
complaints (the records figures do not read them).

:mod:`bench.cache` keeps one generated database per spec: a file under
``bench/.cache/`` for SQLite, a database named after the spec for
PostgreSQL.  Each run measures a fresh copy of it, so what a run writes
(registrations) never leaks into the next.  Run as ``python -m bench.generate``
to build a cache entry in its own process.  The names the suites and tests
import from here (``Spec``, ``Office``, ``build``, ``reference_only``, …)
stay importable from this module.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time

from supervise import migrations, search
from supervise.db import close_database, database, is_sqlite, open_database, write_transaction
from supervise.models import Complaint, Rating

from . import gen_ratings
from .gen_complaints import ComplaintRows, template_fill, write_complaints
from .gen_office import make_units, reference_only, unit_weights, write_reference
from .gen_spec import (
    CACHE_DIR,
    DEFAULT_PG_URL,
    FULL_SCALE,
    GENERATOR_VERSION,
    Office,
    Spec,
    history_months,
    schema_tag,
)
from .gen_write import bulk

logger = logging.getLogger(__name__)

__all__ = [
    "CACHE_DIR",
    "DEFAULT_PG_URL",
    "FULL_SCALE",
    "GENERATOR_VERSION",
    "Office",
    "Spec",
    "build",
    "history_months",
    "main",
    "make_units",
    "reference_only",
    "schema_tag",
    "template_fill",
    "unit_weights",
]


def build(url: str, spec: Spec, progress: bool = False) -> Office:
    """Fill the empty database at ``url`` with ``spec``'s office; return what was made.

    In order: reference data; the measured month's complaints (ids 1..N, so
    that they are the same rows whatever the history); the history months'
    complaints (ids after N, same unit skew, most closed long ago); ratings
    (:mod:`bench.gen_ratings`); then the keyword index of every complaint
    (SQLite; on PostgreSQL it came with the rows, only the GIN indexes are built).
    """
    timings: dict[str, float] = {}
    start = time.perf_counter()
    open_database(url)
    try:
        migrations.upgrade()
        rng = random.Random(spec.seed)
        units = make_units(rng)
        if is_sqlite():
            database.execute_sql("PRAGMA synchronous = OFF")  # a cache file: rebuilt on failure
        matters, staff = write_reference(units, rng)
        if not is_sqlite():  # the GIN indexes are built once, after the rows
            with write_transaction():
                for ix in search.INDEXES:
                    database.execute_sql(f"DROP INDEX IF EXISTS {ix.gin}")
        maker = ComplaintRows(spec, units, rng)
        made = 0
        counters = [(spec.month, spec.complaints)]
        with bulk(Complaint):
            for chunk in maker.rows():
                with write_transaction():
                    write_complaints(chunk)
                made += len(chunk)
                if progress:
                    print(f"  complaints {made:,}/{spec.complaints:,}", flush=True)
            old = random.Random(f"history-{spec.seed}")
            for month in history_months(spec) if spec.history else []:
                past = ComplaintRows(spec, units, old, month, spec.history, made + 1)
                for chunk in past.rows():
                    with write_transaction():
                        write_complaints(chunk)
                    made += len(chunk)
                counters.append((month, spec.history))
                if progress:
                    print(f"  history {month}: {spec.history:,}", flush=True)
        with write_transaction():
            database.connection().cursor().executemany(
                "INSERT INTO counter (name, value) VALUES (%s, %s)".replace("%s", database.param),
                [(f"complaint:{m.replace('-', '')}", n) for m, n in counters],
            )
        timings["rows_s"] = time.perf_counter() - start
        t = time.perf_counter()
        with bulk(Rating):
            ratings = gen_ratings.write(spec)
        timings["ratings_s"] = time.perf_counter() - t
        if progress:
            print(f"  ratings {ratings:,}", flush=True)
        t = time.perf_counter()
        if is_sqlite():
            search.rebuild(batch_size=20_000)
        else:  # the tsv columns came with the rows: build each GIN index in one pass
            with write_transaction():
                database.execute_sql("SET LOCAL maintenance_work_mem = '256MB'")
                search.create_schema()
        timings["index_s"] = time.perf_counter() - t
        if is_sqlite():
            database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            database.execute_sql("ANALYZE")  # what autovacuum does after a bulk load
        by_count = sorted(
            zip(maker.unit_counts, units, strict=True), key=lambda p: (-p[0], p[1].id)
        )
        return Office(
            units=[(u.code, n) for n, u in by_count],
            matters=matters,
            staff=staff,
            complaints=spec.complaints,
            month=spec.month,
            timings=timings,
            history=made - spec.complaints,
            ratings=ratings,
        )
    finally:
        close_database()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description="build a cached bench database"
    )
    parser.add_argument("--complaints", type=int, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url", default=os.environ.get("SUPERVISE_BENCH_PG_URL", DEFAULT_PG_URL)
    )
    args = parser.parse_args(argv)
    from .cache import ensure  # the cache builds with this module's build()

    try:
        office = ensure(Spec(args.complaints, args.seed), args.engine, args.pg_url, progress=True)
    except Exception as exc:  # one line for the person, the traceback for the log
        logger.debug("generation failed", exc_info=True)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"生成测试库失败 / generating the bench database failed: {first}", file=sys.stderr)
        return 3
    print(office.to_json(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
