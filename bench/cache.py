"""The cache of generated offices: one database per spec, and fresh copies to measure.

:func:`ensure` builds ``spec``'s office once (:func:`bench.generate.build`):
a file ``<cache>/<key>.db`` for SQLite, a database ``supervise_bench_<key>``
for PostgreSQL, beside ``<cache>/<engine>-<key>.json`` describing it.  The
key (:attr:`bench.generate.Spec.key`) includes the generator version and
the schema, so a changed generator or migration never reuses an old entry.
Each run measures a fresh copy (:func:`work_copy`: a file copy, or
``CREATE DATABASE … TEMPLATE``) that :func:`discard_work_copy` drops, so what
a run writes never leaks into the next.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .generate import CACHE_DIR, DEFAULT_PG_URL, Office, Spec, build

logger = logging.getLogger(__name__)


def cache_dir() -> Path:
    """Where generated databases and files are kept: env ``SUPERVISE_BENCH_CACHE`` or bench/.cache."""
    return Path(os.environ.get("SUPERVISE_BENCH_CACHE") or CACHE_DIR)


def _pg_admin(url: str):  # -> psycopg2 connection to the server's maintenance database
    import psycopg2

    parts = urlparse(url)
    conn = psycopg2.connect(url[: -len(parts.path)] + "/postgres" if parts.path else url)
    conn.autocommit = True
    return conn


def _pg_url(base: str, name: str) -> str:
    parts = urlparse(base)
    return base[: -len(parts.path)] + "/" + name if parts.path else base + "/" + name


def _pg_exists(cur: Any, name: str) -> bool:
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    return cur.fetchone() is not None


def _pg_create(base: str, name: str, template: str | None = None) -> None:
    conn = _pg_admin(base)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    conn.close()


def cached(spec: Spec, engine: str, pg_url: str = DEFAULT_PG_URL) -> tuple[str, Path | str] | None:
    """(url, handle) of the cached database of ``spec`` if it was built, else None."""
    meta = cache_dir() / f"{engine}-{spec.key}.json"
    if not meta.exists():
        return None
    if engine == "sqlite":
        path = cache_dir() / f"{spec.key}.db"
        return (f"sqlite:///{path}", path) if path.exists() else None
    name = f"{urlparse(pg_url).path.lstrip('/') or 'supervise_bench'}_{spec.key}".lower()
    conn = _pg_admin(pg_url)
    with conn.cursor() as cur:
        found = _pg_exists(cur, name)
    conn.close()
    return (_pg_url(pg_url, name), name) if found else None


def ensure(spec: Spec, engine: str, pg_url: str = DEFAULT_PG_URL, progress: bool = False) -> Office:
    """Build the cache entry of ``spec`` unless it exists; return its description."""
    meta = cache_dir() / f"{engine}-{spec.key}.json"
    if cached(spec, engine, pg_url) is not None:
        return Office.from_json(meta.read_text(encoding="utf-8"))
    cache_dir().mkdir(parents=True, exist_ok=True)
    if engine == "sqlite":
        final = cache_dir() / f"{spec.key}.db"
        tmp = final.with_suffix(".tmp.db")
        for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            p.unlink(missing_ok=True)
        office = build(f"sqlite:///{tmp}", spec, progress)
        tmp.replace(final)
    else:
        name = f"{urlparse(pg_url).path.lstrip('/') or 'supervise_bench'}_{spec.key}".lower()
        _pg_create(pg_url, name + "_tmp")
        office = build(_pg_url(pg_url, name + "_tmp"), spec, progress)
        conn = _pg_admin(pg_url)
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute(f'ALTER DATABASE "{name}_tmp" RENAME TO "{name}"')
        conn.close()
    meta.write_text(office.to_json(), encoding="utf-8")
    return office


def work_copy(spec: Spec, engine: str, pg_url: str = DEFAULT_PG_URL) -> str:
    """A fresh copy of the cached database to measure on; return its URL."""
    found = cached(spec, engine, pg_url)
    if found is None:
        raise FileNotFoundError(f"no cached database for {spec.key} on {engine}")
    url, handle = found
    if engine == "sqlite":
        work = cache_dir() / f"work-{spec.key}.db"
        for p in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
            p.unlink(missing_ok=True)
        shutil.copyfile(handle, work)
        return f"sqlite:///{work}"
    work_name = f"{handle}_work"
    _pg_create(pg_url, work_name, template=str(handle))
    return _pg_url(pg_url, work_name)


def discard_work_copy(spec: Spec, engine: str, pg_url: str = DEFAULT_PG_URL) -> None:
    """Remove the copy :func:`work_copy` made (the cache entry stays)."""
    if engine == "sqlite":
        work = cache_dir() / f"work-{spec.key}.db"
        for p in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
            p.unlink(missing_ok=True)
        return
    name = f"{urlparse(pg_url).path.lstrip('/') or 'supervise_bench'}_{spec.key}".lower()
    conn = _pg_admin(pg_url)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}_work"')
    conn.close()


__all__ = ["cache_dir", "cached", "discard_work_copy", "ensure", "work_copy"]
