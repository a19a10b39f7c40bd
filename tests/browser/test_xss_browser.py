"""Stored XSS (issue #14, item 2): script-like names, addresses, worker and inspection texts are
planted through the real write paths (PATCH and import as regency editors), then every page, the
map search box, popups and tooltips, the f=html feature pages, the API docs and the offline HTML
report are opened in a real Chromium. No `dialog` may ever open and no script may fail; the texts
must show as typed (text, not markup), and the report's maps must still draw."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import uuid
from datetime import date
from urllib.parse import urlsplit

import httpx
import psycopg2
import pytest

from geo.auth.users import create_user
from geo.settings import PROJECT_ROOT
from tests.browser.test_maps_browser import browser  # noqa: F401 - module-scoped fixture
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database
from tests.seed import fill

pytestmark = pytest.mark.slow

PASSWORD = "kata-sandi-uji-xss-12345"
IMG = "<img src=x onerror=alert(1)>"
TEMPLATE = "PT ${alert(document.domain)} Jaya"
BREAKOUT = '"><script>alert(1)</script>'
QUOTES = "PT O'Brien \"Jaya\""
SCRIPT_END = "</script><script>alert(1)</script>"
JS_URL = "javascript:alert(1)"
BACKTICK = "PT Maju`);alert(1);//\\ Jaya"
SVG = "<svg onload=alert(1)>"
# Company names as planted, in seed order (0, 1: 62.02; 2: 62.71), then the two imported ones (62.02).
NAMES = (IMG, TEMPLATE, QUOTES, SCRIPT_END, BACKTICK)
HTML_PAGES = ("/", "/maps/province", "/maps/regency/62.02", "/maps/regency/62.71")


@pytest.fixture(scope="module")
def planted(server_url, template_db):
    """A server whose data carries the payloads, written by editors of 62.02 and 62.71."""
    url = create_database(server_url, template=template_db)
    company_ids, worker_ids, inspection_ids = fill(url)
    conn = psycopg2.connect(url)
    try:
        create_user(conn, "admin-xss", PASSWORD, "admin", "kesbangpol", None)
        create_user(conn, "editor-kotim", PASSWORD, "editor", "pemkab", ["62.02"])
        create_user(conn, "editor-palangka", PASSWORD, "editor", "pemkab", ["62.71"])
    finally:
        conn.close()
    server = LiveServer(url, {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "100"})
    try:
        kotim, palangka = token(server, "editor-kotim"), token(server, "editor-palangka")
        patch(server, kotim, f"/api/companies/{company_ids[0]}", {"name": IMG, "address": BREAKOUT})
        patch(server, kotim, f"/api/companies/{company_ids[1]}", {"name": TEMPLATE, "address": JS_URL})
        patch(server, palangka, f"/api/companies/{company_ids[2]}", {"name": QUOTES, "address": SCRIPT_END})
        patch(server, kotim, f"/api/workers/{worker_ids[0]}", {"full_name": IMG, "position": BREAKOUT})
        patch(server, kotim, f"/api/workers/{worker_ids[1]}", {"full_name": TEMPLATE, "position": JS_URL})
        patch(server, kotim, f"/api/workers/{worker_ids[2]}", {"full_name": SCRIPT_END, "position": SVG})
        patch(server, kotim, f"/api/inspections/{inspection_ids[0]}", {"notes": IMG, "follow_up": TEMPLATE})
        patch(server, kotim, f"/api/inspections/{inspection_ids[1]}", {"notes": SCRIPT_END, "follow_up": BACKTICK})
        patch(server, palangka, f"/api/inspections/{inspection_ids[2]}", {"notes": QUOTES, "follow_up": JS_URL})
        imported = import_companies(server, url, kotim, [
            ("6202000000901", SCRIPT_END, SVG, -2.55, 112.94),
            ("6202000000902", BACKTICK, TEMPLATE, -2.52, 112.97),
        ])
        ids = dict(zip(NAMES, [*company_ids, *imported], strict=True))
        yield server, url, ids
    finally:
        server.stop()
        drop_database(server_url, dbname_of(url))


def token(server: LiveServer, username: str) -> dict:
    r = httpx.post(f"{server.base}/api/auth/token", data={"username": username, "password": PASSWORD}, timeout=30)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def patch(server: LiveServer, headers: dict, path: str, body: dict) -> None:
    current = httpx.get(f"{server.base}{path}", headers=headers, timeout=30)
    assert current.status_code == 200, current.text
    r = httpx.patch(f"{server.base}{path}", json=body, timeout=30,
                    headers={**headers, "If-Match": current.headers["etag"]})
    assert r.status_code == 200, r.text
    for key, value in body.items():
        assert r.json()[key] == value  # stored as typed: the defence is in the output, not the input


def import_companies(server: LiveServer, url: str, headers: dict, rows: list[tuple]) -> list[int]:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["nib", "nama_perusahaan", "sektor", "kbli", "alamat", "kabupaten_kota", "kecamatan",
                "latitude", "longitude", "rptka_berlaku_hingga"])
    for nib, name, address, lat, lon in rows:
        w.writerow([nib, name, "Jasa", "02420", address, "", "", lat, lon, "2030-01-01"])
    r = httpx.post(f"{server.base}/api/imports/companies", headers=headers, timeout=60,
                   files={"file": ("xss.csv", out.getvalue().encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["imported"] == len(rows), r.text
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM companies WHERE nib = ANY(%s) ORDER BY nib", ([r[0] for r in rows],))
            found = [row[0] for row in cur.fetchall()]
    finally:
        conn.close()
    return found


class Watch:
    """Dialogs (which must never open), page errors, console errors and off-site requests of a page."""

    def __init__(self, page) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("request", lambda r: self.requests.append(r.url))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def foreign(self) -> list[str]:
        return [u for u in self.requests if urlsplit(u).scheme not in ("data", "file", "blob")
                and urlsplit(u).hostname != "127.0.0.1"]

    def check(self, where: str) -> None:
        assert self.dialogs == [], f"{where}: a dialog opened: {self.dialogs}"
        assert self.errors == [], f"{where}: {self.errors}"
        assert self.foreign() == [], where


def logged_in(browser, server: LiveServer, viewport=(1280, 800)):  # noqa: F811
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{server.base}/login?next=/companies/1")
    page.fill("#username", "admin-xss")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/companies/1$"))
    return context, page, watch


def wait_map(page) -> None:
    page.wait_for_selector("body[data-markers-drawn='1'][data-stats-drawn='1']", state="attached", timeout=30_000)


def search_tips(page, text: str) -> list[str]:
    if not page.locator(".leaflet-control-search input.search-input").is_visible():
        page.click(".leaflet-control-search .search-button")
    page.fill(".leaflet-control-search input.search-input", "")
    page.type(".leaflet-control-search input.search-input", text, delay=20)
    page.wait_for_selector(".leaflet-control-search .search-tip", timeout=15_000)
    page.wait_for_timeout(300)  # the company part of the answer follows the regions
    return page.locator(".leaflet-control-search .search-tip").evaluate_all("els => els.map(e => e.textContent)")


def open_popup(page, company_id: int) -> str:
    """The company's popup, opened by a real click on its marker (zoomed in so it is not clustered)."""
    page.evaluate("""(id) => {
        const st = window.PANTAU_STATE, f = st.layer.features.find(x => x.properties.id === id);
        st.layer.map.setView([f.geometry.coordinates[1], f.geometry.coordinates[0]], 17, {animate: false});
    }""", company_id)
    page.wait_for_timeout(300)
    xy = page.evaluate("""(id) => {
        const st = window.PANTAU_STATE, f = st.layer.features.find(x => x.properties.id === id);
        const p = st.layer.map.latLngToContainerPoint([f.geometry.coordinates[1], f.geometry.coordinates[0]]);
        const r = st.layer.map.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }""", company_id)
    page.mouse.click(xy[0], xy[1])
    page.wait_for_selector(".company-popup h6", timeout=15_000)
    name = page.locator(".company-popup h6").text_content()
    assert page.locator(".leaflet-popup img, .leaflet-popup script, .leaflet-popup svg").count() == 0
    page.evaluate("window.PANTAU_STATE.layer.map.closePopup()")
    return name


def hover_regions(page, n: int = 3) -> None:
    paths = page.locator(".leaflet-overlay-pane path[data-code]")
    for i in range(min(n, paths.count())):
        paths.nth(i).hover(force=True)
        page.wait_for_timeout(100)


def district_of(url: str, company_id: int) -> str:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT district_code FROM companies WHERE id = %s", (company_id,))
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_map_pages_search_popups_and_tooltips_run_no_planted_script(browser, planted):  # noqa: F811
    server, url, ids = planted
    context, page, watch = logged_in(browser, server)
    pages = [*HTML_PAGES, f"/maps/district/{district_of(url, ids[IMG])}",
             f"/maps/district/{district_of(url, ids[QUOTES])}"]
    for path in pages:
        page.goto(f"{server.base}{path}")
        wait_map(page)
        hover_regions(page)
        # The search box lists the planted names as text: no element made from them.
        for query, expected in (("onerror", {IMG}), ("alert", set(NAMES) - {QUOTES}), ("Jaya", {TEMPLATE, QUOTES, BACKTICK})):
            tips = search_tips(page, query)
            assert expected <= set(tips), (path, query, tips)
            assert page.locator(".leaflet-control-search .search-tip *").count() == 0, path
        page.keyboard.press("Escape")
        on_page = page.evaluate("window.PANTAU_STATE.layer.features.map(f => f.properties.id)")
        for name, cid in ids.items():
            if cid in on_page:
                assert open_popup(page, cid) == name, path
        watch.check(path)
    context.close()


def test_company_pages_show_planted_text_as_text(browser, planted):  # noqa: F811
    server, url, ids = planted
    context, page, watch = logged_in(browser, server)
    for name, cid in ids.items():
        page.goto(f"{server.base}/companies/{cid}")
        assert page.locator("h1").text_content() == name
        assert page.locator("main img, main script, main svg").count() == 0
        watch.check(f"/companies/{cid}")
    # Reflected, for good measure: a region code and a login target that are script.
    for path in ("/maps/regency/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", "/maps/district/%22%3E%3Csvg%20onload%3Dalert(1)%3E",
                 "/login?next=javascript:alert(1)"):
        page.goto(f"{server.base}{path}")
        assert page.locator("main img, main svg, main script").count() == 0, path
        assert watch.dialogs == [], path
    page.goto(f"{server.base}/companies/{ids[IMG]}")
    body = page.content()
    assert "javascript:" not in "".join(page.locator("a").evaluate_all("as => as.map(a => a.getAttribute('href') || '')"))
    assert IMG not in body  # escaped in the markup
    context.close()


def test_feature_html_pages_show_planted_text_as_text(browser, planted):  # noqa: F811
    server, _, ids = planted
    context, page, watch = logged_in(browser, server)
    for path in ("/api/collections/companies/items?f=html&limit=50", "/api/collections/inspections/items?f=html",
                 "/api/collections/companies/items?f=html&limit=2&offset=2"):
        r = page.goto(f"{server.base}{path}")
        assert r.status == 200 and r.headers["content-type"].startswith("text/html"), path
        assert page.locator("img, script, svg").count() == 0, path
        watch.check(path)
    page.goto(f"{server.base}/api/collections/companies/items?f=html&limit=50")
    text = page.locator("body").inner_text()
    for name in NAMES:
        assert name in text
    context.close()


def csp_directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_html_responses_forbid_inline_script(planted):
    """No 'unsafe-inline' for scripts on any HTML response: an injected handler or <script> would not run."""
    server, _, ids = planted
    cookies = httpx.post(f"{server.base}/api/auth/token", data={"username": "admin-xss", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {cookies.json()['access_token']}"}
    paths = [*HTML_PAGES, f"/companies/{ids[IMG]}", "/login", "/api/docs",
             "/api/collections/companies/items?f=html"]
    for path in paths:
        r = httpx.get(f"{server.base}{path}", headers=headers, timeout=30)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        csp = csp_directives(r.headers["content-security-policy"])
        scripts = csp.get("script-src", csp.get("default-src"))
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, (path, scripts)
        assert not [s for s in scripts if s.startswith(("http:", "https:", "*"))], (path, scripts)
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", r.text, re.I), f"{path}: inline event handler attribute"
        assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", r.text, re.I), f"{path}: javascript: URL"


def test_an_injected_script_is_blocked_by_the_policy(browser, planted):  # noqa: F811
    """Defence in depth: should escaping ever miss, the page's policy still refuses the script. The
    map page is served with its real headers and an <img onerror> and a <script> added to its body."""
    server, _, _ = planted
    context, page, watch = logged_in(browser, server)

    def tamper(route):
        response = route.fetch()
        body = response.text().replace("</main>", f"{IMG}<script>alert(2)</script></main>", 1)
        body = body.replace('<div class="map-wrap">', f'<div class="map-wrap">{IMG}<script>alert(3)</script>', 1)
        route.fulfill(response=response, body=body)

    page.route(re.compile(r".*/maps/province$"), tamper)
    page.route(re.compile(r".*/$"), tamper)
    for path in ("/maps/province", "/"):
        page.goto(f"{server.base}{path}")
        wait_map(page)  # the page's own scripts still run
        assert watch.dialogs == [], path
        refused = [e for e in watch.errors if "Content Security Policy" in e]
        assert len(refused) == 2, watch.errors  # the handler and the <script>, each refused
        # Besides those, only the <img>'s own "x" failing to load.
        assert len(watch.errors) - len(refused) <= 1 and all("404" in e for e in watch.errors if e not in refused)
        watch.errors.clear()
    context.close()


def test_api_docs_load_from_this_server_without_inline_script(browser, planted):  # noqa: F811
    server, _, _ = planted
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{server.base}/api/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "Pantau API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 10
    watch.check("/api/docs")
    context.close()


def current_quarter() -> str:
    today = date.today()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


TOOLTIPS = """async () => {
    const out = [];
    for (const key of Object.keys(window)) {
        if (!key.startsWith('map_') || !(window[key] instanceof L.Map)) continue;
        const map = window[key], markers = [];
        map.eachLayer(l => {
            if (l instanceof L.CircleMarker && l.getTooltip()) markers.push([l, null]);
            if (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup) markers.push(...l.getLayers().map(m => [m, l]));
        });
        for (const [m, cluster] of markers) {
            if (cluster && !map.hasLayer(m)) {  // inside a cluster: zoom in until it is drawn on its own
                await new Promise(r => cluster.zoomToShowLayer(m, r));
            }
            m.openTooltip();
            out.push(m.getTooltip().getElement().textContent.trim());
        }
    }
    return out;
}"""


def check_report(browser, path, clustered: bool) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    page = context.new_page()
    watch = Watch(page)
    page.goto(path.as_uri())
    page.wait_for_selector(".leaflet-overlay-pane path", state="attached", timeout=30_000)
    maps = page.locator(".folium-map").count()
    assert page.locator(".folium-map.leaflet-container").count() == maps == 15  # every map drew
    assert (page.locator(".marker-cluster").count() > 0) == clustered
    # Every company's tooltip, opened: the planted names as text, on their maps.
    tips = page.evaluate(TOOLTIPS)
    for name in NAMES:
        assert any(t.startswith(name + " — TKA") for t in tips), (name, tips)
    assert page.locator(".leaflet-tooltip img, .leaflet-tooltip script, .leaflet-tooltip svg").count() == 0
    page.locator(".leaflet-overlay-pane path").first.hover(force=True)  # a region's tooltip
    page.wait_for_selector(".leaflet-tooltip table.report-tip", timeout=5_000)
    watch.check(path.name)
    csp = page.locator("meta[http-equiv='Content-Security-Policy']")
    assert csp.count() == 1
    scripts = csp_directives(csp.get_attribute("content"))["script-src"]
    assert "'unsafe-inline'" not in scripts and all(s.startswith("'sha256-") for s in scripts), scripts
    context.close()


def test_offline_report_runs_no_planted_script_and_draws_its_maps(browser, planted, tmp_path):  # noqa: F811
    """`pantau report --format html` as an operator runs it, opened from disk with no network."""
    _, url, _ = planted
    out = tmp_path / f"laporan-{uuid.uuid4().hex[:6]}.html"
    done = subprocess.run([sys.executable, "-m", "geo.cli", "report", "--period", current_quarter(), "--format", "html",
                           "--out", str(out)], cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": url},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    check_report(browser, out, clustered=False)


def test_offline_report_with_clustered_points(browser, planted, tmp_path, monkeypatch):  # noqa: F811
    """Above MARKER_LIMIT a map's points are clustered: the same names, the same policy."""
    from geo.filters import MonitoringFilter
    from geo.reports import html
    from geo.reports.build import build_report
    from geo.reports.content import Options
    from geo.reports.period import Quarter

    _, url, _ = planted
    monkeypatch.setattr(html, "MARKER_LIMIT", 1)
    conn = psycopg2.connect(url)
    try:
        body = build_report(conn, Options(Quarter.parse(current_quarter()), MonitoringFilter()), "html").body
    finally:
        conn.close()
    out = tmp_path / "laporan-klaster.html"
    out.write_bytes(body)
    check_report(browser, out, clustered=True)
