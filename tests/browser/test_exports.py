"""/exports in a real headless Chromium at 1280x800 and 390x844 (issue #18 item 2): the download
happens through the export API with the right content type and the chosen filter; a viewer has no
personal option nor the foreign nationals' list, and a forged request for them gets none."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from tests.browser import fixtures
from tests.browser import test_maps_browser as maps_browser
from tests.browser.data import COMPANIES
from tests.browser.test_maps_browser import Recorder, log_in, shot

maps_db, maps_server = fixtures.maps_db, fixtures.maps_server  # module-scoped fixtures
browser = maps_browser.browser
pytestmark = pytest.mark.slow  # Chromium against a server of its own

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


def download(page, media: str) -> tuple[Path, str]:
    """Click "Unduh"; the file and its name, after checking the API answered with `media`."""
    with page.expect_response(lambda r: "/api/exports/" in r.url) as answer, page.expect_download() as info:
        page.click("#export-submit")
    assert answer.value.status == 200 and answer.value.headers["content-type"].startswith(media)
    return Path(info.value.path()), info.value.suggested_filename


@pytest.mark.parametrize("view", VIEWPORTS)
def test_viewer_downloads_without_personal_options(browser, maps_server, tmp_path, view):
    w, h = VIEWPORTS[view]
    page = browser.new_page(viewport={"width": w, "height": h}, accept_downloads=True)
    rec = Recorder(page)
    log_in(page, maps_server.base, "viewer-peta", "/exports")
    kinds = page.locator("#e-kind option").evaluate_all("os => os.map(o => o.value)")
    assert "foreign_nationals" not in kinds and "workers" in kinds
    assert page.locator("select[name=personal]").count() == 0 and page.locator("#no-personal").is_visible()
    shot(page, f"exports-{view}", tmp_path)
    page.select_option("#e-kind", "companies")
    page.check("#e-format-csv")
    page.select_option("#e-regency", "62.71")
    path, name = download(page, "text/csv")
    assert name.startswith("pantau-companies-") and name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows and {r["kabupaten_kota"] for r in rows} == {"62.71"}
    assert len(rows) == sum(1 for c in COMPANIES if c[2] == "62.71")
    # Forged by hand in the address bar: refused, no file.
    response = page.goto(f"{maps_server.base}/exports/download?kind=workers&format=csv&personal=true")
    assert response.status == 403
    response = page.goto(f"{maps_server.base}/exports/download?kind=foreign_nationals&format=csv")
    assert response.status == 403
    assert rec.errors == [e for e in rec.errors if "403" in e] and rec.foreign() == []
    if view == "phone":
        page.goto(f"{maps_server.base}/exports")
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_admin_downloads_workers_with_personal_data_as_xlsx(browser, maps_server, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    log_in(page, maps_server.base, "admin-peta", "/exports")
    assert "foreign_nationals" in page.locator("#e-kind option").evaluate_all("os => os.map(o => o.value)")
    page.select_option("#e-kind", "workers")
    page.check("#e-format-xlsx")
    page.select_option("#e-personal", "true")
    path, name = download(page, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert name.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True).worksheets[0]
    header = [c for c in next(sheet.iter_rows(values_only=True))]
    assert "nama_lengkap" in header and "nomor_paspor" in header
    # Lodgings cannot be filtered by sector: greyed out. The page stays usable after a download.
    page.select_option("#e-kind", "lodgings")
    assert page.locator("#e-sector").is_disabled() and page.locator("#e-personal").is_disabled()
    assert page.locator("#e-regency").is_enabled()
    # Only the chosen regency's districts are offered.
    page.select_option("#e-regency", "62.71")
    groups = page.locator("#e-district optgroup:not([hidden])").evaluate_all("gs => gs.map(g => g.label)")
    assert len(groups) == 1 and "Palangka" in groups[0]
    # GeoJSON of workers in 62.71, without personal data, without reloading the page.
    page.select_option("#e-kind", "workers")
    page.select_option("#e-personal", "false")
    assert page.locator("#e-sector").is_enabled()
    page.check("#e-format-geojson")
    path, _ = download(page, "application/geo+json")
    collection = json.loads(path.read_text())
    assert collection["type"] == "FeatureCollection" and collection["features"]
    assert all("nama_lengkap" not in f["properties"] for f in collection["features"])
    assert {f["properties"]["kabupaten_kota"] for f in collection["features"]} == {"62.71"}
