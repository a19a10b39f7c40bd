"""/account/password over plain HTTP against a real server: success (this browser stays signed in,
every other session and access token ends), a wrong current password (refused, audited, counted
against the login limits), the policy, a mismatch, CSRF, and an audit trail without the password."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import psycopg2
import pytest

from geo.auth.users import create_user
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database

pytestmark = pytest.mark.slow  # a database and a server of its own

PASSWORD = "kata-sandi-uji-12345"
NEW_PASSWORD = "bulan purnama di sungai kahayan"
ATTEMPTS_PER_MINUTE = 3
USERS = {  # username: role; one user per test, so that their sessions and limits stay apart
    "ganti.sukses": "viewer",
    "ganti.salah": "editor",
    "ganti.kebijakan": "analyst",
    "ganti.csrf": "admin",
}


@pytest.fixture(scope="module")
def db(server_url, template_db):
    url = create_database(server_url, template=template_db)
    conn = psycopg2.connect(url)
    try:
        for name, role in USERS.items():
            create_user(conn, name, PASSWORD, role, "kesbangpol", None)
    finally:
        conn.close()
    yield url
    drop_database(server_url, dbname_of(url))


@pytest.fixture(scope="module")
def server(db):
    live = LiveServer(db, {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": str(ATTEMPTS_PER_MINUTE)})
    yield live
    live.stop()


def query(url: str, sql: str, params=()) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(base: str, username: str, password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/login")
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(form.text),
                                    "next": "/"})
    assert r.status_code == 303, r.text
    return client


def login_status(base: str, username: str, password: str) -> int:
    with httpx.Client(base_url=base, timeout=60) as client:
        form = client.get("/login")
        return client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_of(form.text), "next": "/"}).status_code


def change(client: httpx.Client, current: str, password: str, password2: str | None = None,
           csrf: str | None = None) -> httpx.Response:
    token = client.cookies["pantau_csrf"] if csrf is None else csrf
    return client.post("/account/password", data={"csrf_token": token, "current": current, "password": password,
                                                  "password2": password if password2 is None else password2})


def field_error(html: str, field: str) -> str:
    return re.search(rf'id="{field}-error">([^<]*)<', html).group(1)


def audit_rows(url: str, username: str) -> list[tuple]:
    return query(url, "SELECT outcome, target, detail::text, audit_log::text FROM audit_log "
                      "WHERE action = 'auth.password_change' AND username = %s ORDER BY id", (username,))


def test_every_role_has_the_page_and_its_link(server):
    for name in USERS:
        with closing(login(server.base, name)) as client:
            page = client.get("/account/password")
            assert page.status_code == 200
            assert page.headers["cache-control"] == "no-store"
            assert 'href="/account/password"' in page.text and 'id="password-form"' in page.text
    with httpx.Client(base_url=server.base) as anonymous:
        r = anonymous.get("/account/password")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_success_keeps_this_browser_and_ends_other_sessions_and_access_tokens(server, db):
    name = "ganti.sukses"
    this, other = login(server.base, name), login(server.base, name)
    access = httpx.post(f"{server.base}/api/auth/token", data={"username": name, "password": PASSWORD}).json()
    bearer = {"Authorization": f"Bearer {access['access_token']}"}
    assert httpx.get(f"{server.base}/api/auth/me", headers=bearer).status_code == 200
    with closing(this), closing(other):
        r = change(this, PASSWORD, NEW_PASSWORD)
        assert r.status_code == 200 and 'id="password-done"' in r.text
        assert this.get("/account/password").status_code == 200  # still signed in, with a fresh session
        assert this.get("/").status_code == 200
        gone = other.get("/")
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    assert httpx.get(f"{server.base}/api/auth/me", headers=bearer).status_code == 401
    assert login_status(server.base, name, PASSWORD) == 401
    with closing(login(server.base, name, NEW_PASSWORD)):
        pass
    rows = audit_rows(db, name)
    assert [(outcome, target) for outcome, target, _, _ in rows] == [("ok", name)]
    assert query(db, "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
                     "WHERE u.username = %s AND s.revoked_at IS NULL", (name,)) == [(2,)]  # this browser + the last login


def test_a_wrong_current_password_is_refused_audited_and_counted_as_a_failed_login(server, db):
    name = "ganti.salah"
    with closing(login(server.base, name)) as client:
        for _ in range(ATTEMPTS_PER_MINUTE):
            r = change(client, "bukan-kata-sandi-saya", NEW_PASSWORD)
            assert r.status_code == 403
            assert field_error(r.text, "current") == "Kata sandi saat ini salah (wrong current password)."
        # The limit is used up: even the right password is not checked now, on this form or at login.
        r = change(client, PASSWORD, NEW_PASSWORD)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "Terlalu banyak percobaan" in field_error(r.text, "current")
        assert login_status(server.base, name, PASSWORD) == 429
        assert client.get("/").status_code == 200  # refused, not signed out
    query(db, "DELETE FROM login_attempts")
    with closing(login(server.base, name)):  # the password did not change
        pass
    rows = audit_rows(db, name)
    assert [outcome for outcome, *_ in rows] == ["denied"] * (ATTEMPTS_PER_MINUTE + 1)
    assert all("bukan-kata-sandi-saya" not in row and PASSWORD not in row for *_, row in rows)


def test_the_policy_and_a_mismatch_are_shown_beside_the_field(server, db):
    name = "ganti.kebijakan"
    with closing(login(server.base, name)) as client:
        r = change(client, PASSWORD, "pendek")
        assert r.status_code == 400
        assert field_error(r.text, "password").startswith("kata sandi minimal 12 karakter")
        r = change(client, PASSWORD, "ganti.kebijakan-2026!")
        assert r.status_code == 400 and "nama pengguna" in field_error(r.text, "password")
        r = change(client, PASSWORD, "P@ssw0rd12345678")
        assert r.status_code == 400 and "mudah ditebak" in field_error(r.text, "password")
        r = change(client, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + " lain")
        assert r.status_code == 400
        assert field_error(r.text, "password2") == "Kedua kata sandi baru tidak sama (the new passwords differ)."
        assert "pendek" not in r.text and NEW_PASSWORD not in r.text  # nothing typed is sent back
        assert client.get("/").status_code == 200
    with closing(login(server.base, name)):  # unchanged
        pass
    assert audit_rows(db, name) == []


def test_the_form_needs_the_csrf_token(server, db):
    name = "ganti.csrf"
    before = query(db, "SELECT password_hash FROM users WHERE username = %s", (name,))
    with closing(login(server.base, name)) as client:
        assert change(client, PASSWORD, NEW_PASSWORD, csrf="").status_code == 403
        assert change(client, PASSWORD, NEW_PASSWORD, csrf="salah").status_code == 403
        # A cross-site form carries the session cookie but not our CSRF cookie's value.
        client.cookies.delete("pantau_csrf")
        r = client.post("/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                                   "password2": NEW_PASSWORD})
        assert r.status_code == 403
    assert query(db, "SELECT password_hash FROM users WHERE username = %s", (name,)) == before
    assert audit_rows(db, name) == []
