"""Pages on a phone (390×844) and a laptop (1280×800) in a real Chromium (#15 items 7, 8, 13): the
filter form folds behind a button on the phone, the legend and the layer list never overlap, the
company page never scrolls sideways (its tables scroll inside their box), the nationality filter
takes country names with suggestions, and company clusters are not drawn in permit colours.
Screenshots go to docs/screenshots with PANTAU_SAVE_SCREENSHOTS=1 (otherwise to tmp_path)."""

from __future__ import annotations

import re

import pytest

from tests.browser import fixtures, test_maps_browser
from tests.browser.test_maps_browser import Recorder, log_in, shot, wait_markers

pytestmark = pytest.mark.slow  # Chromium against a server of its own

maps_db, maps_server = fixtures.maps_db, fixtures.maps_server  # module-scoped fixtures
browser = test_maps_browser.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
SIZES = pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["390x844", "1280x800"])


def overlap(page, a: str, b: str) -> float:
    """The area (px²) shared by the boxes of the first `a` and the first `b` (0 = apart)."""
    return page.evaluate("""([a, b]) => {
        const r = document.querySelector(a).getBoundingClientRect();
        const s = document.querySelector(b).getBoundingClientRect();
        const w = Math.min(r.right, s.right) - Math.max(r.left, s.left);
        const h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
        return w > 0 && h > 0 ? w * h : 0;
    }""", [a, b])


def inside_map(page, selector: str) -> bool:
    return page.evaluate("""(s) => {
        const r = document.querySelector(s).getBoundingClientRect();
        const m = document.querySelector('.folium-map').getBoundingClientRect();
        return r.width > 0 && r.height > 0 && r.left >= m.left - 1 && r.right <= m.right + 1
            && r.top >= m.top - 1 && r.bottom <= m.bottom + 1;
    }""", selector)


def page_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


LAYERS, LEGEND = ".leaflet-control-layers", ".pantau-legend"
EXPANDED = ".leaflet-control-layers-expanded"


def overlapping_controls(page) -> list[str]:
    """Pairs of visible map controls (top level: not those inside the minimap) whose boxes meet."""
    return page.evaluate("""() => {
        const out = [];
        for (const map of document.querySelectorAll('.folium-map')) {
            const els = [...map.querySelectorAll('.leaflet-control')].filter(e => {
                const r = e.getBoundingClientRect();
                return !e.parentElement.closest('.leaflet-control') && r.width > 0 && r.height > 0;
            });
            for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) {
                const r = els[i].getBoundingClientRect(), s = els[j].getBoundingClientRect();
                const w = Math.min(r.right, s.right) - Math.max(r.left, s.left);
                const h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
                if (w > 0 && h > 0) out.push(els[i].className + ' × ' + els[j].className);
            }
        }
        return out;
    }""")


def controls_apart(page) -> None:
    assert page.locator(LEGEND).is_visible() and page.locator(LAYERS).is_visible()
    assert inside_map(page, LEGEND) and inside_map(page, LAYERS)
    assert overlap(page, LAYERS, LEGEND) == 0
    assert overlapping_controls(page) == []


@SIZES
def test_map_page_controls_and_filters(browser, maps_server, size, tmp_path):
    page = browser.new_page(viewport=size)
    rec = Recorder(page)
    log_in(page, maps_server.base, "admin-peta", "/maps/province")
    wait_markers(page)
    phone = size is PHONE
    assert page_width(page) <= size["width"]
    form, toggle = page.locator("#filters"), page.locator("#filter-toggle")
    if phone:
        # Folded: the map, not the form, fills the screen.
        assert not form.is_visible() and toggle.is_visible()
        header = page.locator(".map-header").bounding_box()
        assert header["height"] < 0.3 * size["height"]
        assert page.locator(".folium-map").bounding_box()["height"] > 0.6 * size["height"]
        # Both controls start folded; opened one at a time they still keep apart.
        assert page.locator(EXPANDED).count() == 0
        controls_apart(page)
        shot(page, "phone-province", tmp_path)
        title = page.locator(f"{LEGEND} .lg-title").first
        assert title.get_attribute("role") == "button" and title.get_attribute("aria-expanded") == "false"
        title.click()
        assert page.locator(f"{LEGEND} .lg-row").first.is_visible() and title.get_attribute("aria-expanded") == "true"
        controls_apart(page)
        shot(page, "phone-province-legend", tmp_path)
        title.press("Enter")  # the keyboard folds it too
        assert not page.locator(f"{LEGEND} .lg-row").first.is_visible()
        title.press("Enter")
        page.locator(".leaflet-control-layers-toggle").click()
        assert page.get_by_label("Perusahaan", exact=True).is_visible()
        controls_apart(page)
        # The filter form opens on demand and every field is usable.
        toggle.click()
        assert form.is_visible() and toggle.get_attribute("aria-expanded") == "true"
        assert page.locator("#f-nat").is_visible() and page.locator("#f-end").is_visible()
        shot(page, "phone-province-filters", tmp_path)
        assert page_width(page) <= size["width"]
    else:
        assert form.is_visible() and not toggle.is_visible()
        assert page.locator(EXPANDED).count() == 1 and page.locator(f"{LEGEND} .lg-row").first.is_visible()
        controls_apart(page)
        shot(page, "laptop-province", tmp_path)
    assert rec.foreign() == [] and rec.errors == []


@SIZES
def test_legend_gives_way_on_a_short_map(browser, maps_server, size):
    """However tall the layer list grows, the legend shrinks (and scrolls) below it, or folds."""
    page = browser.new_page(viewport={"width": size["width"], "height": 560})
    log_in(page, maps_server.base, "admin-peta", "/maps/regency/62.02")
    wait_markers(page)
    if size is PHONE:
        page.locator(f"{LEGEND} .lg-title").first.click()
        page.locator(".leaflet-control-layers-toggle").click()
    page.wait_for_timeout(200)
    controls_apart(page)
    grow_layer_list(page)
    controls_apart(page)


def grow_layer_list(page, rows: int = 6) -> None:
    """A longer layer list (base maps, more layers): it must push the legend, never cover it."""
    page.evaluate("""(n) => {
        const list = document.querySelector('.leaflet-control-layers-overlays');
        for (let i = 0; i < n; i++) {
            const row = document.createElement('label');
            row.textContent = 'Lapisan tambahan ' + i;
            row.style.display = 'block';
            list.appendChild(row);
        }
    }""", rows)
    page.wait_for_timeout(300)


@SIZES
def test_home_page_controls_apart(browser, maps_server, size, tmp_path):
    page = browser.new_page(viewport=size)
    rec = Recorder(page)
    log_in(page, maps_server.base, "admin-peta", "/")
    wait_markers(page)
    assert page_width(page) <= size["width"]
    controls_apart(page)
    if size is PHONE:
        page.locator(f"{LEGEND} .lg-title").first.click()
        controls_apart(page)
    shot(page, "phone-home" if size is PHONE else "laptop-home", tmp_path)
    if size is PHONE:
        page.locator(".leaflet-control-layers-toggle").click()
    grow_layer_list(page, 10)
    controls_apart(page)
    assert rec.foreign() == [] and rec.errors == []


@SIZES
def test_company_page_never_scrolls_sideways(browser, maps_server, maps_db, size, tmp_path):
    cid = maps_db[1]["PT Sampit Coal"]
    page = browser.new_page(viewport=size)
    rec = Recorder(page)
    log_in(page, maps_server.base, "admin-peta", f"/companies/{cid}")
    assert page_width(page) <= size["width"]
    for table in ("#workers", "#inspections"):
        box = page.evaluate("""(t) => {
            const table = document.querySelector(t), wrap = table.parentElement;
            const r = wrap.getBoundingClientRect();
            return {cls: wrap.className, right: r.right, scroll: wrap.scrollWidth, table: table.offsetWidth};
        }""", table)
        assert "table-responsive" in box["cls"]
        assert box["right"] <= size["width"] and box["scroll"] >= box["table"]
    workers = page.evaluate("""() => {
        const wrap = document.querySelector('#workers').parentElement;
        return {scroll: wrap.scrollWidth, client: wrap.clientWidth};
    }""")
    if size is PHONE:
        assert workers["scroll"] > workers["client"]  # the table is wider than a phone: it scrolls in its box
        last = page.locator("#workers thead th").last
        last.scroll_into_view_if_needed()
        assert last.is_visible() and page_width(page) <= size["width"]
    else:
        assert workers["scroll"] <= workers["client"] + 1  # a laptop shows every column at once
    text = page.locator("#workers").inner_text()
    assert "Tiongkok" in text and "India" in text and "Manajer" in text and "Aktif" in text
    assert not re.search(r"\b(CN|IN|manajer|active)\b", text)
    shot(page, "phone-company" if size is PHONE else "laptop-company", tmp_path)
    assert rec.foreign() == [] and rec.errors == []


def test_nationality_filter_by_name_with_suggestions(browser, maps_server):
    page = browser.new_page(viewport=PHONE)
    rec = Recorder(page)
    log_in(page, maps_server.base, "viewer-peta", "/maps/province")
    wait_markers(page)
    page.locator("#filter-toggle").click()
    nat = page.locator("#f-nat")
    assert nat.get_attribute("list") == "nationality-names"
    values = page.locator("#nationality-names option").evaluate_all("os => os.map(o => o.value)")
    assert "Tiongkok" in values and "Malaysia" in values and "Cina" not in values
    # After a comma the suggestions continue the list typed so far.
    nat.fill("")
    nat.type("Tiongkok, Mal", delay=20)
    values = page.locator("#nationality-names option").evaluate_all("os => os.map(o => o.value)")
    assert "Tiongkok, Malaysia" in values and "Tiongkok, Tiongkok" not in values
    nat.fill("Tiongkok, malaysia")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r"nationality=CN%2CMY"))
    wait_markers(page)
    assert page.locator("#f-nat").input_value() == "Tiongkok, Malaysia"
    # A name the suggestions do not have (English) is read by the server.
    page.goto(f"{maps_server.base}/maps/province?nationality=China")
    wait_markers(page)
    assert page.locator("#f-nat").input_value() == "Tiongkok"
    assert "kewarganegaraan Tiongkok" in page.locator(LEGEND).text_content()  # folded on a phone
    assert rec.foreign() == [] and rec.errors == []


def test_clusters_are_not_in_permit_colours(browser, maps_server):
    page = browser.new_page(viewport=LAPTOP)
    log_in(page, maps_server.base, "admin-peta", "/maps/province")
    wait_markers(page)
    page.evaluate("window.PANTAU_STATE.layer.map.setZoom(5, {animate: false})")  # everything in clusters
    page.wait_for_selector(".marker-cluster div", timeout=10_000)
    colour = page.evaluate("getComputedStyle(document.querySelector('.marker-cluster div')).backgroundColor")
    r, g, b = (int(v) for v in re.findall(r"\d+", colour)[:3])
    assert b > r + 40 and b > g + 20, colour  # blue: not green, orange, red or grey
    legend = page.locator(LEGEND).inner_text()
    assert "Kelompok perusahaan" in legend
