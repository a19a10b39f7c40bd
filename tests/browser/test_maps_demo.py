"""The pages with the default demo dataset (`pantau demo`) in a real Chromium: layout at a laptop
(1280×800) and a projector (1920×1080) size, crowded village labels, and the screenshots in
docs/screenshots (written when PANTAU_SAVE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg2
import pytest

from geo.auth.users import create_user
from tests.browser import test_maps_browser
from tests.browser.fixtures import PASSWORD
from tests.browser.test_maps_browser import Recorder, log_in, regions, shot, wait_markers
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database

pytestmark = pytest.mark.slow  # Chromium on the demo dataset

browser = test_maps_browser.browser
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_db(server_url, template_db):
    url = create_database(server_url, template=template_db)
    subprocess.run([str(ROOT / ".venv/bin/pantau"), "demo"], env={**os.environ, "DATABASE_URL": url},
                   check=True, cwd=ROOT, capture_output=True)
    conn = psycopg2.connect(url)
    try:
        create_user(conn, "admin-demo", PASSWORD, "admin", "kesbangpol", None)
        with conn.cursor() as cur:  # the district with the most villages, and its regency
            cur.execute("""SELECT parent_code, count(*) FROM boundaries WHERE level = 'village'
                           GROUP BY parent_code ORDER BY count(*) DESC, parent_code LIMIT 1""")
            crowded = cur.fetchone()
        conn.commit()
    finally:
        conn.close()
    yield url, crowded
    drop_database(server_url, dbname_of(url))


@pytest.fixture(scope="module")
def demo_server(demo_db):
    server = LiveServer(demo_db[0], {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "100"})
    yield server
    server.stop()


def no_page_overflow(page) -> None:
    """Nothing sticks out on the right: the page itself never scrolls sideways."""
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


def fully_inside(page, selector: str, container: str) -> bool:
    return page.evaluate("""([s, c]) => {
        const a = document.querySelector(s).getBoundingClientRect();
        const b = document.querySelector(c).getBoundingClientRect();
        return a.left >= b.left - 1 && a.right <= b.right + 1 && b.right <= window.innerWidth + 1;
    }""", [selector, container])


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1920, 1080)])
def test_home_page_fits_laptop_and_projector(browser, demo_server, tmp_path, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    rec = Recorder(page)
    log_in(page, demo_server.base, "admin-demo", "/")
    wait_markers(page)
    no_page_overflow(page)
    assert page.locator("#regency-table tbody tr").count() == 14
    # Every column of the regency table can be read: inside its card, or reachable by scrolling it.
    last = "#regency-table thead th:last-child"
    page.locator(last).scroll_into_view_if_needed()
    assert fully_inside(page, last, "#regency-card"), "last column cut off"
    assert page.locator(last).is_visible()
    # The map is not squeezed: at least 480 px wide and 400 px high.
    box = page.locator(".home-map").bounding_box()
    assert box["width"] >= 480 and box["height"] >= 400
    shot(page, "home" if width == 1280 else "home-1920", tmp_path)
    assert rec.foreign() == [] and rec.errors == []


def test_levels_with_demo_data(browser, demo_server, demo_db, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    rec = Recorder(page)
    log_in(page, demo_server.base, "admin-demo", "/maps/province")
    wait_markers(page)
    assert regions(page) == 14
    no_page_overflow(page)
    shot(page, "province", tmp_path)
    page.goto(f"{demo_server.base}/maps/regency/62.71")
    wait_markers(page)
    no_page_overflow(page)
    shot(page, "regency", tmp_path)
    district = demo_db[1][0]
    page.goto(f"{demo_server.base}/maps/district/{district}")
    wait_markers(page)
    assert regions(page) == demo_db[1][1]
    shot(page, "district", tmp_path)
    assert rec.foreign() == [] and rec.errors == []


def overlapping_labels(page) -> int:
    return page.evaluate("""() => {
        const boxes = [...document.querySelectorAll('.region-label-icon')]
            .filter(el => el.style.display !== 'none')
            .map(el => el.querySelector('.region-label').getBoundingClientRect());
        let n = 0;
        for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i], b = boxes[j];
            const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (w > 4 && h > 4) n++;
        }
        return n;
    }""")


def test_crowded_district_labels_do_not_overlap(browser, demo_server, demo_db, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    rec = Recorder(page)
    log_in(page, demo_server.base, "admin-demo", f"/maps/district/{demo_db[1][0]}")
    wait_markers(page)
    total = page.locator(".region-label-icon").count()
    assert total == demo_db[1][1]
    assert overlapping_labels(page) == 0
    shown = int(page.evaluate("document.body.dataset.labelsShown"))
    assert 0 < shown <= total
    # Zooming in names a larger share of the villages in view, still without overlaps.
    share = "document.body.dataset.labelsShown / document.body.dataset.labelsInView"
    before = page.evaluate(share)
    page.evaluate("window.PANTAU_STATE.layer.map.zoomIn(2, {animate: false})")
    page.wait_for_timeout(300)
    assert page.evaluate(share) >= before
    assert overlapping_labels(page) == 0
    assert rec.foreign() == [] and rec.errors == []
