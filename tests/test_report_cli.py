"""`pantau report` as an operator runs it: a subprocess against a throwaway database filled by
`pantau demo` (DATABASE_URL in its environment). Outputs are read back (pdfinfo/pdftotext, openpyxl,
the HTML text); bad options exit 1 with a message naming the option and the value."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile

import openpyxl
import psycopg2
import pytest

from geo.settings import PROJECT_ROOT
from tests.dbutil import create_database, dbname_of, drop_database

pytestmark = pytest.mark.slow  # reports built for real by `pantau report`

PERIOD = "2026-Q4"
DEMO_DAY = "2026-11-28"
MADE_AT = "1796454420"  # SOURCE_DATE_EPOCH: 5 December 2026 14:07 WIB
FRONT_PAGES = 11  # the meeting pack's two (the demo's last rakor), the workers' six, the three of foreign nationals


def pantau(url: str, *args, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "geo.cli", *map(str, args)], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def demo_db(server_url, template_db):
    url = create_database(server_url, template=template_db)
    done = pantau(url, "demo", "--today", DEMO_DAY)
    assert done.returncode == 0, done.stderr
    yield url
    drop_database(server_url, dbname_of(url))


def pdf_text(path) -> tuple[int, list[str]]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    n = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return n, text.split("\f")[:n]


def reported_hash(result: subprocess.CompletedProcess) -> str:
    m = re.search(r"hash ([0-9a-f]{12})\)", result.stdout)
    assert m, result.stdout
    return m.group(1)


def query(url: str, sql: str, params=()) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


def test_pdf_province(demo_db, tmp_path):
    out = tmp_path / "provinsi.pdf"
    r = pantau(demo_db, "report", "--period", PERIOD, "--format", "pdf", "--out", out)
    assert r.returncode == 0, r.stderr
    digest = reported_hash(r)
    assert out.read_bytes().startswith(b"%PDF")
    n, pages = pdf_text(out)
    regencies = query(demo_db, "SELECT name FROM boundaries WHERE level = 'regency' ORDER BY code")
    assert len(regencies) == 14
    atlas = [i for i, p in enumerate(pages) if "Atlas: " in p]
    assert atlas == list(range(FRONT_PAGES, FRONT_PAGES + 14))
    assert "Triwulan IV 2026" in pages[0]
    for (name,) in regencies:
        assert name in pages[1]
    # The pack follows the demo's last rakor (geo/demo/meetings.py), its overdue ones marked.
    assert "Rakor terakhir:" in pages[2] and "Aula Kesbangpol Provinsi Kalimantan Tengah" in pages[2]
    assert "Terlambat" in pages[2]
    assert all(digest in p for p in pages)
    assert all("Lampiran" in p for p in pages[FRONT_PAGES + 14:]) and n > FRONT_PAGES + 14


def test_pdf_one_regency_has_a_page_per_district_with_workers(demo_db, tmp_path):
    out = tmp_path / "6202.pdf"
    r = pantau(demo_db, "report", "--period", PERIOD, "--regency", "62.02", "--out", out)
    assert r.returncode == 0, r.stderr
    districts = query(demo_db, "SELECT name FROM boundaries WHERE level = 'district' AND parent_code = '62.02' "
                               "ORDER BY code")
    _, pages = pdf_text(out)
    atlas = [re.search(r"Atlas: (.+)", p).group(1).strip() for p in pages if "Atlas: " in p]
    # districts without workers are listed on one page instead of a page each (tests/test_report_regency.py)
    empty = next((p for p in pages if "Kecamatan tanpa TKA" in p), "")
    assert len(atlas) > 1
    for (name,) in districts:
        assert (name in atlas) != (f" {name} " in f" {' '.join(empty.split())} "), name
    assert atlas == [name for (name,) in districts if name in atlas]  # in code order
    text = "\n".join(pages)
    assert "Kotawaringin Timur" in text and "Atlas: Kapuas" not in text
    assert "kabupaten/kota=62.02" in pages[0]


def test_html_is_one_offline_file(demo_db, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", MADE_AT)  # the report's moment ('data per'): the same file twice
    out = tmp_path / "r.html"
    r = pantau(demo_db, "report", "--period", PERIOD, "--format", "html", "--out", out)
    assert r.returncode == 0, r.stderr
    html = out.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and f'content="{reported_hash(r)}"' in html
    # nothing fetched from anywhere: no external script, stylesheet or image
    assert not re.search(r"""<(script|link|img)\b[^>]*\b(src|href)=["']?(https?:)?//""", html, re.I)
    assert html.count("folium-map") >= 15
    again = tmp_path / "again.html"
    assert pantau(demo_db, "report", "--period", PERIOD, "--format", "html", "--out", again).returncode == 0
    assert again.read_bytes() == out.read_bytes()  # Folium's random element ids are renumbered


def test_xlsx_deterministic_and_without_personal_data(demo_db, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", MADE_AT)
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    r1 = pantau(demo_db, "report", "--period", PERIOD, "--format", "xlsx", "--out", a)
    assert r1.returncode == 0, r1.stderr
    r2 = pantau(demo_db, "report", "--period", PERIOD, "--format", "xlsx", "--out", b)
    assert r2.returncode == 0, r2.stderr
    # seconds apart (zip times have a 2 s resolution, openpyxl would stamp the wall clock): same bytes
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:  # every entry dated with the report's moment (WIB), not the wall clock
        stamps = {i.date_time for i in z.infolist()}
    assert stamps == {(2026, 12, 5, 14, 7, 0)}
    wb = openpyxl.load_workbook(io.BytesIO(a.read_bytes()))
    assert "tka" not in wb.sheetnames and wb.sheetnames[0] == "Keterangan"
    assert wb.properties.modified == wb.properties.created
    everything = " ".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row)
    names = query(demo_db, "SELECT full_name, passport_number FROM foreign_workers ORDER BY id LIMIT 20")
    for name, passport in names:
        assert name not in everything and passport not in everything
    companies = query(demo_db, "SELECT count(*) FROM companies")[0][0]
    assert wb["perusahaan"].max_row == companies + 1


def test_no_suppress_shows_small_counts(demo_db, tmp_path):
    kept, raw = tmp_path / "kept.xlsx", tmp_path / "raw.xlsx"
    r1 = pantau(demo_db, "report", "--period", PERIOD, "--format", "xlsx", "--out", kept)
    r2 = pantau(demo_db, "report", "--period", PERIOD, "--format", "xlsx", "--no-suppress", "--out", raw)
    assert r1.returncode == 0 and r2.returncode == 0, r1.stderr + r2.stderr
    assert reported_hash(r1) != reported_hash(r2)

    def cells(path):
        wb = openpyxl.load_workbook(path)
        return [v for row in wb["kecamatan"].iter_rows(min_row=2, values_only=True) for v in row[3:]], wb

    hidden, wb1 = cells(kept)
    shown, wb2 = cells(raw)
    # hidden counts are the error value #N/A (SUM says #N/A), never the text "<3" in a numeric column
    assert "#N/A" in hidden and "<3" not in hidden and "#N/A" not in shown
    assert any(isinstance(v, int) and 0 < v < 3 for v in shown)
    assert "Tanpa penyamaran" in str(wb2["Keterangan"]["B8"].value)
    assert "UU 27/2022" in str(wb1["Keterangan"]["B8"].value)


@pytest.mark.parametrize(("args", "words"), [
    (("--agency", "tidak-ada"), ("agency", "tidak-ada")),
    (("--period", "2026-Q5"), ("period", "2026-Q5")),
    (("--period", "Q3-2026"), ("period", "Q3-2026")),
    (("--format", "doc"), ("format", "doc")),
    (("--regency", "62.99"), ("62.99",)),
])
def test_bad_options_exit_1_naming_them(demo_db, tmp_path, args, words):
    out = tmp_path / "x.out"
    base = {"--period": PERIOD}
    opts = dict(zip(args[::2], args[1::2], strict=True))
    argv = [a for k, v in {**base, **opts}.items() for a in (k, v)]
    r = pantau(demo_db, "report", *argv, "--out", out, timeout=120)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    for w in words:
        assert w in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_html_clustered_points_render_offline(demo_db, tmp_path, monkeypatch):
    """Above MARKER_LIMIT points a map gets one FastMarkerCluster: it must run in Chromium from
    file:// with no request and no script error (the limit is lowered so the demo data crosses it)."""
    from playwright.sync_api import sync_playwright

    from geo.filters import MonitoringFilter
    from geo.reports import html
    from geo.reports.build import build_report
    from geo.reports.content import Options
    from geo.reports.period import Quarter

    monkeypatch.setattr(html, "MARKER_LIMIT", 5)
    conn = psycopg2.connect(demo_db)
    try:
        body = build_report(conn, Options(Quarter.parse(PERIOD), MonitoringFilter()), "html").body
    finally:
        conn.close()
    assert b"L.markerClusterGroup" in body
    f = tmp_path / "clustered.html"
    f.write_bytes(body)
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()

        def handle(route):
            if route.request.url.startswith("file://"):
                return route.continue_()
            requests.append(route.request.url)
            return route.abort()

        page.route("**/*", handle)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f.as_uri())
        page.wait_for_selector(".marker-cluster", state="attached", timeout=60000)
        maps = page.locator(".folium-map.leaflet-container").count()
        browser.close()
    assert requests == [] and errors == []
    assert maps == 15
