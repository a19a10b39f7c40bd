"""Distinct-request workloads (#16 item 8): Pantau beside tipg 1.6.1 in the same run, one worker each,
Pantau's caches off, 16 clients walking a list of distinct paths (wrk_paths.lua), and the SQL floor:
pgbench replaying the statements Pantau sent for those very paths (bench/capture.py).

Two workloads over the companies table: `bbox` (2,000 city-sized boxes, 0.2 degrees square, each centred
on a company, limit=100) and `ids` (2,000 random company ids, one feature each).

    PYTHONPATH=. .venv/bin/python -m bench.distinct [--duration 10] [--rounds 1] [--workloads bbox,ids]
        [--database NAME] [--baseline DIR]

on the database of bench/features_prepare.py (100,000 companies; --database NAME: a copy of it made on
first use, so that one engineer's runs leave the shared one alone), appending to
bench/RESULTS-features.md; bench/harness.py calls `measure` for `make bench`. --baseline DIR: a second
Pantau served from DIR (e.g. a `git archive` of the code before a change), measured in each round just
before this tree's, for before/after ratios at the same load. tipg runs from its own
virtualenv (never a Pantau dependency), created on first use in PANTAU_HOME/bench/tipg-1.6.1 or taken
from BENCH_TIPG_PYTHON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg2

from bench import machine

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_name("wrk_paths.lua")
RESULTS = Path(__file__).with_name("RESULTS-features.md")
TIPG_VERSION = "1.6.1"
N_PATHS = 2000
BOX_DEG = 0.2  # a city-sized box, as query (a) of make bench
ITEMS = "/api/collections/companies/items"
TIPG_ITEMS = "/collections/public.companies/items"
WORKLOADS = {"bbox": "2,000 distinct city-sized bboxes, limit=100", "ids": "2,000 random ids, one feature each"}
TARGET_X_TIPG = {"bbox": 6.0, "ids": 3.0}  # #16 item 8, one worker each, caches off
NO_CACHE = {"PANTAU_TILES_CACHE_MB": "0", "PANTAU_STATS_CACHE_MB": "0", "PANTAU_FEATURES_CACHE_MB": "0"}


def log(msg: str) -> None:
    print(f"[distinct {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- the workload ---------------------------------------------------------------------------------
def sample(url: str, n: int = N_PATHS, seed: int = 16) -> dict[str, list]:
    """n bboxes centred on companies and n company ids, the same for every run on the same data."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, round(ST_X(geom)::numeric, 4)::float, round(ST_Y(geom)::numeric, 4)::float "
                    "FROM companies ORDER BY id")
        rows = cur.fetchall()
    conn.close()
    rng = random.Random(seed)
    boxes: dict[tuple, None] = {}
    for _, x, y in rng.sample(rows, min(len(rows), 2 * n)):
        h = BOX_DEG / 2
        boxes.setdefault((round(x - h, 4), round(y - h, 4), round(x + h, 4), round(y + h, 4)), None)
        if len(boxes) == n:
            break
    ids = [row[0] for row in rng.sample(rows, min(len(rows), n))]
    return {"bbox": list(boxes), "ids": ids}


def paths(work: dict[str, list], items: str) -> dict[str, list[str]]:
    return {"bbox": [f"{items}?bbox={','.join(f'{v:g}' for v in b)}&limit=100" for b in work["bbox"]],
            "ids": [f"{items}/{i}" for i in work["ids"]]}


# --- measuring ------------------------------------------------------------------------------------
def wrk_paths(base: str, auth: str | None, path_list: list[str], duration: int, connections: int = 16) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(path_list) + "\n")
    env = {**os.environ, "BENCH_AUTH": auth or "", "BENCH_PATHS": fh.name}
    try:
        res = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "60s", "-s", str(LUA),
                              base], capture_output=True, text=True, env=env, timeout=duration + 120)
    finally:
        os.unlink(fh.name)
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        return {"error": (res.stderr or res.stdout).strip()[-300:]}
    v = {k: int(x) for k, x in (kv.split("=") for kv in line.split()[1:])}
    seconds = v["duration_us"] / 1e6
    return {"rps": v["requests"] / seconds if seconds else 0.0, "requests": v["requests"],
            "p50_ms": v["p50_us"] / 1000, "p99_ms": v["p99_us"] / 1000, "non2xx": v["non2xx"],
            "socket_errors": v["socket_errors"], "load": machine.loadavg()[0]}


def capture(url: str, auth: str, path_list: list[str]) -> dict[str, dict]:
    """The statements Pantau sends for each path (bench/capture.py, caches off, in a subprocess)."""
    res = subprocess.run([sys.executable, "-m", "bench.capture", "--warm-once", url, auth, *path_list], cwd=ROOT,
                         env={**os.environ, **NO_CACHE}, capture_output=True, text=True, timeout=1800)
    if res.returncode != 0:
        raise RuntimeError(f"SQL capture failed: {res.stderr.strip()[-400:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


_SET = re.compile(r"^\s*SET\s+(\w+)\s*(?:=|TO)\s*(\S+?)\s*;?\s*$", re.I)


def floor_script(captured: list[list[str]]) -> tuple[str, str]:
    """A pgbench script that runs, per transaction, the statements of one path picked at random
    (nested \\if chains: a few dozen comparisons in pgbench, nothing on the server), and the
    PGOPTIONS holding the session settings the statements SET (sent once per connection, as the API's
    `SET LOCAL` travels with its statement in the same round trip)."""
    options: dict[str, str] = {}
    bodies = []
    for statements in captured:
        kept = []
        for sql in statements:
            if m := _SET.match(sql):
                options[m[1]] = m[2].strip("'")
            else:
                lines = [ln for ln in sql.strip().rstrip(";").splitlines() if ln.strip()]
                kept.append("\n".join(" " + ln if ln.lstrip().startswith("\\") else ln for ln in lines) + ";")
        bodies.append("\n".join(kept))
    out = [f"\\set i random(0, {len(bodies) - 1})"]
    step = 64
    for start in range(0, len(bodies), step):
        out.append(("\\if" if start == 0 else "\\elif") + f" :i < {start + step}")
        for i in range(start, min(start + step, len(bodies))):
            out += [("\\if" if i == start else "\\elif") + f" :i = {i}", bodies[i]]
        out.append("\\endif")
    out.append("\\endif")
    return "\n".join(out) + "\n", " ".join(f"-c {k}={v}" for k, v in sorted(options.items()))


def pgbench_script(url: str, script: str, pgoptions: str, duration: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
        fh.write(script)
    env = {**os.environ, "PGOPTIONS": pgoptions}
    try:
        res = subprocess.run(["pgbench", "-n", "-c16", "-j2", f"-T{duration}", "-f", fh.name, url],
                             capture_output=True, text=True, env=env, timeout=duration + 300)
    finally:
        os.unlink(fh.name)
    tps = re.search(r"tps = ([\d.]+)", res.stdout)
    lat = re.search(r"latency average = ([\d.]+) ms", res.stdout)
    if not tps:
        return {"error": (res.stderr or res.stdout).strip()[-300:]}
    return {"tps": float(tps[1]), "avg_ms": float(lat[1]) if lat else None, "load": machine.loadavg()[0]}


# --- tipg -----------------------------------------------------------------------------------------
def tipg_python() -> str | None:
    """BENCH_TIPG_PYTHON, else a virtualenv of tipg made on first use (PyPI must be reachable)."""
    given = os.environ.get("BENCH_TIPG_PYTHON")
    if given:
        return given
    from geo.settings import Settings

    venv = Settings().database.home / "bench" / f"tipg-{TIPG_VERSION}"
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"creating the tipg virtualenv in {venv}")
        venv.parent.mkdir(parents=True, exist_ok=True)
        made = subprocess.run(["python3", "-m", "venv", str(venv)], capture_output=True, text=True)
        pip = made.returncode == 0 and subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"tipg=={TIPG_VERSION}", "uvicorn"],
            capture_output=True, text=True, timeout=900)
        if not pip or pip.returncode != 0:
            log(f"tipg not installed: {(pip.stderr if pip else made.stderr).strip()[-300:]}")
            return None
    return str(python)


def socket_dsn(db_url: str) -> str:
    """asyncpg (tipg) takes the socket directory in the host part, not as ?host=."""
    parts = psycopg2.extensions.parse_dsn(db_url)
    host = parts.get("host", "localhost").replace("/", "%2F")
    return f"postgresql://{parts['user']}@{host}:{parts.get('port', 5432)}/{parts['dbname']}"


class Tipg:
    """tipg on the same database, one uvicorn worker, no access log (as Pantau's bench server)."""

    def __init__(self, python: str, db_url: str) -> None:
        from bench.server import free_port

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": socket_dsn(db_url), "TIPG_DB_SCHEMAS": '["public"]'}
        self.proc = subprocess.Popen([python, "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1", "--port",
                                      str(self.port), "--workers", "1", "--log-level", "warning", "--no-access-log"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(f"{self.base}/collections", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("tipg did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _check(base: str, auth: str | None, path_list: list[str]) -> str | None:
    """None when a few paths answer 200, else why not."""
    headers = {"Authorization": auth} if auth else {}
    for path in path_list[:3]:
        r = httpx.get(base + path, headers=headers, timeout=60)
        if r.status_code != 200:
            return f"{path} answers {r.status_code}"
    return None


def measure(db_url: str, pantau_base: str, auth: str, duration: int, rounds: int = 1,
            workloads: tuple[str, ...] = tuple(WORKLOADS), baseline: str | None = None) -> dict:
    """The workloads, Pantau and tipg interleaved per round, then the SQL floor of Pantau's statements.
    `pantau_base`: a running Pantau (one worker, caches off); `baseline`: another one (the code
    before a change), measured in each round before it."""
    work = sample(db_url)
    ours, theirs = paths(work, ITEMS), paths(work, TIPG_ITEMS)
    out: dict = {"started": time.strftime("%Y-%m-%d %H:%M %Z"), "load_before": machine.loadavg()[0],
                 "paths": {k: len(v) for k, v in ours.items()}, "rounds": [], "floor": {},
                 "examples": {k: v[0] for k, v in ours.items()}, "workloads": list(workloads),
                 "baseline": bool(baseline)}
    python = tipg_python()
    tipg = None
    if python:
        try:
            tipg = Tipg(python, db_url)
            out["tipg"] = subprocess.run([python, "-c", "import tipg; print(tipg.__version__)"],
                                         capture_output=True, text=True).stdout.strip()
        except RuntimeError as exc:
            out["tipg_error"] = str(exc)
    else:
        out["tipg_error"] = "tipg virtualenv not available"
    try:
        for name in workloads:
            for side, base, auth_, plist in (("pantau", pantau_base, auth, ours[name]),
                                             ("before", baseline, auth, ours[name]),
                                             ("tipg", tipg and tipg.base, None, theirs[name])):
                why = base and _check(base, auth_, plist)
                if why:
                    out.setdefault("errors", {})[f"{side} {name}"] = why
        for _ in range(rounds):
            r: dict = {}
            for name in workloads:
                if baseline:
                    r[f"before {name}"] = wrk_paths(baseline, auth, ours[name], duration)
                    log(f"before {name}: {r[f'before {name}']}")
                r[f"pantau {name}"] = wrk_paths(pantau_base, auth, ours[name], duration)
                log(f"pantau {name}: {r[f'pantau {name}']}")
                if tipg:
                    r[f"tipg {name}"] = wrk_paths(tipg.base, None, theirs[name], duration)
                    log(f"tipg {name}: {r[f'tipg {name}']}")
            out["rounds"].append(r)
    finally:
        if tipg:
            tipg.stop()
    for name in workloads:
        captured = capture(db_url, auth, ours[name])
        bad = [p for p, c in captured.items() if c["status"] != 200 or not c["sql"]]
        if bad:
            out["floor"][name] = {"error": f"{len(bad)} paths not captured, e.g. {bad[0]}"}
            continue
        per_path = [captured[p]["sql"] for p in ours[name]]
        script, pgoptions = floor_script(per_path)
        out["floor"][name] = {**pgbench_script(db_url, script, pgoptions, duration),
                              "statements": max(len(s) for s in per_path), "pgoptions": pgoptions,
                              "example": per_path[0]}
        log(f"floor {name}: {out['floor'][name]['tps'] if 'tps' in out['floor'][name] else out['floor'][name]}")
    out["load_after"], out["busy_after"] = machine.loadavg()[0], machine.busy_processes()
    return out


def summary_rows(res: dict, side: str = "pantau") -> list[dict]:
    """Per workload: the median over rounds of each side and of the per-round ratio (the two servers
    of a round ran back to back, at nearly the same load), the floor, and the verdict."""
    def median(values: list[float]) -> float | None:
        values = sorted(values)
        return values[len(values) // 2] if values else None

    rows = []
    for name in res.get("workloads", WORKLOADS):
        pairs = [(r.get(f"{side} {name}", {}).get("rps"), r.get(f"tipg {name}", {}).get("rps")) for r in res["rounds"]]
        p = median([a for a, _ in pairs if a])
        t = median([b for _, b in pairs if b])
        x = median([a / b for a, b in pairs if a and b])
        fl = res["floor"].get(name, {}).get("tps")
        rows.append({"workload": name, "label": WORKLOADS[name], "pantau": p, "tipg": t, "x_tipg": x, "floor": fl,
                     "floor_x_tipg": fl / t if fl and t else None, "api_floor": p / fl if p and fl else None,
                     "target": TARGET_X_TIPG[name], "met": None if x is None else x >= TARGET_X_TIPG[name]})
    return rows


def markdown(res: dict, title: str) -> list[str]:
    def f(v, fmt="{:.0f}"):
        return "–" if v is None else fmt.format(v)

    names = res.get("workloads", list(WORKLOADS))
    lines = [title, "",
             f"wrk -t2 -c16 -d{res['duration']}s walking the paths (bench/wrk_paths.lua), {len(res['rounds'])} "
             f"round(s), Pantau and tipg {res.get('tipg') or '(not run: ' + res.get('tipg_error', '?') + ')'} "
             "interleaved; one uvicorn worker each; Pantau with its caches off and a bearer token; tipg without "
             "authentication. SQL floor: pgbench -n -c16 -j2 over the statements Pantau sent for the same "
             "paths (bench/capture.py), one path at random per transaction. Load = 1-minute load average after "
             "each run (the machine is shared).", "",
             "| workload | round | Pantau req/s | p50 / p99 ms | load | tipg req/s | p50 / p99 ms | load | × tipg |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    sides = (("before", " (before)"), ("pantau", "")) if res.get("baseline") else (("pantau", ""),)
    for i, r in enumerate(res["rounds"], 1):
        for name, (side, label) in ((n, s) for n in names for s in sides):
            p, t = r.get(f"{side} {name}", {}), r.get(f"tipg {name}", {})
            lines.append(
                f"| {name}{label} | {i} | {f(p.get('rps'))} | {f(p.get('p50_ms'))} / {f(p.get('p99_ms'))} | "
                f"{f(p.get('load'), '{:.1f}')} | {f(t.get('rps'))} | {f(t.get('p50_ms'))} / {f(t.get('p99_ms'))} | "
                f"{f(t.get('load'), '{:.1f}')} | {f(p['rps'] / t['rps'] if p.get('rps') and t.get('rps') else None, '{:.1f}')} |")
    lines += ["", "Medians over the rounds (× tipg: of the per-round ratios).", "",
              "| workload | Pantau req/s | tipg req/s | × tipg | target | | SQL floor tps (load) | floor × tipg "
              "| API / floor |", "|---|---:|---:|---:|---:|---|---:|---:|---:|"]
    before = {row["workload"]: row for row in summary_rows(res, "before")} if res.get("baseline") else {}
    for row in summary_rows(res):
        fl = res["floor"].get(row["workload"], {})
        verdict = "–" if row["met"] is None else ("met" if row["met"] else "**not met**")
        lines.append(f"| {row['label']} | {f(row['pantau'])} | {f(row['tipg'])} | {f(row['x_tipg'], '{:.1f}')} | "
                     f"≥ {row['target']:.0f}× | {verdict} | {f(row['floor'])} ({f(fl.get('load'), '{:.1f}')}) | "
                     f"{f(row['floor_x_tipg'], '{:.1f}')} | {f(row['api_floor'], '{:.2f}')} |")
        if row["workload"] in before:
            b = before[row["workload"]]
            lines.insert(-1, f"| {row['label']} (before) | {f(b['pantau'])} | {f(b['tipg'])} | "
                             f"{f(b['x_tipg'], '{:.1f}')} | ≥ {b['target']:.0f}× | | | | – |")  # the floor is this tree's SQL
    errors = {**res.get("errors", {}), **{f"floor {k}": v["error"] for k, v in res["floor"].items() if "error" in v}}
    if errors:
        lines += ["", "Errors: " + "; ".join(f"{k}: {v}" for k, v in errors.items())]
    return lines + [""]


def append_results(res: dict, db_url: str, source: str) -> str:
    """A dated section with machine and load, appended to bench/RESULTS-features.md."""
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM foreign_workers)")
        companies, workers = cur.fetchone()
    conn.close()
    mc = machine.machine()
    lines = markdown(res, f"## {res['started']} — distinct requests (#16 item 8), {source}")
    lines[1:1] = ["", f"{mc['nproc']} CPU ({mc['cpu']}), {mc['ram_gb']:.1f} GB RAM, {mc['kernel']}; "
                  f"{companies:,} companies, {workers:,} workers. Load average (1 min) before: "
                  f"{res['load_before']:.1f}, after: {res['load_after']:.1f}; busy at the end: "
                  f"{', '.join(res['busy_after']) or 'nothing else'}."]
    text = "\n".join(lines)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write("\n" + text)
    return text


# --- standalone: the features benchmark database -------------------------------------------------
def existing(name: str) -> str | None:
    """The URL of database `name` on the embedded cluster when it exists (left as it is: not migrated)."""
    from geo.db import ensure_server
    from geo.settings import Settings
    from tests.dbutil import with_dbname

    url = with_dbname(ensure_server(Settings().database), "postgres")
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        found = cur.fetchone() is not None
    conn.close()
    return with_dbname(url, name) if found else None


def copy_of(url: str, name: str) -> str:
    """`name`: a copy of the database at `url` on the same cluster, made when missing."""
    from tests.dbutil import dbname_of, with_dbname

    admin = psycopg2.connect(with_dbname(url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            source = dbname_of(url)
            cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')  # noqa: S608 - names from the command line
    admin.close()
    return with_dbname(url, name)


def main() -> None:
    from bench.features_bench import token
    from bench.features_prepare import prepare
    from bench.server import Serve

    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated: bbox,ids")
    ap.add_argument("--database", help="a copy of the features benchmark database, made on first use")
    ap.add_argument("--baseline", type=Path, help="a source tree (the code before) served beside this one")
    ap.add_argument("--baseline-database", help="the baseline's own copy (e.g. without a new migration)")
    args = ap.parse_args()
    workloads = tuple(w for w in args.workloads.split(",") if w)
    if set(workloads) - set(WORKLOADS):
        ap.error(f"--workloads: one of {', '.join(WORKLOADS)}")
    db_url = (existing(args.database) or copy_of(prepare(), args.database)) if args.database else prepare()
    auth = f"Bearer {token(db_url)}"
    log_file = Path(tempfile.gettempdir()) / "pantau-bench-distinct.log"
    server = Serve(db_url, 1, log_file, NO_CACHE)
    before = None
    try:
        before_url = copy_of(db_url, args.baseline_database) if args.baseline_database else db_url
        before = args.baseline and Serve(before_url, 1, log_file, NO_CACHE, root=args.baseline.resolve())
        res = measure(db_url, server.base, auth, args.duration, args.rounds, workloads, before and before.base)
    finally:
        server.stop()
        if before:
            before.stop()
    res["duration"] = args.duration
    print(append_results(res, db_url, "bench/distinct.py on bench/features_prepare.py's database"))


if __name__ == "__main__":
    main()
