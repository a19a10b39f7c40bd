"""/meetings/{id}/changes in a real headless Chromium at 1280x800 and 390x844: the follow-up and the
change table are there and readable, the page itself never scrolls sideways (the tables scroll in
their own box), no console errors (CSP), and the district view is chosen with the form. Screenshots
docs/screenshots/meeting-changes-{desktop,phone}.png (PANTAU_SAVE_SCREENSHOTS=1 writes them there)."""

from __future__ import annotations

import os

import psycopg2
import pytest

from geo.auth.users import create_user
from tests import pack_seed
from tests.browser import test_maps_browser as maps_browser
from tests.browser.test_maps_browser import PASSWORD, SHOTS, Recorder, log_in
from tests.conftest import LiveServer
from tests.dbutil import dbname_of, drop_database

browser = maps_browser.browser
pytestmark = pytest.mark.slow  # Chromium against a server of its own

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture(scope="module")
def pack(server_url, template_db):
    url, ids = pack_seed.make(server_url, template_db)
    conn = psycopg2.connect(url)
    try:
        create_user(conn, "analis-rakor", PASSWORD, "analyst", "kesbangpol", None)
    finally:
        conn.close()
    server = LiveServer(url)
    yield server, ids
    server.stop()
    drop_database(server_url, dbname_of(url))


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_changes_page_at_both_sizes(browser, pack, tmp_path, name):
    server, ids = pack
    width, height = VIEWPORTS[name]
    page = browser.new_page(viewport={"width": width, "height": height})
    rec = Recorder(page)
    path = f"/meetings/{ids['meetings']['last']}/changes"
    log_in(page, server.base, "analis-rakor", path)
    assert page.locator("h1").inner_text().startswith("Sejak rapat koordinasi")
    assert page.locator("#followup tbody tr").count() == len(pack_seed.SHOWN)
    assert page.locator("#followup .overdue-badge").count() == 2
    assert page.locator("#changes tbody tr").count() == 15  # 14 regencies and the total
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    cards = page.locator("#followup-cards li")
    assert cards.first.is_visible() == (name == "phone") and cards.count() == len(pack_seed.SHOWN)
    target = SHOTS if os.environ.get("PANTAU_SAVE_SCREENSHOTS") else tmp_path
    page.screenshot(path=str(target / f"meeting-changes-{name}.png"), full_page=True)
    page.select_option("#f-regency", "62.02")
    page.click("#unit-form button[type=submit]")
    page.wait_for_url("**regency=62.02*")
    codes = page.locator("#changes tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert codes[-1] == "total" and all(c.startswith("62.02.") for c in codes[:-1]) and len(codes) > 3
    assert not rec.errors, rec.errors
    page.close()
