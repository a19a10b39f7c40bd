"""Reports read back: PDF text and pages vs /api/stats, offline HTML in Chromium with no network,
XLSX types and totals, determinism, suppression, scope and roles, bad input, audit."""

from __future__ import annotations

import io
import re
import subprocess

import httpx
import openpyxl
import psycopg2
import pytest

from tests import test_reports_data as dataset
from tests.conftest import LiveServer
from tests.test_reports_data import EMPTY_REGENCY, PERIOD

pytestmark = pytest.mark.slow  # reports built for real

known_db = dataset.known_db  # the module's dataset fixture

FRONT_PAGES = 11  # the meeting pack's two (no meeting: one page each), the workers' six, the three of foreign nationals


@pytest.fixture(scope="module")
def server(known_db):
    url, _ = known_db
    srv = LiveServer(url)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def token(server, known_db):
    from geo.auth.users import create_user

    url, _ = known_db
    cache = {}

    def get(role="admin", regencies=None):
        key = (role, tuple(regencies or ()))
        if key not in cache:
            name, pw = f"rep-{role}-{len(cache)}", "pw-Report-Test-123456"
            conn = psycopg2.connect(url)
            try:
                create_user(conn, name, pw, role, "kesbangpol", regencies)
            finally:
                conn.close()
            r = httpx.post(f"{server.base}/api/auth/token", data={"username": name, "password": pw}, timeout=30)
            r.raise_for_status()
            cache[key] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return cache[key]

    return get


def report(server, headers, **params) -> httpx.Response:
    return httpx.get(f"{server.base}/api/reports", params={"period": PERIOD, **params}, headers=headers, timeout=300)


def pdf_pages(body: bytes, tmp_path) -> list[str]:
    f = tmp_path / "r.pdf"
    f.write_bytes(body)
    info = subprocess.run(["pdfinfo", str(f)], capture_output=True, text=True, check=True).stdout
    n = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    text = subprocess.run(["pdftotext", "-layout", str(f), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[:n]
    assert len(pages) == n
    return pages


def shown(v: int) -> str:
    return "<3" if 0 < v < 3 else str(v)


@pytest.fixture(scope="module")
def admin_pdf(server, token):
    r = report(server, token("admin"), format="pdf")
    assert r.status_code == 200, r.text
    return r


def test_pdf_regencies_figures_equal_api_and_page_count(server, token, admin_pdf, tmp_path):
    assert admin_pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in admin_pdf.headers["content-disposition"]
    pages = pdf_pages(admin_pdf.content, tmp_path)
    api = httpx.get(f"{server.base}/api/stats/regency", headers=token("admin"), timeout=60).json()["regions"]
    summary = httpx.get(f"{server.base}/api/stats/summary", headers=token("admin"), timeout=60).json()
    assert len(api) == 14
    text = "\n".join(pages)
    summary_page = pages[1]
    for region in api:
        assert region["name"] in text
        # the summary table row: name, companies, workers, expired permits ...
        line = next(ln for ln in summary_page.splitlines() if ln.strip().startswith(region["name"]))
        cells = line.split(region["name"], 1)[1].split()
        # exact, except that the secondary rule may hide one more cell of a column (shown "<3")
        assert cells[0] == str(region["companies"]), line
        for cell, key in zip(cells[1:3], ("foreign_workers", "permits_expired"), strict=True):
            assert cell == shown(region[key]) or cell == "<3", line
            if 0 < region[key] < 3:
                assert cell == "<3", line
    total = next(ln for ln in summary_page.splitlines() if ln.strip().startswith("Jumlah"))
    assert total.split()[1:3] == [str(summary["companies"]), str(summary["foreign_workers"])]
    assert any(r["code"] == EMPTY_REGENCY and r["companies"] == 0 for r in api)
    # fixed pages, then one atlas page per regency in code order, then the annex
    atlas = [i for i, p in enumerate(pages) if "Atlas: " in p]
    assert atlas == list(range(FRONT_PAGES, FRONT_PAGES + 14))
    for i, region in zip(atlas, sorted(api, key=lambda r: r["code"]), strict=True):
        assert f"Atlas: {region['name']}" in pages[i]
    assert all("Lampiran" in p for p in pages[FRONT_PAGES + 14:])
    # every page carries the trace line with the hash
    digest = admin_pdf.headers["x-content-hash"]
    assert re.fullmatch(r"[0-9a-f]{12}", digest)
    assert all(f"Hash {digest}" in p.replace("\n", " ") or digest in p for p in pages)


def test_pdf_is_deterministic(server, token, admin_pdf, known_db):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from geo.filters import MonitoringFilter
    from geo.reports.build import build_report
    from geo.reports.content import Options
    from geo.reports.period import Quarter

    # the same data on the same day: the same content hash, whatever minute it was made in
    again = report(server, token("admin"), format="pdf")
    assert again.headers["x-content-hash"] == admin_pdf.headers["x-content-hash"]
    # made at the same moment ('data per', creation date): the same bytes
    moment = datetime(2026, 12, 5, 14, 7, tzinfo=ZoneInfo("Asia/Jakarta"))
    conn = psycopg2.connect(known_db[0])
    try:
        one, two = (build_report(conn, Options(Quarter.parse(PERIOD), MonitoringFilter(), now=moment), "pdf")
                    for _ in range(2))
    finally:
        conn.close()
    assert one.body == two.body


def test_suppression_shown_and_switchable(server, token, admin_pdf, tmp_path):
    pages = pdf_pages(admin_pdf.content, tmp_path)
    assert "<3" in pages[1] and "UU 27/2022" in pages[0]
    raw = report(server, token("admin"), format="pdf", suppress="false")
    raw_pages = pdf_pages(raw.content, tmp_path)
    assert "<3" not in raw_pages[1]
    assert "Tanpa penyamaran" in raw_pages[0]
    assert raw.headers["x-content-hash"] != admin_pdf.headers["x-content-hash"]


def test_regency_scoped_user_sees_only_their_regency(server, token, tmp_path):
    r = report(server, token("viewer", ["62.02"]), format="pdf")
    assert r.status_code == 200, r.text
    pages = pdf_pages(r.content, tmp_path)
    text = "\n".join(pages)
    assert "Kotawaringin Timur" in text and "Kapuas" not in text and "Gunung Mas" not in text
    assert [i for i, p in enumerate(pages) if "Atlas: " in p] == [FRONT_PAGES]


def test_xlsx_sheets_types_totals_and_personal_data(server, token, known_db):
    _, made = known_db
    r = report(server, token("viewer"), format="xlsx")
    assert r.status_code == 200, r.text
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["Keterangan", "tindak_lanjut", "kabupaten_kota", "kecamatan", "kewarganegaraan", "perusahaan",
                             "izin_berakhir", "pemeriksaan", "temuan", "selisih_terbuka", "selisih_diselesaikan",
                             "orang_asing_tujuan", "orang_asing_izin",
                             "orang_asing_kewarganegaraan", "penginapan", "kegiatan_jenis", "kegiatan"]
    ws = wb["kabupaten_kota"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 15 and rows[-1][1] == "Jumlah"
    assert rows[-1][2] == len(made["companies"]) and rows[-1][3] == len(made["workers"])
    assert all(isinstance(x[2], int) for x in rows)
    comp = list(wb["perusahaan"].iter_rows(min_row=2, values_only=True))
    assert len(comp) == len(made["companies"])
    assert any(hasattr(x[8], "year") for x in comp)  # RPTKA date is a real date cell
    everything = " ".join(str(c) for s in wb for row in s.iter_rows(values_only=True) for c in row)
    assert "Pekerja Rahasia" not in everything and "X0000000" not in everything
    assert "hash" in everything.lower()
    denied = report(server, token("viewer"), format="xlsx", personal="true")
    assert denied.status_code == 400 and "personal" in denied.text
    ok = report(server, token("analyst"), format="xlsx", personal="true")
    wb2 = openpyxl.load_workbook(io.BytesIO(ok.content))
    assert wb2.sheetnames[-1] == "tka" and wb2["tka"].max_row == len(made["workers"]) + 1


def test_html_offline_in_chromium_with_zero_network(server, token, tmp_path):
    from playwright.sync_api import sync_playwright

    r = report(server, token("admin"), format="html")
    assert r.status_code == 200, r.text
    f = tmp_path / "r.html"
    f.write_bytes(r.content)
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page()

        def handle(route):
            if route.request.url.startswith("file://"):
                return route.continue_()
            requests.append(route.request.url)
            return route.abort()

        page.route("**/*", handle)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f.as_uri())
        page.wait_for_selector(".leaflet-overlay-pane path", state="attached", timeout=30000)
        maps = page.locator(".folium-map.leaflet-container").count()
        paths = page.locator(".leaflet-overlay-pane path").count()
        text = page.inner_text("body")
        browser.close()
    assert requests == []
    assert errors == []
    assert maps == 15 and paths > 14
    assert "Kabupaten Kotawaringin Timur" in text and "Kota Palangkaraya" in text or "Palangka" in text


def test_bad_input_and_auth(server, token):
    h = token("admin")
    r = report(server, h, format="pdf", period="2026-Q5")
    assert r.status_code == 400 and "2026-Q5" in r.text and "period" in r.text
    assert report(server, h, format="doc").status_code == 400
    r = report(server, h, regency="62.99")
    assert r.status_code == 400 and "62.99" in r.text
    assert httpx.get(f"{server.base}/api/reports", params={"period": PERIOD}, timeout=30).status_code == 401


def test_export_is_audited(server, token, known_db, admin_pdf):
    url, _ = known_db
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM audit_log WHERE action = 'report.export' AND detail->>'hash' = %s",
                    (admin_pdf.headers["x-content-hash"],))
        assert cur.fetchone()[0] >= 1
    conn.close()
