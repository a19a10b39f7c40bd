"""Province map page with many companies: HTML size, and time from navigation until the company
clusters are drawn, in headless Debian Chromium. Writes a row to stdout (bench/RESULTS-maps.md
holds the recorded numbers).

    .venv/bin/python bench/maps_bench.py --companies 100000 --workers 500000

Creates a throwaway database (schema + boundaries + `pantau demo` data), runs a server on it,
logs in through the form, loads /maps/province three times and reports the median.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from geo.auth.users import create_user  # noqa: E402
from geo.boundaries import Manifest, fetch_set, load_set  # noqa: E402
from geo.db import ensure_server  # noqa: E402
from geo.migrate import migrate  # noqa: E402
from tests.conftest import SETTINGS, LiveServer  # noqa: E402
from tests.dbutil import create_database, dbname_of, drop_database  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def make_db(companies: int, workers: int) -> str:
    url = create_database(ensure_server(SETTINGS.database), prefix="pantau_bench_maps")
    manifest = Manifest.read(SETTINGS.boundaries.manifest)
    _, files = fetch_set(manifest, manifest.layer_set("kalteng"), SETTINGS.database.home / "boundaries",
                         SETTINGS.boundaries.source)
    conn = psycopg2.connect(url)
    try:
        migrate(conn)
        load_set(conn, manifest.layer_set("kalteng"), files, "bench")
        create_user(conn, "bench-admin", "bench-password-12345", "admin", "kesbangpol", None)
    finally:
        conn.close()
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv/bin/pantau"), "demo", "--companies", str(companies), "--workers", str(workers)],
                   env={**os.environ, "DATABASE_URL": url}, check=True, cwd=ROOT)
    print(f"demo data: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return url


def ensure_bench_user(url: str) -> None:
    """A reused database may lack the bench login (a users row only: no monitoring data changes)."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM users WHERE username = 'bench-admin'")
            missing = cur.fetchone() is None
        conn.rollback()
        if missing:
            create_user(conn, "bench-admin", "bench-password-12345", "admin", "kesbangpol", None)
    finally:
        conn.close()


def measure(base: str, runs: int) -> dict:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        # Land on a static file after logging in: no map page may warm the statistics cache before
        # the first measured load (that one is cold; the later ones hit the server's cache/ETag).
        page.goto(f"{base}/login?next=/static/css/pantau.css")
        page.fill("#username", "bench-admin")
        page.fill("#password", "bench-password-12345")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/static/css/pantau.css")
        times, sizes, points, phases = [], [], [], []
        for _ in range(runs):
            started = time.perf_counter()
            response = page.goto(f"{base}/maps/province")
            page.wait_for_selector("body[data-markers-drawn='1'][data-stats-drawn='1']", state="attached",
                                   timeout=120_000)
            times.append(time.perf_counter() - started)
            sizes.append(len(response.body()))
            points.append(int(page.evaluate("document.body.dataset.companiesTotal")))
            # Milliseconds since navigation start, taken in the page: HTML received, polygons on
            # screen (load event: the map script has run), clusters drawn, region numbers applied.
            phases.append(page.evaluate("""() => {
                const nav = performance.getEntriesByType('navigation')[0];
                return {html: nav.responseEnd, polygons: nav.loadEventEnd,
                        markers: +document.body.dataset.markersAt, stats: +document.body.dataset.statsAt};
            }"""))
        points_bytes = len(page.request.get(f"{base}/maps/data/companies.json").body())
        browser.close()
    return {"seconds": statistics.median(times), "all": times, "html_bytes": sizes[0], "companies": points[0],
            "points_bytes": points_bytes, "phases": phases}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="reuse a filled database (needs user bench-admin)")
    parser.add_argument("--keep", action="store_true", help="keep the database made (its URL goes to stderr)")
    args = parser.parse_args()
    url = args.database_url or make_db(args.companies, args.workers)
    if args.database_url:
        ensure_bench_user(url)
    server = LiveServer(url)
    try:
        r = measure(server.base, args.runs)
    finally:
        server.stop()
        if args.keep and not args.database_url:
            print(f"kept database: {url}", file=sys.stderr)
        elif not args.database_url:
            drop_database(ensure_server(SETTINGS.database), dbname_of(url))
    print(f"| {time.strftime('%Y-%m-%d')} | {platform.node()} ({os.cpu_count()} cores) | {r['companies']:,} | "
          f"{r['html_bytes'] / 1024:.0f} KB | {r['points_bytes'] / 1e6:.1f} MB | {r['seconds']:.2f} s "
          f"({', '.join(f'{t:.2f}' for t in r['all'])}) |")
    for i, ph in enumerate(r["phases"], 1):
        print(f"run {i}: " + ", ".join(f"{k} {v / 1000:.2f} s" for k, v in ph.items()))
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
