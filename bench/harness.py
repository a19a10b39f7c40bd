"""`make bench`: build datasets, run the fixed workload against `pantau serve` (wrk) and the same SQL
against PostgreSQL (pgbench), write bench/RESULTS.md. Every number in it is measured here.

Environment:
  BENCH_SIZES     companies per dataset, default 10000,100000 (five workers per company on average)
  BENCH_SETS      boundary sets, default kalteng; add indonesia for the national boundaries (run at
                  the largest size only, one server configuration, to keep the run short)
  BENCH_DURATION  seconds per wrk/pgbench run, default 10
  BENCH_WORKERS   uvicorn worker counts, default 1,2
  BENCH_IMPORT    1 (default) = also time `pantau import` of the dataset as CSV files (sizes <= 100,000)
  BENCH_OVERLOAD  clients of the overload runs (bench/overload.py: distinct feature pages, the cached
                  page (a), logins with random user names), default 16,64,256; empty = none; boundary
                  set kalteng only
  BENCH_DISTINCT  rounds of the distinct-request runs beside tipg (bench/distinct.py, #16 item 8) at
                  100,000 companies and more, boundary set kalteng; default 1, 0 = none
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
import traceback
from datetime import date, datetime
from pathlib import Path

from bench import browser, dataset, distinct, load, machine, overload, stats_tiles_bench, workload
from bench.report_md import write_results
from bench.server import Serve
from geo.db import ensure_server
from geo.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CACHED = ("a", "b", "c", "e", "f")  # queries answered from an in-process cache when repeated
NO_CACHE = {"PANTAU_TILES_CACHE_MB": "0", "PANTAU_STATS_CACHE_MB": "0", "PANTAU_FEATURES_CACHE_MB": "0"}
OUT = ROOT / "bench"
# The login runs stand for a flood from many addresses: the per-address login limit would otherwise
# turn it into 429s before a single password hash.
SERVE_ENV = {"PANTAU_LOGIN_FAILURES_PER_ADDRESS": "1000000000"}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def env_list(name: str, default: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


def token_for(url: str) -> str:
    user = "bench.admin"
    res = dataset.pantau(["users", "add", user, "--role", "admin", "--agency", "kesbangpol", "--password-stdin"], url,
                         stdin="kata-sandi-bench-yang-panjang-1\n")
    if res.returncode != 0:
        raise RuntimeError(f"pantau users add failed: {res.stderr.strip()[-300:]}")
    res = dataset.pantau(["tokens", "create", user, "--name", "bench"], url)
    if res.returncode != 0:
        raise RuntimeError(f"pantau tokens create failed: {res.stderr.strip()[-300:]}")
    return res.stdout.strip().splitlines()[-1].strip()


def capture_sql(url: str, auth: str, paths: list[str]) -> dict:
    import subprocess

    env = {**os.environ, **NO_CACHE}  # so the query's SQL runs on every request
    res = subprocess.run([sys.executable, "-m", "bench.capture", url, auth, *paths], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        log(f"SQL capture failed: {res.stderr.strip()[-400:]}")
        return {}
    return json.loads(res.stdout.strip().splitlines()[-1])


def report_timing(url: str, base: str, auth: str) -> dict:
    """One PDF report through the API (time) and through `pantau report` (time and peak memory)."""
    import httpx

    period = workload.quarter(date.today())
    out: dict = {"period": period}
    started = time.perf_counter()
    try:
        r = httpx.get(f"{base}/api/reports", params={"period": period, "format": "pdf"},
                      headers={"Authorization": auth}, timeout=600)
        out["api"] = {"seconds": time.perf_counter() - started, "status": r.status_code, "bytes": len(r.content)}
    except httpx.HTTPError as exc:
        out["api"] = {"error": repr(exc)}
    if dataset.has_command("report"):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            import subprocess

            proc = subprocess.Popen([sys.executable, "-m", "geo.cli", "report", "--period", period, "--format", "pdf",
                                     "--out", f"{tmp}/r.pdf"], cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            text = proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)
            out["cli"] = {"seconds": time.perf_counter() - started, "peak_mb": usage.ru_maxrss / 1024,
                          "ok": os.waitstatus_to_exitcode(status) == 0, "tail": text.strip()[-200:]}
    else:
        out["cli"] = {"error": "pantau report not available"}
    return out


def run_overload(server: Serve, auth: str, qs, duration: int, clients: list[int]) -> list[dict]:
    """Distinct feature pages, the cached page (a) and logins with random user names at each client
    count, while a probe times the cached page (a) (bench/overload.py)."""
    probe = next(q.path for q in qs if q.key == "a")
    runs = []
    for mode in ("pages", "url", "login"):
        for n in clients:
            r = overload.run(server.base, auth, mode, n, duration, probe)
            r["load"] = machine.loadavg()[0]
            runs.append(r)
            log(f"  overload {mode} x{n}: {r.get('rps', 0):.1f} req/s p99 {r.get('p99_ms', 0):.0f} ms "
                f"max {r.get('max_ms', 0):.0f} ms non-2xx {r.get('non2xx')} 5xx {r.get('s5xx', '-')}; probe max "
                f"{r['probe']['max_ms'] or 0:.0f} ms {r.get('error', '')}")
    return runs


def run_server(url: str, auth: str, workers: int, qs, duration: int, logfile: Path, extras: bool,
               overload_clients: list[int]) -> dict:
    res: dict = {"workers": workers, "queries": {}}
    dataset.migrate_db(url)
    server = Serve(url, workers, logfile, SERVE_ENV)
    try:
        avail = workload.availability(server.base, auth, qs)
        for q in qs:
            if avail[q.key] != "ok":
                res["queries"][q.key] = {"skipped": avail[q.key]}
                log(f"  {q.label}: {avail[q.key]}")
                continue
            r = load.wrk(server.base + q.path, auth, duration)
            res["queries"][q.key] = r
            log(f"  workers={workers} {q.label}: {r.get('rps', 0):.1f} req/s p50 {r.get('p50_ms', 0):.0f} ms "
                f"p99 {r.get('p99_ms', 0):.0f} ms {r.get('error', '')}")
        server.peaks.sample()
        res["peak_mb_total"] = server.peaks.total_mb()
        res["peak_mb_largest"] = server.peaks.largest_mb()
        if overload_clients and avail.get("a") == "ok":
            res["overload"] = run_overload(server, auth, qs, duration, overload_clients)
            server.peaks.sample()
            res["peak_mb_after_overload"] = server.peaks.total_mb()
        if extras:
            res["map"] = browser.map_page(server.base, auth) if avail.get("map") == "ok" else {"error": avail.get("map")}
            log(f"  map page: {res['map']}")
            res["report"] = report_timing(url, server.base, auth)
            log(f"  report: {res['report']}")
            server.peaks.sample()
            res["peak_mb_with_report"] = server.peaks.total_mb()
    finally:
        server.stop()
    return res


def run_scenario(server_url: str, settings: Settings, size: int, boundary_set: str, duration: int,
                 worker_counts: list[int], time_import: bool, overload_clients: list[int]) -> dict:
    sc: dict = {"companies_requested": size, "workers_requested": 5 * size, "boundaries": boundary_set}
    started = time.perf_counter()
    url, sc["boundary_load_s"] = dataset.new_database(server_url, settings, boundary_set)
    try:
        log(f"{size:,} companies / {boundary_set}: filling")
        sc["fill"] = dataset.fill(url, size, 5 * size)
        log(f"  filled: {sc['fill']}")
        auth = f"Bearer {token_for(url)}"
        qs = workload.queries(workload.sample_ids(url))
        sc["queries"] = {q.key: {"label": q.label, "path": q.path, "target_rps": q.target_rps,
                                 "target_note": q.target_note} for q in qs}
        dataset.migrate_db(url)
        captured = capture_sql(url, auth, [q.path for q in qs if q.floor])
        sc["floor"] = {}
        for q in qs:
            cap = captured.get(q.path)
            if not q.floor or not cap or cap["status"] not in (200, 204) or not cap["sql"]:
                if q.floor:
                    log(f"  no SQL floor for {q.key}: {cap and cap['status']}, {len(cap['sql']) if cap else 0} statements")
                continue
            sc["floor"][q.key] = {**load.pgbench(url, cap["sql"], duration), "statements": len(cap["sql"])}
            log(f"  pgbench {q.key}: {sc['floor'][q.key]}")
        logs = Path(tempfile.gettempdir())
        sc["servers"] = []
        for i, workers in enumerate(worker_counts):
            sc["servers"].append(run_server(url, auth, workers, qs, duration,
                                            logs / f"pantau-bench-serve-{size}-{workers}.log", extras=i == 0,
                                            overload_clients=overload_clients))
        # Pages, stats and tiles are served from in-process caches (wrk repeats one URL); measure them
        # once more with the caches off, i.e. every request running its SQL.
        cached = [q for q in qs if q.key in CACHED and sc["servers"]
                  and "rps" in sc["servers"][0]["queries"].get(q.key, {})]
        if cached:
            dataset.migrate_db(url)
            server = Serve(url, 1, logs / f"pantau-bench-serve-{size}-nocache.log", NO_CACHE)
            sc["uncached"] = {}
            try:
                for q in cached:
                    sc["uncached"][q.key] = load.wrk(server.base + q.path, auth, duration)
                    log(f"  {q.label} uncached: {sc['uncached'][q.key]}")
                # #16 item 8: distinct pages and ids beside tipg, and their SQL floor (bench/distinct.py)
                rounds = int(os.environ.get("BENCH_DISTINCT", "1"))
                if rounds and boundary_set == "kalteng" and size >= 100_000:
                    sc["distinct"] = {**distinct.measure(url, server.base, auth, duration, rounds), "duration": duration}
                    distinct.append_results(sc["distinct"], url, "make bench")
            finally:
                server.stop()
        # #16 item 7: uncached statistics over distinct requests (bench/stats_tiles_bench.py)
        sc["stats_distinct"] = stats_tiles_bench.for_harness(url)
        if time_import and size <= 100_000:
            sc["import"] = import_timing(server_url, settings, url, boundary_set)
    finally:
        dataset.drop(server_url, url)
    sc["total_s"] = time.perf_counter() - started
    return sc


def import_timing(server_url: str, settings: Settings, filled_url: str, boundary_set: str) -> dict:
    if not dataset.has_command("import"):
        return {"error": "pantau import not available"}
    out: dict = {}
    target, _ = dataset.new_database(server_url, settings, boundary_set)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            companies, workers = dataset.export_csvs(filled_url, Path(tmp))
            out["files_mb"] = (companies.stat().st_size + workers.stat().st_size) / 1e6
            out["companies"] = dataset.timed_import(target, "companies", companies)
            log(f"  import companies: {out['companies']}")
            out["workers"] = dataset.timed_import(target, "workers", workers)
            log(f"  import workers: {out['workers']}")
    finally:
        dataset.drop(server_url, target)
    return out


def main() -> None:
    # Stopped with SIGTERM: unwind, so that the finally blocks drop the throwaway databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    settings = Settings()
    server_url = ensure_server(settings.database)
    sizes = [int(s) for s in env_list("BENCH_SIZES", "10000,100000")]
    sets = env_list("BENCH_SETS", "kalteng")
    duration = int(os.environ.get("BENCH_DURATION", "10"))
    worker_counts = [int(w) for w in env_list("BENCH_WORKERS", "1,2")]
    time_import = os.environ.get("BENCH_IMPORT", "1") == "1"
    overload_clients = [int(c) for c in env_list("BENCH_OVERLOAD", ",".join(map(str, overload.CLIENTS)))]
    run = {"started": datetime.now().astimezone().isoformat(timespec="seconds"), "machine": machine.machine(),
           "versions": machine.versions(server_url), "load_before": machine.loadavg(),
           "busy_before": machine.busy_processes(), "duration_s": duration, "sizes": sizes, "sets": sets,
           "worker_counts": worker_counts, "overload_clients": overload_clients, "scenarios": []}
    t0 = time.perf_counter()
    for boundary_set in sets:
        for size in sizes:
            if boundary_set != "kalteng" and size != max(sizes):
                continue  # national boundaries: the largest size only
            counts = worker_counts if boundary_set == "kalteng" else worker_counts[:1]
            try:
                run["scenarios"].append(run_scenario(server_url, settings, size, boundary_set, duration, counts,
                                                     time_import and boundary_set == "kalteng",
                                                     overload_clients if boundary_set == "kalteng" else []))
            except Exception as exc:  # noqa: BLE001 - one failed scenario is reported, the rest still run
                log(traceback.format_exc())
                run["scenarios"].append({"companies_requested": size, "boundaries": boundary_set,
                                         "error": f"{type(exc).__name__}: {exc}"[:400]})
            write_results(run, OUT)  # after every scenario, so an interrupted run leaves what it measured
    run["total_s"] = time.perf_counter() - t0
    run["load_after"] = machine.loadavg()
    run["busy_after"] = machine.busy_processes()
    write_results(run, OUT)
    log(f"done in {run['total_s'] / 60:.1f} min: {OUT / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
