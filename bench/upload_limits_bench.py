"""The hostile uploads of issue #14 item 3 against `pantau serve` (one worker): time to the answer,
peak memory of the server's process tree, /api/health latency while the upload is processed, and
the import sessions left in PostgreSQL afterwards. Each attack gets a fresh server.

    .venv/bin/python bench/upload_limits_bench.py [--cap 120] [--only wide,line,bomb,legit]

--cap stops waiting for an answer after that many seconds (the server is then stopped).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.procs import status_kb, tree  # noqa: E402
from bench.server import Serve  # noqa: E402
from geo.boundaries import Manifest, fetch_set, load_set  # noqa: E402
from geo.db import ensure_server  # noqa: E402
from geo.migrate import migrate  # noqa: E402
from geo.settings import Settings  # noqa: E402
from tests import upload_attacks  # noqa: E402
from tests.dbutil import create_database, dbname_of, drop_database  # noqa: E402

ATTACKS = {
    "wide": ("1,000,000 columns, check mode", lambda: upload_attacks.wide_csv(), "wide.csv", "check"),
    "line": ("40 MB on one line", lambda: upload_attacks.one_line_csv(40), "line.csv", "check"),
    "bomb": ("XLSX zip bomb (1.5 GB sheet)", lambda: upload_attacks.xlsx_bomb(1500), "bomb.xlsx", "all_or_nothing"),
    # Not an attack: the largest ordinary file an office sends, to see what the server pays for it.
    "legit": ("100,000 valid companies, check mode", None, "companies.csv", "check"),
}


def database() -> tuple[str, str]:
    settings = Settings()
    server_url = ensure_server(settings.database)
    url = create_database(server_url, prefix="pantau_upl")
    manifest = Manifest.read(settings.boundaries.manifest)
    _, files = fetch_set(manifest, manifest.layer_set("kalteng"), settings.database.home / "boundaries",
                         settings.boundaries.source)
    conn = psycopg2.connect(url)
    try:
        migrate(conn)
        load_set(conn, manifest.layer_set("kalteng"), files, "bench")
    finally:
        conn.close()
    return server_url, url


def token(url: str, base: str) -> dict:
    from geo.auth.users import create_user

    name, password = f"bench-{uuid.uuid4().hex[:6]}", f"bench-{uuid.uuid4().hex}"
    conn = psycopg2.connect(url)
    try:
        create_user(conn, name, password, "editor", "kesbangpol", None)
    finally:
        conn.close()
    r = httpx.post(f"{base}/api/auth/token", data={"username": name, "password": password}, timeout=30)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def rss_mb(pid: int) -> float:
    return sum(status_kb(p, "VmRSS") for p in tree(pid)) / 1024


def import_sessions(url: str) -> int:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pantau-import' "
                        "AND datname = current_database()")
            return cur.fetchone()[0]
    finally:
        conn.close()


def attack(url: str, key: str, cap: float, log_dir: Path) -> dict:
    title, build, name, mode = ATTACKS[key]
    if build is None:
        from tests.importutil import synthetic_companies

        path = log_dir / name
        synthetic_companies(url, 100_000, path)
        data = path.read_bytes()
    else:
        data = build()
    serve = Serve(url, 1, log_dir / f"{key}.log")
    try:
        headers = token(url, serve.base)
        with httpx.Client(base_url=serve.base, timeout=10) as client:
            idle = []
            for _ in range(20):
                started = time.perf_counter()
                client.get("/api/health")
                idle.append((time.perf_counter() - started) * 1000)
            rss_before = rss_mb(serve.proc.pid)
            answer: dict = {}

            def upload() -> None:
                started = time.perf_counter()
                try:
                    r = httpx.post(f"{serve.base}/api/imports/companies", headers=headers, timeout=cap,
                                   files={"file": (name, data, "application/octet-stream")}, data={"mode": mode})
                    answer.update(status=r.status_code, body=r.text[:160])
                except httpx.TimeoutException:
                    answer.update(status=None, body=f"no answer within {cap:.0f} s")
                answer["seconds"] = time.perf_counter() - started

            thread = threading.Thread(target=upload)
            thread.start()
            busy, peak_rss = [], rss_before
            while thread.is_alive():
                started = time.perf_counter()
                try:
                    client.get("/api/health")
                    busy.append((time.perf_counter() - started) * 1000)
                except httpx.TimeoutException:
                    busy.append(10_000.0)
                peak_rss = max(peak_rss, rss_mb(serve.proc.pid))
                time.sleep(0.2)
            thread.join()
            time.sleep(3)  # let a killed import's backend notice
            sessions = import_sessions(url)
            rss_after = rss_mb(serve.proc.pid)
    finally:
        serve.stop()
    return {"attack": title, "file_mb": len(data) / 1e6, **answer, "rss_before": rss_before, "peak_rss": peak_rss,
            "rss_after": rss_after, "peak_tree_hwm": serve.peaks.total_mb(),
            "health_idle_ms": statistics.median(idle),
            "health_busy_p50_ms": statistics.median(busy) if busy else None,
            "health_busy_max_ms": max(busy) if busy else None, "import_sessions_after": sessions}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cap", type=float, default=120)
    parser.add_argument("--only", default="wide,line,bomb")
    args = parser.parse_args()
    server_url, url = database()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for key in args.only.split(","):
                result = attack(url, key, args.cap, Path(tmp))
                print(" | ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()),
                      flush=True)
    finally:
        drop_database(server_url, dbname_of(url))


if __name__ == "__main__":
    main()
