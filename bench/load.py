"""wrk against the API, pgbench against PostgreSQL; parsed into numbers."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

LUA = Path(__file__).with_name("wrk_report.lua")


def wrk(url: str, auth: str | None, duration: int, threads: int = 2, connections: int = 16) -> dict:
    env = {**os.environ, "BENCH_AUTH": auth or ""}
    res = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "60s",
                          "-s", str(LUA), url], capture_output=True, text=True, env=env, timeout=duration + 120)
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        return {"error": (res.stderr or res.stdout).strip()[-300:]}
    v = {k: int(x) for k, x in (kv.split("=") for kv in line.split()[1:])}
    seconds = v["duration_us"] / 1e6
    return {"rps": v["requests"] / seconds if seconds else 0.0, "requests": v["requests"],
            "p50_ms": v["p50_us"] / 1000, "p90_ms": v["p90_us"] / 1000, "p99_ms": v["p99_us"] / 1000,
            "non2xx": v["non2xx"], "socket_errors": v["socket_errors"]}


def pgbench(url: str, statements: list[str], duration: int, clients: int = 16, jobs: int = 2) -> dict:
    """tps of a script holding the statements (one transaction = the whole script)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        for sql in statements:
            # pgbench reads a backslash at a line start as a meta-command; keep lines SQL-only.
            lines = [ln for ln in sql.strip().rstrip(";").splitlines() if ln.strip()]
            f.write("\n".join(" " + ln if ln.lstrip().startswith("\\") else ln for ln in lines) + ";\n")
        path = f.name
    try:
        res = subprocess.run(["pgbench", "-n", f"-c{clients}", f"-j{jobs}", f"-T{duration}", "-f", path, url],
                             capture_output=True, text=True, timeout=duration + 120)
    finally:
        os.unlink(path)
    tps = re.search(r"tps = ([\d.]+)", res.stdout)
    lat = re.search(r"latency average = ([\d.]+) ms", res.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", res.stdout)
    if not tps:
        return {"error": (res.stderr or res.stdout).strip()[-300:]}
    return {"tps": float(tps[1]), "avg_ms": float(lat[1]) if lat else None, "failed": int(failed[1]) if failed else 0}
