"""Benchmark `pantau demo`: generation alone and the full load (generation + PostGIS write, one
transaction) at the default size and at 100k companies / 500k workers, on a throwaway database.
Writes bench/RESULTS-demo.md.  Run: .venv/bin/python -m bench.demo_bench [--companies N --workers N]"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from datetime import date, datetime
from pathlib import Path

import psycopg2

from geo.boundaries import Manifest, fetch_set, load_set
from geo.db import ensure_server
from geo.demo import Size, load_demo
from geo.demo import profile as P
from geo.demo.generate import District, generate
from geo.migrate import migrate
from geo.settings import PROJECT_ROOT, Settings
from tests.dbutil import create_database, dbname_of, drop_database

TODAY = date(2026, 5, 9)


def _scratch_db(settings: Settings) -> tuple[str, str]:
    server = ensure_server(settings.database)
    manifest = Manifest.read(settings.boundaries.manifest)
    layer_set = manifest.layer_set("kalteng")
    _, files = fetch_set(manifest, layer_set, settings.database.home / "boundaries", settings.boundaries.source)
    url = create_database(server, prefix="pantau_demobench")
    conn = psycopg2.connect(url)
    try:
        migrate(conn)
        load_set(conn, layer_set, files, "bench")
    finally:
        conn.close()
    return server, url


def _ram_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--companies", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=500_000)
    ap.add_argument("--inspections", type=int, default=None)
    ap.add_argument("--out", default=str(PROJECT_ROOT / "bench" / "RESULTS-demo.md"))
    args = ap.parse_args()
    inspections = args.inspections if args.inspections is not None else round(
        args.companies * P.DEFAULT_INSPECTIONS / P.DEFAULT_COMPANIES)
    big = Size(args.companies, args.workers, inspections)

    load_before = os.getloadavg()
    server, url = _scratch_db(Settings())
    rows = []
    try:
        conn = psycopg2.connect(url)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT code, parent_code, name, area_km2 FROM boundaries WHERE level = 'district'")
                districts = [District(*r) for r in cur.fetchall()]
                cur.execute("SELECT code, name FROM boundaries WHERE level = 'regency'")
                names = dict(cur.fetchall())
                cur.execute("SELECT version()")
                pg = cur.fetchone()[0].split(",")[0]
            conn.rollback()
            for label, size, replace in (("default", Size(), False), ("large", big, True)):
                t = time.monotonic()
                generate(size, P.DEFAULT_SEED, TODAY, districts, names)
                gen_s = time.monotonic() - t
                report = load_demo(conn, size, today=TODAY, replace=replace)
                rows.append((label, size, gen_s, report.seconds, report.replaced))
                print(f"{label}: {size} generate {gen_s:.1f} s, full load {report.seconds:.1f} s")
        finally:
            conn.close()
    finally:
        drop_database(server, dbname_of(url))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load_after = os.getloadavg()

    lines = [
        "# `pantau demo` benchmark",
        "",
        f"- date: {datetime.now().isoformat(timespec='seconds')}",
        f"- machine: {os.cpu_count()} CPUs (nproc), {_ram_gb():.1f} GB RAM, {platform.platform()}",
        f"- database: {pg}, embedded cluster on a Unix socket",
        f"- load average before/after: {load_before[0]:.1f} / {load_after[0]:.1f} "
        "(the machine is shared with other engineers' test runs: timings include that contention)",
        f"- peak RSS of the Python process: {peak_mb:.0f} MB",
        "- command: `.venv/bin/python -m bench.demo_bench`"
        + (f" --companies {args.companies} --workers {args.workers}" if big != Size(100_000, 500_000, inspections) else ""),
        "",
        "| dataset | companies | workers | inspections | generate (numpy) | full load, one transaction |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, size, gen_s, total_s, replaced in rows:
        note = f" (incl. deleting {replaced:,} companies' data first)" if replaced else ""
        lines.append(f"| {label} | {size.companies:,} | {size.workers:,} | {size.inspections:,} | "
                     f"{gen_s:.1f} s | {total_s:.1f} s{note} |")
    lines.append("")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
