"""What a user sees of #15 items 3 and 10 in headless Chromium: every page says 'Data per' in the
province's time, the map legend lists the classes the reports print, and the scale of the web maps
and of the offline HTML report is in kilometres only (Leaflet's default adds miles)."""

from __future__ import annotations

import re

import httpx
import pytest

from geo import clock
from geo.reports.period import Quarter
from tests.browser import fixtures
from tests.browser.test_maps_browser import Recorder, browser, log_in, shot, wait_markers  # noqa: F401 - fixture

pytestmark = pytest.mark.slow  # Chromium, and reports built for real

maps_db, maps_server = fixtures.maps_db, fixtures.maps_server  # module-scoped fixtures

METRIC = re.compile(r"^\d+ (km|m)$")


def _scales(page) -> list[str]:
    return [t.strip() for t in page.locator(".leaflet-control-scale-line").all_inner_texts()]


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_pages_say_data_per_and_measure_in_kilometres(browser, maps_server, width, height, tmp_path):  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": height})
    rec = Recorder(page)
    log_in(page, maps_server.base, "admin-peta", "/")
    wait_markers(page)
    day = clock.stamp(clock.as_of()).rsplit(" ", 2)[0]  # "6 Desember 2026"
    footer = page.locator("#data-as-of")
    assert re.fullmatch(rf"{re.escape(day)} \d\d:\d\d WIB", footer.inner_text()), footer.inner_text()
    assert footer.is_visible() or footer.evaluate("e => e.getBoundingClientRect().height > 0")
    scales = _scales(page)
    assert len(scales) == 1 and METRIC.match(scales[0]), scales
    # the legend's classes are those of /maps/data/regions.json (the reports print the same list)
    data = page.evaluate("""() => fetch('/maps/data/regions.json?level=regency&parent=62&measure=foreign_workers')
                                   .then(r => r.json())""")
    labels = [f"{lo}" if lo == hi else f"{lo}–{hi}" for lo, hi in data["breaks"]]
    rows = [t for t in page.locator(".pantau-legend .lg-row").all_inner_texts() if "wilayah" in t]
    assert [t.split("(")[0].strip() for t in rows] == labels, (labels, rows)
    shot(page, f"one-truth-home-{width}", tmp_path)

    page.goto(f"{maps_server.base}/maps/regency/62.02")
    wait_markers(page)
    assert re.fullmatch(rf"{re.escape(day)} \d\d:\d\d WIB", page.locator("#data-as-of").inner_text())
    scales = _scales(page)
    assert len(scales) == 1 and METRIC.match(scales[0]), scales
    shot(page, f"one-truth-regency-{width}", tmp_path)
    assert rec.errors == []
    page.close()


def test_offline_report_scale_is_in_kilometres(browser, maps_server, tmp_path):  # noqa: F811
    r = httpx.post(f"{maps_server.base}/api/auth/token", data={"username": "admin-peta", "password": fixtures.PASSWORD})
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    quarter = str(Quarter.containing(clock.today()))
    report = httpx.get(f"{maps_server.base}/api/reports", params={"period": quarter, "format": "html"}, headers=headers,
                       timeout=300)
    assert report.status_code == 200, report.text
    f = tmp_path / "laporan.html"
    f.write_bytes(report.content)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f.as_uri())
    page.wait_for_selector(".leaflet-control-scale-line", state="attached", timeout=30_000)
    scales = _scales(page)
    assert scales and all(METRIC.match(s) for s in scales), scales
    maps = page.locator(".folium-map.leaflet-container").count()
    assert len(scales) == maps  # one scale per map, none in miles
    page.close()
