"""The navigation bar on a phone (390×844) and a laptop (1280×800), in a real Chromium (#16 leftover):
the signed-in user's name is shown whole (it was cut to "admin..." on a phone), nothing in the bar
runs off the screen, and the page never scrolls sideways."""

from __future__ import annotations

import psycopg2
import pytest

from geo.auth.users import create_user
from tests.browser import fixtures, test_maps_browser
from tests.browser.test_maps_browser import log_in, shot
from tests.conftest import LiveServer

pytestmark = pytest.mark.slow  # Chromium against a server of its own

maps_db = fixtures.maps_db  # module-scoped
browser = test_maps_browser.browser
USER = "petugas.kesbangpol.kotim"  # a realistic, long user name
SIZES = pytest.mark.parametrize("size", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}],
                                ids=["390x844", "1280x800"])


@pytest.fixture(scope="module")
def server(maps_db):
    conn = psycopg2.connect(maps_db[0])
    try:
        create_user(conn, USER, fixtures.PASSWORD, "analyst", "kesbangpol", ["62.02"])
    finally:
        conn.close()
    live = LiveServer(maps_db[0], {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "100"})
    yield live
    live.stop()


def navbar_state(page) -> dict:
    return page.evaluate("""() => {
        const user = document.querySelector('.nav-user');
        const bar = document.querySelector('nav.navbar');
        const off = [...bar.querySelectorAll('a, button, .nav-user')].filter(e => {
            const r = e.getBoundingClientRect();
            return r.left < 0 || r.right > window.innerWidth;
        }).map(e => e.textContent.trim());
        const brand = bar.querySelector('.navbar-brand').getBoundingClientRect();
        return {text: user.textContent.trim(), whole: user.scrollWidth <= user.clientWidth, off,
                width: document.scrollingElement.scrollWidth,
                one_line: [user, bar.querySelector('button')].every(e => e.getBoundingClientRect().top < brand.bottom)};
    }""")


@SIZES
@pytest.mark.parametrize("path", ["/", "/maps/province"])
def test_the_user_name_is_shown_whole(browser, server, size, path, tmp_path):
    page = browser.new_page(viewport=size)
    try:
        log_in(page, server.base, USER, path)
        state = navbar_state(page)
        shot(page, f"navbar-{size['width']}-{'home' if path == '/' else 'province'}", tmp_path)
        assert state["text"].startswith(USER)
        assert state["whole"], f"the user name is cut: {state}"
        assert state["off"] == [], f"off the screen: {state['off']}"
        assert state["width"] <= size["width"]
    finally:
        page.close()


def test_a_short_user_name_keeps_the_phone_bar_on_one_line(browser, server):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        log_in(page, server.base, "admin-peta", "/")
        state = navbar_state(page)
        assert state["whole"] and state["one_line"] and state["off"] == [], state
    finally:
        page.close()
