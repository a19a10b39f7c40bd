"""API contract of the collections of issue 17, in-process (conftest's `app_client`: the seeded data,
no HTTP server; the fast tier): status, content type, fields, and a 62.02 user getting nothing of
62.71. The HTTP-level tests (GDAL, every route probed) are test_features_foreign*.py and
test_access_foreign.py."""

from __future__ import annotations

import pytest

GEOJSON = "application/geo+json"
# 62.71's lodging, the persons present there and the name in its activity's targets.
OTHER_REGENCY = ("62.71", "Hotel Kahayan", "JOHN PRIVATESMITH", "OLIVIA", "TAN PRIVATEGUEST", "FN5500102")
FIELDS = {
    "lodgings": {"name", "address", "village_code", "village_name", "district_code", "district_name", "regency_code",
                 "regency_name", "guests_today", "guests_30d"},
    "activities": {"held_on", "kind", "kind_label", "agencies", "findings", "follow_up", "targets", "district_code",
                   "regency_code", "target_nibs"},
    "foreign_nationals": {"full_name", "passport_number", "nationality", "purpose", "permit_type", "permit_number",
                          "sponsor_nib", "sponsor_name", "village_code", "regency_code", "source", "present_on"},
}


@pytest.fixture(scope="module")
def api(app_client):
    return app_client


def media_type(r) -> str:
    return r.headers["content-type"].split(";")[0]


@pytest.mark.parametrize("collection", list(FIELDS))
def test_items_of_a_regency_user(api, collection):
    r = api.client.get(f"/api/collections/{collection}/items", headers=api.headers("analyst", ["62.02"]))
    assert r.status_code == 200 and media_type(r) == GEOJSON
    body = r.json()
    assert body["numberReturned"] == len(body["features"]) > 0
    for feature in body["features"]:
        assert feature["geometry"]["type"] == "Point"
        assert FIELDS[collection] <= set(feature["properties"])
        assert feature["properties"]["regency_code"] == "62.02"
    assert [s for s in OTHER_REGENCY if s in r.text] == []


def test_foreign_nationals_absent_for_a_viewer(api):
    headers = api.headers("viewer")
    listed = {c["id"] for c in api.client.get("/api/collections", headers=headers).json()["collections"]}
    assert {"lodgings", "activities"} <= listed and "foreign_nationals" not in listed
    r = api.client.get("/api/collections/foreign_nationals/items", headers=headers)
    assert r.status_code == 404 and r.json()["code"] == "NotFound"


def test_viewer_gets_activities_masked(api):
    r = api.client.get("/api/collections/activities/items", headers=api.headers("viewer"), params={"kind": "rapat"})
    assert r.status_code == 200
    (feature,) = r.json()["features"]
    assert "OLIVIA" not in feature["properties"]["targets"] and "[disamarkan]" in feature["properties"]["targets"]
