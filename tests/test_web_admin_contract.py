"""In-process contract of the people-and-access pages (tests/test_web_admin.py drives them over
HTTP): who gets which status and content type, and GET /api/audit's target filter."""

from __future__ import annotations

import pytest

from geo.auth import audit


@pytest.fixture(scope="module")
def api(app_client):
    return app_client


def test_pages_answer_admins_and_refuse_the_others(api):
    client = api.client
    admin, scoped = api.headers("admin"), api.headers("admin", ["62.02"])
    for path in ("/admin/users", "/admin/users/new", "/audit", "/account/tokens"):
        r = client.get(path, headers=admin)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
    for role in ("editor", "analyst", "viewer"):
        headers = api.headers(role, ["62.02"])
        for path in ("/admin/users", "/admin/users/new", "/audit", "/audit/export.csv", "/audit/export.xlsx"):
            assert client.get(path, headers=headers).status_code == 403, (role, path)
        assert client.get("/account/tokens", headers=headers).status_code == 200
    assert client.get("/admin/users", headers=scoped).status_code == 403  # only province-wide admins
    assert client.get("/audit", headers=scoped).status_code == 403
    assert client.get("/audit/export.xlsx", headers=scoped).status_code == 403
    r = client.get("/admin/users", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert client.get("/admin/users/999999999", headers=admin).status_code == 404


def test_unknown_reset_links_are_one_answer(api):
    client = api.client
    for token in ("x" * 43, "A" * 20, "short", "%3Cscript%3E"):
        r = client.get(f"/reset/{token}")
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-store" and 'id="reset-form"' not in r.text


def test_audit_exports_and_the_api_target_filter(api):
    import psycopg2

    conn = psycopg2.connect(api.url)
    try:
        audit.record(conn, "api_token.revoke", username="kontrak", target="api_token:424242")
    finally:
        conn.close()
    admin = api.headers("admin")
    r = api.client.get("/api/audit", params={"target": "api_token:4242"}, headers=admin)
    assert r.status_code == 200 and [i["target"] for i in r.json()["items"]] == ["api_token:424242"]
    csv_ = api.client.get("/audit/export.csv", params={"target": "api_token:4242"}, headers=admin)
    assert csv_.status_code == 200 and csv_.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_.headers["content-disposition"] and "api_token:424242" in csv_.text
    xlsx = api.client.get("/audit/export.xlsx", params={"user": "kontrak"}, headers=admin)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert api.client.get("/audit", params={"since": "2026-13-01"}, headers=admin).status_code == 400
