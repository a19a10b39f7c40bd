"""Database access with one worker and the caches off (#16 item 1): one feature by a random id, and
pages of distinct bboxes, every request different, beside tipg in the same run; with the most
server connections the worker held at once and its CPU time per request.

    PYTHONPATH=. .venv/bin/python -m bench.db_bench [--code LABEL=DIR ...] [--tipg PYTHON] [--rounds 2]
        [--modes ids,bboxes] [--cache]

--code: a code tree to serve (repeatable; default: this one, labelled "this"), e.g. the code before a
change (`git archive <commit> | tar -x -C DIR`); the trees take turns, round after round, so that
before and after meet the same load of a shared machine.
--modes: ids, bboxes (every request different), one, page (one request repeated); --cache: Pantau's
caches on (default off).
--tipg: the python of a virtualenv holding tipg (never a Pantau dependency), e.g.
`python3 -m venv /tmp/tipg && /tmp/tipg/bin/pip install tipg==1.6.1 uvicorn`; one worker, same database.
Database: pantau_bench_db on the embedded cluster, made on the first run (bench/sqlfill.py: 100,000
companies, 500,000 workers, 100,000 inspections). Appends a dated section to bench/RESULTS-db.md.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg2

from bench import machine
from bench.features_prepare import bench_database
from bench.server import free_port
from bench.sqlfill import fill
from geo.settings import PROJECT_ROOT

NAME = "pantau_bench_db"
USER, PASSWORD = "bench.db", "sandi-uji-kinerja-basis-data-77"
NO_CACHE = {"PANTAU_TILES_CACHE_MB": "0", "PANTAU_STATS_CACHE_MB": "0", "PANTAU_FEATURES_CACHE_MB": "0"}
LUA = Path(__file__).with_name("wrk_db.lua")
RESULTS = Path(__file__).with_name("RESULTS-db.md")
MODES = {"ids": "one feature by a random id", "bboxes": "distinct bboxes, limit=100",
         "one": "one feature, the same id", "page": "one page repeated, city bbox limit=100"}


def prepare() -> str:
    url, n_companies = bench_database(NAME)
    if not n_companies:
        fill(url, 100_000, 500_000, 100_000)
    conn = psycopg2.connect(url)
    try:
        from geo.auth.users import create_user, get_user

        if get_user(conn, USER) is None:
            create_user(conn, USER, PASSWORD, "viewer", "kesbangpol", None)
    finally:
        conn.close()
    return url


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Peak:
    """The most connections of one application_name in the database at once, sampled every 5 ms."""

    def __init__(self, url: str, application: str) -> None:
        self.conn = psycopg2.connect(url, application_name="pantau-bench-monitor")
        self.conn.autocommit = True
        self.application, self.peak = application, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with self.conn.cursor() as cur:
            while not self._stop.wait(0.005):
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND application_name = %s", (self.application,))
                self.peak = max(self.peak, cur.fetchone()[0])

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        self.conn.close()
        return self.peak


def wrk(base: str, prefix: str, mode: str, auth: str | None, duration: int, ids: tuple[int, int]) -> dict:
    env = {**os.environ, "BENCH_MODE": mode, "BENCH_PREFIX": prefix, "BENCH_ID_MIN": str(ids[0]),
           "BENCH_ID_MAX": str(ids[1])}
    cmd = ["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", "-s", str(LUA), base]
    if auth:
        cmd[1:1] = ["-H", f"Authorization: {auth}"]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, flags=re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "p50": lat.get("50", "?"), "p99": lat.get("99", "?"), "non2xx": int(non2xx.group(1)) if non2xx else 0}


def serve(cmd: list[str], cwd: Path, env: dict, ready: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(ready, timeout=5).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{cmd} not ready")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_pantau(label: str, code: Path, url: str, args, ids: tuple[int, int]) -> list[dict]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, **({} if args.cache else NO_CACHE), "DATABASE_URL": url, "PYTHONPATH": str(code),
           "PANTAU_SECRET_KEY": "bench-db-" + "k" * 40, "PANTAU_LOGIN_FAILURES_PER_ADDRESS": "1000000"}
    proc = serve([sys.executable, "-m", "uvicorn", "api.main:app_from_env", "--factory", "--host", "127.0.0.1",
                  "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"],
                 code, env, base + "/api/health")
    rows = []
    try:
        token = httpx.post(base + "/api/auth/token", data={"username": USER, "password": PASSWORD}, timeout=30)
        auth = "Bearer " + token.json()["access_token"]
        for mode in args.modes:
            wrk(base, "/api/collections/companies/items", mode, auth, 2, ids)  # warm-up
            peak, cpu = Peak(url, "pantau-api"), cpu_seconds(proc.pid)
            r = wrk(base, "/api/collections/companies/items", mode, auth, args.duration, ids)
            r.update(server=label, mode=mode, connections=peak.stop(), load=machine.loadavg()[0],
                     cpu_ms=(cpu_seconds(proc.pid) - cpu) * 1000 / max(r["requests"], 1))
            rows.append(r)
            print(r, flush=True)
    finally:
        stop(proc)
    return rows


def run_tipg(python: str, url: str, args, ids: tuple[int, int]) -> list[dict]:
    parts = psycopg2.extensions.parse_dsn(url)  # asyncpg takes the socket directory in the host part
    dsn = f"postgresql://{parts['user']}@{parts['host'].replace('/', '%2F')}:{parts.get('port', 5432)}/{parts['dbname']}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": dsn, "TIPG_DB_SCHEMAS": '["public"]'}
    proc = serve([python, "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1", "--port", str(port), "--workers",
                  "1", "--log-level", "warning", "--no-access-log"], Path(tempfile.gettempdir()), env, base + "/collections")
    rows = []
    try:
        for mode in args.modes:
            wrk(base, "/collections/public.companies/items", mode, None, 2, ids)
            cpu = cpu_seconds(proc.pid)
            r = wrk(base, "/collections/public.companies/items", mode, None, args.duration, ids)
            r.update(server="tipg 1.6.1", mode=mode, connections=None, load=machine.loadavg()[0],
                     cpu_ms=(cpu_seconds(proc.pid) - cpu) * 1000 / max(r["requests"], 1))
            rows.append(r)
            print(r, flush=True)
    finally:
        stop(proc)
    return rows


def write(rows: list[dict], args, url: str, load_before: tuple, started: datetime) -> None:
    m = machine.machine()
    busy = ", ".join(machine.busy_processes()) or "none"
    lines = [f"\n## {started:%Y-%m-%d %H:%M} UTC — {m['nproc']} CPU ({m['cpu']}), {m['ram_gb']:.1f} GB, {m['kernel']}",
             "",
             f"One uvicorn worker, caches {'on' if args.cache else 'off (PANTAU_*_CACHE_MB=0)'}, default pool "
             f"(PANTAU_POOL_MAX=10), a viewer's "
             f"bearer token; wrk -t2 -c16 -d{args.duration}s with bench/wrk_db.lua, {args.rounds} round(s), the "
             f"servers in turn. Load average before {load_before[0]:.1f}, after {machine.loadavg()[0]:.1f}; "
             f"busy at the end: {busy}. Versions: " + ", ".join(f"{k} {v}" for k, v in machine.versions(url).items()
                                                                 if k in ("PostgreSQL", "PostGIS", "Python", "uvicorn", "psycopg2-binary")),
             "",
             "| round | server | case | req/s | p50 | p99 | non-2xx | peak connections | server CPU ms/request | load |",
             "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['round']} | {r['server']} | {MODES[r['mode']]} | {r['rps']:.0f} | {r['p50']} | {r['p99']} | "
                     f"{r['non2xx']} | {r['connections'] if r['connections'] is not None else '–'} | {r['cpu_ms']:.2f} | "
                     f"{r['load']:.1f} |")
    lines += ["", "Medians over the rounds (× tipg: against tipg's median in the same run):", "",
              "| server | case | req/s | × tipg |", "|---|---|---:|---:|"]
    servers = list(dict.fromkeys(r["server"] for r in rows))
    for mode in args.modes:
        tipg = [r["rps"] for r in rows if r["server"].startswith("tipg") and r["mode"] == mode]
        for server in servers:
            got = [r["rps"] for r in rows if r["server"] == server and r["mode"] == mode]
            if got:
                ratio = f"{statistics.median(got) / statistics.median(tipg):.1f}" if tipg else "–"
                lines.append(f"| {server} | {MODES[mode]} | {statistics.median(got):.0f} | {ratio} |")
    with RESULTS.open("a") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--code", action="append", default=[], help="LABEL=DIR of a code tree to serve")
    ap.add_argument("--tipg", help="python of a virtualenv with tipg 1.6.1")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--modes", type=lambda v: v.split(","), default=["ids", "bboxes"])
    ap.add_argument("--cache", action="store_true")
    args = ap.parse_args()
    trees = [(label, Path(d).resolve()) for label, d in (c.split("=", 1) for c in args.code)] or [("this", PROJECT_ROOT)]
    url = prepare()
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM companies")
        ids = cur.fetchone()
    conn.close()
    started, load_before = datetime.now(UTC), machine.loadavg()
    rows = []
    for n in range(1, args.rounds + 1):
        for label, code in trees:
            rows += [{**r, "round": n} for r in run_pantau(label, code, url, args, ids)]
        if args.tipg:
            rows += [{**r, "round": n} for r in run_tipg(args.tipg, url, args, ids)]
    write(rows, args, url, load_before, started)


if __name__ == "__main__":
    main()
