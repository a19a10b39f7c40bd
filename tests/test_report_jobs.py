"""Background report jobs (issue #15 item 4) against a real server and database: create, poll,
download and read back; the job is its owner's only; the filter and the scope are carried into the
report; bounded concurrency; jobs are visible from another server process; lost and expired jobs."""

from __future__ import annotations

import io
import json
import subprocess
import time
import uuid
from datetime import date

import httpx
import openpyxl
import psycopg2
import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.slow  # every test builds real reports, each in a child process (seconds to a minute)

PERIOD = f"{date.today().year}-Q{(date.today().month - 1) // 3 + 1}"


def create(base: str, headers: dict, **body) -> httpx.Response:
    return httpx.post(f"{base}/api/reports/jobs", json={"period": PERIOD, **body}, headers=headers, timeout=60)


def wait_done(base: str, headers: dict, status_url: str, limit_s: float = 180) -> tuple[dict, list[dict]]:
    """Poll until the job ends; returns the last state and every state seen."""
    seen = []
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        r = httpx.get(base + status_url, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        state = r.json()
        seen.append(state)
        if state["status"] in ("done", "failed"):
            return state, seen
        time.sleep(0.3)
    raise AssertionError(f"job not done in {limit_s} s: {seen[-1]}")


def execute(url: str, sql: str, params=()) -> None:
    """A committed write (Seeded.query only reads)."""
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
    finally:
        conn.close()


def pdf_text(body: bytes, tmp_path) -> str:
    f = tmp_path / f"{uuid.uuid4().hex}.pdf"
    f.write_bytes(body)
    return subprocess.run(["pdftotext", "-layout", str(f), "-"], capture_output=True, text=True, check=True).stdout


def summary_total(text: str) -> list[str]:
    """The 'Jumlah' row of the summary table: companies, workers, ..."""
    return next(ln for ln in text.splitlines() if ln.strip().startswith("Jumlah")).split()[1:]


def test_create_poll_download_pdf_and_audit(seeded, tmp_path):
    headers = seeded.headers("analyst")
    r = create(seeded.server.base, headers, format="pdf")
    assert r.status_code == 202, r.text
    created = r.json()
    assert created["status"] == "queued" and created["status_url"] == f"/api/reports/jobs/{created['id']}"
    assert r.headers["location"] == created["status_url"]
    state, seen = wait_done(seeded.server.base, headers, created["status_url"])
    assert state["status"] == "done", state
    assert state["progress"] == 100 and state["download_url"] == created["status_url"] + "/file"
    assert [s["progress"] for s in seen] == sorted(s["progress"] for s in seen)  # never goes back
    assert all(0 <= s["progress"] <= 100 and s["status"] in ("queued", "running", "done") for s in seen)

    f = httpx.get(seeded.server.base + state["download_url"], headers=headers, timeout=60)
    assert f.status_code == 200
    assert f.headers["content-type"] == "application/pdf"
    assert f'filename="{state["filename"]}"' in f.headers["content-disposition"]
    text = pdf_text(f.content, tmp_path)
    assert f.headers["x-content-hash"] in text
    assert summary_total(text)[0] == "3"  # the three seeded companies
    for secret in seeded.secrets:
        assert secret not in text

    # The same report as the synchronous route gives, and the download audited like it.
    sync = httpx.get(f"{seeded.server.base}/api/reports", params={"period": PERIOD, "format": "pdf"},
                     headers=headers, timeout=120)
    assert summary_total(pdf_text(sync.content, tmp_path)) == summary_total(text)
    rows = seeded.query("""SELECT detail FROM audit_log WHERE action = 'report.export' AND username = %s
                           ORDER BY id""", (seeded.username("analyst"),))
    assert rows[-2][0]["job"] == created["id"] and rows[-2][0]["hash"] == f.headers["x-content-hash"]
    assert rows[-2][0]["format"] == "pdf" and rows[-2][0]["personal"] is False


def test_another_user_gets_404(seeded):
    owner = seeded.headers("admin")
    r = create(seeded.server.base, owner, format="xlsx")
    assert r.status_code == 202
    job = r.json()
    wait_done(seeded.server.base, owner, job["status_url"])
    base = seeded.server.base
    # Another user, even an admin with the same scope, and a viewer: as if the job did not exist.
    for other in (seeded.headers("admin", agency="polda"), seeded.headers("viewer")):
        for path in (job["status_url"], job["status_url"] + "/file"):
            assert httpx.get(base + path, headers=other, timeout=30).status_code == 404
    for bad in (str(uuid.uuid4()), "not-a-uuid", "1 OR 1=1"):
        assert httpx.get(f"{base}/api/reports/jobs/{bad}", headers=owner, timeout=30).status_code == 404
    assert httpx.get(base + job["status_url"], timeout=30).status_code == 401
    assert httpx.get(base + job["status_url"] + "/file", headers=owner, timeout=30).status_code == 200


def test_filter_is_carried_sector_only(seeded, tmp_path):
    headers = seeded.headers("analyst")
    base = seeded.server.base
    xlsx = create(base, headers, format="xlsx", sector="jasa").json()
    pdf = create(base, headers, format="pdf", sector="jasa").json()
    for job in (xlsx, pdf):
        state, _ = wait_done(base, headers, job["status_url"])
        assert state["status"] == "done" and state["filter"] == {"sector": "jasa"}
    book = openpyxl.load_workbook(io.BytesIO(httpx.get(base + xlsx["status_url"] + "/file", headers=headers,
                                                       timeout=60).content))
    ws = book["perusahaan"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=False)) for row in ws.iter_rows(min_row=2) if row[0].value]
    names = [v for r in rows for v in r.values() if isinstance(v, str) and v.startswith("PT ")]
    assert names == ["PT Jasa Palangka Raya"]
    text = pdf_text(httpx.get(base + pdf["status_url"] + "/file", headers=headers, timeout=60).content, tmp_path)
    assert summary_total(text)[0] == "1"
    assert "jasa" in text.lower() and "PT Sawit Sampit Lestari" not in text


def test_scope_and_personal_as_the_synchronous_route(seeded, tmp_path):
    base = seeded.server.base
    kotim = seeded.headers("viewer", ["62.02"])
    # Outside the scope, and personal data for a viewer: refused at once, nothing queued.
    assert create(base, kotim, regency="62.71").status_code == 400
    assert create(base, kotim, regency_code="62.71").status_code == 400
    assert create(base, kotim, format="xlsx", personal=True).status_code == 400
    assert create(base, kotim, format="docx").status_code == 400
    assert create(base, kotim, period="2026-Q5").status_code == 400
    assert create(base, kotim, sector="bukan_sektor").status_code == 400
    job = create(base, kotim, format="pdf").json()
    state, _ = wait_done(base, kotim, job["status_url"])
    text = pdf_text(httpx.get(base + state["download_url"], headers=kotim, timeout=60).content, tmp_path)
    assert summary_total(text)[0] == "2"  # the two companies of 62.02 only
    assert "PT Jasa Palangka Raya" not in text

    analyst = seeded.headers("analyst")
    job = create(base, analyst, format="xlsx", personal=True).json()
    state, _ = wait_done(base, analyst, job["status_url"])
    book = openpyxl.load_workbook(io.BytesIO(httpx.get(base + state["download_url"], headers=analyst,
                                                       timeout=60).content))
    assert "tka" in book.sheetnames
    assert any(c.value == "ZHANG WEIXIANPRIVATE" for row in book["tka"].iter_rows() for c in row)


def test_changed_scope_or_role_hides_the_job(seeded):
    base = seeded.server.base
    username, password = seeded.make_user("analyst")
    token = httpx.post(f"{base}/api/auth/token", data={"username": username, "password": password}, timeout=30)
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    job = create(base, headers, format="xlsx", personal=True).json()
    wait_done(base, headers, job["status_url"])
    assert httpx.get(base + job["status_url"] + "/file", headers=headers, timeout=30).status_code == 200
    # Now a viewer: the named workers it holds are no longer the user's to read.
    execute(seeded.url, "UPDATE users SET role = 'viewer' WHERE username = %s", (username,))
    time.sleep(0.6)  # the server remembers a bearer's principal for half a second
    assert httpx.get(base + job["status_url"] + "/file", headers=headers, timeout=30).status_code == 404
    # Back to analyst but for one regency only: the province-wide file is out of the new scope.
    execute(seeded.url, "UPDATE users SET role = 'analyst', regencies = ARRAY['62.02'] WHERE username = %s",
            (username,))
    time.sleep(0.6)
    assert httpx.get(base + job["status_url"], headers=headers, timeout=30).status_code == 404


def test_session_cookie_needs_csrf(seeded):
    """A page of another site can make the browser POST with our cookie: without the CSRF token, 403."""
    base = seeded.server.base
    username, password = seeded.make_user("analyst")
    with httpx.Client(base_url=base, timeout=60) as browser:
        page = browser.get("/login")
        csrf = page.cookies.get("pantau_csrf") or browser.cookies.get("pantau_csrf")
        r = browser.post("/login", data={"username": username, "password": password, "csrf_token": csrf, "next": "/"})
        assert r.status_code in (200, 303), r.text
        assert browser.post("/api/reports/jobs", json={"period": PERIOD}).status_code == 403
        r = browser.post("/api/reports/jobs", json={"period": PERIOD}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 202, r.text
        state, _ = wait_done(base, {"Cookie": f"pantau_session={browser.cookies['pantau_session']}"},
                             r.json()["status_url"])
        assert state["status"] == "done"


def test_lost_and_expired_jobs(seeded):
    base = seeded.server.base
    headers = seeded.headers("analyst")
    username = seeded.username("analyst")
    lost, expired = str(uuid.uuid4()), str(uuid.uuid4())
    options = json.dumps({"period": PERIOD, "format": "pdf", "filter": {}, "scope": None, "threshold": 3,
                          "agency": "kesbangpol", "personal": False})
    execute(seeded.url, """INSERT INTO report_jobs (id, user_id, options, status, heartbeat_at, expires_at)
                           SELECT %s, id, %s, 'running', now() - interval '5 minutes', now() + interval '1 hour'
                             FROM users WHERE username = %s""", (lost, options, username))
    execute(seeded.url, """INSERT INTO report_jobs (id, user_id, options, status, expires_at)
                           SELECT %s, id, %s, 'done', now() - interval '1 second' FROM users WHERE username = %s""",
            (expired, options, username))
    state = httpx.get(f"{base}/api/reports/jobs/{lost}", headers=headers, timeout=30).json()
    assert state["status"] == "failed" and "dimulai ulang" in state["error"]
    assert httpx.get(f"{base}/api/reports/jobs/{expired}", headers=headers, timeout=30).status_code == 404
    assert seeded.query("SELECT count(*) FROM report_jobs WHERE id = %s", (expired,))[0][0] == 0


def test_bounded_concurrency_and_per_user_limit(seeded):
    """One job at a time and none waiting: the next user's job is a 503 with Retry-After; one user
    cannot hold more than two unfinished jobs (429)."""
    server = LiveServer(seeded.url, {"PANTAU_REPORT_CONCURRENCY": "1", "PANTAU_REPORT_QUEUE": "0"})
    try:
        first = seeded.headers("analyst")
        r = create(server.base, first, format="pdf")
        assert r.status_code == 202
        busy = create(server.base, seeded.headers("admin"), format="pdf")
        assert busy.status_code == 503 and busy.headers["retry-after"] == "30"
        assert "sibuk" in busy.text or "laporan lain" in busy.text
        wait_done(server.base, first, r.json()["status_url"])
        # Its place is free once the child process has ended (a moment after the row says done).
        deadline = time.monotonic() + 15
        while (again := create(server.base, seeded.headers("admin"), format="xlsx")).status_code == 503:
            assert time.monotonic() < deadline, again.text
            time.sleep(0.5)
        assert again.status_code == 202
    finally:
        server.stop()
    # The default queue: a user's third unfinished job is refused.
    headers = seeded.headers("editor")
    started = [create(seeded.server.base, headers, format="pdf") for _ in range(3)]
    assert [r.status_code for r in started] == [202, 202, 429]
    for r in started[:2]:
        wait_done(seeded.server.base, headers, r.json()["status_url"])


def test_job_visible_from_another_server_process(seeded, tmp_path):
    """Two server processes on one database (as PANTAU_WORKERS=2 runs): one builds, the other answers."""
    other = LiveServer(seeded.url)
    try:
        headers = seeded.headers("analyst")
        job = create(seeded.server.base, headers, format="pdf").json()
        state, seen = wait_done(other.base, headers, job["status_url"])
        assert state["status"] == "done"
        body = httpx.get(other.base + state["download_url"], headers=headers, timeout=60).content
        assert summary_total(pdf_text(body, tmp_path))[0] == "3"
    finally:
        other.stop()


def test_district_region_is_carried(seeded, tmp_path):
    """From a district map: the report is the regency's atlas limited to that district."""
    headers = seeded.headers("analyst")
    district = seeded.query("SELECT district_code FROM companies WHERE id = %s", (seeded.company_ids[0],))[0][0]
    inside = seeded.query("SELECT count(*) FROM companies WHERE district_code = %s", (district,))[0][0]
    job = create(seeded.server.base, headers, format="xlsx", regency=district[:5], district_code=district).json()
    state, _ = wait_done(seeded.server.base, headers, job["status_url"])
    assert state["status"] == "done" and state["filter"] == {"regency_code": district[:5], "district_code": district}
    book = openpyxl.load_workbook(io.BytesIO(httpx.get(seeded.server.base + state["download_url"], headers=headers,
                                                       timeout=60).content))
    names = [c.value for row in book["perusahaan"].iter_rows(min_row=2) for c in row
             if isinstance(c.value, str) and c.value.startswith("PT ")]
    assert len(names) == inside and "PT Jasa Palangka Raya" not in names
    # A district of another regency than the one named: refused.
    assert create(seeded.server.base, headers, regency="62.71", district_code=district).status_code == 400
    # A district outside the user's scope, named without its regency: refused as the regency would be.
    palangka = seeded.query("SELECT district_code FROM companies WHERE id = %s", (seeded.company_ids[2],))[0][0]
    r = create(seeded.server.base, seeded.headers("analyst", ["62.02"]), district_code=palangka)
    assert r.status_code == 400 and "di luar cakupan" in r.text
