""""Unduh laporan" from where the user stands (issue #15 item 4), in a real headless Chromium at
1280x800 and 390x844: the dialog carries the map's filter and region, offers format and quarter,
shows progress of the background job and then the download, whose file counts only what the map
showed. On a company page, "Lembar perusahaan" downloads that company's sheet only."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from tests.browser import fixtures
from tests.browser import test_maps_browser as maps_browser
from tests.browser.data import COMPANIES, count
from tests.browser.test_maps_browser import Recorder, log_in, shot

maps_db, maps_server = fixtures.maps_db, fixtures.maps_server  # module-scoped fixtures
browser = maps_browser.browser
pytestmark = pytest.mark.slow  # each report is built for real (a child process, matplotlib, reportlab)

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
TODAY = date.today()
CURRENT = f"{TODAY.year}-Q{(TODAY.month - 1) // 3 + 1}"


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def inside_viewport(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    vw, vh = page.viewport_size["width"], page.viewport_size["height"]
    return box is not None and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= vw \
        and box["y"] + box["height"] <= vh


def run_dialog(page, fmt: str) -> Path:
    """Choose the format, start, wait for the job, download; returns the downloaded file."""
    page.check(f"#report-form input[name=format][value={fmt}]")
    # Every state and progress value the dialog shows, as the user would have seen them.
    page.evaluate("""() => { window.__seen = [];
        new MutationObserver(() => window.__seen.push([document.body.dataset.reportState || '',
                                                        document.getElementById('report-progress').value]))
          .observe(document.body, {attributes: true, attributeFilter: ['data-report-state']}); }""")
    assert not page.locator("#report-download").is_visible() and not page.locator("#report-progress-box").is_visible()
    page.click("#report-start")
    page.wait_for_selector("#report-progress-box", state="visible")
    page.wait_for_selector("body[data-report-state=done]", state="attached", timeout=240_000)
    assert page.locator("#report-progress").evaluate("p => p.value") == 100
    seen = page.evaluate("window.__seen")
    states = [state for state, _ in seen]
    assert states[0] == "sending" and states[-1] == "done" and ("queued" in states or "running" in states), seen
    assert page.locator("#report-download").is_visible()
    with page.expect_download() as info:
        page.click("#report-download")
    target = Path(info.value.path())
    assert info.value.suggested_filename.endswith(f".{fmt}")
    return target


@pytest.mark.parametrize("view", VIEWPORTS)
def test_province_filter_carried_into_xlsx(browser, maps_server, tmp_path, view):
    """The sector filter of the map is the report's: the XLSX lists the map's companies, no others."""
    w, h = VIEWPORTS[view]
    page = browser.new_page(viewport={"width": w, "height": h}, accept_downloads=True)
    rec = Recorder(page)
    log_in(page, maps_server.base, "admin-peta", "/maps/province?sector=pertambangan_batubara")
    page.click("#report-link")
    assert page.locator("#report-dialog").is_visible()
    assert inside_viewport(page, "#report-dialog")
    options = page.locator("#report-period option").evaluate_all("os => os.map(o => o.value)")
    assert len(options) == 8 and options[0] == CURRENT and len(set(options)) == 8
    assert page.locator("#report-period").input_value() == CURRENT
    assert "Pertambangan batubara" in page.locator("#report-filter").inner_text() or \
        "pertambangan_batubara" in page.locator("#report-filter").inner_text()
    shot(page, f"report-dialog-{view}", tmp_path)

    path = run_dialog(page, "xlsx")
    shot(page, f"report-dialog-done-{view}", tmp_path)
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))  # Playwright's file has no extension
    ws = book["perusahaan"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=False)) for r in ws.iter_rows(min_row=2)]
    names = sorted(v for r in rows for v in r.values() if isinstance(v, str) and v.startswith("PT "))
    expected = sorted(c[0] for c in COMPANIES if c[1] == "pertambangan_batubara")
    assert names == expected and len(names) == count(sector="pertambangan_batubara")
    assert rec.foreign() == [] and rec.errors == []


def test_regency_page_pdf_of_that_regency_and_a_previous_quarter(browser, maps_server, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    rec = Recorder(page)
    log_in(page, maps_server.base, "admin-peta", "/maps/regency/62.02")
    page.click("#report-link")
    assert page.locator("#report-region").input_value() == "regency:62.02"
    previous = page.locator("#report-period option").nth(1).get_attribute("value")
    page.select_option("#report-period", previous)
    path = run_dialog(page, "pdf")
    text = pdf_text(path)
    year, q = previous.split("-Q")
    assert f"Triwulan {['I', 'II', 'III', 'IV'][int(q) - 1]} {year}" in text
    assert "Kotawaringin Timur" in text
    jumlah = next(ln for ln in text.splitlines() if ln.strip().startswith("Jumlah"))
    assert jumlah.split()[1] == str(count(regency="62.02"))  # the regency's companies only
    assert "PT Sawit Kahayan Lestari" not in text  # a company of 62.71
    assert rec.foreign() == [] and rec.errors == []


def test_scoped_analyst_html_and_failure_message(browser, maps_server, tmp_path):
    """A user of 62.02 only: the offline HTML holds the regency's companies; a region the user may
    not see is refused with a readable message (the dialog, not a hanging request)."""
    page = browser.new_page(viewport={"width": 390, "height": 844}, accept_downloads=True)
    rec = Recorder(page)
    log_in(page, maps_server.base, "analis-kotim", "/maps/regency/62.02")
    page.click("#report-link")
    path = run_dialog(page, "html")
    html = path.read_text(encoding="utf-8")
    assert "PT Mentaya Agro" in html and "PT Sawit Kahayan Lestari" not in html
    # Tamper with the region (as a user could in the page): the server refuses, the dialog says why.
    page.evaluate("""() => { const s = document.getElementById('report-region');
                             s.options[s.options.length - 1].value = 'regency:62.71'; }""")
    page.select_option("#report-region", index=page.locator("#report-region option").count() - 1)
    page.click("#report-start")
    page.wait_for_selector("body[data-report-state=failed]", state="attached", timeout=30_000)
    assert "di luar cakupan" in page.locator("#report-error").inner_text()
    assert not page.locator("#report-download").is_visible()  # the earlier file's link is gone
    shot(page, "report-dialog-refused-phone", tmp_path)
    assert rec.foreign() == []
    assert [e for e in rec.errors if "400" not in e] == []  # the refused POST is logged by Chromium


@pytest.mark.parametrize("view", VIEWPORTS)
def test_company_sheet_from_the_company_page(browser, maps_server, maps_db, tmp_path, view):
    w, h = VIEWPORTS[view]
    page = browser.new_page(viewport={"width": w, "height": h}, accept_downloads=True)
    rec = Recorder(page)
    company_id = maps_db[1]["PT Sampit Coal"]
    log_in(page, maps_server.base, "viewer-peta", f"/companies/{company_id}")
    button = page.locator("#company-sheet button[value=pdf]")
    assert button.is_visible() and "Lembar perusahaan" in button.inner_text()
    assert page.locator("#company-sheet input[name=personal]").count() == 0  # a viewer: no such choice
    shot(page, f"company-sheet-{view}", tmp_path)
    with page.expect_download() as info:
        button.click()
    text = pdf_text(Path(info.value.path()))
    assert "PT Sampit Coal" in text and "Lembar perusahaan" in text
    assert "Worker Name" not in text and "PX0" not in text  # a viewer's sheet names nobody
    assert "PT Mentaya Agro" not in text  # one company only, not the regency's report
    with page.expect_download() as info:
        page.click("#company-sheet button[value=xlsx]")
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert "pekerja" not in book.sheetnames
    facts = {r[0].value: r[1].value for r in book["perusahaan"].iter_rows(min_row=2)}
    assert facts["Nama"] == "PT Sampit Coal"
    assert rec.foreign() == [] and rec.errors == []


def test_company_outside_scope_is_404_in_the_browser(browser, maps_server, maps_db):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, maps_server.base, "analis-kotim", "/maps/regency/62.02")
    other = maps_db[1]["PT Sawit Kahayan Lestari"]  # 62.71
    response = page.goto(f"{maps_server.base}/api/reports/companies/{other}?format=pdf")
    assert response.status == 404
    assert "PT Sawit Kahayan Lestari" not in page.content()


@pytest.mark.parametrize("view", VIEWPORTS)
def test_home_page_dialog_opens_and_closes(browser, maps_server, tmp_path, view):
    w, h = VIEWPORTS[view]
    page = browser.new_page(viewport={"width": w, "height": h})
    rec = Recorder(page)
    log_in(page, maps_server.base, "viewer-peta", "/")
    page.click("#report-link")
    assert page.locator("#report-dialog").is_visible() and inside_viewport(page, "#report-dialog")
    assert page.locator("#report-region").input_value() == "province:"
    assert "Tanpa filter" in page.locator("#report-filter").inner_text()
    page.check("#report-form input[name=format][value=xlsx]")
    assert page.locator("#report-personal").count() == 0  # a viewer is not offered named workers
    shot(page, f"report-dialog-home-{view}", tmp_path)
    page.click("#report-close")
    assert not page.locator("#report-dialog").is_visible()
    assert rec.foreign() == [] and rec.errors == []
