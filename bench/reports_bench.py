"""Time and peak memory of a full-province PDF report: `python bench/reports_bench.py DATABASE_URL [PERIOD]`.
Fill the database first (e.g. `pantau demo`, or `pantau demo --companies 100000 --workers 500000`)."""

from __future__ import annotations

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
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM foreign_workers)")
        companies, workers = cur.fetchone()
    conn.rollback()
    start = time.perf_counter()
    report = build_report(conn, Options(Quarter.parse(period), MonitoringFilter()), "pdf")
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"companies={companies} workers={workers} pdf_bytes={len(report.body)} seconds={seconds:.1f} peak_rss_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
