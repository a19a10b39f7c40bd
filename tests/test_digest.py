"""E-mail digests against a real SMTP server (aiosmtpd, tests/digest_inbox.py) and a real database:
each user gets their own attention list (geo.attention) as counts and links, a viewer's message (and
anyone's) carries no personal data and no names, weekly users only on their day, never twice a day,
a refused recipient does not stop the others, --dry-run and a missing PANTAU_SMTP_URL send nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg2
import pytest

from geo import clock
from geo.digest.compose import compose
from geo.digest.items import DigestLine, Recipient, attention_items
from geo.digest.send import DigestConfigError, run
from geo.digest.smtp import SmtpUrlError, parse_smtp_url
from geo.digest.tokens import make_token, read_token
from geo.formatting import number
from geo.settings import PROJECT_ROOT, Settings
from tests.digest_inbox import Inbox, text_of
from tests.seed import COMPANIES, seed

KEY = "digest-test-signing-key-0123456789-abcdefghij"
PUBLIC = "https://pantau.example.go.id"


@pytest.fixture(scope="module")
def data(server_url, template_db):
    seeded = seed(server_url, template_db, serve=False)
    yield seeded
    seeded.close()


@pytest.fixture(scope="module")
def inbox():
    box = Inbox()
    yield box
    box.stop()


def settings_for(url: str, smtp_url: str = "", public_url: str = PUBLIC) -> Settings:
    return Settings(database={"url": url}, auth={"secret_key": KEY},
                    mail={"smtp_url": smtp_url, "public_url": public_url, "smtp_from": "Pantau <pantau@example.go.id>"})


def subscribe(data, role: str, regencies: list[str] | None, frequency: str = "daily", weekday: int = 1,
              agency: str = "kesbangpol") -> Recipient:
    username, _ = data.make_user(role, regencies, agency)
    address = f"{username}@example.go.id"
    uid = write(data.url, "UPDATE users SET email = %s, digest_frequency = %s, digest_weekday = %s "
                "WHERE username = %s RETURNING id", (address, frequency, weekday, username))[0][0]
    return Recipient(uid, username, role, agency, tuple(regencies) if regencies else None, address, frequency,
                     weekday)


def write(url: str, sql: str, params=()) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def reset(data) -> None:
    """Every earlier user off, so a test sees only its own."""
    write(data.url, "UPDATE users SET digest_frequency = 'off'")


def expected(url: str, user: Recipient, today) -> list:
    conn = psycopg2.connect(url)
    try:
        return [i for i in attention_items(conn, user, today) if i.count]
    finally:
        conn.close()


def send(url: str, settings: Settings, today, dry_run: bool = False):
    conn = psycopg2.connect(url)
    try:
        return run(conn, settings, today, dry_run=dry_run)
    finally:
        conn.close()


def test_each_user_receives_their_own_attention_list(data, inbox):
    reset(data)
    inbox.clear()
    today = clock.today()
    users = [subscribe(data, "admin", None), subscribe(data, "editor", ["62.02"]),
             subscribe(data, "viewer", ["62.71"]), subscribe(data, "analyst", ["62.02", "62.71"], agency="imigrasi")]
    report = send(data.url, settings_for(data.url, inbox.url), today)
    assert not report.failed
    for user in users:
        items = expected(data.url, user, today)
        got = inbox.to(user.email)
        assert len(got) == (1 if items else 0), user.username
        if not items:
            continue
        message = got[0]
        assert message["Subject"].startswith(f"Pantau: {len(items)} hal perlu perhatian")
        plain = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        for item in items:
            assert f"- {item.label}: {number(item.count)} {item.unit}" in plain
            assert f"{PUBLIC}{item.link}" in plain and f'href="{PUBLIC}{item.link}"' in html
        # Kinds with nothing to report are left out.
        listed = [line for line in plain.splitlines() if line.startswith("- ")]
        assert len(listed) == len(items)
    # The scopes differ, so the messages do: 62.02's editor and 62.71's viewer do not get the same counts.
    assert {u.username for u in users} >= set(report.sent)
    assert len(report.sent) >= 3


def test_no_personal_data_and_no_names_in_any_message(data, inbox):
    reset(data)
    inbox.clear()
    viewer = subscribe(data, "viewer", None)
    admin = subscribe(data, "admin", None)
    report = send(data.url, settings_for(data.url, inbox.url), clock.today())
    assert set(report.sent) == {viewer.username, admin.username}
    for user in (viewer, admin):
        (message,) = inbox.to(user.email)
        text = text_of(message)
        leaked = [s for s in data.secrets if s.lower() in text.lower()]
        assert leaked == [], (user.role, leaked)
        # Mail leaves the system: not even the companies are named, only counts and links.
        assert [c[1] for c in COMPANIES if c[1].lower() in text.lower()] == []
    # The admin's attention list does name records (geo.attention lists up to 5 per item): the mail does not.
    conn = psycopg2.connect(data.url)
    try:
        named = [r.name for i in attention_items(conn, admin, clock.today()) for r in i.records]
    finally:
        conn.close()
    assert named, "the seed should give the admin an item with records"
    admin_text = text_of(inbox.to(admin.email)[0])
    assert [n for n in named if n in admin_text] == []


def test_sent_once_a_day_weekly_on_its_day_and_again_the_next_day(data, inbox):
    reset(data)
    inbox.clear()
    today = clock.today()
    other_day = today + timedelta(days=2)
    daily = subscribe(data, "admin", None, "daily")
    weekly_today = subscribe(data, "admin", None, "weekly", today.isoweekday())
    weekly_other = subscribe(data, "admin", None, "weekly", other_day.isoweekday())
    settings = settings_for(data.url, inbox.url)

    report = send(data.url, settings, today)
    assert set(report.sent) == {daily.username, weekly_today.username}
    assert inbox.to(weekly_other.email) == []

    again = send(data.url, settings, today)  # a second run the same day (a restarted timer) sends nothing
    assert again.sent == [] and again.planned == []
    assert len(inbox.messages) == 2

    later = send(data.url, settings, other_day)
    assert set(later.sent) == {daily.username, weekly_other.username}
    assert len(inbox.to(daily.email)) == 2 and len(inbox.to(weekly_today.email)) == 1
    assert data.query("SELECT digest_sent_on FROM users WHERE id = %s", (daily.user_id,))[0][0] == other_day


def test_a_refused_recipient_is_counted_and_the_others_still_get_theirs(data, inbox):
    reset(data)
    inbox.clear()
    first, refused, last = (subscribe(data, "admin", None) for _ in range(3))
    inbox.refuse(refused.email)
    today = clock.today()
    report = send(data.url, settings_for(data.url, inbox.url), today)
    assert report.failed == [refused.username]
    assert set(report.sent) == {first.username, last.username}
    assert len(inbox.to(first.email)) == 1 and len(inbox.to(last.email)) == 1
    # Not marked as sent: the next run tries it again.
    assert data.query("SELECT digest_sent_on FROM users WHERE id = %s", (refused.user_id,))[0][0] is None
    audit = data.query("SELECT outcome, detail FROM audit_log WHERE action = 'digest.send' ORDER BY id DESC LIMIT 1")
    assert audit[0][0] == "failed" and audit[0][1]["failed"] == 1 and audit[0][1]["users_failed"] == [refused.username]
    assert refused.email not in str(audit[0][1])


def test_two_runs_at_once_send_each_digest_once_and_disabled_users_none(data, inbox):
    reset(data)
    inbox.clear()
    users = [subscribe(data, "admin", None) for _ in range(6)]
    disabled = subscribe(data, "admin", None)
    write(data.url, "UPDATE users SET disabled = true WHERE id = %s", (disabled.user_id,))
    settings = settings_for(data.url, inbox.url)
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: send(data.url, settings, clock.today()), range(2)))
    sent = [name for r in reports for name in r.sent]
    assert sorted(sent) == sorted(u.username for u in users)  # each once, by one run or the other
    assert sorted(m["To"] for m in inbox.messages) == sorted(u.email for u in users)
    assert inbox.to(disabled.email) == []


def test_an_unreachable_server_fails_every_message_and_marks_none(data):
    reset(data)
    user = subscribe(data, "admin", None)
    dead = f"smtp://127.0.0.1:{_closed_port()}"
    report = send(data.url, settings_for(data.url, dead), clock.today())
    assert report.failed == [user.username] and report.sent == []
    assert data.query("SELECT digest_sent_on FROM users WHERE id = %s", (user.user_id,))[0][0] is None


def _closed_port() -> int:
    from tests.conftest import free_port

    return free_port()  # nothing listens on it


def test_without_smtp_nothing_is_sent_and_nothing_marked(data, inbox):
    reset(data)
    inbox.clear()
    user = subscribe(data, "admin", None)
    report = send(data.url, settings_for(data.url, ""), clock.today())
    assert report.not_configured and report.sent == []
    assert inbox.messages == []
    assert data.query("SELECT digest_sent_on FROM users WHERE id = %s", (user.user_id,))[0][0] is None


def test_a_malformed_smtp_url_or_no_public_url_stops_the_run_before_anything_is_sent(data, inbox):
    reset(data)
    inbox.clear()
    user = subscribe(data, "admin", None)
    with pytest.raises(DigestConfigError) as err:
        send(data.url, settings_for(data.url, "smtp://u:s3cret@127.0.0.1?tls=1"), clock.today())
    assert "s3cret" not in str(err.value) and "unknown option" in str(err.value)
    with pytest.raises(DigestConfigError, match="PANTAU_PUBLIC_URL"):
        send(data.url, settings_for(data.url, inbox.url, public_url=""), clock.today())
    assert inbox.messages == []
    assert data.query("SELECT digest_sent_on FROM users WHERE id = %s", (user.user_id,))[0][0] is None


def test_the_unsubscribe_headers_and_token(data, inbox):
    reset(data)
    inbox.clear()
    user = subscribe(data, "editor", ["62.02"])
    send(data.url, settings_for(data.url, inbox.url), clock.today())
    (message,) = inbox.to(user.email)
    token = make_token([KEY], user.user_id)
    assert message["List-Unsubscribe"] == f"<{PUBLIC}/unsubscribe/{token}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert read_token([KEY], token) == user.user_id
    assert read_token(["another-key-0123456789-0123456789-xx"], token) is None
    forged = f"{user.user_id + 1}-{token.split('-', 1)[1]}"
    assert read_token([KEY], forged) is None
    assert read_token(["new-key-0123456789-0123456789-0123", KEY], token) == user.user_id  # during a rotation


def test_the_html_part_is_escaped_and_links_stay_on_the_site():
    user = Recipient(1, "budi.sampit", "editor", "disnakertrans", ("62.02",), "budi@example.go.id", "daily", 1)
    lines = [DigestLine("x", "<script>alert(1)</script> & co", 2, "pekerja", "high", "/attention/x"),
             DigestLine("y", "lain", 1, "perusahaan", "medium", "//evil.example/attention")]
    message = compose(user, lines, clock.today(), public_url=PUBLIC, sender="Pantau <p@example.go.id>",
                      unsubscribe_url=f"{PUBLIC}/unsubscribe/1-x")
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "evil.example" not in text_of(message)
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and all(h.startswith(PUBLIC + "/") for h in hrefs)


@pytest.mark.parametrize(("url", "host", "port", "tls", "starttls", "user", "password"), [
    ("smtp://mail.example.go.id", "mail.example.go.id", 25, False, False, None, None),
    ("smtp://u%40x:p%40ss@mail:2525?starttls=true", "mail", 2525, False, True, "u@x", "p@ss"),
    ("smtp://mail?starttls=yes", "mail", 587, False, True, None, None),
    ("smtps://a:b@mail", "mail", 465, True, False, "a", "b"),
])
def test_smtp_urls(url, host, port, tls, starttls, user, password):
    config = parse_smtp_url(url)
    assert (config.host, config.port, config.tls, config.starttls, config.username, config.password) == \
        (host, port, tls, starttls, user, password)
    assert "p@ss" not in repr(config)


@pytest.mark.parametrize("url", ["http://u:s3cret@mail", "smtp://u:s3cret@", "smtp://u:s3cret@mail:99999",
                                 "smtps://u:s3cret@mail?starttls=true", "smtp://u:s3cret@mail?tls=1",
                                 "smtp://u:s3cret@mail?starttls=maybe", "smtp://u:s3cret@mail?timeout=0"])
def test_bad_smtp_urls_are_refused_without_echoing_the_password(url):
    with pytest.raises(SmtpUrlError) as err:
        parse_smtp_url(url)
    assert "s3cret" not in str(err.value)


# --- the command ------------------------------------------------------------------------------
def _pantau(url: str, *args: str, smtp_url: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_SMTP")}
    env.update({"DATABASE_URL": url, "PANTAU_SECRET_KEY": KEY, "PANTAU_PUBLIC_URL": PUBLIC})
    if smtp_url:
        env["PANTAU_SMTP_URL"] = smtp_url
    return subprocess.run([sys.executable, "-m", "geo.cli", "digest", "send", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow  # runs `pantau`
def test_dry_run_prints_who_would_get_what_and_sends_nothing(data, inbox):
    reset(data)
    inbox.clear()
    user = subscribe(data, "viewer", ["62.02"])
    items = expected(data.url, user, clock.today())
    done = _pantau(data.url, "--dry-run", smtp_url=inbox.url)
    assert done.returncode == 0, done.stderr
    assert f"{user.username} (viewer, kesbangpol, daily): {len(items)} item(s)" in done.stdout
    for item in items:
        assert f"    {item.kind}: {item.count}" in done.stdout
    assert inbox.messages == []
    assert data.query("SELECT digest_sent_on FROM users WHERE id = %s", (user.user_id,))[0][0] is None


@pytest.mark.slow  # runs `pantau`
def test_the_command_without_smtp_says_so_and_exits_0(data, inbox):
    reset(data)
    inbox.clear()
    user = subscribe(data, "admin", None)
    done = _pantau(data.url)
    assert done.returncode == 0, done.stderr
    assert "PANTAU_SMTP_URL is not set: no digest sent" in done.stdout
    assert inbox.messages == []
    assert data.query("SELECT digest_sent_on FROM users WHERE id = %s", (user.user_id,))[0][0] is None


@pytest.mark.slow  # runs `pantau`
def test_the_command_refuses_a_malformed_smtp_url_without_echoing_its_password(data, inbox):
    reset(data)
    inbox.clear()
    subscribe(data, "admin", None)
    done = _pantau(data.url, smtp_url="smtp://pantau:s3cret@127.0.0.1?tls=1")
    assert done.returncode == 2
    assert "unknown option" in done.stderr and "s3cret" not in done.stdout + done.stderr
    assert inbox.messages == []


@pytest.mark.slow  # runs `pantau`
def test_the_command_sends_and_a_second_run_sends_nothing(data, inbox):
    reset(data)
    inbox.clear()
    user = subscribe(data, "analyst", None, agency="imigrasi")
    first = _pantau(data.url, smtp_url=inbox.url)
    assert first.returncode == 0, first.stderr
    assert "1 sent, 0 failed" in first.stdout
    second = _pantau(data.url, smtp_url=inbox.url)
    assert second.returncode == 0 and "0 sent, 0 failed" in second.stdout
    assert len(inbox.to(user.email)) == 1


def test_the_pages_in_process(app_client):
    """Contract: the preferences page wants a login, a forged unsubscribe token is absent (404)."""
    client = app_client.client
    r = client.get("/account/notifications", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert client.post("/account/notifications", data={"email": "a@example.go.id"}, follow_redirects=False
                       ).status_code in (303, 403)
    for token in ("1-" + "A" * 43, "abc", "0-" + "A" * 43):
        page = client.get(f"/unsubscribe/{token}")
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert client.post(f"/unsubscribe/{token}").status_code == 404
