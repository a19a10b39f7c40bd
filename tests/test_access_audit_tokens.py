"""GET /api/audit (admins only, filters) and API tokens over HTTP (create once, list without hashes, revoke)."""

from datetime import datetime, timedelta

import httpx
import pytest

pytestmark = pytest.mark.slow  # the seeded server


@pytest.fixture(scope="module")
def client(seeded):
    with httpx.Client(base_url=seeded.server.base, timeout=60) as c:
        yield c


def test_audit_is_admin_only(client, seeded):
    assert client.get("/api/audit").status_code == 401
    for role in ("editor", "analyst", "viewer"):
        assert client.get("/api/audit", headers=seeded.headers(role)).status_code == 403


def test_audit_filters_by_user_action_time_and_pages(client, seeded):
    analyst = seeded.username("analyst", ["62.71"])
    analyst_headers = seeded.headers("analyst", ["62.71"])  # logs in (once per session) before `start`
    admin = seeded.headers("admin")
    latest = client.get("/api/audit", headers=admin, params={"limit": 1}).json()["items"][0]["at"]
    # Strictly after every record so far (the filter is inclusive), and before the reads below.
    start = (datetime.fromisoformat(latest) + timedelta(microseconds=1)).isoformat()
    for _ in range(3):
        client.get(f"/api/companies/{seeded.company_ids[2]}/workers", headers=analyst_headers)
    params = {"user": analyst, "action": "personal.read", "since": start}
    r = client.get("/api/audit", headers=admin, params=params)
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) == 3 and {i["target"] for i in items} == {f"company:{seeded.company_ids[2]}/workers"}
    assert items[0]["id"] > items[1]["id"] > items[2]["id"]  # newest first
    logins = client.get("/api/audit", headers=admin, params={"user": analyst, "action": "auth."}).json()["items"]
    assert logins and {i["action"] for i in logins} == {"auth.login"}
    page = client.get("/api/audit", headers=admin, params={**params, "limit": 2, "offset": 1}).json()
    assert page["numberReturned"] == 2 and [i["id"] for i in page["items"]] == [items[1]["id"], items[2]["id"]]
    later = client.get("/api/audit", headers=admin, params={"user": analyst, "since": start}).json()["items"]
    assert [i["action"] for i in later] == ["personal.read"] * 3  # the login came before `start`
    none = client.get("/api/audit", headers=admin, params={"user": analyst, "until": "2001-01-01T00:00:00Z"})
    assert none.json()["items"] == []


@pytest.mark.parametrize("params", [{"action": "x' OR 1=1 --"}, {"limit": 0}, {"limit": 100000}, {"since": "kemarin"},
                                    {"user": "'; DROP TABLE audit_log; --"},
                                    {"since": "2025-02-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"}])
def test_audit_bad_filters_are_client_errors(client, seeded, params):
    r = client.get("/api/audit", headers=seeded.headers("admin"), params=params)
    assert r.status_code in (400, 422)


@pytest.mark.parametrize("params", [{"since": "0400-10-16T23:46:06+22:06", "outcome": "denied"},
                                    {"since": "2025-01-01T00:00:00", "until": "2025-02-01T00:00:00Z"}])
def test_audit_odd_but_valid_times_are_answered(client, seeded, params):
    """An offset PostgreSQL refuses (+22:06) and a time without offset beside one with it (found by the fuzzer: 500)."""
    r = client.get("/api/audit", headers=seeded.headers("admin"), params=params)
    assert r.status_code == 200, r.text


def test_api_token_lifecycle_over_http(client, seeded):
    headers = seeded.headers("viewer", agency="polda")
    owner = seeded.username("viewer", agency="polda")
    created = client.post("/api/auth/api-tokens", json={"name": "sistem polda", "days": 30}, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    token = body["token"]
    assert token.startswith("pt_") and body["username"] == owner and body["active"]
    listed = client.get("/api/auth/api-tokens", headers=headers)
    assert [t["name"] for t in listed.json()] == ["sistem polda"]
    assert token not in listed.text and "hash" not in listed.text
    as_system = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/auth/me", headers=as_system).json()["username"] == owner
    # another non-admin user can neither see nor revoke it
    other = seeded.headers("editor")
    assert client.delete(f"/api/auth/api-tokens/{body['id']}", headers=other).status_code == 404
    assert client.get("/api/auth/api-tokens", headers=other, params={"username": owner}).status_code == 404
    assert client.delete(f"/api/auth/api-tokens/{body['id']}", headers=headers).status_code == 204
    assert client.get("/api/auth/me", headers=as_system).status_code == 401
    actions = seeded.query("SELECT action FROM audit_log WHERE target = %s ORDER BY id", (f"api_token:{body['id']}",))
    assert [a for (a,) in actions] == ["api_token.create", "api_token.revoke"]
    assert token not in str(seeded.query("SELECT detail::text FROM audit_log"))


def test_admin_creates_a_token_for_another_user(client, seeded):
    target = seeded.username("analyst", agency="imigrasi")
    r = client.post("/api/auth/api-tokens", json={"name": "SIMKIM", "username": target}, headers=seeded.headers("admin"))
    assert r.status_code == 201 and r.json()["username"] == target and r.json()["expires_at"] is not None
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {r.json()['token']}"}).json()["username"] == target
    refused = client.post("/api/auth/api-tokens", json={"name": "x", "username": target}, headers=seeded.headers("editor"))
    assert refused.status_code == 404
    strict = client.post("/api/auth/api-tokens", json={"name": "x", "scope": "all"}, headers=seeded.headers("editor"))
    assert strict.status_code in (400, 422)


def test_a_regency_admin_cannot_step_out_through_another_users_token(client, seeded):
    """A token inherits its owner's scope: a 62.02 admin minting one for a province-wide user would
    read every regency. Other users' tokens are for province-wide admins only (as managing users)."""
    regency_admin = seeded.headers("admin", ["62.02"])
    wide = seeded.username("admin")
    r = client.post("/api/auth/api-tokens", json={"name": "jalan pintas", "username": wide}, headers=regency_admin)
    assert r.status_code == 404
    assert client.get("/api/auth/api-tokens", params={"username": wide}, headers=regency_admin).status_code == 404
    theirs = client.post("/api/auth/api-tokens", json={"name": "milik provinsi"}, headers=seeded.headers("admin"))
    assert theirs.status_code == 201
    assert client.delete(f"/api/auth/api-tokens/{theirs.json()['id']}", headers=regency_admin).status_code == 404
    assert client.get("/api/audit", headers=regency_admin).status_code == 403
