"""Refresh docs/screenshots: the pages with the default demo data at 1280x800 and 390x844.

A throwaway database (schema, Kalimantan Tengah boundaries, `pantau demo`'s default dataset, an admin
user), a server on a free port against it, Debian's Chromium logging in through /login. The database
is dropped and the server stopped at the end, also on error.

    .venv/bin/python scripts/screenshots.py [--reports DIR]

--reports DIR also writes the province and Kotawaringin Timur PDF reports of the current quarter
(`pantau report`) into DIR before the database goes. A base map configured in the environment
(PANTAU_BASEMAP_PMTILES, ...) is used by the server like any other setting.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import clock  # noqa: E402
from geo.auth.users import create_user  # noqa: E402
from geo.boundaries import Manifest, fetch_set, load_set  # noqa: E402
from geo.db import connection, ensure_server  # noqa: E402
from geo.demo import load_demo  # noqa: E402
from geo.migrate import migrate  # noqa: E402
from geo.settings import PROJECT_ROOT, Settings  # noqa: E402
from tests.browser.test_basemap_browser import wait_vector_drawn  # noqa: E402
from tests.browser.test_maps_browser import ARGS, CHROMIUM, SHOTS, wait_markers  # noqa: E402
from tests.conftest import LiveServer  # noqa: E402
from tests.dbutil import create_database, dbname_of, drop_database  # noqa: E402

SIZES = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}
REGENCY = "62.02"  # Kotawaringin Timur
DISTRICT = "Mentawa Baru Ketapang"  # Sampit
USER = "admin-gambar"


def prepare(url: str, settings: Settings) -> tuple[str, dict[str, str]]:
    """Schema, boundaries, demo data and an admin; returns the password and the pages to capture."""
    manifest = Manifest.read(settings.boundaries.manifest)
    layer_set = manifest.layer_set("kalteng")
    used, files = fetch_set(manifest, layer_set, settings.database.home / "boundaries", settings.boundaries.source)
    password = secrets.token_urlsafe(18)
    with connection(url) as conn:
        migrate(conn)
        load_set(conn, layer_set, files, used)
        load_demo(conn)
        create_user(conn, USER, password, "admin", "kesbangpol", None)
        with conn.cursor() as cur:
            cur.execute("SELECT code FROM boundaries WHERE level = 'district' AND parent_code = %s AND name ILIKE %s",
                        (REGENCY, DISTRICT))
            district = cur.fetchone()[0]
            # The company of that district with the most foreign workers (its page has most to show).
            cur.execute("""SELECT c.id FROM companies c LEFT JOIN foreign_workers w ON w.company_id = c.id
                            WHERE c.district_code = %s GROUP BY c.id ORDER BY count(w.*) DESC, c.id LIMIT 1""",
                        (district,))
            company = cur.fetchone()[0]
    pages = {"home": "/", "province": "/maps/province", "regency": f"/maps/regency/{REGENCY}",
             "district": f"/maps/district/{district}", "company": f"/companies/{company}"}
    return password, pages


def settle(page) -> None:
    """Until the page has drawn: data, region numbers and labels, base map tiles; then a frame more."""
    page.wait_for_load_state("networkidle")
    if page.locator(".folium-map").count():
        wait_markers(page)
        if page.evaluate("document.body.dataset.basemap") == "pmtiles":
            wait_vector_drawn(page)
        page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)  # labels re-placed after the layout script moved the map's corners


def capture(base: str, password: str, pages: dict[str, str]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        # --lang: the date fields read dd/mm/yyyy as in an Indonesian browser.
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=id-ID"])
        try:
            for size, viewport in SIZES.items():
                context = browser.new_context(viewport=viewport, device_scale_factor=1, locale="id-ID")
                page = context.new_page()
                page.goto(f"{base}/login?next=/")
                page.fill("#username", USER)
                page.fill("#password", password)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/")
                for name, path in pages.items():
                    page.goto(base + path)
                    settle(page)
                    # The map pages as seen in the window; home and company pages whole.
                    page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=not path.startswith("/maps/"))
                    print(f"docs/screenshots/{name}-{size}.png")
                page.goto(f"{base}/maps/province")
                settle(page)
                page.click("#report-link")
                page.wait_for_selector("#report-dialog[open]")
                page.wait_for_timeout(300)
                page.screenshot(path=str(SHOTS / f"report-dialog-{size}.png"))
                print(f"docs/screenshots/report-dialog-{size}.png")
                context.close()
        finally:
            browser.close()


def reports(url: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    q = clock.today()
    period = f"{q.year}-Q{(q.month - 1) // 3 + 1}"
    env = {**os.environ, "DATABASE_URL": url}
    for name, extra in (("prov", []), ("regency", ["--regency", REGENCY])):
        subprocess.run([str(PROJECT_ROOT / ".venv/bin/pantau"), "report", "--period", period, "--format", "pdf",
                        "--out", str(out / f"{name}.pdf"), *extra], env=env, cwd=PROJECT_ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, help="also write the province and regency PDF reports here")
    args = parser.parse_args()
    settings = Settings()
    server_url = ensure_server(settings.database)
    url = create_database(server_url, prefix="pantau_shots")
    server = None
    try:
        password, pages = prepare(url, settings)
        server = LiveServer(url, {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "100"})
        capture(server.base, password, pages)
        if args.reports:
            reports(url, args.reports)
    finally:
        if server:
            server.stop()
        drop_database(server_url, dbname_of(url))


if __name__ == "__main__":
    main()
