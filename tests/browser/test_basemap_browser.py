"""Base maps (#15 item 11) in a real Chromium at 1280x800 and 390x844: the base-layer choice lists
only what is configured; the local PMTiles basemap (a small file the test makes) is read from Pantau
with Range requests and nothing else, and draws; a tile server's images load under the page's policy
and its attribution shows as text; with nothing configured nothing is offered or requested."""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.basemap_pmtiles import make_basemap
from tests.browser import fixtures
from tests.browser.test_maps_browser import browser, log_in, shot, wait_markers  # noqa: F401 - fixture
from tests.conftest import LiveServer

pytestmark = pytest.mark.slow  # Chromium against servers of its own

maps_db, maps_server = fixtures.maps_db, fixtures.maps_server  # module-scoped fixtures

VIEWPORTS = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}
ATTRIBUTION = '<img src=x onerror="document.body.dataset.pwned=1">Dinas Peta & <b>Ubin</b>'
LABELS = ["Tanpa peta dasar", "Peta dasar (berkas lokal)", "Peta dasar (server ubin)"]


class TileHandler(BaseHTTPRequestHandler):
    """A stand-in for an office's raster tile server: one light-green PNG for every tile."""

    png = None
    referers: list[str | None] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        type(self).referers.append(self.headers.get("Referer"))
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.png)))
        self.end_headers()
        self.wfile.write(self.png)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def tile_server():
    buf = BytesIO()
    Image.new("RGB", (256, 256), (200, 230, 190)).save(buf, "PNG")
    TileHandler.png, TileHandler.referers = buf.getvalue(), []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), TileHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def basemap_server(maps_db, tile_server, tmp_path_factory):
    pmtiles = make_basemap(tmp_path_factory.mktemp("basemap") / "kalteng.pmtiles")
    server = LiveServer(maps_db[0], {
        "PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "100",
        "PANTAU_BASEMAP_PMTILES": str(pmtiles),
        "PANTAU_BASEMAP_TILES_URL": tile_server + "/{z}/{x}/{y}.png",
        "PANTAU_BASEMAP_ATTRIBUTION": ATTRIBUTION,
    })
    yield server
    server.stop()


class Requests:
    """Every request of a page with its Range header, and console errors (CSP refusals land there)."""

    def __init__(self, page) -> None:
        self.items: list[tuple[str, str | None]] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.items.append((r.url, r.headers.get("range"))))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def basemap(self) -> list[tuple[str, str | None]]:
        return [(u, r) for u, r in self.items if urlsplit(u).path == "/maps/basemap.pmtiles"]

    def origins(self) -> set[str]:
        return {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u, _ in self.items if not u.startswith("data:")}


def base_labels(page) -> list[str]:
    return [t.strip() for t in page.locator(".leaflet-control-layers-base label").all_inner_texts()]


def choose(page, label: str) -> None:
    radio = page.get_by_label(label, exact=True)
    if not radio.is_visible():  # a collapsed layer control (phone layout) opens first
        page.locator(".leaflet-control-layers-toggle").click()
    radio.check()


COLOURS = """() => {
    const seen = new Set();
    for (const c of document.querySelectorAll('.pantau-basemap-vector canvas')) {
        if (!c.width || !c.height) continue;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4 * 7) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
    }
    return seen.size;
}"""


BLANK_TILES = """() => [...document.querySelectorAll('.pantau-basemap-vector canvas')]
    .filter(c => !c.width || c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data[3] === 0)
    .length"""


def wait_vector_drawn(page) -> None:
    """Until the vector basemap's tile canvases show land, water and roads or towns, not a blank
    background (at least 3 colours); tiles are drawn one by one after their pieces arrive."""
    poll(page, COLOURS, lambda n: n >= 3)
    # Then, for the screenshots, until every tile is painted (tiles far from the centre come
    # last); protomaps-leaflet's "load" event cannot be waited for, it may skip a tile it abandons.
    with contextlib.suppress(AssertionError):
        poll(page, BLANK_TILES, lambda n: n == 0, timeout=10)


def poll(page, script: str, done, timeout: float = 30.0):
    """page.evaluate(script) until done(result); not wait_for_function, which the page's
    Content-Security-Policy (no 'unsafe-eval') refuses."""
    deadline = time.monotonic() + timeout
    while not done(result := page.evaluate(script)):
        assert time.monotonic() < deadline, f"still {result!r} after {timeout} s"
        page.wait_for_timeout(200)
    return result


@pytest.mark.parametrize("size", VIEWPORTS)
def test_local_pmtiles_basemap_is_read_from_pantau_only_and_draws(browser, basemap_server, size, tmp_path):  # noqa: F811
    context = browser.new_context(viewport=VIEWPORTS[size])
    page = context.new_page()
    log_in(page, basemap_server.base, "admin-peta", "/maps/province")
    reqs = Requests(page)  # from here on: the map page itself
    page.reload()
    wait_markers(page)
    assert base_labels(page) == LABELS
    # The local file is the default choice: it needs no internet.
    wait_vector_drawn(page)
    assert page.evaluate("document.body.dataset.basemap") == "pmtiles"
    assert page.get_by_label("Peta dasar (berkas lokal)", exact=True).is_checked()
    pieces = reqs.basemap()
    assert pieces and all(r and r.startswith("bytes=") for _, r in pieces), pieces
    assert reqs.origins() == {basemap_server.base}, reqs.origins()  # Pantau only: no tile server, no CDN
    shot(page, f"basemap-pmtiles-{size}", tmp_path)

    # "Tanpa peta dasar": the basemap goes, and the choice holds on the next page.
    choose(page, "Tanpa peta dasar")
    assert page.locator(".pantau-basemap-vector").count() == 0
    assert page.evaluate("document.body.dataset.basemap") == "none"
    shot(page, f"basemap-none-{size}", tmp_path)
    before = len(reqs.basemap())
    page.goto(f"{basemap_server.base}/maps/regency/62.71")
    wait_markers(page)
    assert page.get_by_label("Tanpa peta dasar", exact=True).is_checked()
    assert len(reqs.basemap()) == before

    # Choosing it again there reads the file again, and draws the regency's rivers.
    choose(page, "Peta dasar (berkas lokal)")
    wait_vector_drawn(page)
    assert len(reqs.basemap()) > before
    page.screenshot(path=str(tmp_path / f"basemap-pmtiles-regency-{size}.png"))
    assert reqs.errors == []
    context.close()


@pytest.mark.parametrize("size", VIEWPORTS)
def test_tile_server_basemap_loads_under_the_policy_and_credits_as_text(browser, basemap_server, tile_server,  # noqa: F811
                                                                      size, tmp_path):
    context = browser.new_context(viewport=VIEWPORTS[size])
    page = context.new_page()
    log_in(page, basemap_server.base, "admin-peta", "/maps/regency/62.02")
    reqs = Requests(page)
    wait_markers(page)
    choose(page, "Peta dasar (server ubin)")
    poll(page, """() => [...document.querySelectorAll('.pantau-basemap-tiles img')]
        .some(i => i.complete && i.naturalWidth === 256)""", bool)
    assert any(u.startswith(tile_server + "/") for u, _ in reqs.items)
    # The tile server learns which site asks (some require it), never the page's path and filters.
    assert TileHandler.referers and set(TileHandler.referers) == {basemap_server.base + "/"}
    assert reqs.errors == []  # no image refused by the Content-Security-Policy
    # The attribution from the settings is text: no element made from it, nothing ran.
    credit = page.locator(".leaflet-control-attribution")
    assert "<img src=x" in credit.inner_text() and "<b>Ubin</b>" in credit.inner_text()
    assert credit.locator("img, b").count() == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    page.screenshot(path=str(tmp_path / f"basemap-tiles-{size}.png"))  # stand-in tiles: not for docs/
    context.close()


@pytest.mark.parametrize("size", VIEWPORTS)
def test_without_a_configured_basemap_nothing_is_offered_or_loaded(browser, maps_server, size, tmp_path):  # noqa: F811
    context = browser.new_context(viewport=VIEWPORTS[size])
    page = context.new_page()
    reqs = Requests(page)
    log_in(page, maps_server.base, "admin-peta", "/maps/province")
    wait_markers(page)
    assert base_labels(page) == []
    assert page.locator(".leaflet-control-layers-base input").count() == 0
    assert page.evaluate("document.body.dataset.basemap") is None
    assert not [u for u, _ in reqs.items if "basemap" in u or "protomaps" in u]
    assert reqs.origins() == {maps_server.base}
    context.close()


def test_home_page_map_offers_the_same_base_layers(browser, basemap_server, tmp_path):  # noqa: F811
    context = browser.new_context(viewport=VIEWPORTS["1280"])
    page = context.new_page()
    log_in(page, basemap_server.base, "admin-peta", "/")
    reqs = Requests(page)
    page.reload()
    wait_markers(page)
    assert base_labels(page) == LABELS
    wait_vector_drawn(page)
    assert reqs.origins() == {basemap_server.base}
    assert reqs.errors == []
    context.close()
