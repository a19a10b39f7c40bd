"""Benchmark OGC API – Features on 100,000 companies / 500,000 workers: wrk against a running server
(cases a–d of issue 4) beside pgbench running the same page SQL directly (the SQL floor).

    PYTHONPATH=. .venv/bin/python bench/features_bench.py [--workers N] [--duration 10] [--tipg PYTHON]

--tipg: the python of a separate virtualenv holding tipg (never a Pantau dependency), e.g.
`python3 -m venv /tmp/tipg && /tmp/tipg/bin/pip install tipg==1.6.1 uvicorn`; it is then served with
one uvicorn worker on the same database and the same four cases, in the same run.
PANTAU_FEATURES_CACHE_MB=0 switches Pantau's page cache off (default: on).

Writes bench/RESULTS-features.md (appends a dated section).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg2

from bench.features_prepare import prepare
from geo.auth.secrets import signing_keys
from geo.auth.tokens import issue_access_token
from geo.auth.users import create_user, get_user
from geo.features.catalog import CATALOG
from geo.features.params import Page
from geo.features.sql import base_where, estimate_text, order_sql, page_sql
from geo.filters import MonitoringFilter
from geo.settings import PROJECT_ROOT, Settings

BBOX = (113.8, -2.3, 114.0, -2.1)
SECTOR = "perkebunan_sawit"
TIPG = {"a": 45, "b": 6, "c": 78, "d": 433}  # req/s measured by the issue's author (tipg 1.6.1, 1 worker)
TARGET = {"a": 10, "b": 10, "c": 10, "d": 2}


def wait_until_ok(url: str, seconds: float = 60) -> None:
    """Until the server just started answers `url` with 200 (or give up: the first request will say why)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)


def token(url: str) -> str:
    conn = psycopg2.connect(url)
    try:
        if get_user(conn, "bench-viewer") is None:
            create_user(conn, "bench-viewer", os.urandom(16).hex(), "viewer", "kesbangpol", None)
    finally:
        conn.close()
    return issue_access_token("bench-viewer", signing_keys(Settings())[0], 120)


def page_statement(url: str, flt: MonitoringFilter | None, bbox, limit: int) -> str:
    coll = CATALOG["companies"]
    where = base_where(coll, flt, None)
    if bbox:
        where.add("ST_Intersects(c.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))", bbox)
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            sql, params = page_sql(coll, where, (order_sql(coll, ()), []), coll.columns, Page(limit, 0),
                                      estimate_sql=estimate_text(cur, coll, where))
            return "SET max_parallel_workers_per_gather = 0;\n" + cur.mogrify(sql, params).decode() + ";\n"
    finally:
        conn.close()


def one_statement(url: str, feature_id: int) -> str:
    from geo.features.sql import _feature_sql

    coll = CATALOG["companies"]
    return f"SELECT {_feature_sql(coll, coll.columns, (), False)}::text FROM companies c WHERE c.id = {int(feature_id)};\n"  # noqa: S608


def run_wrk(url: str, header: str, duration: int) -> dict:
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", "-H", header, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, flags=re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": lat.get("50"), "p99": lat.get("99"), "errors": int(non2xx.group(1)) if non2xx else 0}


def run_pgbench(db_url: str, sql: str, duration: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
        fh.write(sql)
    try:
        out = subprocess.run(["pgbench", "-n", "-c16", "-j2", f"-T{duration}", "-f", fh.name, "-d", db_url],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(fh.name)
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    lat = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    return {"tps": tps, "avg_ms": lat}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--tipg", help="python of a virtualenv with tipg installed, to compare in the same run")
    args = ap.parse_args()
    db_url = prepare()
    port = 18765
    env = {**os.environ, "DATABASE_URL": db_url, "PANTAU_POOL_MAX": "16"}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.main:app_from_env", "--factory", "--host",
                               "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
                               "--log-level", "warning", "--no-access-log"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api"
    try:
        wait_until_ok(base + "/health")
        header = f"Authorization: Bearer {token(db_url)}"
        conn = psycopg2.connect(db_url)
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM companies WHERE regency_code = '62.71' ORDER BY id LIMIT 1")
            fid = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM companies")
            n_companies = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM foreign_workers")
            n_workers = cur.fetchone()[0]
        conn.close()
        bbox = ",".join(map(str, BBOX))
        cases = {
            "a": (f"{base}/collections/companies/items?bbox={bbox}&limit=100", page_statement(db_url, None, BBOX, 100)),
            "b": (f"{base}/collections/companies/items?limit=1000", page_statement(db_url, None, None, 1000)),
            "c": (f"{base}/collections/companies/items?sector={SECTOR}&limit=100",
                  page_statement(db_url, MonitoringFilter(sector=(SECTOR,)), None, 100)),
            "d": (f"{base}/collections/companies/items/{fid}", one_statement(db_url, fid)),
        }
        rows = []
        for name, (url, sql) in cases.items():
            check = httpx.get(url, headers={"Authorization": header.split(": ", 1)[1]}, timeout=60)
            check.raise_for_status()
            w = run_wrk(url, header, args.duration)
            p = run_pgbench(db_url, sql, args.duration)
            rows.append((name, url.replace(base, "/api"), w, p))
            print(name, w, p, flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    tipg = run_tipg(args.tipg, db_url, fid, args.duration) if args.tipg else {}
    write_results(rows, tipg, args, n_companies, n_workers, os.getloadavg())


def _socket_dsn(db_url: str) -> str:
    """asyncpg (tipg) takes the socket directory in the host part, not as ?host=."""
    parts = psycopg2.extensions.parse_dsn(db_url)
    return f"postgresql://{parts['user']}@{parts['host'].replace('/', '%2F')}:{parts.get('port', 5432)}/{parts['dbname']}"


def run_tipg(python: str, db_url: str, fid: int, duration: int) -> dict:
    port = 18766
    env = {**os.environ, "DATABASE_URL": _socket_dsn(db_url), "TIPG_DB_SCHEMAS": '["public"]'}
    server = subprocess.Popen([python, "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", "1", "--log-level", "warning", "--no-access-log"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/collections/public.companies/items"
    bbox = ",".join(map(str, BBOX))
    urls = {"a": f"{base}?bbox={bbox}&limit=100", "b": f"{base}?limit=1000",
            "c": f"{base}?sector={SECTOR}&limit=100", "d": f"{base}/{fid}"}
    out = {}
    try:
        wait_until_ok(f"http://127.0.0.1:{port}/collections")
        for name, url in urls.items():
            httpx.get(url, timeout=60).raise_for_status()
            out[name] = run_wrk(url, "X-Bench: tipg", duration)
            print("tipg", name, out[name], flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return out


def write_results(rows, tipg: dict, args, n_companies, n_workers, load) -> None:
    path = Path(__file__).with_name("RESULTS-features.md")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    cache = os.environ.get("PANTAU_FEATURES_CACHE_MB")
    lines = [
        f"\n## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {os.cpu_count()} cores ({cpu}), uvicorn workers: {args.workers}, "
        f"page cache {'off' if cache == '0' else 'on'}",
        "",
        f"Data: {n_companies:,} companies, {n_workers:,} workers (`pantau demo`). wrk -t2 -c16 -d{args.duration}s "
        f"with a viewer's bearer token; pgbench -c16 -j2 -T{args.duration} on the same page SQL. "
        f"Load average at the end: {load[0]:.1f} (the machine is shared). tipg (issue) = the issue's figures; "
        f"tipg (same run) = tipg 1.6.1, one worker, same database, measured just after Pantau.",
        "",
        "| case | request | API req/s | p50 | p99 | non-2xx | SQL tps (pgbench) | SQL avg ms | API/SQL "
        "| tipg (issue) | × | tipg (same run) | × | target |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, url, w, p in rows:
        same = tipg.get(name)
        same_cols = f"{same['rps']:.0f} | {w['rps'] / same['rps']:.1f}" if same else "– | –"
        lines.append(
            f"| {name} | `{url}` | {w['rps']:.0f} | {w['p50']} | {w['p99']} | {w['errors']} | {p['tps']:.0f} | "
            f"{p['avg_ms']:.1f} | {w['rps'] / p['tps']:.2f} | {TIPG[name]} | {w['rps'] / TIPG[name]:.1f} | "
            f"{same_cols} | ≥{TARGET[name]}× |")
    with path.open("a") as fh:
        fh.write("\n".join(lines) + "\n")
    print(path.read_text())


if __name__ == "__main__":
    main()
