"""Issue #14 item 15: a scoped user's collection documents describe its scope, not the province.

The temporal extent of companies (RPTKA validity) and inspections (inspection dates), and the
spatial extent of the monitoring collections, must come from the records the user may see: a
company in 62.71 with an unusual RPTKA date and an unusually early inspection must not show
through to a user scoped to 62.02.
"""

from __future__ import annotations

import httpx
import psycopg2
import pytest

pytestmark = pytest.mark.slow  # a server of its own

OUTSIDE_RPTKA = "2039-07-17"  # company in 62.71 only
OUTSIDE_INSPECTION = "2001-02-03"


@pytest.fixture(scope="module")
def data(server_url, template_db):
    from tests.seed import seed

    s = seed(server_url, template_db)
    conn = psycopg2.connect(s.url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE companies SET rptka_valid_until = %s WHERE id = %s", (OUTSIDE_RPTKA, s.company_ids[2]))
        cur.execute("UPDATE inspections SET inspected_on = %s WHERE id = %s", (OUTSIDE_INSPECTION, s.inspection_ids[2]))
        cur.execute("SELECT min(rptka_valid_until)::text, max(rptka_valid_until)::text FROM companies "
                    "WHERE regency_code = '62.02'")
        s.scoped_rptka = list(cur.fetchone())
        cur.execute("SELECT min(inspected_on)::text, max(inspected_on)::text FROM inspections i "
                    "JOIN companies c ON c.id = i.company_id WHERE c.regency_code = '62.02'")
        s.scoped_inspections = list(cur.fetchone())
        cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                    "(SELECT ST_Extent(geom) AS e FROM boundaries WHERE code = '62.02') r")
        s.regency_bbox = list(cur.fetchone())
    conn.close()
    yield s
    s.close()


@pytest.fixture(scope="module")
def client(data):
    with httpx.Client(base_url=data.server.base, timeout=60) as c:
        yield c


def _docs(client, headers) -> dict[str, dict]:
    listed = client.get("/api/collections", headers=headers)
    assert listed.status_code == 200
    docs = {c["id"]: c for c in listed.json()["collections"]}
    for cid in ("companies", "inspections"):
        one = client.get(f"/api/collections/{cid}", headers=headers)
        assert one.status_code == 200 and one.json()["extent"] == docs[cid]["extent"]
    return docs


def test_scoped_user_sees_the_extent_of_its_scope(client, data):
    for role in ("viewer", "editor"):
        headers = data.headers(role, ["62.02"])
        docs = _docs(client, headers)
        text = client.get("/api/collections", headers=headers).text
        assert OUTSIDE_RPTKA not in text and OUTSIDE_INSPECTION not in text
        assert docs["companies"]["extent"]["temporal"]["interval"] == [data.scoped_rptka]
        assert docs["inspections"]["extent"]["temporal"]["interval"] == [data.scoped_inspections]
        for cid in ("companies", "inspections"):
            bbox = docs[cid]["extent"]["spatial"]["bbox"][0]
            assert bbox == pytest.approx(data.regency_bbox, abs=1e-5)


def test_province_wide_user_sees_the_province(client, data):
    docs = _docs(client, data.headers("viewer"))
    assert docs["companies"]["extent"]["temporal"]["interval"][0][1] == OUTSIDE_RPTKA
    assert docs["inspections"]["extent"]["temporal"]["interval"][0][0] == OUTSIDE_INSPECTION
    province = docs["regencies"]["extent"]["spatial"]["bbox"][0]
    assert docs["companies"]["extent"]["spatial"]["bbox"][0] == province


def test_scope_without_records_has_an_open_interval(client, data):
    docs = _docs(client, data.headers("viewer", ["62.03"]))
    assert docs["companies"]["extent"]["temporal"]["interval"] == [[None, None]]
    assert docs["inspections"]["extent"]["temporal"]["interval"] == [[None, None]]
