"""Contract of the foreign nationals' map data and pages (issue 17 item 5), in-process (conftest's
`app_client`: create_app on the seeded data, no HTTP server): status, content type, fields, the
viewer's refusals, and a user of 62.02 getting nothing of 62.71."""

from __future__ import annotations

from urllib.parse import quote

import pytest

JSON = "application/json"
OTHER_REGENCY = ("62.71", "Hotel Kahayan", "PT Jasa")


@pytest.fixture(scope="module")
def api(app_client):
    return app_client


def media_type(response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def test_regions_lodgings_and_activities_answer_json_with_their_fields(api):
    client, admin = api.client, api.headers("admin")
    r = client.get("/maps/data/foreign/regions.json", params={"level": "regency", "parent": "62"}, headers=admin)
    assert (r.status_code, media_type(r)) == (200, JSON)
    body = r.json()
    assert {"date", "method", "breaks", "legend", "regions", "suppressed"} <= set(body)
    assert set(body["regions"]["62.02"]) == {"fill", "total", "by_purpose", "by_permit", "lodging_guests_30d",
                                             "activities_12m"}
    r = client.get("/maps/data/foreign/lodgings.json", headers=admin)
    assert (r.status_code, media_type(r)) == (200, JSON)
    assert r.json()["count"] == len(r.json()["points"]) == 2 and len(r.json()["points"][0]) == 7
    r = client.get("/maps/data/foreign/activities.json", headers=admin)
    assert (r.status_code, media_type(r)) == (200, JSON)
    assert set(r.json()["points"][0]) == {"district", "name", "lon", "lat", "activities"}
    assert set(r.json()["points"][0]["activities"][0]) == {"id", "held_on", "held_on_text", "kind", "kind_label",
                                                           "agencies", "targets", "findings", "follow_up"}
    r = client.get("/maps/data/foreign/residences.json", headers=admin)
    assert (r.status_code, media_type(r), r.headers["cache-control"]) == (200, JSON, "no-store")


@pytest.mark.parametrize("params", [{"level": "province"}, {"level": "regency", "purpose": "menyanyi"},
                                    {"level": "regency", "permit_type": "<b>"}, {"level": "village", "parent": "99.99"}])
def test_bad_parameters_answer_400_or_404_in_json(api, params):
    r = api.client.get("/maps/data/foreign/regions.json", params=params, headers=api.headers("admin"))
    assert r.status_code in (400, 404) and media_type(r) == JSON and r.json()["description"]


def test_a_viewer_gets_no_residences_and_nobody_without_credentials_gets_anything(api):
    client = api.client
    assert client.get("/maps/data/foreign/residences.json", headers=api.headers("viewer")).status_code == 403
    for path in ("/maps/data/foreign/regions.json?level=regency", "/maps/data/foreign/lodgings.json",
                 "/maps/data/foreign/activities.json", "/maps/data/foreign/residences.json"):
        assert client.get(path).status_code == 401, path
    page = client.get("/maps/foreign/province", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_a_user_of_62_02_gets_nothing_of_62_71(api):
    client, local = api.client, api.headers("analyst", ["62.02"])
    for path, params in (("/maps/data/foreign/regions.json", {"level": "district", "parent": "62.02"}),
                         ("/maps/data/foreign/regions.json", {"level": "regency", "parent": "62"}),
                         ("/maps/data/foreign/lodgings.json", {}), ("/maps/data/foreign/activities.json", {}),
                         ("/maps/data/foreign/residences.json", {})):
        r = client.get(path, params=params, headers=local)
        assert r.status_code == 200, (path, r.text)
        assert [s for s in OTHER_REGENCY if s in r.text] == [], path
    for path in ("/maps/data/foreign/lodgings.json", "/maps/data/foreign/activities.json",
                 "/maps/data/foreign/residences.json"):
        outside = client.get(path, params={"region": "62.71"}, headers=local)
        absent = client.get(path, params={"region": "62.99"}, headers=local)
        assert outside.status_code == absent.status_code == 404 and set(outside.json()) == set(absent.json())
    assert client.get("/maps/foreign/regency/62.71", headers=local).status_code == 403
    page = client.get("/maps/foreign/regency/62.02", headers=local)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"].split("script-src")[1].split(";")[0]


ODD = ("", "62", "62.71", "62.71.01", "62.71.01.1001", "99", "6271", "62.71.01.1001.1", "'; DROP TABLE x; --", "%",
       "_", "62.7_", "\u0000", "a" * 300, "62.71,62.02", "<script>")


@pytest.mark.parametrize("value", ODD)
def test_odd_parameters_never_answer_a_server_error(api, value):
    client, admin = api.client, api.headers("admin")
    for path, params in (("/maps/data/foreign/regions.json", {"level": "district", "parent": value}),
                         ("/maps/data/foreign/regions.json", {"level": value}),
                         ("/maps/data/foreign/regions.json", {"level": "regency", "purpose": value}),
                         ("/maps/data/foreign/regions.json", {"level": "regency", "permit_type": value}),
                         ("/maps/data/foreign/lodgings.json", {"region": value}),
                         ("/maps/data/foreign/activities.json", {"region": value}),
                         ("/maps/data/foreign/residences.json", {"region": value, "purpose": value}),
                         ("/maps/foreign/province", {"purpose": value}),
                         (f"/maps/foreign/regency/{quote(value, safe='')}", {}),
                         (f"/maps/foreign/district/{quote(value, safe='')}", {})):
        r = client.get(path, params=params, headers=admin)
        assert r.status_code < 500, (path, params, r.status_code, r.text[:200])
