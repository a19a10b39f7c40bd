"""/account/password in a real headless Chromium at 1280x800 and 390x844: the link in the account
menu, the policy's message beside the field, then a change that keeps this browser signed in and
sends another browser of the same user to the login page. Screenshots of both sizes
(PANTAU_SAVE_SCREENSHOTS=1 writes them to docs/screenshots/account-password-{desktop,phone}.png)."""

from __future__ import annotations

import psycopg2
import pytest

from geo.auth.users import create_user
from tests.browser import test_maps_browser as maps_browser
from tests.browser.test_maps_browser import Recorder, shot
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database

browser = maps_browser.browser
pytestmark = pytest.mark.slow  # Chromium against a server of its own

PASSWORD = "kata-sandi-uji-12345"
NEW_PASSWORD = "hujan sore di tepi kahayan"
USERS = {"desktop": "sandi.desktop", "phone": "sandi.ponsel"}
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture(scope="module")
def password_server(server_url, template_db):
    url = create_database(server_url, template=template_db)
    conn = psycopg2.connect(url)
    try:
        for name in USERS.values():
            create_user(conn, name, PASSWORD, "viewer", "pemkab", ["62.02"])
    finally:
        conn.close()
    server = LiveServer(url, {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "100"})
    yield server
    server.stop()
    drop_database(server_url, dbname_of(url))


def log_in(page, base: str, username: str, password: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_path}*")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_change_own_password_in_the_browser(browser, password_server, size, tmp_path):
    base, name = password_server.base, USERS[size]
    width, height = VIEWPORTS[size]
    elsewhere = browser.new_context()
    other = elsewhere.new_page()
    log_in(other, base, name, PASSWORD, "/")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    rec = Recorder(page)
    log_in(page, base, name, PASSWORD, "/")
    assert page.locator('a[href="/account/password"]').count() == 1
    page.goto(f"{base}/account/password")
    page.fill("#current", PASSWORD)
    page.fill("#password", "kalteng2026")
    page.fill("#password2", "kalteng2026")
    page.click("#password-save")
    page.wait_for_selector("#password-error")
    assert page.inner_text("#password-error").startswith("kata sandi minimal 12 karakter")
    assert page.locator("#password.is-invalid").count() == 1
    assert page.input_value("#password") == ""  # nothing typed comes back
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    shot(page, f"account-password-{size}", tmp_path)

    page.fill("#current", PASSWORD)
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password2", NEW_PASSWORD)
    page.click("#password-save")
    page.wait_for_selector("#password-done")
    page.goto(f"{base}/")
    assert page.url == f"{base}/"  # this browser stays signed in
    other.goto(f"{base}/")
    assert "/login" in other.url  # the other browser's session ended
    log_in(other, base, name, NEW_PASSWORD, "/")
    # The one console error is the refused form's own answer (400, the policy), nothing else.
    assert [e for e in rec.errors if "status of 400" not in e] == [] and rec.foreign() == []
    context.close()
    elsewhere.close()
