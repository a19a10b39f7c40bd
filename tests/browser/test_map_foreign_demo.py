"""The foreign nationals' map with the default demo dataset (`pantau demo`, issue 17 item 8) in a real
Chromium: every region of the province and of a regency shows the number the presence rule gives
(read from the drawn labels and the tooltips, compared with foreign_nationals_present grouped in
SQL), the page draws within a time limit at 1280×800 and 390×844, a viewer's village map shows
suppressed counts and no residence layer; screenshots in docs/screenshots when
PANTAU_SAVE_SCREENSHOTS=1."""

from __future__ import annotations

import time

import pytest

from geo import clock
from tests.browser import test_maps_browser
from tests.browser.test_map_foreign import VIEWPORTS
from tests.browser.test_map_interaction import PASSWORD, demo  # noqa: F401 - module-scoped fixture
from tests.browser.test_maps_browser import Recorder, shot

pytestmark = pytest.mark.slow  # Chromium on the demo dataset

browser = test_maps_browser.browser
DRAWN = "body[data-foreign-drawn='1'][data-foreign-stats='1']"


def present(url: str, level: str, prefix: str) -> dict[str, int]:
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT {level}_code, count(*) FROM foreign_nationals_present(%s) "  # noqa: S608 - constants
                        f"WHERE {level}_code LIKE %s GROUP BY 1", (clock.today(), prefix + "%"))
            return dict(cur.fetchall())
    finally:
        conn.close()


def open_map(browser, base: str, path: str, user: str, viewport: str):  # noqa: F811
    context = browser.new_context(**VIEWPORTS[viewport])
    page = context.new_page()
    rec = Recorder(page)
    page.goto(f"{base}/login?next={path}")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    started = time.monotonic()
    page.click("button[type=submit]")
    page.wait_for_selector(DRAWN, state="attached", timeout=30_000)
    return context, page, rec, time.monotonic() - started


# The numbers the page holds per region: from the tooltip each region got (its text), by code.
TOOLTIPS = """() => {
    const cfg = window.PANTAU_FOREIGN_STATE, out = {};
    cfg.regions.eachLayer(l => { const t = l.getTooltip(); if (t) out[l.feature.properties.code] = t.getContent(); });
    return out;
}"""


@pytest.mark.parametrize(("path", "level", "prefix"), [("/maps/foreign/province", "regency", "62."),
                                                       ("/maps/foreign/regency/62.02", "district", "62.02.")])
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_region_shows_the_presence_rule_count(demo, browser, path, level, prefix, viewport, tmp_path):  # noqa: F811
    server, url = demo
    context, page, rec, took = open_map(browser, server.base, path, "admin-interaksi", viewport)
    expected = present(url, level, prefix)
    assert sum(expected.values()) > 20, "the demo has foreign nationals here"
    tips = page.evaluate(TOOLTIPS)
    assert set(tips) and all(code.startswith(prefix) for code in tips)
    for code, html in tips.items():
        n = expected.get(code, 0)
        assert f"<th>Orang asing hadir</th><td>{n:,}</td>".replace(",", ".") in html, (code, n, html)
    assert int(page.evaluate("document.body.dataset.lodgings")) > 0
    assert int(page.evaluate("document.body.dataset.activities")) > 0
    print(f"{path} {viewport}: drawn {took:.2f} s after login")
    assert took < 15, f"{path} took {took:.1f} s"
    name = "province" if level == "regency" else "regency"
    shot(page, f"foreign-demo-{name}-{viewport}", tmp_path)
    assert rec.errors == [] and rec.foreign() == []
    context.close()


def test_a_viewers_village_map_is_suppressed_and_has_no_residences(demo, browser, tmp_path):  # noqa: F811
    server, url = demo
    villages = present(url, "village", "62.71.")
    small = sorted(c for c, n in villages.items() if 0 < n < 3)
    assert small, "the demo has villages of Palangka Raya with 1-2 foreign nationals"
    district = small[0].rsplit(".", 1)[0]
    context, page, rec, _ = open_map(browser, server.base, f"/maps/foreign/district/{district}", "peninjau-palangka",
                                     "1280")
    tips = page.evaluate(TOOLTIPS)
    for code in (c for c in small if c.startswith(district + ".")):
        assert "<td>&lt;3</td>" in tips[code], (code, tips[code])
    # The labels on the map read "<3" as text (once escaped, not "&lt;3").
    labels = page.locator(".region-label-icon").all_inner_texts()
    assert any("<3" in t for t in labels) and not any("&lt;" in t for t in labels), labels
    assert page.locator(".leaflet-control-layers-overlays", has_text="Tempat tinggal").count() == 0
    assert not any("residences" in u for u in rec.requests)
    shot(page, "foreign-demo-viewer-district-1280", tmp_path)
    assert rec.errors == [] and rec.foreign() == []
    context.close()
