"""The home page at 1280x800 and 390x844 while "Perlu perhatian" cannot be computed in its budget
(another session holds the discrepancy facts locked): the page loads, the panel says the list is not
available yet and links to /attention, nothing scrolls sideways.

PANTAU_SAVE_SCREENSHOTS=1 writes docs/screenshots/home-attention-unavailable-*.png."""

from __future__ import annotations

import psycopg2
import pytest

from geo.auth.users import create_user
from tests.browser import test_maps_browser
from tests.browser.fixtures import PASSWORD
from tests.browser.test_maps_browser import log_in, shot
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database
from tests.seed import fill

pytestmark = pytest.mark.slow  # Chromium against a server of its own

browser = test_maps_browser.browser
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def server(server_url, template_db):
    url = create_database(server_url, template=template_db)
    fill(url)
    conn = psycopg2.connect(url)
    try:
        create_user(conn, "analis-beranda", PASSWORD, "analyst", "kesbangpol", None)
    finally:
        conn.close()
    live = LiveServer(url, {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "100"})
    live.test_db_url = url
    yield live
    live.stop()
    drop_database(server_url, dbname_of(url))


@pytest.mark.parametrize("size_name", list(SIZES))
def test_home_without_the_panel_in_time(browser, server, size_name, tmp_path):
    size = SIZES[size_name]
    page = browser.new_page(viewport=size)
    page.set_default_timeout(60_000)
    blocker = psycopg2.connect(server.test_db_url)
    try:
        log_in(page, server.base, "analis-beranda", "/attention")
        with blocker.cursor() as cur:
            cur.execute("LOCK TABLE worker_report_counts IN ACCESS EXCLUSIVE MODE")
        page.goto(f"{server.base}/")
        note = page.locator("#attention-unavailable")
        note.wait_for()
        assert page.locator("#attention a[href='/attention']").count() >= 1
        assert page.locator("#attention a.attention-item").count() == 0
        assert page.evaluate("document.scrollingElement.scrollWidth") <= size["width"]
        page.locator("#attention").scroll_into_view_if_needed()
        shot(page, f"home-attention-unavailable-{size_name}", tmp_path)
    finally:
        blocker.rollback()
        blocker.close()
        page.close()
