"""Cached answers of code trees side by side (#16 item 3: one cache path must not cost speed).

    .venv/bin/python bench/cache_bench.py --code before=/tmp/old --code after=. [--rounds 4] [--duration 5]

Every tree's server runs at once (one uvicorn worker each, default settings: caches on) on the same
database (the demo data, made here once); per URL, the trees take turns, wrk -t2 -c16 for each, the
order swapped every round. Per run: requests/s and the server's CPU time per request (/proc), which
other work on a shared machine disturbs less than the rate. Results to bench/RESULTS-wiring.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine  # noqa: E402
from geo.db import ensure_server  # noqa: E402
from geo.settings import PROJECT_ROOT, Settings  # noqa: E402

RESULTS = PROJECT_ROOT / "bench" / "RESULTS-wiring.md"
DB_NAME = "pantau_bench_cache"
USER, PASSWORD = "bench.reader", "Tembok-Kaca-Sungai-2026"
URLS = {
    "feature page, limit=100": "/api/collections/companies/items?limit=100",
    "feature page, limit=10": "/api/collections/companies/items?limit=10",
    "stats by regency": "/api/stats/regency",
    "tile z8 over Palangka Raya": "/api/tiles/companies/8/209/129.mvt",
    "map numbers by regency": "/maps/data/regions.json?level=regency",
}


def prepare() -> str:
    """The demo data in a database of its own (made once), with a viewer."""
    server = ensure_server(Settings().database)
    url = re.sub(r"^(postgresql://[^/]*/)[^?]*", rf"\g<1>{DB_NAME}", server)
    env = {**os.environ, "DATABASE_URL": url}
    with psycopg2.connect(server) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
        exists = cur.fetchone() is not None
    conn.close()
    if not exists:
        subprocess.run(["psql", server, "-qc", f"CREATE DATABASE {DB_NAME}"], check=True)
        for args in (["boundaries", "load"], ["demo"]):
            subprocess.run([sys.executable, "-m", "geo.cli", *args], cwd=PROJECT_ROOT, env=env, check=True)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM users WHERE username = %s", (USER,))
        exists = cur.fetchone() is not None
    conn.close()
    if not exists:
        subprocess.run([sys.executable, "-m", "geo.cli", "users", "add", USER, "--role", "viewer", "--agency",
                        "kesbangpol", "--password-stdin"], input=PASSWORD + "\n", text=True, cwd=PROJECT_ROOT,
                       env=env, check=True)
    return url


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(tree: Path, port: int, url: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "DATABASE_URL": url, "PANTAU_HOME": str(Settings().database.home)}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.main:app_from_env", "--factory", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning"], cwd=tree, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{base}/api/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    form = urllib.parse.urlencode({"username": USER, "password": PASSWORD}).encode()
    return proc, json.load(urllib.request.urlopen(f"{base}/api/auth/token", data=form))["access_token"]


def run(port: int, pid: int, token: str, path: str, seconds: int) -> dict:
    auth = f"Authorization: Bearer {token}"
    subprocess.run(["curl", "-s", "-o", "/dev/null", "-H", auth, f"http://127.0.0.1:{port}{path}"], check=True)
    before = cpu_seconds(pid)
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "-H", auth, f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "cpu_ms": (cpu_seconds(pid) - before) * 1000 / max(total, 1), "non2xx": "Non-2xx" in out,
            "load": machine.loadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--code", action="append", required=True, help="LABEL=DIR of a code tree to serve")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--duration", type=int, default=5)
    args = ap.parse_args()
    trees = [(label, Path(d).resolve()) for label, d in (c.split("=", 1) for c in args.code)]
    url = prepare()
    started, load_before = datetime.now(UTC), machine.loadavg()
    servers = {label: (18960 + i, *start(tree, 18960 + i, url)) for i, (label, tree) in enumerate(trees)}
    rows: list[dict] = []
    try:
        for case, path in URLS.items():
            for n in range(args.rounds):
                order = list(servers) if n % 2 == 0 else list(reversed(servers))
                for label in order:
                    port, proc, token = servers[label]
                    rows.append({"case": case, "tree": label, **run(port, proc.pid, token, path, args.duration)})
                    print(rows[-1], flush=True)
    finally:
        for _, proc, _ in servers.values():
            proc.terminate()
            proc.wait()
    m = machine.machine()
    lines = [f"\n## {started:%Y-%m-%d %H:%M} UTC — {m['nproc']} CPU ({m['cpu']}), {m['ram_gb']:.1f} GB, {m['kernel']}",
             "", f"Trees: {', '.join(f'{label} = {tree}' for label, tree in trees)}. The demo data (150 companies); one "
             f"uvicorn worker per tree, caches on, every URL answered from the cache (one URL repeated); wrk -t2 -c16 "
             f"-d{args.duration}s, {args.rounds} rounds, the trees in turn. Load average before {load_before[0]:.1f}, "
             f"after {machine.loadavg()[0]:.1f}; busy at the end: {', '.join(machine.busy_processes()) or 'none'}.",
             "", "Medians over the rounds:", "", "| case | " + " | ".join(
                 f"{label} req/s | {label} CPU ms/request" for label, _ in trees) + " |",
             "|---|" + "---:|---:|" * len(trees)]
    for case in URLS:
        cells = []
        for label, _ in trees:
            got = [r for r in rows if r["case"] == case and r["tree"] == label]
            cells += [f"{statistics.median(r['rps'] for r in got):.0f}", f"{statistics.median(r['cpu_ms'] for r in got):.2f}"]
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    if any(r["non2xx"] for r in rows):
        lines.append("\nSome runs had non-2xx answers: the numbers above are not comparable.")
    with RESULTS.open("a") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
