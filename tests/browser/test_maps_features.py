"""Map page features in a real Chromium against a live server with the known dataset: company
popups, the heat-map and inspections layers, nationality and permit filters, search, minimap, and
the offline (file://) copy of a page that the reports rely on."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import psycopg2
import pytest

from geo import formatting, labels
from geo.maps.assets import inline_assets
from tests.browser import fixtures, test_maps_browser
from tests.browser.data import COMPANIES, permit
from tests.browser.test_maps_browser import Recorder, log_in, regions, wait_markers

pytestmark = pytest.mark.slow  # Chromium against a server of its own

maps_db, maps_server = fixtures.maps_db, fixtures.maps_server  # module-scoped fixtures
browser = test_maps_browser.browser


def api_count(page, base: str, **params) -> int:
    """numberMatched of the OGC API for the same filter, asked with the page's session."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    r = httpx.get(f"{base}/api/collections/companies/items", params={**params, "limit": 1}, cookies=cookies)
    assert r.status_code == 200, r.text
    return r.json()["numberMatched"]


def district_of(url: str, company_id: int) -> str:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT district_code FROM companies WHERE id = %s", (company_id,))
            return cur.fetchone()[0]
    finally:
        conn.close()


def click_company(page, company_id: int) -> None:
    """A real mouse click on the company's marker (canvas circle), found by its position."""
    xy = page.evaluate("""(id) => {
        const st = window.PANTAU_STATE, f = st.layer.features.find(x => x.properties.id === id);
        const p = st.layer.map.latLngToContainerPoint([f.geometry.coordinates[1], f.geometry.coordinates[0]]);
        const r = st.layer.map.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }""", company_id)
    page.mouse.click(xy[0], xy[1])


def test_company_popup(browser, maps_server, maps_db):
    name = "PT Sawit Kahayan Lestari"
    cid = maps_db[1][name]
    row = next(c for c in COMPANIES if c[0] == name)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    rec = Recorder(page)
    log_in(page, maps_server.base, "viewer-peta", f"/maps/district/{district_of(maps_db[0], cid)}")
    wait_markers(page)
    click_company(page, cid)
    page.wait_for_selector(".company-popup", timeout=15_000)
    text = page.locator(".company-popup").inner_text()
    assert name in text
    assert "Perkebunan" in text or "sawit" in text.lower()  # the sector's label
    for nat, n in row[5]:
        assert f"{labels.nationality(nat)} {n}" in text  # 'Tiongkok 1', not 'CN 1'
    assert f"{sum(n for _, n in row[5])} (" in text  # active workers, then by nationality
    valid_until = formatting.long_date(date.today() + timedelta(days=row[4]))
    assert "Berlaku" in text and valid_until in text
    assert formatting.long_date(date.today() - timedelta(days=min(row[6]))) in text  # last inspection
    assert page.locator(".company-popup a").get_attribute("href") == f"/companies/{cid}"
    # Viewers get no personal data in the popup.
    assert "PX" not in text and "Worker Name" not in text
    assert rec.foreign() == [] and rec.errors == []


def test_heat_and_inspection_layers(browser, maps_server):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    rec = Recorder(page)
    log_in(page, maps_server.base, "admin-peta", "/maps/province")
    wait_markers(page)
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 0
    page.get_by_label("Peta panas perusahaan").check()
    page.get_by_label("Pemeriksaan 12 bulan terakhir").check()
    page.wait_for_selector("canvas.leaflet-heatmap-layer", state="attached")
    inspected = sum(1 for c in COMPANIES if any(ago < 365 for ago in c[6]))
    on_map = page.evaluate("""() => {
        const m = window.PANTAU_STATE.layer.map, g = window.PANTAU_STATE.layer.cfg.inspections;
        return m.hasLayer(g) ? g.getLayers().length : -1;
    }""")
    assert on_map == inspected
    page.mouse.wheel(0, -300)  # zooming redraws both without errors
    page.wait_for_timeout(500)
    assert rec.foreign() == [] and rec.errors == []


@pytest.mark.parametrize(("fill", "params", "expected"), [
    (("#f-nat", "CN"), {"nationality": "CN"}, lambda c: any(n == "CN" and k > 0 for n, k in c[5])),
    (("#f-permit", "expired"), {"permit_status": "expired"}, lambda c: permit(c[4], None) == "expired"),
])
def test_nationality_and_permit_filters(browser, maps_server, fill, params, expected):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    rec = Recorder(page)
    log_in(page, maps_server.base, "admin-peta", "/maps/province")
    wait_markers(page)
    before = int(page.evaluate("document.body.dataset.companiesInView"))
    selector, value = fill
    if selector == "#f-permit":
        page.select_option(selector, value)
    else:
        page.fill(selector, value)
    page.click("#filters button[type=submit]")
    key, val = next(iter(params.items()))
    page.wait_for_url(re.compile(f"{key}={val}"))
    wait_markers(page)
    after = int(page.evaluate("document.body.dataset.companiesInView"))
    assert after == api_count(page, maps_server.base, **params) == sum(1 for c in COMPANIES if expected(c))
    assert after != before
    assert rec.foreign() == [] and rec.errors == []


def search(page, text: str) -> list[str]:
    if not page.locator(".leaflet-control-search input.search-input").is_visible():
        page.click(".leaflet-control-search .search-button")
    page.fill(".leaflet-control-search input.search-input", "")
    page.type(".leaflet-control-search input.search-input", text, delay=30)
    page.wait_for_selector(".leaflet-control-search .search-tip", timeout=15_000)
    return page.locator(".leaflet-control-search .search-tip").all_inner_texts()


def test_search_finds_company_and_region(browser, maps_server):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    rec = Recorder(page)
    log_in(page, maps_server.base, "admin-peta", "/maps/province")
    wait_markers(page)
    assert "PT Sawit Kahayan Lestari" in search(page, "Kahayan")
    zoom = page.evaluate("window.PANTAU_STATE.layer.map.getZoom()")
    page.locator(".leaflet-control-search .search-tip", has_text="PT Sawit Kahayan Lestari").click()
    page.wait_for_function(f"window.PANTAU_STATE.layer.map.getZoom() > {zoom}")
    tips = search(page, "Kapuas")
    assert any(t.startswith("Wilayah:") and "Kapuas" in t for t in tips), tips
    assert rec.foreign() == [] and rec.errors == []


def test_minimap_present(browser, maps_server):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, maps_server.base, "admin-peta", "/maps/regency/62.71")
    wait_markers(page)
    mini = page.locator(".leaflet-control-minimap")
    assert mini.is_visible()
    assert mini.locator("path").count() >= 14  # the province's regencies for context, and the view's frame


def test_offline_copy_renders_without_network(browser, maps_server, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, maps_server.base, "admin-peta", "/maps/province")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    html = httpx.get(f"{maps_server.base}/maps/province", cookies=cookies).text
    page.close()
    offline = tmp_path / "peta-provinsi.html"
    offline.write_text(inline_assets(html), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, offline=True)
    page = context.new_page()
    rec = Recorder(page)
    page.goto(offline.as_uri())
    page.wait_for_selector("body[data-markers-drawn='offline']", state="attached")
    assert regions(page) == 14
    assert page.locator(".pantau-legend").is_visible()
    network = [u for u in rec.requests if not u.startswith(("data:", "file:"))]
    assert network == []
    assert rec.requests == [offline.as_uri()]  # everything came inside the one file
    assert rec.errors == []
    context.close()
