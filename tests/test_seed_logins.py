"""The test helper's logins (tests/seed.py): a long suite logs in again as the same user, so a test
that reads the audit trail by `username()` finds what its requests did (a new user per re-login
once made such a test fail when it crossed the re-login age)."""

from __future__ import annotations

from tests import seed


def test_a_re_login_keeps_the_user(app_client, monkeypatch):
    first = app_client.headers("analyst")
    name = app_client.username("analyst")
    monkeypatch.setattr(seed, "TOKEN_REUSE_S", -1)  # every call now logs in again
    again = app_client.headers("analyst")
    assert app_client.username("analyst") == name
    for headers in (first, again):
        me = app_client.client.get("/api/auth/me", headers=headers)
        assert me.status_code == 200 and me.json()["username"] == name
