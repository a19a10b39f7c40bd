"""#14: what a script running in an admin's signed-in browser (stored XSS) can no longer do with the
session: mint an API token without the password, or one that never expires; and an editor may not
import in another agency's name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.test_trust_auth import _web_login

pytestmark = pytest.mark.slow  # the session's server


def _post_token(client, body: dict):
    return client.post("/api/auth/api-tokens", json=body, headers={"X-CSRF-Token": client.cookies["pantau_csrf"]})


def test_a_browser_session_cannot_mint_a_token_without_the_password(live_server, make_user):
    username, password = make_user("admin")
    client = _web_login(live_server.base, username, password)
    # What the planted script did: the session cookie and the readable CSRF cookie are enough today.
    r = _post_token(client, {"name": "pintu belakang"})
    assert r.status_code == 400 and "kata sandi" in r.json()["description"]
    r = _post_token(client, {"name": "pintu belakang", "password": "bukan-kata-sandinya"})
    assert r.status_code == 403
    r = _post_token(client, {"name": "sinkronisasi", "password": password})
    assert r.status_code == 201, r.text
    assert datetime.fromisoformat(r.json()["expires_at"]) <= datetime.now(UTC) + timedelta(days=91)
    client.close()


def test_tokens_made_over_http_always_expire(live_server, auth_headers):
    h = auth_headers("admin")
    for days in (None, 0, 366, 3650):
        r = live_server_post(live_server, h, {"name": "selamanya", "days": days})
        assert r.status_code == 400 and "days" in r.json()["description"], (days, r.text)
    r = live_server_post(live_server, h, {"name": "setahun", "days": 365})
    assert r.status_code == 201
    assert datetime.fromisoformat(r.json()["expires_at"]) <= datetime.now(UTC) + timedelta(days=366)


def live_server_post(live_server, headers: dict, body: dict):
    import httpx

    return httpx.post(f"{live_server.base}/api/auth/api-tokens", json=body, headers=headers, timeout=60)
