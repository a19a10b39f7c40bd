"""The demo's coordination meetings (`pantau demo`, geo/demo/meetings.py) in a real Chromium at
1280x800 and 390x844, as a Kesbangpol analyst opening them after `make run`: the list, the last
meeting with its recommendations and the pack's follow-up and change table, no page scrolling
sideways, no console errors. PANTAU_SAVE_SCREENSHOTS=1 writes docs/screenshots/demo-*.png."""

from __future__ import annotations

import os

import psycopg2
import pytest

from geo import clock
from geo.auth.users import create_user
from geo.demo import load_demo
from tests.browser import test_maps_browser
from tests.browser.fixtures import PASSWORD
from tests.browser.test_maps_browser import SHOTS, Recorder, log_in
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database

pytestmark = pytest.mark.slow  # Chromium against a server of its own, on a demo database

browser = test_maps_browser.browser
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def demo(server_url, template_db):
    url = create_database(server_url, template=template_db)
    conn = psycopg2.connect(url)
    try:
        load_demo(conn, today=clock.today())
        create_user(conn, "analis-demo", PASSWORD, "analyst", "kesbangpol", None)
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM meetings ORDER BY held_on DESC")
            ids = [r[0] for r in cur.fetchall()]
            cur.execute("SELECT meeting_id, id, version FROM recommendations ORDER BY version DESC, id LIMIT 1")
            longest = cur.fetchone()  # the recommendation with the longest history
    finally:
        conn.close()
    live = LiveServer(url, {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "100"})
    yield live, ids, longest
    live.stop()
    drop_database(server_url, dbname_of(url))


def shot(page, name: str, tmp_path) -> None:
    target = SHOTS if os.environ.get("PANTAU_SAVE_SCREENSHOTS") else tmp_path
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)


def _fits(page, size: dict) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= size["width"]


@pytest.mark.parametrize("size_name", list(SIZES))
def test_demo_meetings_as_a_user_sees_them(browser, demo, size_name, tmp_path):
    server, (last, _earlier), (rec_meeting, rec_id, entries) = demo
    size = SIZES[size_name]
    page = browser.new_page(viewport=size)
    rec = Recorder(page)
    try:
        log_in(page, server.base, "analis-demo", "/meetings")
        assert page.locator("#meetings tbody tr").count() == 2
        assert "Aula Kesbangpol Provinsi Kalimantan Tengah" in page.locator("#meetings").inner_text()
        _fits(page, size)
        shot(page, f"demo-meetings-{size_name}", tmp_path)

        page.goto(f"{server.base}/meetings/{last}")
        assert page.locator("#recommendations tbody tr").count() == 7
        assert page.locator("#recommendations tbody tr.table-danger").count() == 2  # overdue
        assert "Keluarga TKA berkewarganegaraan Tiongkok" in page.locator("#recommendations").inner_text()
        assert page.locator("#minutes").is_visible()
        _fits(page, size)
        shot(page, f"demo-meeting-{size_name}", tmp_path)

        page.goto(f"{server.base}/meetings/{last}/changes")
        assert page.locator("h1").inner_text().startswith("Sejak rapat koordinasi")
        assert page.locator("#followup .overdue-badge").count() == 3  # two of it, one still open from before
        assert page.locator("#changes tbody tr").count() >= 2
        _fits(page, size)
        shot(page, f"demo-meeting-changes-{size_name}", tmp_path)

        page.goto(f"{server.base}/meetings/{rec_meeting}/recommendations/{rec_id}")
        assert page.locator("#history > li").count() == entries  # its creation and every progress note
        assert "Nota pemeriksaan I diterbitkan" in page.locator("#history").inner_text()
        _fits(page, size)
        shot(page, f"demo-recommendation-{size_name}", tmp_path)
        assert rec.errors == []
    finally:
        page.close()
