"""Benchmark OGC API – Features on 100,000 companies / 500,000 workers: wrk against a running server
(cases a–d of issue 4) beside pgbench running the same page SQL directly (the SQL floor).

    PYTHONPATH=. .venv/bin/python bench/features_bench.py [--workers N] [--duration 10]

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
            sql, params, _ = page_sql(coll, where, (order_sql(coll, ()), []), coll.columns, Page(limit, 0),
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
        for _ in range(120):
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
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
        load = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
    write_results(rows, args, n_companies, n_workers, load)


def write_results(rows, args, n_companies, n_workers, load) -> None:
    path = Path(__file__).with_name("RESULTS-features.md")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    lines = [
        f"\n## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {os.cpu_count()} cores ({cpu}), uvicorn workers: {args.workers}",
        "",
        f"Data: {n_companies:,} companies, {n_workers:,} workers (`pantau demo`). wrk -t2 -c16 -d{args.duration}s "
        f"with a viewer's bearer token; pgbench -c16 -j2 -T{args.duration} on the same page SQL. "
        f"Load average at the end: {load[0]:.1f} (the machine is shared).",
        "",
        "| case | request | API req/s | p50 | p99 | non-2xx | SQL tps (pgbench) | SQL avg ms | API/SQL | tipg req/s | × tipg | target |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, url, w, p in rows:
        lines.append(
            f"| {name} | `{url}` | {w['rps']:.0f} | {w['p50']} | {w['p99']} | {w['errors']} | {p['tps']:.0f} | "
            f"{p['avg_ms']:.1f} | {w['rps'] / p['tps']:.2f} | {TIPG[name]} | {w['rps'] / TIPG[name]:.1f} | "
            f"≥{TARGET[name]}× |")
    with path.open("a") as fh:
        fh.write("\n".join(lines) + "\n")
    print(path.read_text())


if __name__ == "__main__":
    main()
