"""The digest's web pages against a real server: the preferences page (/account/notifications) for
every role, its form's CSRF check and audit record, and the unsubscribe link of a real message
(GET changes nothing, the RFC 8058 one-click POST turns digests off without a login; a forged
token is refused)."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import psycopg2
import pytest

from geo import clock
from geo.digest.items import attention_items
from geo.digest.send import run
from geo.settings import Settings
from tests.conftest import LiveServer
from tests.digest_inbox import Inbox
from tests.seed import seed

pytestmark = pytest.mark.slow  # a server of its own

KEY = "digest-pages-signing-key-0123456789-abcdefgh"
PATH = "/account/notifications"


@pytest.fixture(scope="module")
def inbox():
    box = Inbox()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def site(server_url, template_db, inbox):
    data = seed(server_url, template_db, serve=False)
    data.server = LiveServer(data.url, {"PANTAU_SECRET_KEY": KEY, "PANTAU_SMTP_URL": inbox.url,
                                        "PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "100"})
    yield data
    data.close()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(site, role: str, regencies: list[str] | None = None) -> tuple[httpx.Client, str]:
    username, password = site.make_user(role, regencies)
    client = httpx.Client(base_url=site.server.base, timeout=60)
    form = client.get("/login")
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(form.text)})
    assert r.status_code == 303, r.text
    return client, username


def row(site, username: str) -> tuple:
    return site.query("SELECT email, digest_frequency, digest_weekday FROM users WHERE username = %s",
                      (username,))[0]


def test_the_page_needs_a_login(site):
    r = httpx.get(f"{site.server.base}{PATH}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Faccount%2Fnotifications")


@pytest.mark.parametrize(("role", "regencies"), [("admin", None), ("editor", ["62.02"]), ("analyst", ["62.71"]),
                                                 ("viewer", None)])
def test_every_role_has_the_link_and_sees_its_own_list_without_personal_data(site, role, regencies):
    client, username = log_in(site, role, regencies)
    with closing(client):
        assert f'href="{PATH}"' in client.get("/").text
        page = client.get(PATH)
        assert page.status_code == 200
        conn = psycopg2.connect(site.url)
        try:
            from api.security import Principal

            items = [i for i in attention_items(conn, Principal(username, role, "kesbangpol",
                                                                tuple(regencies) if regencies else None),
                                                clock.today()) if i.count]
        finally:
            conn.close()
        preview = re.findall(r'<a href="(/attention/[a-z0-9_]+)">', page.text)
        assert preview == [i.link for i in items]
        if role == "viewer":
            assert [s for s in site.secrets if s in page.text] == []


def test_saving_needs_the_forms_csrf_token_and_is_audited(site):
    client, username = log_in(site, "editor", ["62.02"])
    with closing(client):
        token = csrf_of(client.get(PATH).text)
        good = {"email": "Petugas.Kotim@Example.go.id", "frequency": "weekly", "weekday": "5"}
        assert client.post(PATH, data=good).status_code == 403  # no token: a cross-site form
        assert client.post(PATH, data={**good, "csrf_token": "another"}).status_code == 403
        assert row(site, username) == (None, "off", 1)

        bad = client.post(PATH, data={**good, "email": "bukan alamat", "csrf_token": token})
        assert bad.status_code == 400 and "alamat e-mail tidak sah" in bad.text
        assert f'title="{username} · Editor"' in bad.text  # still the signed-in page, with its navigation
        long = client.post(PATH, data={**good, "email": "a" * 300 + "@example.go.id", "csrf_token": token})
        assert long.status_code == 400 and "terlalu panjang" in long.text
        missing = client.post(PATH, data={**good, "email": "", "csrf_token": token})
        assert missing.status_code == 400 and "isi alamat e-mail" in missing.text
        assert row(site, username) == (None, "off", 1)

        saved = client.post(PATH, data={**good, "csrf_token": token}, follow_redirects=False)
        assert saved.status_code == 303 and saved.headers["location"] == f"{PATH}?saved=true"
        assert row(site, username) == ("Petugas.Kotim@example.go.id", "weekly", 5)
        shown = client.get(saved.headers["location"]).text
        assert "Pengaturan notifikasi tersimpan" in shown and 'value="Petugas.Kotim@example.go.id"' in shown
    audit = site.query("SELECT role, detail FROM audit_log WHERE action = 'digest.preferences' AND username = %s",
                       (username,))
    assert audit == [("editor", {"frequency": "weekly", "weekday": 5, "email_set": True, "email_changed": True})]


def test_the_mails_unsubscribe_link_turns_digests_off_without_a_login(site, inbox):
    username, _ = site.make_user("viewer", ["62.02"])
    other, _ = site.make_user("viewer", ["62.02"])
    conn = psycopg2.connect(site.url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET digest_frequency = 'off'")
            cur.execute("UPDATE users SET email = username || '@example.go.id', digest_frequency = 'daily' "
                        "WHERE username IN (%s, %s)", (username, other))
        settings = Settings(database={"url": site.url}, auth={"secret_key": KEY},
                            mail={"smtp_url": inbox.url, "public_url": site.server.base})
        inbox.clear()
        assert sorted(run(conn, settings, clock.today()).sent) == sorted([username, other])
    finally:
        conn.close()
    (message,) = inbox.to(f"{username}@example.go.id")
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith(f"{site.server.base}/unsubscribe/") and link in message.get_body(("plain",)).get_content()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page = httpx.get(link)  # a mail scanner opening the link changes nothing
    assert page.status_code == 200 and 'id="confirm-unsubscribe"' in page.text
    assert row(site, username)[1] == "daily"

    token = link.rsplit("/", 1)[1]
    forged = f"{token.split('-')[0]}-{'A' * 43}"
    for bad in (forged, token[:-1], "1-x", f"{int(token.split('-')[0]) + 1}-{token.split('-', 1)[1]}"):
        assert httpx.get(f"{site.server.base}/unsubscribe/{bad}").status_code == 404
        assert httpx.post(f"{site.server.base}/unsubscribe/{bad}", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert row(site, username)[1] == "daily" and row(site, other)[1] == "daily"

    # RFC 8058: the mail program POSTs List-Unsubscribe=One-Click, with no cookie and no CSRF token.
    done = httpx.post(link, content=b"List-Unsubscribe=One-Click",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and 'id="unsubscribed"' in done.text
    assert row(site, username)[1] == "off" and row(site, other)[1] == "daily"
    audit = site.query("SELECT detail FROM audit_log WHERE action = 'digest.unsubscribe' AND username = %s",
                       (username,))
    assert audit == [({"was": "daily", "via": "link"},)]
