"""/discrepancies in a real headless Chromium at 1280x800 and 390x844 (issue #18 item 4): filter by
agency, record which figure holds, see it resolved (and audited); a 62.02 user neither sees nor
resolves a 62.71 company's discrepancy (404); a viewer gets no form."""

from __future__ import annotations

import psycopg2
import pytest

from geo.auth.users import create_user
from tests.browser import test_maps_browser as maps_browser
from tests.browser.test_maps_browser import Recorder, shot
from tests.seed import seed
from tests.test_web_discrepancies import NEW_NAME, add_reports

pytestmark = pytest.mark.slow  # Chromium against a server of its own
browser = maps_browser.browser

PASSWORD = "kata-sandi-selisih-2026"
USERS = {  # username: (role, agency, regencies)
    "editor-selisih": ("editor", "kesbangpol", None),
    "editor-kotim": ("editor", "disnakertrans", ["62.02"]),
    "peninjau-selisih": ("viewer", "kemendagri", None),
}
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture(scope="module")
def data(server_url, template_db):
    seeded = seed(server_url, template_db)
    add_reports(seeded.url, seeded.company_ids, seeded.worker_ids)
    conn = psycopg2.connect(seeded.url)
    try:
        for name, (role, agency, regencies) in USERS.items():
            create_user(conn, name, PASSWORD, role, agency, regencies)
    finally:
        conn.close()
    yield seeded
    seeded.close()


def log_in(page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_path}*")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.mark.parametrize("view", VIEWPORTS)
def test_filter_by_agency_resolve_and_see_it_resolved(browser, data, tmp_path, view):
    w, h = VIEWPORTS[view]
    page = browser.new_page(viewport={"width": w, "height": h})
    rec = Recorder(page)
    base = data.server.base
    log_in(page, base, "editor-selisih", "/discrepancies")
    assert page.locator(".discrepancy-company").count() == 3
    shot(page, f"discrepancies-{view}", tmp_path)
    page.select_option("#f-agency", "polda")
    page.click("#discrepancy-filters button[type=submit]")
    page.wait_for_url("**agency=polda*")
    target = data.company_ids[1]
    assert page.locator(".discrepancy-company").evaluate_all("cs => cs.map(c => c.dataset.companyId)") == [str(target)]
    card = page.locator(f"#d-company-{target}")
    item = card.locator(".discrepancy-item[data-field=nama_perusahaan]")
    assert item.locator("td[data-agency=polda]").inner_text() == NEW_NAME

    if view == "desktop":  # runs first: the phone then finds it resolved
        assert item.get_attribute("data-open") == "1"
        item.locator("details.resolve summary").click()
        item.locator("input[value='agency:kesbangpol']").check()
        item.locator("textarea[name=note]").fill("Nama sesuai akta terakhir di OSS; laporan Polda memakai nama lama.")
        shot(page, f"discrepancies-form-{view}", tmp_path)
        item.locator("button[type=submit]").click()
        page.wait_for_selector("#done")
        item = page.locator(f"#d-company-{target} .discrepancy-item[data-field=nama_perusahaan]")
        assert item.get_attribute("data-open") == "0"
        assert "Sudah diselesaikan" in item.inner_text() and "akta terakhir" in item.inner_text()
        assert "table-success" in item.locator("td[data-agency=kesbangpol]").get_attribute("class")
        audit = data.query("SELECT username, target FROM audit_log WHERE action = 'discrepancy.resolve'")
        assert audit == [("editor-selisih", f"company:{target}")]
        shot(page, f"discrepancies-resolved-{view}", tmp_path)
    else:
        assert item.get_attribute("data-open") == "0"
        item.locator("details.resolve summary").click()
        shot(page, f"discrepancies-form-{view}", tmp_path)
        assert no_sideways_scroll(page)
    assert rec.errors == [] and rec.foreign() == []


def test_regency_user_neither_sees_nor_resolves_another_regency(browser, data):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    base = data.server.base
    log_in(page, base, "editor-kotim", "/discrepancies")
    shown = page.locator(".discrepancy-company").evaluate_all("cs => cs.map(c => +c.dataset.companyId)")
    outside = data.company_ids[2]
    assert outside not in shown and set(shown) == set(data.company_ids[:2])
    assert page.locator("[data-regency='62.71']").count() == 0
    token = page.locator("input[name=csrf_token]").first.input_value()
    before = data.query("SELECT count(*) FROM discrepancy_resolutions")[0][0]
    r = page.request.post(f"{base}/discrepancies/companies/{outside}/resolve",
                          form={"csrf_token": token, "field": "jumlah_tka", "choice": "agency:imigrasi",
                                "note": "dari luar wilayah"}, max_redirects=0)
    assert r.status == 404
    page.goto(f"{base}/discrepancies?regency_code=62.71")
    assert page.locator(f"#d-company-{outside}").count() == 0
    assert data.query("SELECT count(*) FROM discrepancy_resolutions")[0][0] == before


def test_viewer_reads_without_a_form(browser, data):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    log_in(page, data.server.base, "peninjau-selisih", "/discrepancies")
    assert page.locator(".discrepancy-company").count() == 3
    assert page.locator("form.resolve-form").count() == 0
    page.click("details.nav-menu summary")
    links = page.locator(".nav-menu-list a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert "/discrepancies" in links and "/exports" in links
