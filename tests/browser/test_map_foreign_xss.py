"""Stored XSS on the foreign nationals' map (issue 17 item 5): a lodging's name and address and an
activity's targets, findings and follow-up carrying script-like text are shown as text in the
tooltips and popups, for an admin and for a viewer; no dialog opens, no script fails, nothing is
requested off the server."""

from __future__ import annotations

import re

import psycopg2
import pytest

from geo.auth.users import create_user
from tests.browser.test_maps_browser import browser  # noqa: F401 - module-scoped fixture
from tests.browser.test_xss_browser import BREAKOUT, IMG, SCRIPT_END, SVG, TEMPLATE, Watch
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database
from tests.seed import fill

pytestmark = pytest.mark.slow  # Chromium against a server of its own

PASSWORD = "kata-sandi-uji-xss-asing-12345"
HIT = """([x, y]) => { const e = document.elementFromPoint(x, y);
    return !e ? null : e.closest('[data-lodging]') ? 'lodging' : e.closest('[data-activity]') ? 'activity' : e.tagName; }"""


@pytest.fixture(scope="module")
def planted(server_url, template_db):
    url = create_database(server_url, template=template_db)
    fill(url)
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            # Written as stored text: the defence is in the output, not the input.
            cur.execute("UPDATE lodgings SET name = %s, address = %s WHERE name = 'Hotel Kahayan Seed'", (IMG, SCRIPT_END))
            cur.execute("UPDATE monitoring_activities SET targets = %s, findings = %s, follow_up = %s "
                        "WHERE district_code = '62.71.01'", (BREAKOUT, TEMPLATE, SVG))
        create_user(conn, "admin-xss-asing", PASSWORD, "admin", "kesbangpol", None)
        create_user(conn, "viewer-xss-asing", PASSWORD, "viewer", "kesbangpol", None)
    finally:
        conn.close()
    server = LiveServer(url, {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "100"})
    yield server
    server.stop()
    drop_database(server_url, dbname_of(url))


def stable_box(page, selector: str) -> dict:
    """The element's box once the map has settled (under load a redraw after setView can lag)."""
    last = None
    for _ in range(40):
        page.wait_for_timeout(150)
        box = page.locator(selector).bounding_box()
        if box and box == last:
            return box
        last = box
    raise AssertionError(f"{selector} never settled")


def popup_of(page, layer: str, selector: str, popup: str) -> str:
    """Hover (tooltip) and click (popup) the point of `layer` (lodgings or activities), zoomed in."""
    kind = "lodging" if layer == "lodgings" else "activity"
    for _ in range(3):  # under load the view can still be settling from the page's own set-up
        page.evaluate("""(layer) => { const cfg = window.PANTAU_FOREIGN_STATE;
            cfg[layer].eachLayer(l => cfg.map.setView(l.getLatLng(), 14, {animate: false})); }""", layer)
        box = stable_box(page, selector)
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 3
        if page.evaluate(HIT, [x, y]) == kind:
            break
    else:
        raise AssertionError(f"the {kind} stays covered")
    page.mouse.move(5, 5)  # off the map first: the move onto the point is a new mouseover
    page.mouse.move(x, y, steps=4)
    page.wait_for_selector(".leaflet-tooltip", timeout=10_000)
    page.mouse.click(x, y)
    page.wait_for_selector(popup, timeout=10_000)
    text = page.locator(popup).inner_text()
    assert page.locator(".leaflet-popup img, .leaflet-popup script, .leaflet-popup svg, .leaflet-tooltip img").count() == 0
    page.evaluate("window.PANTAU_FOREIGN_STATE.map.closePopup()")
    return text


@pytest.mark.parametrize("user", ["admin-xss-asing", "viewer-xss-asing"])
def test_planted_lodging_and_activity_texts_show_as_text(browser, planted, user):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{planted.base}/login?next=/maps/foreign/regency/62.71")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/maps/foreign/regency/62\.71$"))
    page.wait_for_selector("body[data-foreign-drawn='1'][data-foreign-stats='1']", state="attached", timeout=30_000)
    lodging = popup_of(page, "lodgings", "path[data-lodging]", ".lodging-popup")
    assert IMG in lodging and SCRIPT_END in lodging
    activity = popup_of(page, "activities", '[data-activity="62.71.01"]', ".activity-popup")
    if user.startswith("admin"):
        assert BREAKOUT in activity
    assert TEMPLATE in activity and SVG in activity
    watch.check(user)
    context.close()
