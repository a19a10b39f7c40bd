"""/imports in a real Chromium (issue 18, acceptance): an editor uploads a file with bad rows, reads the
preview (counts and the rejected rows' line, column and reason), commits the valid rows and finds the
companies on the map's data; a companies and a workers file go in together; an analyst and a viewer
are refused and see no "Impor" link. Screenshots of the preview at 1280x800 and 390x844
(PANTAU_SAVE_SCREENSHOTS=1 writes them to docs/screenshots)."""

from __future__ import annotations

import os

import psycopg2
import pytest

from geo.auth.users import create_user
from tests.browser import test_maps_browser
from tests.browser.fixtures import PASSWORD
from tests.browser.test_maps_browser import SHOTS, log_in
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database
from tests.importutil import (
    BAD_COMPANY_LINES,
    BAD_WORKER_LINES,
    COMPANIES_CSV,
    VALID_COMPANIES,
    VALID_WORKERS,
    WORKERS_CSV,
    synthetic_companies,
)

pytestmark = pytest.mark.slow  # Chromium against a server of its own

browser = test_maps_browser.browser
USERS = {"editor.imigrasi": ("editor", "imigrasi"), "analis.impor": ("analyst", "kesbangpol"),
         "peninjau.impor": ("viewer", "kesbangpol")}
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(server_url, template_db):
    url = create_database(server_url, template=template_db)
    conn = psycopg2.connect(url)
    for name, (role, agency) in USERS.items():
        create_user(conn, name, PASSWORD, role, agency, None)
    conn.close()
    live = LiveServer(url, {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "1000"})
    yield live, url
    live.stop()
    drop_database(server_url, dbname_of(url))


def shot(page, name: str, tmp_path) -> None:
    target = SHOTS if os.environ.get("PANTAU_SAVE_SCREENSHOTS") else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)


def counts(page) -> list[dict[str, int]]:
    return page.evaluate("""() => [...document.querySelectorAll('.import-part')].map(s => Object.fromEntries(
        [...s.querySelectorAll('[data-count]')].map(e => [e.dataset.count, Number(e.textContent.replace(/\\./g, ''))])))""")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth")


def test_editor_checks_reads_the_preview_commits_the_valid_rows_and_finds_them_on_the_map(browser, server, tmp_path):
    live, url = server
    page = browser.new_page(viewport=DESKTOP)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live.base, "editor.imigrasi", "/imports")
    assert page.locator("nav a[href='/imports']").count() > 0
    page.select_option("#kind", "companies")
    page.set_input_files("#file", str(COMPANIES_CSV))
    page.click("#check-button")
    page.wait_for_url("**/imports/u/*", timeout=120_000)
    preview = page.url
    assert counts(page) == [{"rows": VALID_COMPANIES + len(BAD_COMPANY_LINES), "new": VALID_COMPANIES, "changed": 0,
                             "unchanged": 0, "rejected": len(BAD_COMPANY_LINES)}]
    rows = page.locator("table.rejected-rows tbody tr")
    lines = sorted({int(rows.nth(i).locator("td").nth(0).inner_text()) for i in range(rows.count())})
    assert lines == BAD_COMPANY_LINES
    row35 = page.locator("table.rejected-rows tbody tr", has_text="luar Kalimantan Tengah")
    assert row35.locator("td").nth(0).inner_text() == "35"
    assert row35.locator("td").nth(1).inner_text() == "latitude,longitude"
    assert page.locator("#commit-all").is_disabled() and page.locator("#commit-valid").is_enabled()
    shot(page, "imports-preview-desktop", tmp_path)
    page.set_viewport_size(PHONE)
    assert no_sideways_scroll(page)
    on_phone = page.locator(".rejected-list li", has_text="Baris 35")
    assert on_phone.is_visible() and "luar Kalimantan Tengah" in on_phone.inner_text()
    shot(page, "imports-preview-phone", tmp_path)
    page.set_viewport_size(DESKTOP)

    page.click("#commit-valid")
    page.wait_for_selector("#import-done", timeout=120_000)
    assert page.url == preview
    assert counts(page)[0]["new"] == VALID_COMPANIES  # what the check said
    shot(page, "imports-done-desktop", tmp_path)
    # On the map: the companies' points, through the page's own data route and the browser's session.
    points = page.request.get(f"{live.base}/maps/data/companies.json")
    assert points.ok
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM companies")
        ids = {r[0] for r in cur.fetchall()}
    conn.close()
    assert len(ids) == VALID_COMPANIES
    body = points.text()
    assert all(str(i) in body for i in ids)
    page.goto(f"{live.base}/imports/history")
    assert page.locator("#batches tbody tr").count() == 1
    shot(page, "imports-history-desktop", tmp_path)
    page.set_viewport_size(PHONE)
    assert no_sideways_scroll(page)
    assert "baru 26" in page.locator("#batches-list li").first.inner_text()
    shot(page, "imports-history-phone", tmp_path)
    assert not errors, errors


def test_companies_and_workers_together_then_the_agency_view(browser, server, tmp_path):
    live, url = server
    page = browser.new_page(viewport=PHONE)
    log_in(page, live.base, "editor.imigrasi", "/imports")
    shot(page, "imports-phone", tmp_path)
    assert no_sideways_scroll(page)
    page.select_option("#kind", "companies")
    page.set_input_files("#file", str(COMPANIES_CSV))
    page.set_input_files("#workers_file", str(WORKERS_CSV))
    page.click("#check-button")
    page.wait_for_url("**/imports/u/*", timeout=120_000)
    got = counts(page)
    assert [c["rejected"] for c in got] == [len(BAD_COMPANY_LINES), len(BAD_WORKER_LINES)]
    assert got[0]["unchanged"] == VALID_COMPANIES and got[1]["new"] == VALID_WORKERS
    page.click("#commit-valid")
    page.wait_for_selector("#import-done", timeout=120_000)
    assert counts(page) == got
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live.base}/imports")
    shot(page, "imports-desktop", tmp_path)
    page.goto(f"{live.base}/agency")
    assert page.locator("#latest tr[data-kind='workers']").count() == 1
    shot(page, "agency-desktop", tmp_path)
    page.set_viewport_size(PHONE)
    assert no_sideways_scroll(page)
    assert page.locator("#latest-list li").count() == 2 and page.locator("#latest-list li").first.is_visible()
    shot(page, "agency-phone", tmp_path)


@pytest.mark.parametrize("username", ["analis.impor", "peninjau.impor"])
def test_analysts_and_viewers_are_refused_and_see_no_link(browser, server, username):
    live, _ = server
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live.base, username, "/")
    assert page.locator("a[href='/imports']").count() == 0
    response = page.goto(f"{live.base}/imports")
    assert response.status == 403
    assert "Akses ditolak" in page.content()
    assert page.locator("a[href='/agency']").count() > 0  # every role reads its agency's view


def test_a_large_file_shows_the_step_of_its_check(browser, server, tmp_path):
    live, url = server
    big = tmp_path / "perusahaan-besar.csv"
    synthetic_companies(url, 20_000, big)
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live.base, "editor.imigrasi", "/imports")
    page.set_input_files("#file", str(big))
    page.click("#check-button")
    # The import process's step, polled while the check runs (e.g. "Perusahaan: memvalidasi 20.000 baris").
    page.wait_for_function("() => document.getElementById('import-status').textContent.includes('Perusahaan: ')",
                           timeout=120_000)
    shot(page, "imports-progress-desktop", tmp_path)
    page.wait_for_url("**/imports/u/*", timeout=300_000)
    assert counts(page)[0]["rows"] == 20_000
