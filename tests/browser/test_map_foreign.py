"""The foreign nationals' map (issue 17 item 5) in a real headless Chromium against the seeded server,
at a laptop (1280×800) and a phone (390×844, touch) size: a region of the new layer answers hover
(tooltip) and click or tap (popup) with the number of persons present as the presence rule counts
them, a lodging point and an activity point open their popups with the right numbers, a viewer sees
suppressed counts and no residence layer, and the page makes no request off the server and breaks
no Content-Security-Policy rule."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from geo import clock
from tests.browser import test_maps_browser
from tests.browser.test_maps_browser import Recorder, shot

pytestmark = pytest.mark.slow  # Chromium against the session's seeded server

browser = test_maps_browser.browser
VIEWPORTS = {"1280": {"viewport": {"width": 1280, "height": 800}},
             "390": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
                     "device_scale_factor": 2}}
PATH = "/maps/foreign/regency/62.71"

# A spot of region `code` where the region's own outline is what the browser finds under the pointer
# (no label, marker or control above it), in client coordinates; null when there is none.
REGION_SPOT = """(code) => {
    const el = document.querySelector(`.leaflet-overlay-pane path[data-code="${code}"]`);
    if (!el) return null;
    const r = el.getBoundingClientRect(), best = [];
    for (let x = r.left + 4; x < r.right - 4; x += 6) for (let y = r.top + 4; y < r.bottom - 4; y += 6) {
        if (x < 2 || y < 2 || x > innerWidth - 2 || y > innerHeight - 2) continue;
        if ([[0, 0], [6, 0], [-6, 0], [0, 6], [0, -6]].every(([dx, dy]) => document.elementFromPoint(x + dx, y + dy) === el))
            best.push({x, y});
    }
    return best.length ? best[Math.floor(best.length / 2)] : null;
}"""

# What the browser finds under a point: a lodging, an activity or something else.
HIT = """([x, y]) => { const e = document.elementFromPoint(x, y);
    return !e ? null : e.closest('[data-lodging]') ? 'lodging' : e.closest('[data-activity]') ? 'activity'
        : e.closest('[data-residence]') ? 'residence' : e.tagName; }"""

# The centre of a point marker on screen, brought into view first.
MARKER_SPOT = """(selector) => {
    const el = document.querySelector(selector);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return {x: (r.left + r.right) / 2, y: (r.top + r.bottom) / 2};
}"""


@pytest.fixture(params=list(VIEWPORTS))
def device(request, browser):
    context = browser.new_context(**VIEWPORTS[request.param])
    yield request.param, context
    context.close()


def open_page(context, seeded, role: str, path: str = PATH):
    username, password = seeded.make_user(role)
    page = context.new_page()
    rec = Recorder(page)
    base = seeded.server.base
    page.goto(f"{base}/login?next={quote(path, safe='')}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.startswith(f"{base}{path}"))
    page.wait_for_selector("body[data-foreign-drawn='1'][data-foreign-stats='1']", state="attached", timeout=30_000)
    page.locator(".folium-map").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    return page, rec


def present_by_district(seeded) -> dict[str, int]:
    return dict(seeded.query("SELECT district_code, count(*) FROM foreign_nationals_present(%s) "
                             "WHERE regency_code = '62.71' GROUP BY 1", (clock.today(),)))


def close_popups(page) -> None:
    page.evaluate("window.PANTAU_FOREIGN_STATE.map.closePopup()")
    page.wait_for_timeout(200)


def press(page, kind: str, spot: dict) -> None:
    if kind == "390":
        page.touchscreen.tap(spot["x"], spot["y"])
    else:
        page.mouse.click(spot["x"], spot["y"])


def open_lodging(page, kind: str) -> str:
    """Zoom to the lodging (the district is small at the regency's zoom), press it: its popup's text."""
    page.evaluate("""() => { const cfg = window.PANTAU_FOREIGN_STATE;
        cfg.lodgings.eachLayer(l => cfg.map.setView(l.getLatLng(), 14, {animate: false})); }""")
    page.wait_for_timeout(500)
    spot = page.evaluate(MARKER_SPOT, "path[data-lodging]")
    assert spot, "no lodging drawn"
    assert page.evaluate(HIT, [spot["x"], spot["y"]]) == "lodging", "the lodging is covered"
    press(page, kind, spot)
    popup = page.locator(".lodging-popup")
    popup.wait_for(timeout=5_000)
    page.wait_for_timeout(400)  # the popup's fade-in, for the screenshots
    return popup.inner_text()


def open_activity(page, kind: str, district: str) -> str:
    spot = page.evaluate(MARKER_SPOT, f'[data-activity="{district}"]')
    assert spot, "no activity drawn"
    assert page.evaluate(HIT, [spot["x"], spot["y"]]) == "activity", "the activity is covered"
    press(page, kind, spot)
    popup = page.locator(".activity-popup")
    popup.wait_for(timeout=5_000)
    page.wait_for_timeout(400)
    return popup.inner_text()


def test_hover_and_click_a_region_a_lodging_and_an_activity(seeded, device, tmp_path):
    kind, context = device
    page, rec = open_page(context, seeded, "admin")
    counts = present_by_district(seeded)
    code, n = max(counts.items(), key=lambda kv: kv[1])
    spot = page.evaluate(REGION_SPOT, code)
    if spot is None:  # the region lies off screen on a phone: bring it into the middle
        page.evaluate("""(code) => { const cfg = window.PANTAU_FOREIGN_STATE;
            cfg.regions.eachLayer(l => { if (l.feature.properties.code === code) cfg.map.fitBounds(l.getBounds()); }); }""",
                      code)
        page.wait_for_timeout(500)
        spot = page.evaluate(REGION_SPOT, code)
    assert spot, f"no free spot over {code}"
    if kind == "1280":
        page.mouse.move(spot["x"], spot["y"])
        tip = page.locator(".leaflet-tooltip.region-tip")
        tip.wait_for(timeout=5_000)
        text = tip.inner_text()
        assert "Orang asing hadir" in text and re.search(rf"\b{n}\b", text), text
    press(page, kind, spot)
    popup = page.locator(".foreign-region-popup")
    popup.wait_for(timeout=5_000)
    page.wait_for_timeout(400)
    assert page.locator(".leaflet-tooltip.region-tip").count() == 0, "the tooltip stays over the popup"
    text = popup.inner_text()
    assert re.search(rf"Orang asing hadir\s+{n}\b", text), text
    assert "Menurut tujuan" in text and "Menurut jenis izin" in text and "Buka peta" in text
    shot(page, f"foreign-regency-{kind}", tmp_path)
    close_popups(page)

    # The lodging: its name, address and guest counts (Hotel Kahayan Seed: 2 now, 2 in 30 days).
    text = open_lodging(page, kind)
    assert "Hotel Kahayan Seed" in text
    assert re.search(r"Tamu asing saat ini\s+2\b", text) and re.search(r"Tamu asing 30 hari terakhir\s+2\b", text), text
    shot(page, f"foreign-lodging-{kind}", tmp_path)
    close_popups(page)

    # The activity of 62.71.01: date, kind, agencies, findings, follow-up; targets as written (admin).
    text = open_activity(page, kind, "62.71.01")
    assert "Rapat koordinasi" in text and "Imigrasi, Kesbangpol" in text and "surat teguran" in text
    assert "OLIVIA PRIVATEWALKER" in text
    assert re.search(r"Tanggal\s+\d+ \w+ \d{4}", text), text
    # The residence layer is offered to an admin, and read (audited) only when ticked.
    assert not any("residences" in u for u in rec.requests)
    close_popups(page)
    if kind == "1280":  # (on a phone the layer list starts folded)
        page.locator(".leaflet-control-layers-overlays label", has_text="Tempat tinggal").locator("input").check()
        n = seeded.query("SELECT count(*) FROM foreign_nationals_present(%s) WHERE source = 'stay' "
                         "AND regency_code = '62.71'", (clock.today(),))[0][0]
        page.wait_for_selector(f"body[data-residences='{n}']", state="attached", timeout=10_000)
        # The reported residence (JOHN's, a point of its own) opens what is known of the stay.
        spot = page.evaluate("""() => { const cfg = window.PANTAU_FOREIGN_STATE; let found = null;
            cfg.residences.eachLayer(l => { if (/dilaporkan/.test(l.getPopup().getContent())) found = l; });
            cfg.map.setView(found.getLatLng(), 17, {animate: false});
            const r = found.getElement().getBoundingClientRect();
            return {x: (r.left + r.right) / 2, y: (r.top + r.bottom) / 2}; }""")
        assert page.evaluate(HIT, [spot["x"], spot["y"]]) == "residence", "the residence point is covered"
        page.mouse.click(spot["x"], spot["y"])
        popup = page.locator(".residence-popup")
        popup.wait_for(timeout=5_000)
        page.wait_for_timeout(400)
        text = popup.inner_text()
        assert "Keagamaan" in text and "ITAP" in text and "Amerika Serikat" in text and "dilaporkan" in text, text
        shot(page, "foreign-residences-1280", tmp_path)
    assert rec.errors == [] and rec.foreign() == []


def test_a_viewer_sees_suppressed_counts_masked_targets_and_no_residences(seeded, browser, tmp_path):
    context = browser.new_context(**VIEWPORTS["1280"])
    page, rec = open_page(context, seeded, "viewer")
    assert re.search(r"Tamu asing saat ini\s+<3", open_lodging(page, "1280"))
    close_popups(page)
    text = open_activity(page, "1280", "62.71.01")
    assert "OLIVIA" not in text and "[disamarkan]" in text
    assert page.locator(".leaflet-control-layers-overlays", has_text="Tempat tinggal").count() == 0
    html = page.content()
    assert not [s for s in seeded.secrets if s in html]
    assert not any("residences" in u for u in rec.requests)
    shot(page, "foreign-viewer-1280", tmp_path)
    assert rec.errors == [] and rec.foreign() == []
    context.close()


def test_province_page_and_filters(seeded, browser, tmp_path):
    context = browser.new_context(**VIEWPORTS["1280"])
    page, rec = open_page(context, seeded, "admin", "/maps/foreign/province")
    assert page.locator(".leaflet-overlay-pane path[data-code]").count() == 14
    page.select_option("#f-purpose", "studi")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*/maps/foreign/province\?purpose=studi$"))
    page.wait_for_selector("body[data-foreign-stats='1']", state="attached", timeout=30_000)
    legend = page.locator(".pantau-legend").inner_text()
    assert "Filter: tujuan Studi" in legend
    shot(page, "foreign-province-1280", tmp_path)
    assert rec.errors == [] and rec.foreign() == []
    context.close()

