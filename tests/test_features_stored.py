"""Pages of companies append to the Feature kept in each row (companies.feature, migration 0091):
the same features as building every property per request, for every company, and never stale
after a write (the row's BEFORE triggers relocate the company and bump its version first)."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import psycopg2
import pytest

from geo.features.catalog import CATALOG
from geo.features.params import Page
from geo.features.sql import base_where, fetch_page, one_feature_sql, order_sql
from tests.test_features_data import site  # noqa: F401 - the module fixture

pytestmark = pytest.mark.slow  # a dataset and a server of its own

COMPANIES = CATALOG["companies"]
BUILT = replace(COMPANIES, stored_feature=None)  # every property built per request, as before 0091
NEW_NAME = 'PT Pindah "Kutip" \\ Baru\u00e9'  # JSON must escape the quotes and the backslash


def page(url: str, collection, regencies=None, limit: int = 1000) -> list[dict]:
    conn = psycopg2.connect(url)
    try:
        result = fetch_page(conn, collection, base_where(collection, None, regencies),
                            (order_sql(collection, ()), []), collection.columns, Page(limit, 0))
    finally:
        conn.close()
    features = json.loads(result.features)
    assert result.returned == len(features)
    return features


def one(url: str, collection, key: int) -> dict | None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(*one_feature_sql(collection, base_where(collection, None, None), key))
        row = cur.fetchone()
    conn.close()
    return json.loads(row[0]) if row else None


def test_stored_and_built_pages_agree_for_every_company(site):  # noqa: F811
    stored, built = page(site.url, COMPANIES), page(site.url, BUILT)
    assert len(stored) == len(built) > 30
    assert stored == built  # dicts: the same keys and values, in any order
    assert [f["id"] for f in stored] == sorted(f["id"] for f in stored)
    # Properties from the facts tables and the day are there too, not only the row's own columns.
    assert any(f["properties"]["workers"] for f in stored) and any(f["properties"]["last_inspection"] for f in stored)
    assert {f["properties"]["permit_status"] for f in stored} == {"valid", "expiring", "expired", "unknown"}
    for f in stored[:5]:
        assert one(site.url, COMPANIES, f["id"]) == one(site.url, BUILT, f["id"]) == f
    # The regency scope filters the rows, whichever way the feature is built.
    scoped = page(site.url, COMPANIES, ("62.02",))
    assert scoped == page(site.url, BUILT, ("62.02",))
    assert scoped and {f["properties"]["regency_code"] for f in scoped} == {"62.02"}


def test_stored_feature_follows_every_write(site):  # noqa: F811
    """Move a company to another regency, rename it and change its RPTKA date: the API shows the
    new name, the regency the locate trigger computed, the bumped version and the new status."""
    conn = psycopg2.connect(site.url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT id, name, ST_X(geom), ST_Y(geom), rptka_valid_until, version FROM companies "
                    "WHERE regency_code = '62.02' ORDER BY id LIMIT 1")
        cid, name, x, y, valid, version = cur.fetchone()
        cur.execute("SELECT ST_X(geom), ST_Y(geom) FROM companies WHERE regency_code = '62.71' ORDER BY id LIMIT 1")
        x2, y2 = cur.fetchone()
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE companies SET name = %s, geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326), "
                        "rptka_valid_until = NULL WHERE id = %s", (NEW_NAME, x2, y2, cid))
            cur.execute("SELECT regency_code, district_code, version FROM companies WHERE id = %s", (cid,))
            regency, district, new_version = cur.fetchone()
        assert regency == "62.71" and new_version == version + 1
        got = httpx.get(f"{site.base}/api/collections/companies/items/{cid}", headers=site.headers("viewer")).json()
        props = got["properties"]
        assert props["name"] == NEW_NAME
        assert (props["regency_code"], props["district_code"], props["version"]) == (regency, district, new_version)
        assert props["permit_status"] == "unknown" and props["rptka_valid_until"] is None
        assert got["geometry"]["coordinates"] == [round(x2, 6), round(y2, 6)]
        # A user of the old regency no longer sees it; one of the new regency does, on a page.
        old_scope = httpx.get(f"{site.base}/api/collections/companies/items", params={"limit": 1000},
                              headers=site.headers("viewer", ["62.02"])).json()
        assert cid not in {f["id"] for f in old_scope["features"]}
        new_scope = httpx.get(f"{site.base}/api/collections/companies/items", params={"limit": 1000},
                              headers=site.headers("viewer", ["62.71"])).json()
        listed = next(f for f in new_scope["features"] if f["id"] == cid)
        assert listed["properties"] == props and listed["geometry"] == got["geometry"]
    finally:
        with conn.cursor() as cur:
            cur.execute("UPDATE companies SET name = %s, geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326), "
                        "rptka_valid_until = %s WHERE id = %s", (name, x, y, valid, cid))
        conn.close()
    assert page(site.url, COMPANIES) == page(site.url, BUILT)


@pytest.mark.parametrize("params", [{"properties": "name,workers"}, {"f": "csv"}])
def test_chosen_properties_and_csv_are_built_per_request(site, params):  # noqa: F811
    """Only a page of every property uses the stored feature; other shapes still build theirs."""
    r = httpx.get(f"{site.base}/api/collections/companies/items", params={"limit": 5, **params},
                  headers=site.headers("viewer"))
    assert r.status_code == 200, r.text
    if "properties" in params:
        assert all(set(f["properties"]) == {"name", "workers"} for f in r.json()["features"])
    else:
        assert r.text.splitlines()[0].split(",")[:3] == ["id", "nib", "name"]
