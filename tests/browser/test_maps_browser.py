"""The map pages in a real headless Chromium (Debian's) against a live server with known data."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import sync_playwright

from tests.browser import fixtures
from tests.browser.data import count
from tests.browser.fixtures import PASSWORD, district_count

pytestmark = pytest.mark.slow  # Chromium against a server of its own

maps_db, maps_server = fixtures.maps_db, fixtures.maps_server  # module-scoped fixtures

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run scripts/setup.sh (installs Debian's chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Recorder:
    """Every request and every console error of a page."""

    def __init__(self, page) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def foreign(self) -> list[str]:
        return [u for u in self.requests
                if not u.startswith("data:") and urlsplit(u).hostname not in ("127.0.0.1",)]


def log_in(page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_path}*")


def wait_markers(page) -> None:
    """Companies drawn and the region numbers applied (both are fetched at run time)."""
    page.wait_for_selector("body[data-markers-drawn='1'][data-stats-drawn='1']", state="attached", timeout=30_000)


def shot(page, name: str, tmp_path: Path) -> None:
    target = SHOTS if os.environ.get("PANTAU_SAVE_SCREENSHOTS") else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"))


def regions(page) -> int:
    return page.locator(".leaflet-overlay-pane path[data-code]").count()


def test_province_regency_district_drill_down(browser, maps_server, maps_db, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    rec = Recorder(page)
    log_in(page, maps_server.base, "admin-peta", "/maps/province")
    wait_markers(page)
    assert regions(page) == 14
    assert page.locator(".pantau-legend").is_visible()
    assert "Kelas:" in page.locator(".pantau-legend").inner_text()
    assert page.evaluate("document.body.dataset.companiesInView") == str(count())
    shot(page, "province", tmp_path)

    # Clicking a regency opens its page with its districts.
    page.locator("path[data-code='62.71']").dispatch_event("click")
    page.wait_for_url(f"{maps_server.base}/maps/regency/62.71")
    wait_markers(page)
    assert regions(page) == district_count(maps_db[0], "62.71")
    assert page.evaluate("document.body.dataset.companiesTotal") == str(count(regency="62.71"))
    shot(page, "regency", tmp_path)

    # On to a district, then back up through the breadcrumb.
    code = page.locator(".leaflet-overlay-pane path[data-code]").first.get_attribute("data-code")
    page.locator(f"path[data-code='{code}']").dispatch_event("click")
    page.wait_for_url(f"{maps_server.base}/maps/district/{code}")
    wait_markers(page)
    assert regions(page) > 0
    shot(page, "district", tmp_path)
    page.click("#breadcrumb a[href^='/maps/regency/62.71']")
    page.wait_for_url(f"{maps_server.base}/maps/regency/62.71")

    assert rec.foreign() == []
    assert rec.errors == []


def test_sector_filter_changes_markers_as_the_api_says(browser, maps_server, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    rec = Recorder(page)
    log_in(page, maps_server.base, "admin-peta", "/maps/province")
    wait_markers(page)
    before = int(page.evaluate("document.body.dataset.companiesInView"))
    page.select_option("#f-sector", "pertambangan_batubara")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**sector=pertambangan_batubara**")
    wait_markers(page)
    after = int(page.evaluate("document.body.dataset.companiesInView"))
    # What the OGC API says for the same filter, asked with the same session.
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    api = httpx.get(f"{maps_server.base}/api/collections/companies/items",
                    params={"sector": "pertambangan_batubara", "limit": 1}, cookies=cookies).json()
    assert after == api["numberMatched"] == count(sector="pertambangan_batubara")
    assert after != before
    assert "pertambangan_batubara" in page.locator(".pantau-legend").inner_text() or \
        "Pertambangan batubara" in page.locator(".pantau-legend").inner_text()
    assert rec.foreign() == [] and rec.errors == []


def test_home_page_and_viewer_company_page(browser, maps_server, maps_db, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    rec = Recorder(page)
    log_in(page, maps_server.base, "viewer-peta", "/")
    wait_markers(page)
    assert page.locator("[data-figure=companies]").inner_text() == str(count())
    assert page.locator("#regency-table tbody tr").count() == 14
    page.click("#regency-table th:nth-child(3)")  # sort by workers, ascending then descending
    page.click("#regency-table th:nth-child(3)")
    first = page.locator("#regency-table tbody tr").first.locator("td").nth(2).inner_text()
    assert int(first) == max(int(t) for t in page.locator("#regency-table tbody tr td:nth-child(3)").all_inner_texts())
    shot(page, "home", tmp_path)

    company_id = maps_db[1]["PT Sawit Kahayan Lestari"]
    page.goto(f"{maps_server.base}/companies/{company_id}")
    text = page.locator("main").inner_text()
    assert "PT Sawit Kahayan Lestari" in text and "tidak ditampilkan" in text
    assert "PX" not in page.content() and "Worker Name" not in page.content()
    assert page.locator("#workers tbody tr").count() == 4
    assert rec.foreign() == [] and rec.errors == []
