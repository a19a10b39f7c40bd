"""Stored XSS in the web workspace and the meeting cycle (#18, #19): script-like text is planted through
the real write paths (meeting place and minutes, recommendation text and progress note, an API token's
name, an import's file name and a rejected cell value) and every page that shows it is opened in
headless Chromium. No dialog may open, no script may fail, and the text must read as typed."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.test_maps_browser import browser  # noqa: F401 - module-scoped fixture
from tests.importutil import COMPANIES_CSV, sample_rows
from tests.seed import seed
from tests.test_web_discrepancies import add_reports, resolve_form

pytestmark = pytest.mark.slow

IMG = "<img src=x onerror=alert(1)>"
SCRIPT_END = "</script><script>alert(2)</script>"
TEMPLATE = "{{7*7}} ${alert(3)}"
JS_URL = "javascript:alert(4)"
SVG = "<svg onload=alert(5)>"


@pytest.fixture(scope="module")
def planted(server_url, template_db):
    data = seed(server_url, template_db)
    base = data.server.base
    boss = data.headers("admin")
    meeting = httpx.post(f"{base}/api/meetings", headers=boss, timeout=60, json={
        "date": "2026-01-15", "place": IMG, "period": "2025-Q4", "agencies": ["kesbangpol"],
        "minutes": f"{SCRIPT_END}\n{TEMPLATE}\n{JS_URL}"})
    assert meeting.status_code in (200, 201), meeting.text
    mid = meeting.json()["id"]
    rec = httpx.post(f"{base}/api/meetings/{mid}/recommendations", headers=boss, timeout=60, json={
        "text": f"{SVG} {TEMPLATE}", "agency": "kesbangpol", "due_date": "2026-02-01", "regions": ["62.02"]})
    assert rec.status_code in (200, 201), rec.text
    rid = rec.json()["id"]
    r = httpx.patch(f"{base}/api/recommendations/{rid}", headers=data.headers("editor"), timeout=60,
                    json={"status": "diproses", "note": f"{IMG} {JS_URL}", "version": 1})
    assert r.status_code == 200, r.text
    username, password = data.make_user("admin", None, "kesbangpol")
    # The admin's own session: a token named as a payload and an import whose file name and a cell are.
    client = httpx.Client(base_url=base, timeout=180)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    csrf = client.cookies["pantau_csrf"]
    r = client.post("/api/auth/api-tokens", json={"name": SCRIPT_END, "password": password}, headers={"X-CSRF-Token": csrf})
    assert r.status_code in (200, 201), r.text
    header, rows = sample_rows(COMPANIES_CSV)
    bad = list(rows[0])
    bad[header.index("nib")] = IMG
    body = "\r\n".join(",".join(f'"{c}"' if "," in c or '"' in c else c for c in row)
                       for row in [header, bad, rows[1]]) + "\r\n"
    r = client.post("/imports/check", data={"kind": "companies"},
                    files={"file": (f"{SVG}.csv", body.encode(), "text/csv")},
                    headers={"Accept": "application/json", "X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    upload = r.json()["next"]
    r = client.post(f"{upload}/commit", data={"mode": "skip_invalid", "csrf_token": csrf},
                    headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    # A discrepancy resolved with a note written as markup.
    add_reports(data.url, data.company_ids, data.worker_ids)
    r = resolve_form(client, data.company_ids[0], "jumlah_tka", choice="agency:imigrasi", note=f"{IMG} {TEMPLATE}")
    assert r.status_code == 303, r.text
    data.planted = {"meeting": mid, "rec": rid, "upload": upload, "username": username, "password": password}
    yield data
    data.close()


def test_no_payload_runs_on_any_new_page(planted, browser):  # noqa: F811
    data, p = planted, planted.planted
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    dialogs, errors = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    base = data.server.base
    page.goto(f"{base}/login?next=/meetings")
    page.fill("#username", p["username"])
    page.fill("#password", p["password"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/meetings*")
    m, rec = p["meeting"], p["rec"]
    shown = {  # page: the texts it must show as typed
        "/meetings": [IMG],
        f"/meetings/{m}": [IMG, SCRIPT_END, TEMPLATE, SVG],
        f"/meetings/{m}/recommendations/{rec}": [SVG, TEMPLATE, IMG, JS_URL],
        f"/meetings/{m}/changes": [SVG],
        "/attention/overdue_recommendations": [],
        "/": [],
        "/account/tokens": [SCRIPT_END],
        p["upload"]: [IMG, f"{SVG}.csv"],
        "/imports/history": [f"{SVG}.csv"],
        "/agency": [],
        "/audit": [],
        "/discrepancies?status=resolved": [f"{IMG} {TEMPLATE}"],
    }
    for path, texts in shown.items():
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        assert response.headers.get("content-security-policy"), path
        page.wait_for_load_state("networkidle")
        text = page.inner_text("body")
        for t in texts:
            assert t in text, (path, t)
        # No element made of the payloads: no <img src=x>, no <svg onload>, no javascript: link.
        assert page.locator("img[src=x], svg[onload], [onerror], a[href^='javascript:' i]").count() == 0, path
        assert dialogs == [] and errors == [], (path, dialogs, errors)
    context.close()
