"""The discrepancies API's contract, in-process (no server): status, content type and fields of
GET /api/discrepancies/companies|regions with their `agency`/`status` filters and of POST
.../resolutions; a 62.02 user gets nothing of 62.71; /discrepancies and /exports answer every role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from geo.settings import Settings
from tests.seed import seed
from tests.test_web_discrepancies import add_reports

ITEM_FIELDS = {"field", "figures", "open", "resolution", "history"}


@pytest.fixture(scope="module")
def api(server_url, template_db):
    data = seed(server_url, template_db, serve=False)
    add_reports(data.url, data.company_ids, data.worker_ids)
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("DATABASE_URL", data.url)
            settings = Settings()
        with TestClient(create_app(settings), client=("127.0.0.1", 50000)) as client:
            data.client = client
            yield data
    finally:
        data.close()


def test_companies_and_regions_fields(api):
    r = api.client.get("/api/discrepancies/companies", headers=api.headers("viewer"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    rows = r.json()
    assert {d["company_id"] for d in rows} == set(api.company_ids)
    for d in rows:
        assert {"company_id", "nib", "name", "regency_code", "agencies", "worker_counts", "field_differences",
                "items", "open"} <= set(d)
        assert d["items"] and all(set(i) == ITEM_FIELDS and i["open"] is True for i in d["items"])
    regions = api.client.get("/api/discrepancies/regions", headers=api.headers("viewer")).json()
    assert {r["regency_code"] for r in regions} == {"62.02", "62.71"}
    assert all("companies_with_open_discrepancies" in r and "items" in r for r in regions)


def test_filters(api):
    h = api.headers("viewer")
    polda = api.client.get("/api/discrepancies/companies", params={"agency": "polda"}, headers=h).json()
    assert [d["company_id"] for d in polda] == [api.company_ids[1]]
    assert api.client.get("/api/discrepancies/companies", params={"status": "resolved"}, headers=h).json() == []
    assert api.client.get("/api/discrepancies/regions", params={"agency": "kemendagri"}, headers=h).json() == []
    for bad in ({"status": "closed"}, {"agency": "X;DROP"}):
        assert api.client.get("/api/discrepancies/companies", params=bad, headers=h).status_code == 400


def test_a_regency_user_gets_nothing_of_another(api):
    h = api.headers("editor", ["62.02"])
    rows = api.client.get("/api/discrepancies/companies", headers=h).json()
    assert {d["regency_code"] for d in rows} == {"62.02"}
    regions = api.client.get("/api/discrepancies/regions", headers=h).json()
    assert {r["regency_code"] for r in regions} == {"62.02"}
    outside = api.company_ids[2]
    body = {"field": "jumlah_tka", "chosen_agency": "imigrasi", "note": "dari luar wilayah"}
    r = api.client.post(f"/api/discrepancies/companies/{outside}/resolutions", json=body, headers=h)
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    assert api.client.post("/api/discrepancies/regions/62.71/resolutions", json=body, headers=h).status_code == 404
    assert api.query("SELECT count(*) FROM discrepancy_resolutions") == [(0,)]


def test_post_statuses(api):
    url = "/api/discrepancies/regions/62.02/resolutions"
    body = {"field": "jumlah_tka", "chosen_agency": "imigrasi", "note": "rekap Imigrasi per lokasi"}
    assert api.client.post(url, json=body).status_code == 401
    assert api.client.post(url, json=body, headers=api.headers("viewer")).status_code == 403
    assert api.client.post(url, json={**body, "note": "x"}, headers=api.headers("editor")).status_code == 400
    assert api.client.post(url, json={**body, "field": "Bad Field"}, headers=api.headers("editor")).status_code == 400
    r = api.client.post(url, json=body, headers=api.headers("editor"))
    assert r.status_code == 201 and set(r.json()) == {"id"}
    region = next(x for x in api.client.get("/api/discrepancies/regions", headers=api.headers("viewer")).json()
                  if x["regency_code"] == "62.02")
    item = region["items"][0]
    assert item["open"] is False and item["resolution"]["chosen_agency"] == "imigrasi"
    assert item["resolution"]["note"] == "rekap Imigrasi per lokasi"


@pytest.mark.parametrize("role", ["admin", "editor", "analyst", "viewer"])
def test_pages_answer_every_role(api, role):
    # The pages use the session cookie; a bearer token is a credential too.
    for path in ("/discrepancies", "/exports"):
        r = api.client.get(path, headers=api.headers(role))
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        assert f'href="{path}"' in r.text  # the navigation link
    assert api.client.get("/discrepancies", follow_redirects=False).status_code == 303


def test_lone_surrogates_are_refused_not_a_500(api):
    url = "/api/discrepancies/regions/62.71/resolutions"
    body = '{"field": "jumlah_tka", "chosen_value": "\\ud800", "note": "catatan \\udfff"}'
    r = api.client.post(url, content=body, headers={**api.headers("editor"), "content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
