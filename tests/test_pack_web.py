"""The meeting pack's two views on the web (/meetings/{id}/changes) and in a scoped user's report,
over HTTP against a real server on the pack's known data (tests/pack_seed.py): the follow-up holds
the recommendations of the user's regencies only, the change table equals the figures computed
from the data, free text reaches a viewer masked, a meeting the user does not see is 404."""

from __future__ import annotations

import re
import subprocess
import uuid
from html import unescape

import httpx
import psycopg2
import pytest

from geo.auth.users import create_user
from geo.filters import MonitoringFilter
from geo.meetings.changes import FIGURES, figures_on
from tests import pack_seed
from tests.conftest import LiveServer
from tests.dbutil import dbname_of, drop_database
from tests.pack_seed import LAST, PERIOD, RECS, TODAY

pytestmark = pytest.mark.slow  # a server process, reports built for real


@pytest.fixture(scope="module")
def pack(server_url, template_db):
    url, ids = pack_seed.make(server_url, template_db)
    server = LiveServer(url)
    yield url, ids, server
    server.stop()
    drop_database(server_url, dbname_of(url))


def headers(pack, role: str, regencies=None, agency: str = "kesbangpol") -> dict:
    url, _, server = pack
    username, password = f"{role}-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    conn = psycopg2.connect(url)
    try:
        create_user(conn, username, password, role, agency, regencies)
    finally:
        conn.close()
    r = httpx.post(f"{server.base}/api/auth/token", data={"username": username, "password": password}, timeout=30)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def page(pack, hdrs, meeting: str = "last", **params) -> httpx.Response:
    _, ids, server = pack
    return httpx.get(f"{server.base}/meetings/{ids['meetings'][meeting]}/changes", params=params, headers=hdrs,
                     timeout=60, follow_redirects=False)


def cells(html: str) -> dict[tuple[str, str, str], str]:
    """{(region code, figure, then|now|diff): text} of the change table."""
    out = {}
    for code, row in re.findall(r'<tr[^>]*data-code="([^"]+)">(.*?)</tr>', html, re.S):
        for figure, day, text in re.findall(r'<td data-figure="(\w+)" data-day="(\w+)"[^>]*>([^<]*)</td>', row):
            out[(code, figure, day)] = unescape(text.strip())
    return out


def followup_rows(html: str) -> str:
    return html.split('id="followup"', 1)[1].split("</table>", 1)[0]


def test_changes_equal_the_figures_and_the_follow_up_is_complete(pack):
    r = page(pack, headers(pack, "admin"))
    assert r.status_code == 200, r.text[:300]
    rows = followup_rows(r.text)
    for i in pack_seed.SHOWN:
        assert RECS[i][1] in rows
    assert RECS[1][1] not in rows
    assert rows.count("overdue-badge") == 2
    conn = psycopg2.connect(pack[0])
    try:
        days = figures_on(conn, MonitoringFilter(), [LAST, TODAY])
    finally:
        conn.close()
    got = cells(r.text)
    for code in ("62.02", "62.71"):
        for key, _ in FIGURES:
            a, b = days[LAST][code][key], days[TODAY][code][key]
            assert (got[(code, key, "then")], got[(code, key, "now")]) == (str(a), str(b)), (code, key)
            assert got[(code, key, "diff")] == (f"+{b - a}" if b > a else str(b - a))
    # An admin reads the note as written.
    assert pack_seed.SECRET_NOTE.split(";")[1].strip() in unescape(rows)


def test_a_regency_viewer_sees_only_their_regency_and_masked_text(pack):
    r = page(pack, headers(pack, "viewer", ["62.02"]))
    assert r.status_code == 200
    rows = followup_rows(r.text)
    assert RECS[2][1] in rows and RECS[4][1] in rows  # 62.02's and the province-wide one
    assert RECS[0][1] not in rows and RECS[3][1] not in rows  # 62.71's
    assert "WEIXIANPRIVATE" not in r.text and "EZ9911001" not in r.text and "[disamarkan]" in rows
    codes = set(re.findall(r'data-code="([^"]+)"', r.text))
    assert codes == {"62.02", "total"}
    assert "Palangkaraya" not in r.text.split('id="changes"', 1)[1]
    # Districts of their regency, not of another (404 as if absent).
    d = page(pack, headers(pack, "viewer", ["62.02"]), regency="62.02")
    assert d.status_code == 200 and all(c.startswith("62.02.") for c in
                                        set(re.findall(r'data-code="([^"]+)"', d.text)) - {"total"})
    assert page(pack, headers(pack, "viewer", ["62.02"]), regency="62.71").status_code == 404


def test_a_meeting_the_user_does_not_see_is_absent(pack):
    polda = headers(pack, "analyst", agency="polda")  # attended neither meeting, responsible for nothing
    r = page(pack, polda)
    assert r.status_code == 404 and RECS[2][1] not in r.text
    _, ids, server = pack
    missing = httpx.get(f"{server.base}/meetings/{max(ids['meetings'].values()) + 1000}/changes",
                        headers=headers(pack, "admin"), timeout=30)
    assert missing.status_code == 404
    anonymous = httpx.get(f"{server.base}/meetings/{ids['meetings']['last']}/changes", timeout=30)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_a_regency_users_report_holds_only_their_regency(pack, tmp_path):
    _, _, server = pack
    r = httpx.get(f"{server.base}/api/reports", params={"period": str(PERIOD), "format": "pdf"},
                  headers=headers(pack, "viewer", ["62.02"]), timeout=300)
    assert r.status_code == 200, r.text[:300]
    f = tmp_path / "r.pdf"
    f.write_bytes(r.content)
    text = subprocess.run(["pdftotext", "-raw", "-f", "3", "-l", "4", str(f), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    assert "Tindak lanjut rekomendasi rakor sebelumnya" in flat and "Perubahan sejak rakor terakhir" in flat
    assert RECS[2][1] in flat and RECS[4][1] in flat
    assert RECS[0][1] not in flat and RECS[3][1] not in flat
    assert "Palangkaraya" not in flat and "WEIXIANPRIVATE" not in flat
    html = httpx.get(f"{server.base}/api/reports", params={"period": str(PERIOD), "format": "html"},
                     headers=headers(pack, "viewer", ["62.02"]), timeout=300).text
    assert RECS[2][1] in html and RECS[0][1] not in html and "EZ9911001" not in html


def test_a_report_follows_the_meetings_the_users_agency_sees(pack):
    """Polda attended neither meeting and is responsible for nothing: its report has no meeting to
    follow; Disnakertrans did not attend either but holds recommendations of both: it follows them."""
    _, _, server = pack

    def html(agency: str) -> str:
        r = httpx.get(f"{server.base}/api/reports", params={"period": str(PERIOD), "format": "html"},
                      headers=headers(pack, "viewer", agency=agency), timeout=300)
        assert r.status_code == 200, r.text[:300]
        return r.text

    polda = html("polda")
    assert "Belum ada rakor tercatat" in polda and RECS[2][1] not in polda and RECS[4][1] not in polda
    dn = html("disnakertrans")
    assert all(RECS[i][1] in dn for i in pack_seed.SHOWN)


def test_hostile_text_is_shown_as_text(pack):
    """Last in the module: it adds a recommendation whose text and note are markup."""
    url, ids, server = pack
    hostile = '<img src=x onerror="alert(1)">Tindak <b>tegas</b>'
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO recommendations (meeting_id, text, agency, due_date, created_by)
                       VALUES (%s, %s, 'polda', current_date + 10, 'test') RETURNING id""",
                    (ids["meetings"]["last"], hostile))
        rec = cur.fetchone()[0]
        cur.execute("""INSERT INTO recommendation_notes (recommendation_id, username, agency, status_to, note, version)
                       VALUES (%s, 'test', 'polda', 'baru', %s, 1)""", (rec, hostile))
    conn.close()
    r = page(pack, headers(pack, "admin"))
    assert r.status_code == 200 and "<img src=x" not in r.text and "&lt;img src=x" in r.text
    html = httpx.get(f"{server.base}/api/reports", params={"period": str(PERIOD), "format": "html"},
                     headers=headers(pack, "admin"), timeout=300).text
    assert "<img src=x" not in html and "&lt;img src=x" in html and "<b>tegas" not in html


def test_the_meeting_page_links_to_it(pack):
    _, ids, server = pack
    r = httpx.get(f"{server.base}/meetings/{ids['meetings']['last']}", headers=headers(pack, "viewer"), timeout=60)
    assert r.status_code == 200
    assert f'href="/meetings/{ids["meetings"]["last"]}/changes"' in r.text
