"""`name=value` equality filters on a collection's properties (what GIS clients send for a simple
attribute filter) and the typed paging parameters of the OpenAPI documents."""

from __future__ import annotations

import httpx
import psycopg2
import pytest

from tests.test_features_data import site  # noqa: F401 - the module fixture

pytestmark = pytest.mark.slow  # a dataset and a server of its own


@pytest.fixture(scope="module")
def api(site):  # noqa: F811
    with httpx.Client(base_url=site.base + "/api", timeout=60, headers=site.headers("viewer")) as client:
        yield client


def rows(site, sql: str, params: tuple = ()) -> list:  # noqa: F811
    conn = psycopg2.connect(site.url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return [r[0] if len(r) == 1 else r for r in cur.fetchall()]
    finally:
        conn.close()


def ids(client: httpx.Client, collection: str, params: dict) -> list:
    response = client.get(f"/collections/{collection}/items", params={**params, "limit": 10000})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["numberMatched"] == body["numberReturned"] == len(body["features"])
    return sorted(f["id"] for f in body["features"])


def test_paging_parameters_are_integers_with_default_and_maximum(site, api):  # noqa: F811
    """Before, limit and offset were strings without default or maximum: GDAL could not size its pages."""
    plain = httpx.get(site.base + "/api/openapi.json").json()
    landing = httpx.get(site.base + "/api/").json()
    desc = next(link["href"] for link in landing["links"] if link["rel"] == "service-desc")
    rooted = httpx.get(desc).json()
    assert rooted["servers"] == [{"url": "/api", "description": "OGC API – Features landing page"}]
    operations = [plain["paths"]["/api/collections/{collection_id}/items"]["get"],
                  rooted["paths"]["/collections/{collection_id}/items"]["get"],
                  rooted["paths"]["/collections/villages/items"]["get"]]
    for op in operations:
        params = {p["name"]: p["schema"] for p in op["parameters"]}
        assert params["limit"]["type"] == "integer" and params["limit"]["minimum"] == 1
        assert params["limit"]["default"] == 100 and params["limit"]["maximum"] == 10000
        assert params["offset"]["type"] == "integer" and params["offset"]["default"] == 0
    companies = {p["name"]: p for p in rooted["paths"]["/collections/companies/items"]["get"]["parameters"]}
    assert {"nib", "status", "workers", "location_mismatch", "sector", "datetime"} <= set(companies)
    assert companies["status"]["schema"]["enum"] == ["active", "inactive", "closed"]
    villages = {p["name"] for p in rooted["paths"]["/collections/villages/items"]["get"]["parameters"]}
    assert {"code", "parent_code"} <= villages and not {"sector", "datetime"} & villages
    # The rooted paths answer where the document says they are.
    assert api.get("/collections/villages/items", params={"limit": 1}).status_code == 200


@pytest.mark.parametrize("collection, params, sql", [
    ("companies", {"status": "active"}, "SELECT id FROM companies WHERE status = 'active'"),
    ("companies", {"workers": "2"},
     "SELECT c.id FROM companies c JOIN company_worker_facts f ON f.company_id = c.id WHERE f.workers = 2"),
    ("companies", {"location_mismatch": "true"}, "SELECT id FROM companies WHERE location_mismatch"),
    ("companies", {"location_mismatch": "0", "sector": "energi"},
     "SELECT id FROM companies WHERE NOT location_mismatch AND sector = 'energi'"),
    ("companies", {"name": "PT Jasa Kalimantan 004"}, "SELECT id FROM companies WHERE name = 'PT Jasa Kalimantan 004'"),
    ("inspections", {"finding": "expired_permit"}, "SELECT id FROM inspections WHERE finding = 'expired_permit'"),
    ("villages", {"parent_code": "62.71.01"}, "SELECT code FROM boundaries WHERE parent_code = '62.71.01' "
                                              "AND level = 'village'"),
])
def test_equality_filters_match_the_database(site, api, collection, params, sql):  # noqa: F811
    expected = sorted(rows(site, sql))
    assert expected, "the case must select something"
    assert ids(api, collection, params) == expected


def test_a_date_property_filters_by_day(site, api):  # noqa: F811
    day = rows(site, "SELECT rptka_valid_until FROM companies WHERE rptka_valid_until IS NOT NULL LIMIT 1")[0]
    expected = sorted(rows(site, "SELECT id FROM companies WHERE rptka_valid_until = %s", (day,)))
    assert ids(api, "companies", {"rptka_valid_until": day.isoformat()}) == expected


@pytest.mark.parametrize("query, names", [
    ("workers=abc", "'abc'"),
    ("workers=1.5", "'1.5'"),
    ("status=nope", "'nope'"),
    ("rptka_valid_until=yesterday", "'yesterday'"),
    ("location_mismatch=maybe", "'maybe'"),
    ("area_km2=nan", "'nan'"),
    ("status=active&status=closed", "more than once"),
    ("workers_by_nationality=1", "workers_by_nationality"),  # an object, not filterable
    ("team=imigrasi", "team"),
    ("limit=10001", "limit"),
    ("offset=-1", "offset"),
    ("limit=ten", "'ten'"),
])
def test_bad_filter_values_name_the_value(api, query, names):
    collection = "villages" if query.startswith("area_km2") else (
        "inspections" if query.startswith("team") else "companies")
    response = api.get(f"/collections/{collection}/items?{query}")
    assert response.status_code == 400, response.text
    assert names in response.json()["description"]


def test_a_property_filter_never_reaches_outside_the_scope(site):  # noqa: F811
    """A viewer of 62.02 naming a 62.71 company's NIB (or id of its region) learns nothing."""
    nib, name, company = rows(site, "SELECT nib, name, id FROM companies WHERE regency_code = '62.71' LIMIT 1")[0]
    with httpx.Client(base_url=site.base + "/api", timeout=60, headers=site.headers("viewer", ["62.02"])) as scoped:
        for fmt in ("json", "csv", "html"):
            response = scoped.get("/collections/companies/items", params={"nib": nib, "f": fmt})
            assert response.status_code == 200, response.text
            assert name not in response.text  # the NIB itself is echoed in the page's links
        body = scoped.get("/collections/companies/items", params={"nib": nib}).json()
        assert body["numberMatched"] == 0 and body["features"] == []
        body = scoped.get("/collections/inspections/items", params={"company_id": company}).json()
        assert body["numberMatched"] == 0 and body["features"] == []
        inside = rows(site, "SELECT nib FROM companies WHERE regency_code = '62.02' LIMIT 1")[0]
        assert scoped.get("/collections/companies/items", params={"nib": inside}).json()["numberMatched"] == 1


def test_filter_values_are_bound_never_sql(site, api):  # noqa: F811
    total = rows(site, "SELECT count(*) FROM companies")[0]
    for value in ("x' OR '1'='1", "PT%", "'; DROP TABLE companies; --"):
        assert ids(api, "companies", {"name": value}) == []
    assert rows(site, "SELECT count(*) FROM companies")[0] == total
