"""Create (or reuse) the benchmark database: schema, Kalimantan Tengah boundaries, and
`pantau demo --companies 100000 --workers 500000`. Prints its URL."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg2

from geo.boundaries import Manifest, fetch_set, load_set
from geo.db import ensure_server
from geo.migrate import migrate
from geo.settings import PROJECT_ROOT, Settings
from tests.dbutil import with_dbname

NAME = "pantau_bench_features"


def bench_database(name: str) -> tuple[str, int]:
    """The database `name` on the embedded cluster, made when missing, migrated, with Kalimantan
    Tengah's boundaries: its URL and how many companies it holds."""
    settings = Settings()
    server = ensure_server(settings.database)
    url = with_dbname(server, name)
    admin = psycopg2.connect(with_dbname(server, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    conn = psycopg2.connect(url)
    try:
        migrate(conn)
        with conn.cursor() as cur:
            cur.execute("SELECT (SELECT count(*) FROM boundaries), (SELECT count(*) FROM companies)")
            n_boundaries, n_companies = cur.fetchone()
        if not n_boundaries:
            manifest = Manifest.read(settings.boundaries.manifest)
            layer_set = manifest.layer_set("kalteng")
            _, files = fetch_set(manifest, layer_set, settings.database.home / "boundaries", settings.boundaries.source)
            load_set(conn, layer_set, files, "bench")
    finally:
        conn.close()
    return url, n_companies


def prepare(companies: int = 100_000, workers: int = 500_000) -> str:
    url, n_companies = bench_database(NAME)
    if n_companies != companies:
        subprocess.run([str(PROJECT_ROOT / ".venv/bin/pantau"), "demo", "--companies", str(companies),
                        "--workers", str(workers), "--replace", "--today", "2025-06-30"],
                       check=True, env={**os.environ, "DATABASE_URL": url})
        conn = psycopg2.connect(url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        conn.close()
    return url


if __name__ == "__main__":
    print(prepare(*(int(a) for a in sys.argv[1:3])))
