"""Logging in, tokens, roles and the audit trail, through the real server."""

import subprocess
import sys
import time

import psycopg2
import pytest

from geo.settings import PROJECT_ROOT


def audit_rows(db_url, action, username):
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT outcome FROM audit_log WHERE action = %s AND username = %s ORDER BY id", (action, username))
        return [r[0] for r in cur.fetchall()]


@pytest.mark.slow  # the session's server
def test_password_login_gives_a_token_that_identifies_the_user(http, make_user, db_url):
    username, password = make_user("analyst", ["62.02"], "imigrasi")
    response = http.post("/api/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me == {"username": username, "role": "analyst", "agency": "imigrasi", "regencies": ["62.02"],
                  "can_see_personal": True, "can_write": False}
    assert audit_rows(db_url, "auth.login", username) == ["ok"]


@pytest.mark.slow  # the session's server
def test_wrong_password_is_refused_audited_and_rate_limited(http, make_user, db_url):
    username, _ = make_user("viewer")
    codes = [http.post("/api/auth/token", data={"username": username, "password": "wrong-password-123"}).status_code
             for _ in range(6)]
    assert codes == [401] * 5 + [429]
    assert audit_rows(db_url, "auth.login", username) == ["failed"] * 5 + ["denied"]


@pytest.mark.slow  # the session's server
def test_without_or_with_a_forged_token_me_is_401(http):
    assert http.get("/api/auth/me").status_code == 401
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl"
    assert http.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


@pytest.mark.slow  # the session's server
def test_api_token_works_until_revoked(http, make_user, db_url):
    from geo.auth.tokens import create_api_token, revoke_api_token

    username, _ = make_user("viewer", agency="polda")
    conn = psycopg2.connect(db_url)
    try:
        token = create_api_token(conn, username, "sistem polda")
        headers = {"Authorization": f"Bearer {token}"}
        assert http.get("/api/auth/me", headers=headers).json()["username"] == username
        with conn.cursor() as cur:
            cur.execute("SELECT id, last_used_at FROM api_tokens WHERE name = 'sistem polda' ORDER BY id DESC LIMIT 1")
            token_id, first_use = cur.fetchone()
        conn.commit()
        assert first_use is not None
        time.sleep(0.6)  # past the remembered principal: the token is looked up again ...
        assert http.get("/api/auth/me", headers=headers).status_code == 200
        with conn.cursor() as cur:  # ... but last_used_at is written at most once a minute
            cur.execute("SELECT last_used_at FROM api_tokens WHERE id = %s", (token_id,))
            assert cur.fetchone()[0] == first_use
        conn.commit()
        assert revoke_api_token(conn, token_id)  # behind the server's back, as another process would
        # A server remembers a principal for PRINCIPAL_TTL (0.5 s); a revocation through the API
        # itself takes effect at once (test_access_audit_tokens).
        deadline = time.monotonic() + 0.5 + 1.0  # the TTL, plus slack for a loaded machine
        while http.get("/api/auth/me", headers=headers).status_code != 401:
            assert time.monotonic() < deadline, "revoked API token still accepted"
            time.sleep(0.05)
    finally:
        conn.close()


def test_audit_log_is_append_only(db_url):
    conn = psycopg2.connect(db_url)
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO audit_log (action, username) VALUES ('test.probe', 'pytest')")
            conn.commit()
            for sql in ("UPDATE audit_log SET username = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="append-only"):
                    cur.execute(sql)
                conn.rollback()
            cur.execute("SELECT count(*) FROM audit_log WHERE action = 'test.probe'")
            assert cur.fetchone()[0] == 1
    finally:
        conn.close()


@pytest.mark.slow  # `pantau users` in subprocesses
def test_cli_adds_lists_and_disables_users(db_url, http):
    env_run = lambda *a, stdin=None: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "geo.cli", *a], cwd=PROJECT_ROOT, input=stdin, capture_output=True, text=True,
        env={**__import__("os").environ, "DATABASE_URL": db_url},
    )
    added = env_run("users", "add", "petugas.sampit", "--role", "editor", "--agency", "disnakertrans",
                    "--regency", "62.02", "--password-stdin", stdin="kata-sandi-panjang-1\n")
    assert added.returncode == 0, added.stderr
    assert "petugas.sampit" in env_run("users", "list").stdout
    weak = env_run("users", "add", "lemah", "--role", "viewer", "--agency", "polda", "--password-stdin", stdin="pendek\n")
    assert weak.returncode == 1 and "at least 12" in weak.stderr
    bad = env_run("users", "add", "x.y", "--role", "boss", "--agency", "polda", "--password-stdin", stdin="kata-sandi-panjang-1\n")
    assert bad.returncode == 1 and "unknown role 'boss'" in bad.stderr
    token = http.post("/api/auth/token", data={"username": "petugas.sampit", "password": "kata-sandi-panjang-1"})
    assert token.status_code == 200
    assert env_run("users", "disable", "petugas.sampit").returncode == 0
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert http.get("/api/auth/me", headers=headers).status_code == 401
    assert http.post("/api/auth/token",
                     data={"username": "petugas.sampit", "password": "kata-sandi-panjang-1"}).status_code == 401


def test_first_start_creates_admin_with_private_random_password(fresh_db_url, tmp_path):
    from geo.auth.bootstrap import ensure_admin
    from geo.auth.passwords import verify_password
    from geo.auth.users import get_user

    conn = psycopg2.connect(fresh_db_url)
    try:
        password = ensure_admin(conn, tmp_path / "admin-password.txt")
        assert password and len(password) >= 20
        assert (tmp_path / "admin-password.txt").stat().st_mode & 0o777 == 0o600
        assert verify_password(password, get_user(conn, "admin").password_hash)
        assert ensure_admin(conn, tmp_path / "again.txt") is None
    finally:
        conn.close()
