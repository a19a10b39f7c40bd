"""The digest preferences page in a real Chromium at 1280×800 and 390×844: the form fits the screen
(no sideways scrolling), saving works without any script (a plain form with its CSRF field), and
the unsubscribe page's button turns digests off. PANTAU_SAVE_SCREENSHOTS=1 writes the screenshots
to docs/screenshots/."""

from __future__ import annotations

import psycopg2
import pytest

from geo.auth.users import create_user
from geo.digest.tokens import make_token
from tests.browser import fixtures, test_maps_browser
from tests.browser.test_maps_browser import log_in, shot
from tests.conftest import LiveServer

pytestmark = pytest.mark.slow  # Chromium against a server of its own

maps_db = fixtures.maps_db  # module-scoped
browser = test_maps_browser.browser
KEY = "digest-browser-signing-key-0123456789-abcdef"
USER = "petugas.kesbangpol.kotim"
SIZES = pytest.mark.parametrize("size", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
                                ids=["desktop", "phone"])


@pytest.fixture(scope="module")
def server(maps_db):
    conn = psycopg2.connect(maps_db[0])
    try:
        create_user(conn, USER, fixtures.PASSWORD, "analyst", "kesbangpol", ["62.02"])
    finally:
        conn.close()
    live = LiveServer(maps_db[0], {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "100", "PANTAU_SECRET_KEY": KEY,
                                   "PANTAU_SMTP_URL": "smtp://127.0.0.1:25"})
    yield live
    live.stop()


def state(url: str) -> tuple:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id, email, digest_frequency, digest_weekday FROM users WHERE username = %s", (USER,))
            return cur.fetchone()
    finally:
        conn.close()


@SIZES
def test_preferences_page_fits_and_saves(browser, server, maps_db, size, tmp_path):
    page = browser.new_page(viewport=size)
    try:
        log_in(page, server.base, USER, "/account/notifications")
        page.fill("#email", "petugas.kotim@kesbangpol.kalteng.go.id")
        page.check("#frequency-weekly")
        page.select_option("#weekday", "1")
        page.click("#notifications-form button[type=submit]")
        page.wait_for_selector("#saved")
        assert state(maps_db[0])[1:] == ("petugas.kotim@kesbangpol.kalteng.go.id", "weekly", 1)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= size["width"]
        assert page.locator("#digest-preview li, #digest-preview-empty").count() >= 1
        page.locator("#digest-preview, #digest-preview-empty").scroll_into_view_if_needed()
        shot(page, f"notifications-{'desktop' if size['width'] > 1000 else 'phone'}", tmp_path)
    finally:
        page.close()


@SIZES
def test_unsubscribe_page_button_turns_digests_off(browser, server, maps_db, size, tmp_path):
    user_id = state(maps_db[0])[0]
    conn = psycopg2.connect(maps_db[0])
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET email = 'a@example.go.id', digest_frequency = 'daily' WHERE id = %s",
                        (user_id,))
    finally:
        conn.close()
    page = browser.new_page(viewport=size)  # no login: the link comes from the mail
    try:
        page.goto(f"{server.base}/unsubscribe/{make_token([KEY], user_id)}")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= size["width"]
        shot(page, f"unsubscribe-{'desktop' if size['width'] > 1000 else 'phone'}", tmp_path)
        assert state(maps_db[0])[2] == "daily"
        page.click("#confirm-unsubscribe")
        page.wait_for_selector("#unsubscribed")
        assert state(maps_db[0])[2] == "off"
    finally:
        page.close()
