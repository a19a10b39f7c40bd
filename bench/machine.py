"""What the benchmark ran on: machine, load, versions. All read at run time."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

import psycopg2

PACKAGES = ("fastapi", "uvicorn", "starlette", "psycopg2-binary", "psycopg2", "pydantic", "folium", "geopandas",
            "shapely", "pandas", "matplotlib", "playwright")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def ram_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return 0.0


def loadavg() -> tuple[float, float, float]:
    a, b, c = Path("/proc/loadavg").read_text().split()[:3]
    return float(a), float(b), float(c)


def busy_processes(limit: int = 6) -> list[str]:
    """The processes using most CPU right now (other people's work on a shared machine)."""
    out = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"], capture_output=True, text=True)
    rows = [line.split(None, 1) for line in out.stdout.splitlines() if line.strip()]
    return [f"{comm.strip()} {pcpu}%" for pcpu, comm in rows[:limit] if float(pcpu) >= 5]


def versions(url: str) -> dict[str, str]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        # The server's own database need not have PostGIS installed (the benchmark databases do).
        cur.execute("SELECT current_setting('server_version'), "
                    "(SELECT default_version FROM pg_available_extensions WHERE name = 'postgis')")
        pg, postgis = cur.fetchone()
    out = {"PostgreSQL": pg, "PostGIS": postgis or "not available",
           "Python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    for tool, args in (("wrk", ["wrk", "--version"]), ("pgbench", ["pgbench", "--version"]),
                       ("chromium", ["/usr/bin/chromium", "--version"])):
        try:
            res = subprocess.run(args, capture_output=True, text=True, timeout=30)
            text = (res.stdout or res.stderr).strip().splitlines()
            out[tool] = text[0].split(" Copyright")[0] if text else "?"
        except (OSError, subprocess.TimeoutExpired):
            out[tool] = "not installed"
    return out


def machine() -> dict:
    return {"nproc": os.cpu_count(), "ram_gb": ram_gb(), "cpu": cpu_model(),
            "kernel": f"{platform.system()} {platform.release()}"}
