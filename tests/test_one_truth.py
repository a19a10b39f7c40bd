"""One truth at one moment (#15 items 3, 9, 10): the home page, the API, the PDF atlas, the offline
HTML report and the XLSX annex made for the same filter in the same minute show the same figures,
the same 'data per' day and the same map classes; a running quarter is marked and compared with
the same days of the last; suppressed counts stay out of the way of Excel's SUM; the PDF carries
its real creation date. Against a real server and the demo dataset made for today."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from html import unescape

import httpx
import openpyxl
import psycopg2
import pytest

from geo import clock
from geo.maps.classify import SMALL_COLOR
from geo.reports.content import PERSON_COLUMNS
from geo.reports.period import Quarter
from geo.reports.tables import REGION_KEYS
from geo.settings import PROJECT_ROOT
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database

pytestmark = pytest.mark.slow  # a demo dataset, a server and three reports per filter: ~1 min

PASSWORD = "Satu-Kebenaran-Uji-2026"
FILTERS = [{}, {"sector": "perkebunan_sawit"}]
HOME_COLUMNS = {"Perusahaan": "companies", "Pekerja asing": "foreign_workers", "Izin ≤ 90 hari": "permits_expiring_90d",
                "Belum diperiksa 12 bln": "not_inspected_12m"}


@pytest.fixture(scope="module")
def truth(server_url, template_db):
    from geo.auth.users import create_user

    url = create_database(server_url, template=template_db)
    done = subprocess.run([sys.executable, "-m", "geo.cli", "demo"], cwd=PROJECT_ROOT,  # data made for today
                          env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    conn = psycopg2.connect(url)
    try:
        create_user(conn, "analis-rakor", PASSWORD, "analyst", "kesbangpol", None)
    finally:
        conn.close()
    server = LiveServer(url)
    client = httpx.Client(base_url=server.base, timeout=300)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert client.post("/login", data={"username": "analis-rakor", "password": PASSWORD, "csrf_token": token,
                                       "next": "/"}).status_code == 303
    yield url, client
    client.close()
    server.stop()
    drop_database(server_url, dbname_of(url))


# --- reading each output -------------------------------------------------------------------------
def _int(text: str) -> int:
    return int(text.replace(".", ""))


def _breaks(text: str) -> list[tuple[int, int]]:
    """'... : 0 · 1–2 · 14–19 · 20–35' → [(0, 0), (1, 2), (14, 19), (20, 35)]."""
    m = re.search(r"Kelas peta[^:<]*:[^:<]*:\s*([0-9.·–\s]+)", " ".join(text.split()))
    assert m, text[:2000]
    out = []
    for part in m.group(1).strip(". ").split("·"):
        lo, _, hi = part.strip().partition("–")
        out.append((_int(lo), _int(hi or lo)))
    return out


def _stamp_day(text: str) -> str:
    m = re.search(r"[Dd]ata per (\d{1,2} \w+ \d{4}) (\d\d:\d\d) WIB", text)
    assert m, text[:500]
    return m.group(1)


def home_page(client, flt: dict) -> dict:
    html = client.get("/", params=flt).text
    figures = {k: _int(v) for k, v in re.findall(r'data-figure="(\w+)">\s*([\d.]+)\s*<', html)}
    table = html[html.index('id="regency-table"'):]
    heads = [unescape(re.sub(r"<[^>]+>", "", h)).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", table.split("</thead>")[0])]
    keys = [HOME_COLUMNS.get(h) for h in heads]
    rows = {}
    for code, cells in re.findall(r'href="/maps/regency/(62\.\d\d)[^"]*">.*?</a></td>(.*?)</tr>', table, re.S):
        values = [_int(v) for v in re.findall(r"<td[^>]*>\s*([\d.]+)\s*</td>", cells)]
        rows[code] = {k: v for k, v in zip(keys[1:], values, strict=True) if k}
    return {"figures": figures, "regencies": rows, "day": _stamp_day(html)}


def pdf_pages(body: bytes, tmp_path) -> list[str]:
    f = tmp_path / "r.pdf"
    f.write_bytes(body)
    text = subprocess.run(["pdftotext", "-layout", str(f), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")


def pdf_regencies(summary_page: str, names: dict[str, str]) -> dict[str, list[str]]:
    out = {}
    for code, name in names.items():
        line = next(ln for ln in summary_page.splitlines() if ln.strip().startswith(name + " ") or ln.strip() == name)
        out[code] = line.split(name, 1)[1].split()
    return out


def html_regencies(html: str) -> dict[str, list[str]]:
    """The rows of the 'Ringkasan' table."""
    summary = html[html.index("<h2>Ringkasan</h2>"):]
    summary = summary[:summary.index("</table>")]
    out = {}
    for code, cells in re.findall(r"<tr><td>(62\.\d\d)</td><td>[^<]*</td>(.*?)</tr>", summary):
        out[code] = [unescape(v) for v in re.findall(r"<td[^>]*>([^<]*)</td>", cells)]
    return out


def agrees(published, raw: int, key: str = "foreign_workers") -> bool:
    """A published count equals the raw one; a count of persons may be hidden (and must be when
    1 or 2); companies and inspections are never hidden."""
    if key not in PERSON_COLUMNS:
        return str(published).replace(".", "") == str(raw)
    if published in ("<3", "#N/A"):
        return True
    return _int(str(published)) == raw and not 0 < raw < 3


# --- the acceptance test -------------------------------------------------------------------------
@pytest.mark.parametrize("flt", FILTERS, ids=["no-filter", "sector"])
def test_home_api_pdf_html_xlsx_agree(truth, flt, tmp_path):
    url, client = truth
    quarter = str(Quarter.containing(clock.today()))
    started = clock.as_of()
    home = home_page(client, flt)
    web = client.get("/maps/data/regions.json", params={"level": "regency", "parent": "62", "measure": "foreign_workers",
                                                        **flt}).json()
    api = {r["code"]: r for r in client.get("/api/stats/regency", params=flt).json()["regions"]}
    summary = client.get("/api/stats/summary", params=flt).json()
    made = {}
    for fmt in ("pdf", "html", "xlsx"):
        r = client.get("/api/reports", params={"period": quarter, "format": fmt, **flt})
        assert r.status_code == 200, r.text
        made[fmt] = r
    finished = clock.as_of()
    assert finished - started <= timedelta(minutes=2)
    assert len({made[f].headers["x-content-hash"] for f in made}) == 1  # one content behind the three files

    pages = pdf_pages(made["pdf"].content, tmp_path)
    html = made["html"].content.decode("utf-8")
    wb = openpyxl.load_workbook(io.BytesIO(made["xlsx"].content))
    notes = {row[0]: row[1] for row in wb["Keterangan"].iter_rows(values_only=True)}
    names = {code: r["name"] for code, r in api.items()}

    # 'data per': the same day everywhere, a moment between the first and the last request
    day = home["day"]
    assert {day, _stamp_day(pages[1]), _stamp_day(html), _stamp_day(f"Data per {notes['Data per']}")} == {day}
    assert day == clock.stamp(started).rsplit(" ", 2)[0] or day == clock.stamp(finished).rsplit(" ", 2)[0]

    # totals: the home page's cards = /api/stats/summary = the PDF's key figures = the XLSX total row
    for key in ("companies", "foreign_workers", "permits_expiring_90d", "inspections_quarter"):
        assert home["figures"][key] == summary[key], key
    keyfig = {ln.strip().rsplit(None, 1)[0]: ln.strip().rsplit(None, 1)[1] for ln in pages[1].splitlines()
              if re.match(r"^\s+\S.*\s\S+$", ln) and ln.strip().rsplit(None, 1)[1].replace("<", "").isdigit()}
    assert agrees(keyfig["Perusahaan pemberi kerja TKA"], summary["companies"], "companies")
    assert agrees(keyfig["Izin kerja kedaluwarsa"], summary["permits_expired"], "permits_expired")
    assert agrees(keyfig["Izin kerja berakhir <=90 hari"], summary["permits_expiring_90d"], "permits_expiring_90d")
    assert agrees(keyfig["Pemeriksaan dalam periode"], summary["inspections_quarter"], "inspections")
    assert agrees(keyfig["Perusahaan belum diperiksa 12 bulan"], summary["not_inspected_12m"], "not_inspected_12m")
    sheet = {row[0]: row for row in wb["kabupaten_kota"].iter_rows(min_row=2, values_only=True)}
    total = next(row for row in sheet.values() if row[1] == "Jumlah")
    for i, key in enumerate(REGION_KEYS):
        if key in summary:
            assert agrees(total[2 + i], summary[key], key), key
        assert total[2 + i] == "#N/A" or total[2 + i] == sum(r[key] for r in api.values()), key

    # per regency: home table = API = PDF table = HTML table = XLSX sheet
    in_pdf, in_html = pdf_regencies(pages[1], names), html_regencies(html)
    assert set(home["regencies"]) == set(api) == set(in_pdf) == set(in_html) == set(sheet) - {"62"}
    for code, raw in api.items():
        for key, value in home["regencies"][code].items():
            assert value == raw[key], (code, key)
        for i, key in enumerate(REGION_KEYS):
            for where, cell in (("pdf", in_pdf[code][i]), ("html", in_html[code][i]), ("xlsx", sheet[code][2 + i])):
                assert agrees(cell, raw[key], key), (where, code, key, cell, raw[key])
            assert in_pdf[code][i] == in_html[code][i].replace(".", "")  # paper and file print the same cell

    # the same classes on screen, in the PDF, the HTML and the XLSX; the same colours on screen and in the HTML
    breaks = [tuple(b) for b in web["breaks"]]
    assert len(breaks) >= 3
    province_page = next(p for p in pages if "Kelas peta" in p)
    assert _breaks(province_page) == breaks
    assert _breaks(html) == breaks
    assert _breaks(f"Kelas peta: x: {notes['Kelas peta TKA'].split(': ', 1)[1]}") == breaks
    fills = dict(re.findall(r'\{[^{}]*"code":\s*"(62\.\d\d)"[^{}]*"fill":\s*"(#[0-9a-fA-F]{6})"[^{}]*\}', html))
    assert set(fills) == set(api)
    for code, region in web["regions"].items():
        hidden = in_html[code][REGION_KEYS.index("foreign_workers")] == "<3"
        assert fills[code] == (SMALL_COLOR if hidden else region["fill"]), (code, fills[code], region["fill"])


# --- a running quarter ----------------------------------------------------------------------------
def test_running_quarter_is_marked_and_compared_with_the_same_days(truth, tmp_path):
    url, client = truth
    today = clock.today()
    window = Quarter.containing(today).until(today)
    if not window.partial:
        pytest.skip("the last day of a quarter: nothing is running")
    previous = window.previous()
    r = client.get("/api/reports", params={"period": str(window.quarter), "format": "pdf"})
    page = " ".join(pdf_pages(r.content, tmp_path)[1].split())
    assert window.label in page and previous.label in page  # "2026-Q4 s.d. 6 Desember 2026", "2026-Q3 s.d. ..."
    assert f"{window.days} hari pertama" in page
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FILTER (WHERE inspected_on BETWEEN %s AND %s), "
                        "count(*) FILTER (WHERE inspected_on BETWEEN %s AND %s) FROM inspections",
                        (window.start, window.end, previous.start, previous.end))
            now, then = cur.fetchone()
    finally:
        conn.close()
    m = re.search(r"Pemeriksaan (\d+) (\d+) ([+-]?\d+) Pemeriksaan dengan temuan", page)
    assert m, page
    assert (int(m.group(1)), int(m.group(2)), int(m.group(3))) == (now, then, now - then)


# --- numbers stay numbers ------------------------------------------------------------------------
def test_xlsx_counts_stay_numeric_and_the_pdf_has_its_real_date(truth, tmp_path):
    url, client = truth
    quarter = str(Quarter.containing(clock.today()))
    made = clock.as_of()
    xlsx = client.get("/api/reports", params={"period": quarter, "format": "xlsx"})
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    hidden = 0
    for name in ("kabupaten_kota", "kecamatan"):
        ws = wb[name]
        first = 2 if name == "kabupaten_kota" else 3
        for row in ws.iter_rows(min_row=2):
            for cell in row[first:]:
                # a number, or the error value #N/A (SUM over it is #N/A, never a silently short total)
                assert cell.data_type == "n" or (cell.data_type == "e" and cell.value == "#N/A"), (name, cell.coordinate,
                                                                                                  cell.value)
                hidden += cell.data_type == "e"
        flagged = [c for c in ws[1] if c.comment is not None]
        assert flagged and all("#N/A" in c.comment.text for c in flagged)
    assert hidden > 0  # the demo has small counts: the test looks at suppressed cells
    companies = wb["perusahaan"]
    tka = [c.value for c in companies[1]].index("TKA")
    assert all(r[tka].data_type in ("n", "e") for r in companies.iter_rows(min_row=2))
    everything = [c.value for ws in wb for row in ws.iter_rows() for c in row if ws.title != "Keterangan"]
    assert not any(isinstance(v, str) and v.startswith("<") for v in everything)

    pdf = client.get("/api/reports", params={"period": quarter, "format": "pdf"})
    f = tmp_path / "r.pdf"
    f.write_bytes(pdf.content)
    info = subprocess.run(["pdfinfo", "-isodates", str(f)], capture_output=True, text=True, check=True).stdout
    created = datetime.fromisoformat(re.search(r"CreationDate:\s+(\S+)", info).group(1))
    assert created.utcoffset() == timedelta(hours=7)  # WIB
    assert made <= created <= clock.as_of()  # the report's own moment, not 1 January 2000
    assert f"Data per {clock.stamp(created)}" in pdf_pages(pdf.content, tmp_path)[0].replace("\n", " ") or \
        clock.stamp(created) in " ".join(pdf_pages(pdf.content, tmp_path)[0].split())
