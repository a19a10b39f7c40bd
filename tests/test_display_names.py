"""Words people read, not codes (#15 item 8): Indonesian names for nationalities ("Tiongkok", never
"Cina"), agencies, position levels and statuses, dates as '1 Desember 2026', on the web pages, in the
PDF, the HTML report and the XLSX annex; the nationality filter takes names as well as codes."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date, timedelta
from html import unescape

import httpx
import psycopg2
import pytest
from openpyxl import load_workbook

from geo import formatting, labels
from geo.auth.users import create_user
from geo.filters import FilterError, from_params
from tests.browser import data as browser_data
from tests.browser.fixtures import PASSWORD
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database
from tests.seed import WORKERS

TIMEOUT = 120


# --- the one table of names -----------------------------------------------------------------------
def test_nationality_names_are_indonesian_with_tiongkok():
    assert labels.nationality("CN") == "Tiongkok"
    assert labels.nationality("LK") == "Sri Lanka"
    assert labels.nationality("KR") == "Korea Selatan"
    assert labels.nationality("TW") == "Taiwan"  # not pycountry's "Taiwan, Provinsi China"
    names = [n for n, _ in labels.nationality_choices()]
    assert "Tiongkok" in names and not any("Cina" in n or "China" in n for n in names)
    assert names == sorted(names, key=str.casefold)


@pytest.mark.parametrize("typed", ["CN", "cn", " Cn ", "CHN", "Tiongkok", "TIONGKOK", "china", "RRT", "Cina"])
def test_names_and_codes_of_china(typed):
    assert labels.nationality_code(typed) == "CN"


def test_every_suggestion_reads_back_as_its_code():
    for name, code in labels.nationality_choices():
        assert labels.nationality_code(name) == code, name
        assert labels.nationality_code(code.lower()) == code


def test_filter_parsing_accepts_names_and_refuses_unknown_ones():
    assert from_params(nationality="China, tiongkok,MY,sri lanka").nationality == ("CN", "MY", "LK")
    with pytest.raises(FilterError, match="Narnia"):
        from_params(nationality="CN,Narnia")
    with pytest.raises(FilterError):
        from_params(nationality="XX")  # two letters that are no country: an error, not 'no workers'


def test_dates_agencies_and_codes():
    assert formatting.long_date(date(2026, 12, 1)) == "1 Desember 2026"
    assert formatting.long_date(date(2027, 2, 28)) == "28 Februari 2027"
    assert formatting.long_date("2026-08-17") == "17 Agustus 2026"
    assert formatting.long_date(None) == "–"
    assert labels.team(["disnakertrans", "imigrasi"]) == "Disnakertrans, Imigrasi"
    assert labels.team("{imigrasi,kesbangpol}") == "Imigrasi, Kesbangpol"
    assert labels.name(labels.POSITION_LEVELS, "konsultan") == "Konsultan"
    assert labels.name(labels.WORKER_STATUS, "active") == "Aktif"
    assert labels.name(labels.WORKER_STATUS, "baru") == "baru"  # an unknown code is shown, not hidden


def test_sector_names_agree_with_the_database(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT code, label FROM sectors")
        assert dict(cur.fetchall()) == labels.SECTORS


def test_report_filter_line_in_words():
    from geo.reports.texts import describe_filter

    line = describe_filter({"filter": {"nationality": "CN,MY", "permit_status": "expiring", "sector": "jasa,energi",
                                       "datetime": "2027-01-01/2027-03-31"}, "scope": None})
    assert "sektor=Jasa, Energi dan pembangkit listrik" in line
    assert "kewarganegaraan=Tiongkok, Malaysia" in line
    assert "status RPTKA=berakhir dalam 90 hari" in line
    assert "RPTKA berakhir=1 Januari 2027 s.d. 31 Maret 2027" in line


# --- the nationality filter against a real server -------------------------------------------------
def _ids(response: httpx.Response) -> set[int]:
    assert response.status_code == 200, response.text
    return {f["id"] for f in response.json()["features"]}


@pytest.mark.slow  # the seeded server
def test_api_filter_by_name_equals_filter_by_code(seeded):
    base, h = seeded.server.base, seeded.headers("analyst")
    url = f"{base}/api/collections/companies/items"
    by_code = _ids(httpx.get(url, params={"nationality": "CN"}, headers=h, timeout=TIMEOUT))
    assert by_code == {seeded.company_ids[0], seeded.company_ids[1]}
    for typed in ("Tiongkok", "china", "tiongkok,Malaysia"):
        assert _ids(httpx.get(url, params={"nationality": typed}, headers=h, timeout=TIMEOUT)) == by_code, typed
    bad = httpx.get(url, params={"nationality": "Narnia"}, headers=h, timeout=TIMEOUT)
    assert bad.status_code == 400 and "Narnia" in bad.text


@pytest.mark.slow  # the seeded server
def test_map_page_accepts_a_country_name(seeded):
    """The browser's old pattern attribute refused 'China' silently; the server refused it too."""
    base, h = seeded.server.base, seeded.headers("viewer")
    page = httpx.get(f"{base}/maps/province", params={"nationality": "China"}, headers=h, timeout=TIMEOUT)
    assert page.status_code == 200, page.text
    html = page.text
    assert 'list="nationality-names"' in html and 'pattern="' not in html
    assert re.search(r'<option value="Tiongkok"[^>]*data-code="CN"', html)
    assert 'value="Tiongkok"' in html  # the chosen filter is shown by name


# --- pages: names, not codes ----------------------------------------------------------------------
def _cells(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in rows if "<td" in r]


@pytest.mark.slow  # the seeded server
def test_company_page_reads_as_words(seeded):
    base, h = seeded.server.base, seeded.headers("admin")
    html = httpx.get(f"{base}/companies/{seeded.company_ids[0]}", headers=h, timeout=TIMEOUT).text
    workers = _cells(html, "workers")
    mine = [w for w in WORKERS if w[0] == 0]
    assert len(workers) == len(mine)
    text = " ".join(" ".join(r) for r in workers)
    for code in ("CN", "MY", "manajer", "profesional", "active"):
        assert not re.search(rf"(^|\s){code}(\s|$)", text), code
    assert "Tiongkok" in text and "Malaysia" in text and "Manajer" in text and "Profesional" in text
    assert "Aktif" in text
    # The seed dates rows from `current_date` in the database's zone (the province's, where the day may
    # already be tomorrow's UTC date): read it rather than the machine's date.
    conn = psycopg2.connect(seeded.url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_date")
            seed_day = cur.fetchone()[0]
    finally:
        conn.close()
    permit_end = seed_day + timedelta(days=200)
    assert formatting.long_date(permit_end) in text and permit_end.isoformat() not in text
    inspections = _cells(html, "inspections")
    assert inspections[0][1] == "Imigrasi, Kesbangpol"
    assert inspections[0][2] == "Tidak ada temuan" and inspections[0][4] == "Terbuka"
    assert inspections[0][0] == formatting.long_date(seed_day - timedelta(days=30))
    facts = re.search(r'<dd[^>]*id="worker-count".*?</dd>', html, re.S).group(0)
    assert "Tiongkok" in facts and ">CN" not in facts


@pytest.mark.slow  # the seeded server
def test_home_page_lists_nationalities_by_name(seeded):
    base, h = seeded.server.base, seeded.headers("viewer")
    html = httpx.get(f"{base}/", headers=h, timeout=TIMEOUT).text
    figures = re.search(r'<div class="row[^"]*" id="figures">.*?<div class="row g-3">', html, re.S).group(0)
    badges = [unescape(b).strip() for b in re.findall(r'<span class="badge[^"]*"[^>]*>(.*?)</span>', figures)]
    assert badges and all(not re.match(r"^[A-Z]{2}\b", b) for b in badges), badges
    assert any(b.startswith("Tiongkok") for b in badges)


@pytest.mark.slow  # the seeded server
def test_region_tooltips_name_nationalities(seeded):
    base, h = seeded.server.base, seeded.headers("viewer")
    r = httpx.get(f"{base}/maps/data/regions.json", params={"level": "regency", "parent": "62", "measure": "foreign_workers"},
                  headers=h, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    texts = [v["nationalities"] for v in r.json()["regions"].values()]
    assert any("Tiongkok" in t for t in texts), texts
    assert not any(re.search(r"\b[A-Z]{2} \d", t) for t in texts), texts


# --- reports ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reporting(server_url, template_db):
    """The known map dataset (tests/browser/data.py: Chinese, Malaysian, Korean and Indian workers,
    enough to be shown unpooled) plus one inspection with a finding, so the PDF lists its team."""
    url = create_database(server_url, template=template_db)
    ids = browser_data.fill(url)
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE foreign_workers SET sex = CASE WHEN id % 2 = 0 THEN 'P' ELSE 'L' END")
            cur.execute("""INSERT INTO inspections (company_id, inspected_on, team, finding, status)
                           VALUES (%s, %s, ARRAY['disnakertrans', 'imigrasi'], 'expired_permit', 'in_progress')""",
                        (ids["PT Sampit Coal"], INSPECTED))
        create_user(conn, "admin-laporan", PASSWORD, "admin", "kesbangpol", None)
    finally:
        conn.close()
    server = LiveServer(url)
    token = httpx.post(f"{server.base}/api/auth/token", data={"username": "admin-laporan", "password": PASSWORD},
                       timeout=TIMEOUT).json()["access_token"]
    yield server, {"Authorization": f"Bearer {token}"}
    server.stop()
    drop_database(server_url, dbname_of(url))


INSPECTED = date.today() - timedelta(days=1)
PERIOD = f"{INSPECTED.year}-Q{(INSPECTED.month - 1) // 3 + 1}"


def _report(reporting, fmt: str, **params) -> bytes:
    server, headers = reporting
    r = httpx.get(f"{server.base}/api/reports", params={"period": PERIOD, "format": fmt, **params},
                  headers=headers, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.content


@pytest.mark.slow  # reports built for real on a server of its own
def test_xlsx_annex_uses_names(reporting):
    wb = load_workbook(io.BytesIO(_report(reporting, "xlsx", personal="true")))
    ins = list(wb["pemeriksaan"].iter_rows(values_only=True))
    col = ins[0].index("Tim")
    assert "Disnakertrans, Imigrasi" in {r[col] for r in ins[1:]}
    assert not any(re.search(r"\b(imigrasi|kesbangpol|disnakertrans)\b", r[col] or "") for r in ins[1:])
    nat_headers = next(wb["kewarganegaraan"].iter_rows(values_only=True))
    assert "Tiongkok" in nat_headers and "CN" not in nat_headers and "Cina" not in nat_headers
    tka = list(wb["tka"].iter_rows(values_only=True))
    rows = [dict(zip(tka[0], r, strict=True)) for r in tka[1:]]
    assert {r["Kewarganegaraan"] for r in rows} == {"Tiongkok", "Malaysia", "Korea Selatan", "India"}
    assert {r["Jenis kelamin"] for r in rows} == {"Laki-laki", "Perempuan"}
    assert {r["Tingkat jabatan"] for r in rows} == {"Manajer"}
    # Dates stay dates (sortable), shown with Indonesian month names.
    cell = next(c for c in wb["pemeriksaan"]["A"][1:] if c.value is not None)
    assert hasattr(cell.value, "year") and "MMMM" in cell.number_format.upper()


@pytest.mark.slow  # reports built for real on a server of its own
def test_pdf_and_html_report_use_names(reporting, tmp_path):
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(_report(reporting, "pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    for code in ("imigrasi", "disnakertrans", "Cina"):
        assert not re.search(rf"\b{code}\b", text), code
    assert "Disnakertrans, Imigrasi" in flat and "Tiongkok" in flat
    assert formatting.long_date(INSPECTED) in flat and INSPECTED.strftime("%d-%m-%Y") not in flat
    # The two counts of active workers are told apart.
    assert labels.ACTIVE_WORKERS in flat and "apa pun status izinnya" in flat
    html = _report(reporting, "html").decode()
    assert "disnakertrans, imigrasi" not in html and "Disnakertrans, Imigrasi" in html
    assert "Tiongkok" in html and "Cina" not in html
    assert formatting.long_date(INSPECTED) in html and INSPECTED.strftime("%d-%m-%Y") not in html
