"""Time and peak memory of a full-province report: `python bench/reports_bench.py DATABASE_URL [PERIOD] [pdf|html|xlsx]`.
Wall time includes the database queries (their CPU is the server's, not in python_cpu_s).
Fill the database first (e.g. `pantau demo`, or `pantau demo --companies 100000 --workers 500000`)."""

from __future__ import annotations

import os
import resource
import sys
import time

import psycopg2

from geo.filters import MonitoringFilter
from geo.reports.build import build_report
from geo.reports.content import Options
from geo.reports.period import Quarter


def main() -> None:
    url, period = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "2026-Q4")
    fmt = sys.argv[3] if len(sys.argv) > 3 else "pdf"
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM foreign_workers)")
        companies, workers = cur.fetchone()
    conn.rollback()
    load_before = os.getloadavg()[0]
    cpu0 = time.process_time()
    start = time.perf_counter()
    report = build_report(conn, Options(Quarter.parse(period), MonitoringFilter()), fmt)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # VmHWM of this process
    print(f"companies={companies} workers={workers} format={fmt} bytes={len(report.body)} seconds={seconds:.1f} "
          f"python_cpu_s={cpu:.1f} peak_rss_mb={peak_mb:.0f} load1={load_before:.1f}->{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
