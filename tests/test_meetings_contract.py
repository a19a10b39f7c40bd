"""Meetings API contract, in-process (conftest's `app_client`, the fast tier): status, content type,
fields, and a 62.02 user getting nothing of 62.71 (its recommendation, its company's name)."""

from __future__ import annotations

import pytest

from tests.test_contract_api import ABSENT_ID, JSON, OTHER_REGENCY


@pytest.fixture(scope="module")
def api(app_client):
    return app_client


@pytest.fixture(scope="module")
def client(app_client):
    return app_client.client


@pytest.fixture(scope="module")
def made(api, client):
    kesbangpol = api.headers("editor")
    m = client.post("/api/meetings", headers=kesbangpol, json={"date": "2026-10-15", "place": "Aula", "period": "2026-Q3",
                                                               "agencies": ["imigrasi"], "minutes": "Notulen"})
    assert m.status_code == 201 and m.headers["content-type"].startswith(JSON)
    mid = m.json()["id"]
    palangka = client.post(f"/api/meetings/{mid}/recommendations", headers=kesbangpol, json={
        "text": "Periksa perusahaan", "agency": "imigrasi", "due_date": "2026-12-31",
        "company_ids": api.ids_in("62.71")}).json()
    sampit = client.post(f"/api/meetings/{mid}/recommendations", headers=kesbangpol, json={
        "text": "Patroli", "agency": "imigrasi", "due_date": "2026-12-31", "regions": ["62.02"]}).json()
    return mid, palangka, sampit


def test_fields(client, api, made):
    mid, palangka, _ = made
    one = client.get(f"/api/meetings/{mid}", headers=api.headers("viewer", agency="imigrasi"))
    assert one.status_code == 200 and one.headers["content-type"].startswith(JSON)
    body = one.json()
    assert {"id", "date", "place", "period", "agencies", "minutes", "minutes_file", "reports",
            "recommendations"} <= set(body)
    rec = body["recommendations"][0]
    assert {"id", "text", "agency", "due_date", "status", "version", "regions", "companies", "overdue",
            "last_note"} <= set(rec)
    assert palangka["regions"] == ["62.71"] and palangka["status"] == "baru" and palangka["version"] == 1
    got = client.get(f"/api/recommendations/{palangka['id']}", headers=api.headers("viewer", agency="imigrasi"))
    assert got.headers["etag"] == '"1"' and [h["status_to"] for h in got.json()["history"]] == ["baru"]


def test_62_02_gets_nothing_of_62_71(client, api, made):
    mid, palangka, sampit = made
    local = api.headers("editor", ["62.02"], agency="imigrasi")
    for url in (f"/api/meetings/{mid}", f"/api/meetings/{mid}/recommendations", "/api/meetings"):
        r = client.get(url, headers=local)
        assert r.status_code == 200
        for text in OTHER_REGENCY:
            assert text not in r.text, (url, text)
    ids = [x["id"] for x in client.get(f"/api/meetings/{mid}/recommendations", headers=local).json()["items"]]
    assert ids == [sampit["id"]]
    assert client.get(f"/api/recommendations/{palangka['id']}", headers=local).status_code == 404
    assert client.get(f"/api/recommendations/{ABSENT_ID}", headers=local).status_code == 404
    assert client.patch(f"/api/recommendations/{palangka['id']}", headers=local,
                        json={"note": "x", "version": 1}).status_code == 404
