"""A page of companies in a bounding box (#16 item 8): its keys come from the spatial index alone
(migration 0112: the index carries id, point and regency), and the items route, which reads its
inputs itself instead of through FastAPI's dependencies, checks them in FastAPI's order, with its
messages, and is documented with the same parameters."""

from __future__ import annotations

import httpx
import psycopg2
import pytest

from geo.features.catalog import CATALOG
from geo.features.params import MAX_LIMIT, Page
from geo.features.sql import base_where, order_sql, page_sql

COMPANIES = CATALOG["companies"]
BOX = (112.0, -3.0, 115.0, -1.0)  # around the seeded companies of 62.02 and 62.71


def keys_plan(url: str, regencies: tuple[str, ...] | None) -> str:
    """EXPLAIN of the page statement the API runs for a bbox, with only index paths allowed (the
    seeded table is small enough for a sequential scan to be cheaper)."""
    where = base_where(COMPANIES, None, regencies)
    where.add(f"ST_Intersects({COMPANIES.geom_sql}, ST_MakeEnvelope(%s, %s, %s, %s, 4326))", BOX)
    sql, params = page_sql(COMPANIES, where, (order_sql(COMPANIES, ()), []), COMPANIES.columns, Page(100, 0),
                           count=False)
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("VACUUM companies")  # all-visible pages: what an index-only scan needs
            cur.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
            cur.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cur.fetchall())
    finally:
        conn.close()


@pytest.mark.parametrize("regencies", [None, ("62.71",)], ids=["province", "regency user"])
def test_a_bbox_page_finds_its_keys_in_the_spatial_index_alone(seeded, regencies):
    plan = keys_plan(seeded.url, regencies)
    # Before 0112 the index held the box only: an Index Scan that reads a table page per company.
    assert "Index Only Scan using companies_geom_idx on companies" in plan, plan


def test_the_point_kept_in_the_index_is_checked_exactly(seeded):
    """ST_Intersects runs on the point the index carries: a company just outside the box (closer than
    the index's float4-rounded box can tell) is not on the page, one on its edge is."""
    conn = psycopg2.connect(seeded.url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id, ST_X(geom), ST_Y(geom) FROM companies ORDER BY id LIMIT 1")
            cid, x, y = cur.fetchone()
            cur.execute("VACUUM companies")
            cur.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
            edge = (x, y - 0.01, x + 0.01, y + 0.01)
            outside = (x + 1e-9, y - 0.01, x + 0.01, y + 0.01)
            found = []
            for box in (edge, outside, BOX):
                cur.execute("EXPLAIN SELECT id FROM companies c "
                            "WHERE ST_Intersects(c.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))", box)
                assert "Index Only Scan" in cur.fetchone()[0]
                cur.execute("SELECT array_agg(id ORDER BY id) FROM companies c "
                            "WHERE ST_Intersects(c.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))", box)
                found.append(cur.fetchone()[0] or [])
            cur.execute("RESET enable_seqscan; SET enable_indexscan = off; SET enable_indexonlyscan = off")
            cur.execute("SELECT array_agg(id ORDER BY id) FROM companies c "
                        "WHERE ST_Intersects(c.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))", BOX)
            table = cur.fetchone()[0]
    finally:
        conn.close()
    assert cid in found[0] and cid not in found[1]
    assert found[2] == table and len(table) >= 3  # the same companies as read from the table


def test_items_checks_login_then_filters_then_parameters(seeded):
    url = f"{seeded.server.base}/api/collections/companies/items"
    viewer = seeded.headers("viewer")
    assert httpx.get(url, params={"limit": 0}, timeout=30).status_code == 401
    # A monitoring filter is checked (and named) before the typed parameters, as FastAPI solved it.
    r = httpx.get(url, params={"sector": "nope", "limit": 0}, headers=viewer, timeout=30)
    assert r.status_code == 400 and "'nope'" in r.json()["description"] and "limit" not in r.json()["description"]
    # Every bad typed parameter is named at once, with pydantic's message and the value given.
    r = httpx.get(url, params={"limit": "0", "f": "xml", "offset": "x", "filter-lang": "cql2-json"}, headers=viewer,
                  timeout=30)
    assert r.status_code == 400
    body = r.json()
    assert [e["parameter"] for e in body["errors"]] == ["query.limit", "query.offset", "query.filter-lang", "query.f"]
    assert "limit: Input should be greater than or equal to 1 (got '0')" in body["description"]
    assert "'xml'" in body["description"]
    # A good page: the last value of a repeated parameter counts, as in FastAPI.
    r = httpx.get(url + "?limit=1&limit=2&bbox=" + ",".join(map(str, BOX)), headers=viewer, timeout=30)
    assert r.status_code == 200 and r.json()["numberReturned"] == 2, r.text


def test_items_parameters_are_documented(seeded):
    doc = httpx.get(f"{seeded.server.base}/api/openapi.json", timeout=60).json()
    operation = doc["paths"]["/api/collections/{collection_id}/items"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert set(params) == {"collection_id", "sector", "nationality", "permit_status", "regency_code", "district_code",
                            "datetime", "bbox", "bbox-crs", "limit", "offset", "sortby", "properties", "filter",
                            "filter-lang", "filter-crs", "f"}
    assert params["limit"]["schema"]["maximum"] == MAX_LIMIT and params["limit"]["schema"]["default"] == 100
    assert params["f"]["schema"]["anyOf"][0]["enum"] == ["json", "csv", "html"]
    assert operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("HTTPValidationError")
