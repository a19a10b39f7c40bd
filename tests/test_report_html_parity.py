"""The offline HTML report against the PDF of the same data: every map has a colour key and region
labels (in the DOM of Chromium opening the file from disk, no network), the keys read as the PDF's,
and the HTML has the PDF's charts with the same figures. A phone-width window does not scroll sideways."""

from __future__ import annotations

import re

import httpx
import pytest

from tests import test_reports as base
from tests import test_reports_data as dataset
from tests.test_reports import pdf_pages, report, shown

known_db, server, token = dataset.known_db, base.server, base.token  # the module fixtures
pytestmark = pytest.mark.slow  # a province PDF and HTML, and Chromium twice: ~1 min
CLASS_RANGE = re.compile(r"(?<![\d.])\d+–\d+(?![\d.])")  # a legend class "3–10" (en dash)
CHARTS = ["TKA per kewarganegaraan", "Perusahaan per sektor", "TKA per tingkat jabatan", "TKA per jenis kelamin",
          "Tren per triwulan"]
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]

READ_MAPS = """() => Array.from(document.querySelectorAll('.folium-map.leaflet-container')).map(m => {
    const h = m.previousElementSibling;
    const legend = m.querySelectorAll('.report-legend');
    return {
        heading: h ? h.id : '',
        legends: legend.length,
        legendTitle: legend.length ? legend[0].querySelector('.rl-title').textContent : '',
        legendRows: legend.length ? Array.from(legend[0].querySelectorAll('.rl-row')).map(r => r.textContent) : [],
        labels: Array.from(m.querySelectorAll('.region-label-icon')).map(l => ({
            code: l.dataset.code, mode: l.dataset.mode,
            name: l.querySelector('span').textContent, value: l.querySelector('b').textContent})),
        keyed: Array.from(m.querySelectorAll('.pantau-label-key li')).map(li => ({
            code: li.dataset.code, name: li.querySelector('span').textContent, value: li.querySelector('b').textContent})),
    };
})"""
READ_CHARTS = """() => Array.from(document.querySelectorAll('.charts figure')).map(f => ({
    caption: f.querySelector('figcaption') ? f.querySelector('figcaption').textContent : '',
    alt: f.querySelector('img') ? f.querySelector('img').alt : '',
}))"""


def _open_offline(body: bytes, path, width: int, height: int, read: list[str]):
    from playwright.sync_api import sync_playwright

    path.write_bytes(body)
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})

        def handle(route):
            if route.request.url.startswith("file://"):
                return route.continue_()
            requests.append(route.request.url)
            return route.abort()

        page.route("**/*", handle)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_selector(".leaflet-overlay-pane path", state="attached", timeout=30000)
        out = [page.evaluate(script) for script in read]
        browser.close()
    assert requests == [] and errors == []
    return out


@pytest.fixture(scope="module")
def province(server, token, tmp_path_factory):
    """(PDF pages, maps and charts of the HTML in a 1280x800 window, the same at 390x844)."""
    tmp = tmp_path_factory.mktemp("parity")
    pdf = report(server, token("admin"), format="pdf")
    html = report(server, token("admin"), format="html")
    assert pdf.status_code == 200 and html.status_code == 200, (pdf.text[:200], html.text[:200])
    assert pdf.headers["x-content-hash"] == html.headers["x-content-hash"]  # the same content
    wide = _open_offline(html.content, tmp / "r.html", 1280, 800, [READ_MAPS, READ_CHARTS])
    phone = _open_offline(html.content, tmp / "r.html", 390, 844,
                          [READ_MAPS, "() => document.scrollingElement.scrollWidth"])
    return pdf_pages(pdf.content, tmp), wide, phone


@pytest.fixture(scope="module")
def regions(server, token):
    get = lambda level, **params: httpx.get(f"{server.base}/api/stats/{level}", params=params,  # noqa: E731
                                            headers=token("admin"), timeout=60).json()["regions"]
    regencies = get("regency")
    return regencies, {r["code"]: get("district", parent=r["code"]) for r in regencies}


def readable(m: dict, region: dict) -> bool:
    """Whether the map shows the region's name and count: on its label (centred or a callout with
    a leader) or, where crowded, in the map's key of numbered badges."""
    name, count = region["name"].removeprefix("Kabupaten "), region["foreign_workers"]
    counts = {shown(count), "<3"} if count else {"0"}  # the secondary rule may hide one more cell
    on_map = any(lbl["code"] == region["code"] and lbl["mode"] in ("centre", "callout") and lbl["name"] == name
                 and lbl["value"] in counts for lbl in m["labels"])
    in_key = any(k["code"] == region["code"] and k["name"] == name and k["value"] in counts for k in m["keyed"])
    return on_map or in_key


def test_every_map_has_a_legend_and_labels_naming_each_region_with_workers(province, regions):
    _, (maps, _), _ = province
    regencies, districts = regions
    assert len(maps) == 1 + len(regencies) == 15
    for m in maps:
        assert m["legends"] == 1, m["heading"]
        assert m["legendTitle"] and len(m["legendRows"]) >= 3 and m["legendRows"][0] == "0", m
    # the province map: a label per regency; each with workers shows its name and its count
    top = maps[0]
    assert sorted(lbl["code"] for lbl in top["labels"]) == sorted(r["code"] for r in regencies)
    assert all(readable(top, r) for r in regencies if r["foreign_workers"]), top
    # each regency's map: the same for its districts
    for m in maps[1:]:
        code = m["heading"].removeprefix("u-")
        assert sorted(lbl["code"] for lbl in m["labels"]) == sorted(d["code"] for d in districts[code]), code
        assert all(readable(m, d) for d in districts[code] if d["foreign_workers"]), m


def test_legends_read_as_the_pdf_maps(province, regions):
    pages, (maps, _), _ = province
    regencies, _ = regions
    province_page = next(p for p in pages if "Sebaran TKA per kabupaten/kota" in p)
    html_classes = {c for row in maps[0]["legendRows"] for c in CLASS_RANGE.findall(row)}
    assert html_classes and html_classes == set(CLASS_RANGE.findall(province_page))
    assert "Jumlah TKA" in province_page and maps[0]["legendTitle"] == "Jumlah TKA"
    for m in maps[1:]:
        name = next(r["name"] for r in regencies if r["code"] == m["heading"].removeprefix("u-"))
        atlas = next(p for p in pages if f"Atlas: {name}" in p)
        rows = {c for row in m["legendRows"] for c in CLASS_RANGE.findall(row)}
        assert rows == set(CLASS_RANGE.findall(atlas)), name
        assert m["legendTitle"] == "TKA per kecamatan" and "TKA per kecamatan" in atlas


def test_html_has_the_pdf_charts_with_the_same_figures(province):
    pages, (_, charts), _ = province
    assert [c["caption"] for c in charts] == CHARTS
    chart_page = " ".join(next(p for p in pages if "TKA per tingkat jabatan" in p).split())
    for title in CHARTS:
        assert title in chart_page
    for chart in charts[:4]:  # bars: "title: name value; name value; ..."
        title, bars = chart["alt"].split(": ", 1)
        assert title == chart["caption"]
        for bar in bars.split("; "):
            name, value = bar.rsplit(" ", 1) if not bar.endswith("per kategori") else (bar.split(" <3")[0], "<3")
            # a long name is wrapped on the chart: its words are there
            assert all(w in chart_page for w in name.split(" (")[0].split()) and value in chart_page, (title, bar)
    sex = next(c for c in charts if c["caption"] == "TKA per jenis kelamin")["alt"]
    assert "Laki-laki" in sex and "Perempuan" in sex


def test_phone_width_keeps_legends_and_does_not_scroll_sideways(province):
    _, _, (maps, scroll_width) = province
    assert scroll_width <= 390
    assert all(m["legends"] == 1 and m["legendRows"] for m in maps)
