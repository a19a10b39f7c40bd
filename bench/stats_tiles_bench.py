"""Benchmark (e) stats by district and (f) one z10 company tile over Palangka Raya, and (#16 item 7)
uncached statistics over distinct requests: every level, with and without filters.

    .venv/bin/python bench/stats_tiles_bench.py [--companies 100000 --workers 500000] [--duration 10]
    .venv/bin/python bench/stats_tiles_bench.py --distinct [--rounds 3] [--label after] [--record] [--db NAME]
    .venv/bin/python bench/stats_tiles_bench.py --compare-tree DIR [--rounds 3] [--db NAME]

Builds (once) a database `pantau_bench_stats_tiles` on the embedded cluster with the Kalimantan
Tengah boundaries and the demo dataset at the given size, then runs wrk (-t2 -c16) against one
uvicorn worker and pgbench (-c16 -j2) on the same SQL, and prints a Markdown table.
Uncached = a server with PANTAU_TILES_CACHE_MB=0 and PANTAU_STATS_CACHE_MB=0 (every request runs
the SQL); cached = a default server (the first request of the run fills the cache).

--distinct: one client, caches off, each of ~90 distinct statistics requests (province, regency and
district level; no filter, sector, nationality, RPTKA status, combinations, a regency, a parent, a
scoped user, RPTKA date ranges; villages of a district and of a regency) once per round; the p50 per
level and kind of filter. Every kind is summed from the aggregates (geo/stats/aggregates.py: the
sums, or for villages and date ranges the per-company rows of migration 0111). `--record` appends
the table to bench/RESULTS-stats-tiles.md; `make bench` runs it on its 100,000-company dataset
(bench/harness.py). The route also adds the foreign-national columns (geo/stats/foreign.py).

--compare-tree DIR: the same requests' statements without HTTP and without the foreign-national
columns, in subprocesses alternating round by round between another checkout's code (DIR, e.g. an
older commit extracted with `git archive`) and this one's, on the same database: before and after
in the same run. `--db NAME`: another database of the embedded cluster (a copy made with
`createdb -T pantau_bench_stats_tiles NAME`, so as not to disturb others' runs).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import psycopg2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo import clock  # noqa: E402
from geo.auth.users import create_user  # noqa: E402
from geo.boundaries import Manifest, fetch_set, load_set  # noqa: E402
from geo.db import ensure_server  # noqa: E402
from geo.demo import Size, load_demo  # noqa: E402
from geo.filters import MonitoringFilter  # noqa: E402
from geo.migrate import migrate  # noqa: E402
from geo.settings import Settings  # noqa: E402
from geo.stats import aggregates  # noqa: E402
from geo.stats.common import regions_sql  # noqa: E402
from geo.tiles import get_layer  # noqa: E402
from geo.tiles.layers import tile_query  # noqa: E402
from tests.conftest import LiveServer  # noqa: E402
from tests.dbutil import with_dbname  # noqa: E402

DB = "pantau_bench_stats_tiles"  # --db: another
RESULTS = ROOT / "bench" / "RESULTS-stats-tiles.md"
NO_CACHE = {"PANTAU_TILES_CACHE_MB": "0", "PANTAU_STATS_CACHE_MB": "0", "PANTAU_FEATURES_CACHE_MB": "0"}
TARGET_MS = 100  # #16 item 7: uncached statistics, p50
PALANGKA_RAYA = (113.92, -2.21)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def prepare(server_url: str, companies: int, workers: int, db: str = DB) -> str:
    url = with_dbname(server_url, db)
    admin = psycopg2.connect(with_dbname(server_url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{db}"')
    admin.close()
    conn = psycopg2.connect(url)
    migrate(conn)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM boundaries")
        has_boundaries = cur.fetchone()[0] > 0
        cur.execute("SELECT count(*) FROM companies")
        has_companies = cur.fetchone()[0]
    conn.commit()
    settings = Settings()
    if not has_boundaries:
        manifest = Manifest.read(settings.boundaries.manifest)
        _, files = fetch_set(manifest, manifest.layer_set("kalteng"), settings.database.home / "boundaries",
                             settings.boundaries.source)
        load_set(conn, manifest.layer_set("kalteng"), files, "bench")
    if has_companies != companies:
        started = time.monotonic()
        load_demo(conn, Size(companies, workers, companies * 2), replace=True)
        print(f"demo loaded in {time.monotonic() - started:.0f} s", file=sys.stderr)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
            cur.execute("SELECT stats_refresh(%s)", (clock.today(),))  # the statistics' first count
    conn.close()
    return url


def token(url: str, server: LiveServer, regencies: list[str] | None = None) -> str:
    username, password = f"bench-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    conn = psycopg2.connect(url)
    create_user(conn, username, password, "viewer", "kesbangpol", regencies)
    conn.close()
    r = httpx.post(f"{server.base}/api/auth/token", data={"username": username, "password": password})
    r.raise_for_status()
    return r.json()["access_token"]


def wrk(url: str, bearer: str, duration: int, connections: int = 16) -> dict:
    out = subprocess.run(
        ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--timeout", "60s", "--latency", "-H", f"Authorization: Bearer {bearer}", url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    done = re.search(r"(\d+) requests in", out)
    return {"rps": rps, "p50": lat.get("50"), "p99": lat.get("99"), "requests": int(done[1]),
            "errors": (int(errors[1]) if errors else 0) + (int(timeouts[1]) if timeouts else 0)}


def pgbench(url: str, sql: str, duration: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        # The same session settings the API sets per transaction (SET LOCAL) before the statement.
        f.write("SET jit = off;\nSET work_mem = '128MB';\nSET max_parallel_workers_per_gather = 0;\n")
        f.write(" ".join(sql.split()) + ";\n")
    out = subprocess.run(["pgbench", "-n", "-c16", "-j2", f"-T{duration}", "-f", f.name, url],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    tps = float(re.search(r"tps = ([\d.]+)", out)[1])
    avg = re.search(r"latency average = ([\d.]+ ms)", out)[1]
    return {"tps": tps, "avg": avg}


def literal(url: str, sql: str, params: list) -> str:
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        text = cur.mogrify(sql, params).decode()
    conn.close()
    return text


# --- #16 item 7: uncached statistics over distinct requests --------------------------------------
STATS_LEVELS = ("province", "regency", "district")


def stats_requests(url: str) -> list[tuple[str, str, str, bool]]:
    """(level, kind of filter, path, scoped user?) of the distinct workload, from the values most
    common in the data."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT sector FROM companies GROUP BY 1 ORDER BY count(*) DESC, 1")
        sectors = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT nationality FROM foreign_workers WHERE status = 'active' GROUP BY 1 ORDER BY count(*) DESC, 1")
        nations = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT regency_code FROM companies GROUP BY 1 ORDER BY count(*) DESC, 1")
        regencies = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT district_code FROM companies GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3")
        districts = [r[0] for r in cur.fetchall()]
    conn.close()
    today = date.today()
    filters: list[tuple[str, dict]] = [("none", {})]
    filters += [("sector", {"sector": s}) for s in sectors[:4]]
    filters += [("nationality", {"nationality": n}) for n in nations[:4]]
    filters += [("nationality (two)", {"nationality": ",".join(nations[i:i + 2])}) for i in (0, 2)]
    filters += [("RPTKA status", {"permit_status": p}) for p in ("valid", "expiring", "expired")]
    filters += [("sector + nationality", {"sector": sectors[i], "nationality": nations[i]}) for i in (0, 1)]
    filters += [("sector + RPTKA status", {"sector": sectors[i], "permit_status": p}) for i, p in ((0, "expiring"), (1, "valid"))]
    filters += [("regency_code", {"regency_code": r}) for r in regencies[:3]]
    filters += [("date range", {"datetime": f"{today}/{today + timedelta(days=d)}"}) for d in (90, 365)]
    out = [(level, kind, f"/api/stats/{level}" + (f"?{urlencode(params)}" if params else ""), False)
           for level in STATS_LEVELS for kind, params in filters]
    out += [("district", "parent", f"/api/stats/district?parent={r}", False) for r in regencies[:3]]
    out += [(level, "scoped user (2 regencies)", f"/api/stats/{level}", True) for level in STATS_LEVELS]
    out += [("village", "parent district", f"/api/stats/village?parent={d}", False) for d in districts]
    out += [("village", "parent regency", f"/api/stats/village?parent={r}", False) for r in regencies[:2]]
    return out


def measure_distinct(base: str, bearer: str, scoped_bearer: str, requests: list, rounds: int) -> dict:
    """Milliseconds per (level, kind): each request once per round, one client, in order."""
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    with httpx.Client(base_url=base, timeout=300) as client:
        for _ in range(rounds):
            for level, kind, path, scoped in requests:
                headers = {"Authorization": f"Bearer {scoped_bearer if scoped else bearer}"}
                started = time.perf_counter()
                r = client.get(path, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: {r.status_code} {r.text[:200]}")
                times[(level, kind)].append(elapsed)
    return times


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def distinct_table(times: dict) -> list[str]:
    lines = ["| level | filter | requests | p50 | p90 | max |", "|---|---|---:|---:|---:|---:|"]
    for (level, kind), values in times.items():
        lines.append(f"| {level} | {kind} | {len(values)} | {_pct(values, 0.5):.0f} ms | {_pct(values, 0.9):.0f} ms "
                     f"| {max(values):.0f} ms |")
    for level in (*STATS_LEVELS, "village"):
        covered = [v for (lv, kind), vs in times.items() if lv == level for v in vs]
        if covered:
            lines.append(f"| **{level}** | **all kinds** | {len(covered)} | **{_pct(covered, 0.5):.0f} ms** "
                         f"| {_pct(covered, 0.9):.0f} ms | {max(covered):.0f} ms |")
    return lines


def distinct_stats(url: str, base: str, rounds: int = 3, peer_tables: bool = True) -> dict:
    """The distinct workload against a running server with caches off (`make bench` calls this)."""
    requests = stats_requests(url)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT regency_code FROM companies GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2")
        scope = [r[0] for r in cur.fetchall()]
    conn.close()
    server = argparse.Namespace(base=base)
    bearer, scoped = token(url, server), token(url, server, scope)
    # Untimed: a dataset just loaded leaves every company queued for its first count (a one-off
    # recount, measured on its own in RESULTS-stats-tiles.md).
    httpx.get(f"{base}/api/stats/province", headers={"Authorization": f"Bearer {bearer}"}, timeout=600)
    load_before = Path("/proc/loadavg").read_text().split()[0]
    times = measure_distinct(base, bearer, scoped, requests, rounds)
    peer = peer_sql(url, requests) if peer_tables else None
    return {"times": times, "peer": peer, "load_before": load_before,
            "load_after": Path("/proc/loadavg").read_text().split()[0], "rounds": rounds, "paths": len(requests)}


def peer_sql(url: str, requests: list) -> dict:
    """The same requests' statements in this process, once each (no HTTP): counted from the tables
    (the statement the endpoint ran before the aggregates) and from the aggregates. Milliseconds per
    level (the scoped user's requests left out)."""
    from urllib.parse import parse_qsl, urlsplit

    from geo import clock
    from geo.filters import from_params
    from geo.stats import region_stats_json

    day = clock.today()
    times: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"tables": [], "aggregates": []})
    conn = psycopg2.connect(url)
    try:
        for level, _kind, path, scoped in requests:
            if scoped:
                continue
            params = dict(parse_qsl(urlsplit(path).query))
            parent = params.pop("parent", None)
            flt = from_params(**params)
            for source in ("aggregates", "tables"):
                started = time.perf_counter()
                region_stats_json(conn, level, flt, parent, day, source=source)
                times[level][source].append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    return times


def peer_table(times: dict) -> list[str]:
    lines = ["| level | requests | tables p50 | aggregates p50 | ratio |", "|---|---:|---:|---:|---:|"]
    for level, t in times.items():
        slow, fast = _pct(t["tables"], 0.5), _pct(t["aggregates"], 0.5)
        lines.append(f"| {level} | {len(t['tables'])} | {slow:.0f} ms | {fast:.0f} ms | {slow / fast:.0f}x |")
    return lines


# One round of statements in the checkout that is the working directory (its own geo.stats), without
# HTTP: stdin {"url", "scope", "requests"}; stdout {"level|kind": [ms, ...]}. A code string, so that an
# older checkout without this file's options runs it too.
ROUND = """
import json, sys, time
from urllib.parse import parse_qsl, urlsplit
sys.path.insert(0, ".")
import psycopg2
from geo import clock
from geo.filters import from_params
from geo.stats import region_stats_json
job = json.load(sys.stdin)
conn = psycopg2.connect(job["url"])
day, out = clock.today(), {}
for level, kind, path, scoped in job["requests"]:
    params = dict(parse_qsl(urlsplit(path).query))
    parent = params.pop("parent", None)
    flt = from_params(**params)
    flt = flt.scoped(tuple(job["scope"])) if scoped else flt
    started = time.perf_counter()
    region_stats_json(conn, level, flt, parent, day)
    out.setdefault(level + "|" + kind, []).append((time.perf_counter() - started) * 1000)
conn.close()
print(json.dumps(out))
"""


def compare_trees(url: str, other: Path, rounds: int) -> list[str]:
    """Before (`other`) and after (this checkout) in the same run: the distinct requests' statements,
    rounds alternating between the two (first one untimed each), on the same database."""
    import json

    requests = stats_requests(url)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT regency_code FROM companies GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2")
        scope = [r[0] for r in cur.fetchall()]
    conn.close()
    job = json.dumps({"url": url, "scope": scope, "requests": requests})
    trees = {"before": other.resolve(), "after": ROOT}
    times: dict[str, dict[str, list[float]]] = {"before": defaultdict(list), "after": defaultdict(list)}
    load_before = Path("/proc/loadavg").read_text().split()[0]
    for r in range(rounds + 1):
        for name in ("before", "after") if r % 2 else ("after", "before"):
            out = subprocess.run([sys.executable, "-c", ROUND], input=job, cwd=trees[name], capture_output=True,
                                 text=True, check=True).stdout
            if r:
                for key, values in json.loads(out).items():
                    times[name][key] += values
    load_after = Path("/proc/loadavg").read_text().split()[0]
    lines = [f"Same run, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load_before} before, "
             f"{load_after} after; {len(requests)} statements x {rounds} rounds each, alternating; before = "
             f"{trees['before']}, after = this checkout. No HTTP, no foreign-national columns.", "",
             "| level | filter | requests | before p50 | after p50 | after p90 | after max |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for key, after in times["after"].items():
        level, kind = key.split("|")
        before = times["before"][key]
        lines.append(f"| {level} | {kind} | {len(after)} | {_pct(before, 0.5):.0f} ms | {_pct(after, 0.5):.0f} ms "
                     f"| {_pct(after, 0.9):.0f} ms | {max(after):.0f} ms |")
    for level in (*STATS_LEVELS, "village"):
        before = [v for k, vs in times["before"].items() if k.startswith(level + "|") for v in vs]
        after = [v for k, vs in times["after"].items() if k.startswith(level + "|") for v in vs]
        lines.append(f"| **{level}** | **all kinds** | {len(after)} | **{_pct(before, 0.5):.0f} ms** "
                     f"| **{_pct(after, 0.5):.0f} ms** | {_pct(after, 0.9):.0f} ms | {max(after):.0f} ms |")
    return lines


def record_distinct(url: str, result: dict, label: str) -> list[str]:
    from bench import machine

    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM foreign_workers), "
                    "(SELECT count(*) FROM inspections)")
        counts = cur.fetchone()
    conn.close()
    m = machine.machine()
    head = [
        f"## Distinct uncached statistics, {label}: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"{m['nproc']} cores ({m['cpu']}), {m['ram_gb']:.1f} GB, {m['kernel']}; shared machine, load average "
        f"{result['load_before']} before, {result['load_after']} after; busy: {', '.join(machine.busy_processes()) or '-'}. "
        f"{counts[0]:,} companies / {counts[1]:,} workers / {counts[2]:,} inspections. One client, caches off, "
        f"{result['paths']} distinct requests x {result['rounds']} rounds; target p50 <= {TARGET_MS} ms.",
        "",
    ]
    lines = head + distinct_table(result["times"]) + [""]
    if result.get("peer"):
        lines += ["The same statements in one process, without HTTP, in the same run: counted from the tables "
                  "(the path before migration 0090) and from the aggregates.", "", *peer_table(result["peer"]), ""]
    return lines


def for_harness(url: str, rounds: int = 3) -> dict:
    """`make bench` (bench/harness.py): the distinct workload on the harness's dataset, on a server of
    its own with the caches off; appended to RESULTS-stats-tiles.md. Returns the p50 per level and kind."""
    server = LiveServer(url, NO_CACHE)
    try:
        result = distinct_stats(url, server.base, rounds)
    finally:
        server.stop()
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write("\n" + "\n".join(record_distinct(url, result, "make bench")))
    return {f"{level} / {kind}": round(_pct(values, 0.5), 1) for (level, kind), values in result["times"].items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--companies", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=500_000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--prepare-only", action="store_true", help="build the database, run nothing")
    ap.add_argument("--distinct", action="store_true", help="only the distinct uncached statistics workload")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--label", default="this code")
    ap.add_argument("--record", action="store_true", help=f"append the distinct table to {RESULTS.name}")
    ap.add_argument("--db", default=DB, help="the database to use (made and filled when missing)")
    ap.add_argument("--compare-tree", type=Path, help="before/after statements: another checkout's code vs this one")
    args = ap.parse_args()
    url = prepare(ensure_server(Settings().database), args.companies, args.workers, args.db)
    if args.prepare_only:
        return
    if args.compare_tree:
        print("\n".join(compare_trees(url, args.compare_tree, args.rounds)))
        return
    if args.distinct:
        server = LiveServer(url, NO_CACHE)
        try:
            lines = record_distinct(url, distinct_stats(url, server.base, args.rounds), args.label)
        finally:
            server.stop()
        print("\n".join(lines))
        if args.record:
            with RESULTS.open("a", encoding="utf-8") as f:
                f.write("\n" + "\n".join(lines))
        return
    z = 10
    x, y = tile_of(*PALANGKA_RAYA, z)
    today = date.today()
    # The statement the endpoint runs (the aggregates; its freshness check left out).
    stats_sql, stats_params = aggregates.rows_sql("district", *regions_sql("district", MonitoringFilter(), None),
                                                  MonitoringFilter(), None)
    tile_sql, tile_params = tile_query(get_layer("companies"), z, x, y, MonitoringFilter(), today)
    stats_path = "/api/stats/district"
    tile_path = f"/api/tiles/companies/{z}/{x}/{y}.mvt"

    rows = []
    cached = LiveServer(url)
    uncached = LiveServer(url, {"PANTAU_TILES_CACHE_MB": "0", "PANTAU_STATS_CACHE_MB": "0"})
    try:
        bearer = token(url, cached)
        size = len(httpx.get(cached.base + tile_path, headers={"Authorization": f"Bearer {bearer}"}).content)
        # A single client first: the latency of one uncached statistics request on its own.
        rows.append(("(e) stats by district uncached, 1 connection", wrk(uncached.base + stats_path, bearer,
                                                                          2 * args.duration, connections=1), None))
        for label, server, path, sql, params in (  # cached runs: warmed up by one request first
            ("(e) stats by district uncached", uncached, stats_path,
             f"SELECT coalesce(json_agg(s ORDER BY s.code), '[]'::json)::text FROM ({stats_sql}) s", stats_params),  # noqa: S608
            ("(e) stats by district cached", cached, stats_path, None, None),
            (f"(f) tile z{z}/{x}/{y} uncached", uncached, tile_path, tile_sql, tile_params),
            (f"(f) tile z{z}/{x}/{y} cached", cached, tile_path, None, None),
        ):
            if sql is None:
                httpx.get(server.base + path, headers={"Authorization": f"Bearer {bearer}"}, timeout=120)
            api = wrk(server.base + path, bearer, args.duration)
            db = pgbench(url, literal(url, sql, params), args.duration) if sql else None
            rows.append((label, api, db))
    finally:
        cached.stop()
        uncached.stop()

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"\n{today.isoformat()}, {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
          f"load average at the end {' '.join(load)}; "
          f"{args.companies:,} companies / {args.workers:,} workers; tile size {size:,} bytes\n")
    print("| query | API req/s | API p50 | API p99 | requests | errors/timeouts | pgbench tps (same SQL) | pgbench avg latency |")
    print("|---|---|---|---|---|---|---|---|")
    for label, api, db in rows:
        db_cells = f"{db['tps']:.1f} | {db['avg']}" if db else "— | —"
        print(f"| {label} | {api['rps']:.1f} | {api['p50']} | {api['p99']} | {api['requests']} | {api['errors']} | {db_cells} |")


if __name__ == "__main__":
    main()
