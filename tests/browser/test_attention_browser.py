"""The "Perlu perhatian" panel and pages in a real Chromium at 1280x800 and 390x844, on the demo
dataset made for today: the home page's panel shows the counts /api/attention gives the same user,
an item opens the page listing its records, and no page scrolls sideways.

PANTAU_SAVE_SCREENSHOTS=1 writes docs/screenshots/attention-*.png."""

from __future__ import annotations

import psycopg2
import pytest

from geo import clock
from geo.auth.users import create_user
from geo.demo import load_demo
from tests.browser import test_maps_browser
from tests.browser.fixtures import PASSWORD
from tests.browser.test_maps_browser import log_in, shot
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database

pytestmark = pytest.mark.slow  # Chromium against a server of its own, on a demo database

browser = test_maps_browser.browser
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
USERS = {"analis-perhatian": ("analyst", "kesbangpol", None), "peninjau-kotim": ("viewer", "imigrasi", ["62.02"])}


@pytest.fixture(scope="module")
def server(server_url, template_db):
    url = create_database(server_url, template=template_db)
    conn = psycopg2.connect(url)
    try:
        load_demo(conn, today=clock.today())
        for name, (role, agency, regencies) in USERS.items():
            create_user(conn, name, PASSWORD, role, agency, regencies)
        with conn, conn.cursor() as cur:  # an overdue recommendation for each user's agency
            cur.execute("""INSERT INTO meetings (held_on, place, period, created_by)
                           VALUES (current_date - 60, 'Aula Kesbangpol', '2026-Q3', 'uji') RETURNING id""")
            meeting = cur.fetchone()[0]
            for text, agency in (("Pendataan ulang TKA di perkebunan sawit Kotim", "imigrasi"),
                                 ("Sosialisasi kewajiban RPTKA kepada perusahaan", "disnakertrans")):
                cur.execute("""INSERT INTO recommendations (meeting_id, text, agency, due_date, regions, created_by)
                               VALUES (%s, %s, %s, current_date - 7, ARRAY['62.02'], 'uji')""", (meeting, text, agency))
    finally:
        conn.close()
    live = LiveServer(url, {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "100"})
    yield live
    live.stop()
    drop_database(server_url, dbname_of(url))


def _no_sideways_scroll(page, size: dict) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= size["width"]


@pytest.mark.parametrize("size_name", list(SIZES))
@pytest.mark.parametrize("user", list(USERS))
def test_panel_counts_and_item_pages(browser, server, user, size_name, tmp_path):
    size = SIZES[size_name]
    page = browser.new_page(viewport=size)
    page.set_default_timeout(60_000)  # the machine is shared: a loaded server answers slower
    try:
        log_in(page, server.base, user, "/")
        panel = page.locator("#attention")
        panel.wait_for()
        api = page.evaluate("fetch('/api/attention').then(r => r.json())")
        shown = {a.get_attribute("data-kind"): int(a.get_attribute("data-count"))
                 for a in panel.locator("a.attention-item").all()}
        assert shown == {i["kind"]: i["count"] for i in api["items"]}
        assert sum(shown.values()) > 0
        _no_sideways_scroll(page, size)
        if user == "analis-perhatian":
            panel.scroll_into_view_if_needed()
            shot(page, f"attention-home-{size_name}", tmp_path)

        page.goto(f"{server.base}/attention")
        _no_sideways_scroll(page, size)
        if user == "analis-perhatian":
            shot(page, f"attention-{size_name}", tmp_path)

        # The largest item opens the page listing its records.
        kind = max(api["items"], key=lambda i: i["count"])
        page.click(f"#attention a.attention-item[data-kind='{kind['kind']}']")
        page.wait_for_url(f"{server.base}/attention/{kind['kind']}")
        assert page.locator("#attention-total").get_attribute("data-count") == str(kind["count"])
        assert page.locator("#attention-records tbody tr").count() == min(kind["count"], 1000)
        _no_sideways_scroll(page, size)
        if user == "analis-perhatian":
            shot(page, f"attention-kind-{size_name}", tmp_path)
        # Each record links to its company (or meeting), which opens for this user.
        first = page.locator("#attention-records tbody a").first
        href = first.get_attribute("href")
        first.click()
        page.wait_for_url(f"{server.base}{href.split('#')[0]}*")
        assert page.locator("h1").count() >= 1 and "tidak ditemukan" not in page.content()
    finally:
        page.close()
