"""Hostile input that once gave 500s must answer 400 naming what was wrong: NUL bytes in query and
path parameters and form fields, JSON nested 1,000 deep, CQL2 filters of 1,000 terms."""

import json

import httpx
import pytest

from tests.access_probe import PUBLIC, current_quarter, operations, path_values
from tests.seed import COMPANIES

pytestmark = pytest.mark.slow  # the seeded server


@pytest.fixture(scope="module")
def client(seeded):
    with httpx.Client(base_url=seeded.server.base, timeout=60) as c:
        yield c


@pytest.mark.parametrize(("path", "params", "name"), [
    ("/api/companies/search", {"q": "PT\x00 Sawit"}, "q"),
    ("/api/collections/companies/items", {"filter": "name = 'PT\x00'"}, "filter"),
    ("/api/stats/district", {"parent": "62.02\x00"}, "parent"),
    ("/api/reports", {"period": current_quarter(), "format": "html", "agency": "kesbangpol\x00"}, "agency"),
    ("/api/collections/companies/items", {"sortby": "\x00name"}, "sortby"),
])
def test_nul_byte_in_a_query_parameter_is_400_naming_it(client, seeded, path, params, name):
    r = client.get(path, params=params, headers=seeded.headers("admin"))
    assert r.status_code == 400, r.text
    assert name in r.json()["description"]
    assert "NUL" in r.json()["description"]


@pytest.mark.parametrize("path", [
    "/api/collections/regencies/items/62%00",
    "/api/regions/62.02%00/companies",
    "/api/collections/companies%00/items",
])
def test_nul_byte_in_a_path_is_400(client, seeded, path):
    r = client.get(path, headers=seeded.headers("admin"))
    assert r.status_code == 400, r.text
    assert "NUL" in r.json()["description"]


def test_nul_byte_in_the_login_user_name_is_400(client):
    r = client.post("/api/auth/token", data={"username": "admin\x00", "password": "x" * 14})
    assert r.status_code == 400, r.text
    assert "username" in r.json()["description"]


def test_nul_byte_in_a_multipart_field_is_400(client, seeded):
    # Multipart bodies pass the input guard (files may hold NUL); their text fields reach a query.
    r = client.post("/api/auth/token", files={"username": (None, "admin\x00"), "password": (None, "x" * 14)})
    assert r.status_code == 400, r.text
    assert "NUL" in r.json()["description"]
    r = client.post("/api/imports/companies", headers=seeded.headers("editor"), data={"source": "imigrasi\x00"},
                    files={"file": ("c\x00.csv", b"nib\n", "text/csv")})
    assert r.status_code == 400, r.text


def test_nul_byte_in_a_json_body_is_400(client, seeded):
    cid = seeded.company_ids[0]
    headers = seeded.headers("editor")
    etag = client.get(f"/api/companies/{cid}", headers=headers).headers["ETag"]
    r = client.patch(f"/api/companies/{cid}", headers={**headers, "If-Match": etag},
                     json={"address": "Jl. Tjilik Riwut\x00"})
    assert r.status_code == 400, r.text
    assert "NUL" in r.json()["description"]
    # An escaped backslash followed by "u0000" is ordinary text, not a NUL.
    assert "\\u0000" not in seeded.query("SELECT coalesce(address, '') FROM companies WHERE id = %s", (cid,))[0][0]


def test_nul_in_every_get_parameter_is_never_a_5xx(client, seeded):
    spec = client.get("/api/openapi.json").json()
    headers = seeded.headers("admin")
    tried, failures = 0, []
    for method, path, op in operations(spec):
        if method != "GET" or path in PUBLIC:
            continue
        url = path
        for p in op.get("parameters", []):
            if p["in"] == "path":
                values = path_values(p["name"], seeded, ["companies"]) or p.get("schema", {}).get("enum") or []
                if not values:
                    url = None
                    break
                url = url.replace("{" + p["name"] + "}", str(values[0]))
        if url is None or "{" in url:
            continue
        for p in op.get("parameters", []):
            if p["in"] != "query":
                continue
            r = client.get(url, params={p["name"]: "62\x00"}, headers=headers)
            tried += 1
            if r.status_code != 400 or p["name"] not in r.text:
                failures.append(f"{url} {p['name']} -> {r.status_code}: {r.text[:120]}")
    assert tried > 50
    assert failures == [], "\n".join(failures)


def _nested(depth: int) -> bytes:
    return b'{"type": "Polygon", "coordinates": ' + b"[" * depth + b"]" * depth + b"}"


def test_json_nested_1000_deep_is_400(client, seeded):
    r = client.post("/api/companies/within-polygon", content=_nested(1000),
                    headers={**seeded.headers("viewer"), "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert "JSON" in r.json()["description"]
    # An ordinary polygon (4 levels) still works.
    ring = [[112.9, -2.6], [113.0, -2.6], [113.0, -2.5], [112.9, -2.5], [112.9, -2.6]]
    ok = client.post("/api/companies/within-polygon", json={"type": "Polygon", "coordinates": [ring]},
                     headers=seeded.headers("viewer"))
    assert ok.status_code == 200, ok.text
    assert len(ok.json()["features"]) == 2


@pytest.mark.parametrize("text", [
    " AND ".join(["sector = 'jasa'"] * 1000),
    " OR ".join([f"nib = '{i}'" for i in range(1000)]),
    "CASEI(" * 1000 + "name" + ")" * 1000 + " = 'x'",
    "(" * 1000 + "nib = '1'" + ")" * 1000,
])
def test_cql2_filter_of_1000_terms_is_400(client, seeded, text):
    r = client.get("/api/collections/companies/items", params={"filter": text}, headers=seeded.headers("admin"))
    assert r.status_code == 400, r.text[:300]
    assert "filter" in r.json()["description"]


def test_a_reasonable_cql2_filter_still_works(client, seeded):
    text = "(" + " OR ".join(f"nib = '{c[0]}'" for c in COMPANIES) + ") AND NOT (name LIKE 'x%')"
    r = client.get("/api/collections/companies/items", params={"filter": text}, headers=seeded.headers("admin"))
    assert r.status_code == 200, r.text
    assert json.loads(r.text)["numberMatched"] == 3


def test_other_value_errors_stay_a_generic_500():
    """The NUL handler (api/errors.py) turns only psycopg2's NUL refusal into a 400, never a bug."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from geo.settings import Settings

    app = create_app(Settings())

    @app.get("/api/_value_error_for_test")
    def broken():
        raise ValueError("a bug, not the client's input")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/_value_error_for_test")
    assert r.status_code == 500
    assert r.json()["code"] == "InternalError"
