"""GET /api/attention and the /attention pages in-process (conftest's `app_client`: the known data of
tests/seed.py, no HTTP server): status, content type, fields, and scope (a 62.02 user gets nothing of
62.71: not its companies, not its workers). The fast tier; tests/test_attention.py holds the counts."""

from __future__ import annotations

import re

from geo.attention import KINDS
from tests.test_contract_api import OTHER_REGENCY


def test_contract_and_fields(app_client):
    response = app_client.client.get("/api/attention", headers=app_client.headers("analyst"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["today"])
    assert [i["kind"] for i in body["items"]] == [k.code for k in KINDS]
    for item in body["items"]:
        assert set(item) == {"kind", "label", "count", "link", "severity", "unit", "records"}
        assert isinstance(item["count"], int) and item["link"] == f"/attention/{item['kind']}"
        for record in item["records"]:
            assert set(record) == {"id", "name", "date", "link"}
    # The seeded workers' permits end in 60 days: four, each listed (a small item) with its company.
    expiring = {i["kind"]: i for i in body["items"]}["permits_expiring_90d"]
    assert expiring["count"] == 4 and len(expiring["records"]) == 4
    assert all(r["link"].startswith("/companies/") for r in expiring["records"])


def test_a_regency_user_gets_nothing_of_another(app_client):
    headers = app_client.headers("analyst", ["62.02"])
    body = app_client.client.get("/api/attention", headers=headers).json()
    assert {i["kind"]: i for i in body["items"]}["permits_expiring_90d"]["count"] == 3
    other_ids = set(app_client.ids_in("62.71"))
    for item in body["items"]:
        for record in item["records"]:
            assert int(record["link"].rsplit("/", 1)[1]) not in other_ids
    for kind in ("", "/permits_expiring_90d", "/not_inspected_12m"):
        page = app_client.client.get(f"/attention{kind}", headers=headers)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        for secret in OTHER_REGENCY:
            assert secret not in page.text, (kind, secret)
    refused = app_client.client.get("/attention/permits_expiring_90d?regency_code=62.71", headers=headers)
    assert refused.status_code == 404


def test_viewer_counts_only(app_client):
    body = app_client.client.get("/api/attention", headers=app_client.headers("viewer")).json()
    assert all(item["records"] == [] for item in body["items"])
    text = str(body)
    assert not [s for s in app_client.secrets if s in text]


def test_without_credentials(app_client):
    assert app_client.client.get("/api/attention").status_code == 401
