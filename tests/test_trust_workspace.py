"""Attacker's review of the web workspace (#18) and the meeting cycle (#19) against a real server: an
insider of Kotawaringin Timur (62.02) probes every new route for records of Palangka Raya (62.71),
writes without the CSRF token, personal data in what a viewer receives, and the CSP header.

The routes are listed from the app (api.main's routing tables), so a route added later is probed too.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile

import httpx
import psycopg2
import pytest

from api.main import API_ROUTERS, PAGE_ROUTERS
from api.web.exports_page import FORMATS
from api.web.exports_page import KINDS as EXPORT_KINDS
from geo.attention import KINDS as ATTENTION_KINDS
from tests.importutil import COMPANIES_CSV
from tests.seed import seed

pytestmark = pytest.mark.slow  # a dataset and a server of its own; an import in a child process

ABSENT = 987654321
# The routers that existed before #18/#19; every other one (those of #18/#19 and any added later) is probed.
OLD_PAGES = {"apidocs", "basemap", "companies", "foreign_mapdata", "foreign_maps", "home", "login", "mapdata", "maps",
             "static"}
OLD_API = {"features", "tiles", "stats", "auth", "health", "queries", "records", "reports", "search"}
NEW_PAGES = {m.__name__.rsplit(".", 1)[1] for m in PAGE_ROUTERS} - OLD_PAGES
NEW_API = {m.__name__.rsplit(".", 1)[1] for m in API_ROUTERS} - OLD_API
# No CSRF by design: the unguessable link is the proof (List-Unsubscribe=One-Click sends no cookie).
NO_CSRF = {"/unsubscribe/{token}", "/reset/{token}"}
WRITE_TABLES = ("meetings", "meeting_reports", "recommendations", "recommendation_notes", "recommendation_evidence",
                "companies", "foreign_workers", "inspections", "inspection_photos", "users", "api_tokens",
                "password_resets", "import_uploads", "import_batches", "discrepancy_resolutions", "audit_log")


def routes(table, wanted: set[str], prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for module in table:
        if module.__name__.rsplit(".", 1)[1] in wanted:
            for r in module.router.routes:
                for method in sorted(getattr(r, "methods", None) or ()):
                    if method != "HEAD":
                        out.append((method, prefix + r.path))
    return out


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture(scope="module")
def world(server_url, template_db):
    data = seed(server_url, template_db)
    base = data.server.base
    boss = data.headers("admin")  # province-wide Kesbangpol admin
    palangka, kotim = data.ids_in("62.71")[0], data.ids_in("62.02")[0]
    r = httpx.post(f"{base}/api/meetings", headers=boss, timeout=60, json={
        "date": "2026-11-20", "place": "Aula Bappeda", "period": "2026-Q4", "agencies": ["kesbangpol"],
        "minutes": "Notulen"})
    assert r.status_code in (200, 201), r.text
    meeting = r.json()["id"]
    recs = {}
    for regency, cid in (("62.71", palangka), ("62.02", kotim)):
        r = httpx.post(f"{base}/api/meetings/{meeting}/recommendations", headers=boss, timeout=60, json={
            "text": f"Tertibkan izin di {regency}", "agency": "kesbangpol", "due_date": "2026-12-31",
            "regions": [regency], "company_ids": [cid]})
        assert r.status_code in (200, 201), r.text
        recs[regency] = r.json()["id"]
    # Both overdue, so the attention lists and the follow-up tables hold them.
    with psycopg2.connect(data.url) as conn, conn.cursor() as cur:
        cur.execute("UPDATE recommendations SET due_date = current_date - 10 WHERE id = ANY(%s)", (list(recs.values()),))
        assert cur.rowcount == 2
    conn.close()
    data.meeting, data.recs = meeting, recs
    yield data
    data.close()


def browser(data, role: str, regencies=None, agency: str = "kesbangpol") -> httpx.Client:
    username, password = data.make_user(role, regencies, agency)
    client = httpx.Client(base_url=data.server.base, timeout=120)
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf_token": csrf_of(client.get("/login").text), "next": "/"})
    assert r.status_code == 303, r.text
    client.username = username
    return client


def counts(data) -> dict[str, tuple]:
    return {t: data.query(f"SELECT count(*), coalesce(sum(hashtext(t::text)), 0) FROM {t} t")[0]  # noqa: S608
            for t in WRITE_TABLES}


def _same_absent(a: httpx.Response, b: httpx.Response, ids: tuple[str, str]) -> None:
    """Out of scope answers exactly as absent: status, content type, body (its id aside)."""
    assert a.status_code == b.status_code == 404, (a.status_code, b.status_code, a.url)
    assert a.headers.get("content-type") == b.headers.get("content-type")
    assert a.text == b.text.replace(ids[1], ids[0]), a.url


@pytest.mark.parametrize("role", ["admin", "editor", "analyst", "viewer"])
def test_a_kotim_user_finds_nothing_of_palangka_raya(world, role):
    data = world
    c71, w71, i71 = data.ids_in("62.71")[0], data.worker_ids[3], data.inspection_ids[2]
    rec71 = data.recs["62.71"]
    client = browser(data, role, ["62.02"])
    probes = [("/companies/{}/edit", c71), ("/workers/{}/edit", w71), ("/inspections/{}/edit", i71),
              ("/companies/{}/inspections/new", c71), ("/inspections/{}/photos/1", i71),
              (f"/meetings/{data.meeting}/recommendations/{{}}", rec71)]
    for template, real in probes:
        there, absent = client.get(template.format(real)), client.get(template.format(ABSENT))
        if role in ("analyst", "viewer") and ("/edit" in template or template.endswith("/new")):
            # Writer pages refuse these roles before looking anything up: the same 403 for both ids.
            assert there.status_code == absent.status_code == 403, template
            continue
        _same_absent(there, absent, (str(real), str(ABSENT)))
    headers = data.headers(role, ["62.02"])
    there = httpx.get(f"{data.server.base}/api/recommendations/{rec71}", headers=headers)
    absent = httpx.get(f"{data.server.base}/api/recommendations/{ABSENT}", headers=headers)
    assert there.status_code == absent.status_code == 404 and there.json().keys() == absent.json().keys()
    # The meeting page lists the Kotim recommendation only.
    page = client.get(f"/meetings/{data.meeting}").text
    assert "Tertibkan izin di 62.02" in page and "Tertibkan izin di 62.71" not in page
    assert "PT Jasa Palangka Raya" not in page
    changes = client.get(f"/meetings/{data.meeting}/changes?regency=62.71")
    assert changes.status_code == 404
    for path in (f"/meetings/{data.meeting}/changes", "/attention/overdue_recommendations", "/meetings"):
        page = client.get(path)
        assert page.status_code == 200 and "Tertibkan izin di 62.71" not in page.text, path
    for path in (f"/meetings/{data.meeting}/changes", "/attention/overdue_recommendations")[:1 if role == "viewer" else 2]:
        assert "Tertibkan izin di 62.02" in client.get(path).text, path  # the probe sees what it may (viewers: counts)
    # Exports and attention lists hold nothing of 62.71, even when asked for it.
    palangka = [w for w in data.secrets if w in ("KIM JISOOPRIVATE", "MK6611004", "ITASQ6611004")]
    for path in [f"/exports/download?kind={k}&format={f}&personal=true{q}" for k in ("companies", "workers")
                 for f in ("csv", "xlsx") for q in ("", "&regency_code=62.71")] + \
            [f"/attention/{k.code}" for k in ATTENTION_KINDS] + ["/attention", "/discrepancies", "/agency"]:
        body = _text(client.get(path, follow_redirects=True).content)
        assert "PT Jasa Palangka Raya" not in body and "6271000000001" not in body, path
        assert not [s for s in palangka if s in body], path


def test_a_kotim_writer_cannot_update_palangka_rayas_recommendation(world):
    data = world
    rec71 = data.recs["62.71"]
    before = data.query("SELECT status, version FROM recommendations WHERE id = %s", (rec71,))
    for role in ("editor", "admin"):
        client = browser(data, role, ["62.02"])
        token = client.cookies["pantau_csrf"]
        form = {"csrf_token": token, "status": "selesai", "note": "ditutup dari Kotim", "version": "1"}
        there = client.post(f"/meetings/{data.meeting}/recommendations/{rec71}", data=form)
        absent = client.post(f"/meetings/{data.meeting}/recommendations/{ABSENT}", data=form)
        _same_absent(there, absent, (str(rec71), str(ABSENT)))
        api = httpx.patch(f"{data.server.base}/api/recommendations/{rec71}", headers=data.headers(role, ["62.02"]),
                          json={"status": "selesai", "version": 1})
        assert api.status_code == 404
    assert data.query("SELECT status, version FROM recommendations WHERE id = %s", (rec71,)) == before


def test_a_regency_admin_gets_no_rejected_rows_of_a_province_wide_import(world):
    """The rejected rows of a batch hold the file's values (NIBs, names, passports of any regency):
    a regency-scoped admin may not download a province-wide colleague's, as a scoped editor may not."""
    data = world
    importer = browser(data, "editor", None, "imigrasi")
    r = importer.post("/imports/check", data={"kind": "companies"},
                      files={"file": ("provinsi.csv", COMPANIES_CSV.read_bytes(), "text/csv")},
                      headers={"Accept": "application/json", "X-CSRF-Token": importer.cookies["pantau_csrf"]})
    assert r.status_code == 200, r.text
    target = r.json()["next"]
    done = importer.post(f"{target}/commit", data={"mode": "skip_invalid", "csrf_token": importer.cookies["pantau_csrf"]},
                         headers={"Accept": "application/json"})
    assert done.status_code == 200, done.text
    batch = data.query("SELECT id FROM import_batches WHERE imported_by = %s", (importer.username,))[0][0]
    assert importer.get(f"/imports/batches/{batch}/rejected.csv").status_code == 200
    scoped_admin = browser(data, "admin", ["62.02"])
    there = scoped_admin.get(f"/imports/batches/{batch}/rejected.csv")
    absent = scoped_admin.get(f"/imports/batches/{ABSENT}/rejected.csv")
    _same_absent(there, absent, (str(batch), str(ABSENT)))
    assert f"/imports/batches/{batch}/rejected.csv" not in scoped_admin.get("/imports/history?agency=imigrasi").text
    # Nor another user's checked upload, its preview or its commit.
    for role, regencies in (("admin", None), ("editor", None)):
        other = browser(data, role, regencies, "imigrasi")
        assert other.get(target).status_code == 404
        assert other.get(f"{target}/rejected.csv").status_code == 404
        assert other.post(f"{target}/commit", data={"mode": "skip_invalid", "csrf_token": other.cookies["pantau_csrf"]},
                          headers={"Accept": "application/json"}).status_code == 404
    # The province-wide admin still may.
    assert browser(data, "admin").get(f"/imports/batches/{batch}/rejected.csv").status_code == 200


def _fill(path: str, data) -> str:
    values = {"company_id": data.company_ids[0], "worker_id": data.worker_ids[0], "inspection_id": data.inspection_ids[0],
              "meeting_id": data.meeting, "rec_id": data.recs["62.02"], "regency_code": "62.02", "kind": "companies",
              "user_id": data.query("SELECT min(id) FROM users")[0][0], "token_id": 1, "photo_id": 1, "batch_id": 1,
              "evidence_id": 1, "report_id": 1, "token": "x" * 40, "upload_id": uuid.uuid4().hex,
              "progress_id": "p1", "fmt": "csv"}
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(values.get(m.group(1), 1)), path)


def test_every_write_without_the_csrf_token_is_refused_and_writes_nothing(world):
    data = world
    client = browser(data, "admin")  # province-wide: every write is its to make
    client.get("/")
    writes = [(m, p) for m, p in routes(PAGE_ROUTERS, NEW_PAGES) + routes(API_ROUTERS, NEW_API, "/api")
              if m in ("POST", "PUT", "PATCH", "DELETE") and p not in NO_CSRF]
    assert len(writes) > 25  # the discovery found the new routes
    before = counts(data)
    for method, template in writes:
        path = _fill(template, data)
        form = {"status": "selesai", "note": "tanpa token", "version": "1", "name": "Diubah", "place": "x",
                "date": "2026-01-01", "period": "2026-Q1", "text": "x", "agency": "kesbangpol",
                "due_date": "2026-12-31", "username": f"csrf-{uuid.uuid4().hex[:6]}", "role": "viewer",
                "email": "a@example.org", "frequency": "daily", "mode": "skip_invalid", "kind": "companies"}
        for token in (None, "salah-" + "0" * 30):
            body = dict(form) if token is None else {**form, "csrf_token": token}
            r = client.request(method, path, data=body, headers={} if token is None else {"X-CSRF-Token": token},
                               files={"file": ("c.csv", b"nib\n1\n", "text/csv")} if "imports" in path else None)
            assert r.status_code in (401, 403), (method, path, token, r.status_code, r.text[:200])
    assert counts(data) == before


def _gets(data) -> list[str]:
    paths = [_fill(p, data) for m, p in routes(PAGE_ROUTERS, NEW_PAGES) if m == "GET"]
    paths += [f"/attention/{k.code}" for k in ATTENTION_KINDS]
    paths += [f"/exports/download?kind={k}&format={f}{p}" for k in EXPORT_KINDS for f in FORMATS
              for p in ("", "&personal=true")]
    paths += [f"/api/exports/{k}?format={f}&personal=true" for k in EXPORT_KINDS for f in FORMATS]  # past the page
    paths += ["/audit/export.csv", "/audit/export.xlsx", f"/meetings/{data.meeting}/changes"]
    return paths


def _text(content: bytes) -> str:
    """A body as searchable text: an XLSX (zip) read member by member."""
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return content.decode("utf-8", "replace")


@pytest.mark.parametrize("regencies", [None, ["62.02"]])
def test_a_viewer_receives_no_personal_data_from_any_new_page(world, regencies):
    data = world
    client = browser(data, "viewer", regencies)
    seen = 0
    for path in _gets(data):
        r = client.get(path, follow_redirects=True)
        if r.status_code == 200:
            seen += 1
        body = _text(r.content)
        for secret in data.secrets:
            assert secret not in body, (path, secret)
    assert seen >= 8


def test_every_new_page_sends_the_content_security_policy(world):
    data = world
    client = browser(data, "admin")
    for path in _gets(data):
        r = client.get(path)
        if r.headers.get("content-type", "").startswith("text/html"):
            csp = r.headers.get("content-security-policy", "")
            assert "script-src" in csp and "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0], path
            assert r.headers.get("x-content-type-options") == "nosniff", path


# Pages any logged-in user writes for themselves (own tokens, own notification settings).
SELF_SERVICE = {"/account/tokens", "/account/tokens/{token_id}/revoke", "/account/notifications", "/account/password"}


@pytest.mark.parametrize(("role", "agency", "regencies"), [
    ("viewer", "kesbangpol", None), ("analyst", "kesbangpol", None), ("editor", "imigrasi", None),
    ("admin", "imigrasi", ["62.02"])])
def test_roles_below_a_writer_route_write_nothing_even_with_the_csrf_token(world, role, agency, regencies):
    """Viewers and analysts on every writer route, an editor of another agency on the admin and meeting
    routes, a regency admin on the people-and-access routes: refused (403, or 404 as absent) and nothing
    written, whatever the form holds."""
    data = world
    client = browser(data, role, regencies, agency)
    token = client.cookies["pantau_csrf"]
    writes = [(m, p) for m, p in routes(PAGE_ROUTERS, NEW_PAGES) if m == "POST" and p not in NO_CSRF | SELF_SERVICE]
    if role == "editor":  # an editor may edit, import and inspect; not administer, nor run Kesbangpol's meetings
        writes = [(m, p) for m, p in writes if p.startswith(("/admin", "/meetings"))]
    if role == "admin":  # users, tokens of others and the audit trail are for province-wide admins
        writes = [(m, p) for m, p in writes if p.startswith("/admin")]
        for path in ("/admin/users", "/audit", "/audit/export.csv", "/audit/export.xlsx"):
            assert client.get(path).status_code == 403, path
    api_headers = data.headers(role, regencies, agency)
    last_audit = data.query("SELECT coalesce(max(id), 0) FROM audit_log")[0][0]
    before = counts(data)
    for _method, template in writes:
        path = _fill(template, data)
        form = {"csrf_token": token, "status": "selesai", "note": "dicoba", "version": "1", "name": "Diubah",
                "place": "x", "date": "2026-01-01", "period": "2026-Q1", "text": "x", "agency": "kesbangpol",
                "due_date": "2026-12-31", "username": f"role-{uuid.uuid4().hex[:6]}", "role": "admin",
                "password": "kata-sandi-baru-12345", "mode": "skip_invalid", "kind": "companies",
                "field": "jumlah_tka", "chosen_agency": "kesbangpol", "inspected_on": "2026-01-02",
                "team": "kesbangpol", "finding": "none"}
        files = {"file": ("c.csv", b"nib\n1\n", "text/csv")} if "imports" in path else None
        r = client.post(path, data=form, files=files, headers={"Accept": "application/json"})
        assert r.status_code in (403, 404), (role, path, r.status_code, r.text[:200])
    # The recommendation of Kesbangpol: another agency's editor is refused on the API too.
    r = httpx.patch(f"{data.server.base}/api/recommendations/{data.recs['62.02']}",
                    headers=api_headers, json={"status": "selesai", "version": 1})
    assert r.status_code in (403, 404)
    after = counts(data)
    # A refused recommendation update is audited (outcome refused); nothing else may change.
    assert {t: v for t, v in after.items() if t != "audit_log"} == {t: v for t, v in before.items() if t != "audit_log"}
    done = data.query("SELECT action FROM audit_log WHERE id > %s AND outcome = 'ok'", (last_audit,))
    assert done == []


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_hostile_uploads_on_the_new_forms_are_refused_and_kept_nowhere(world):
    from tests.upload_attacks import xlsx_bomb

    data = world
    boss = browser(data, "editor", None, "kesbangpol")  # Kesbangpol's editor: meetings, imports, inspections
    token = boss.cookies["pantau_csrf"]
    before = counts(data)
    # An XLSX whose sheet inflates to gigabytes, and a CSV named with a path.
    r = boss.post("/imports/check", data={"kind": "companies"}, files={"file": ("bom.xlsx", xlsx_bomb(), "application/octet-stream")},
                  headers={"Accept": "application/json", "X-CSRF-Token": token})
    assert r.status_code in (400, 413), r.text
    # Minutes: HTML named .pdf (type by content), an empty file, a script named .docx.
    for name, content in (("notulen.pdf", b"<html><script>alert(1)</script></html>"), ("kosong.pdf", b""),
                          ("x.docx", b"#!/bin/sh\nrm -rf /\n")):
        r = boss.post(f"/meetings/{data.meeting}/minutes-file", data={"csrf_token": token},
                      files={"minutes_file": (name, content, "application/pdf")})
        assert r.status_code == 400, (name, r.status_code)
    assert data.query("SELECT minutes_file_name FROM meetings WHERE id = %s", (data.meeting,)) == [(None,)]
    # Evidence: more than five files; a text file named .png.
    rec = f"/meetings/{data.meeting}/recommendations/{data.recs['62.02']}"
    many = [("evidence", (f"b{i}.pdf", PDF, "application/pdf")) for i in range(6)]
    r = boss.post(rec, data={"csrf_token": token, "status": "diproses", "note": "bukti", "version": "1"}, files=many)
    assert r.status_code == 400 and "too many files" in r.text
    r = boss.post(rec, data={"csrf_token": token, "status": "diproses", "note": "bukti", "version": "1"},
                  files={"evidence": ("bukti.png", b"bukan gambar", "image/png")})
    assert r.status_code == 400 and "file type not accepted" in r.text
    # Photos: a text file named .jpg.
    r = boss.post(f"/companies/{data.company_ids[0]}/inspections/new", data={
        "csrf_token": token, "inspected_on": "2026-01-03", "team": "kesbangpol", "finding": "none", "status": "open"},
        files={"photos": ("foto.jpg", b"<script>alert(1)</script>", "image/jpeg")})
    assert r.status_code == 400
    after = counts(data)
    assert {t: v for t, v in after.items() if t != "audit_log"} == {t: v for t, v in before.items() if t != "audit_log"}
    # A real PDF named with a path keeps only its last part.
    r = boss.post(f"/meetings/{data.meeting}/minutes-file", data={"csrf_token": token},
                  files={"minutes_file": ("../../etc/<b>notulen</b>.pdf", PDF, "application/pdf")})
    assert r.status_code == 303, r.text
    stored = data.query("SELECT minutes_file_name FROM meetings WHERE id = %s", (data.meeting,))[0][0]
    assert stored.endswith(".pdf") and not set(stored) & set("/\\<>"), stored


def test_another_users_api_token_cannot_be_revoked_nor_listed(world):
    data = world
    owner_name, owner_password = data.make_user("viewer", None, "imigrasi")
    owner = httpx.Client(base_url=data.server.base, timeout=60)
    owner.post("/login", data={"username": owner_name, "password": owner_password,
                               "csrf_token": csrf_of(owner.get("/login").text)})
    r = owner.post("/api/auth/api-tokens", json={"name": "skrip-imigrasi", "password": owner_password},
                   headers={"X-CSRF-Token": owner.cookies["pantau_csrf"]})
    assert r.status_code in (200, 201), r.text
    token_id = data.query("SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = %s",
                          (owner_name,))[0][0]
    for role, regencies in (("editor", ["62.02"]), ("admin", ["62.02"]), ("viewer", None)):
        other = browser(data, role, regencies)
        token = other.cookies["pantau_csrf"]
        there = other.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": token})
        absent = other.post(f"/account/tokens/{ABSENT}/revoke", data={"csrf_token": token})
        assert there.status_code == absent.status_code and there.status_code in (403, 404), role
        api = other.delete(f"/api/auth/api-tokens/{token_id}", headers={"X-CSRF-Token": token})
        assert api.status_code in (403, 404), (role, api.status_code)
        assert "skrip-imigrasi" not in other.get("/account/tokens").text
        assert "skrip-imigrasi" not in other.get("/api/auth/api-tokens", headers={"X-CSRF-Token": token}).text
    assert data.query("SELECT revoked_at FROM api_tokens WHERE id = %s", (token_id,)) == [(None,)]


def test_a_kotim_user_cannot_pick_palangka_raya_on_the_attention_lists(world):
    data = world
    client = browser(data, "editor", ["62.02"])
    for k in ATTENTION_KINDS:
        r = client.get(f"/attention/{k.code}?regency_code=62.71")
        assert r.status_code in (200, 400, 404), k.code
        assert "PT Jasa Palangka Raya" not in r.text and "KIM JISOOPRIVATE" not in r.text, k.code
    api = httpx.get(f"{data.server.base}/api/attention", headers=data.headers("editor", ["62.02"]))
    assert api.status_code == 200 and "Palangka" not in api.text and "62.71" not in api.text


def test_a_kotim_writer_posting_palangka_raya_forms_gets_absent_and_writes_nothing(world):
    data = world
    c71, w71, i71 = data.ids_in("62.71")[0], data.worker_ids[3], data.inspection_ids[2]
    for role in ("editor", "admin"):
        client = browser(data, role, ["62.02"])
        token = client.cookies["pantau_csrf"]
        form = {"csrf_token": token, "version": "1", "name": "PT Diambil Kotim", "full_name": "DIAMBIL",
                "notes": "diambil", "inspected_on": "2026-01-05", "team": "kesbangpol", "finding": "none",
                "status": "open", "lat": "-2.54", "lon": "112.95"}
        before = counts(data)
        for template, real in (("/companies/{}/edit", c71), ("/workers/{}/edit", w71), ("/inspections/{}/edit", i71),
                               ("/companies/{}/inspections/new", c71)):
            there = client.post(template.format(real), data=form)
            absent = client.post(template.format(ABSENT), data=form)
            _same_absent(there, absent, (str(real), str(ABSENT)))
        after = counts(data)
        assert {t: v for t, v in after.items() if t != "audit_log"} == {t: v for t, v in before.items() if t != "audit_log"}


def test_a_worker_named_in_meeting_texts_without_the_company_is_masked_for_viewers(world):
    """Minutes, a recommendation and its note that name a worker (name, passport, ITAS) but no company:
    a viewer reads them masked on every page and API answer, as inspection notes are."""
    data = world
    base, boss = data.server.base, data.headers("admin")
    # Kotim's workers, and one on record in Palangka Raya only (the follow-up table masked only those of
    # the recommendation's regions).
    named = "Panggil ZHANG WEIXIANPRIVATE (paspor EZ9911001, ITAS ITASQ9911001), LI NAPRIVATE dan KIM JISOOPRIVATE"
    meeting = httpx.post(f"{base}/api/meetings", headers=boss, timeout=60, json={
        "date": "2026-11-21", "place": "Aula Kesbangpol", "period": "2026-Q4", "agencies": ["kesbangpol"],
        "minutes": named}).json()["id"]
    rec = httpx.post(f"{base}/api/meetings/{meeting}/recommendations", headers=boss, timeout=60, json={
        "text": named, "agency": "kesbangpol", "due_date": "2026-12-31", "regions": ["62.02"]}).json()["id"]
    r = httpx.patch(f"{base}/api/recommendations/{rec}", headers=data.headers("editor"), timeout=60,
                    json={"note": named, "version": 1})
    assert r.status_code == 200, r.text
    secrets = ("ZHANG WEIXIANPRIVATE", "EZ9911001", "ITASQ9911001", "LI NAPRIVATE", "KIM JISOOPRIVATE")
    for regencies in (None, ["62.02"]):
        viewer = browser(data, "viewer", regencies)
        headers = data.headers("viewer", regencies)
        answers = [viewer.get(p) for p in ("/meetings", f"/meetings/{meeting}", f"/meetings/{meeting}/changes",
                                           f"/meetings/{meeting}/recommendations/{rec}", "/attention")]
        answers += [httpx.get(f"{base}{p}", headers=headers) for p in (
            "/api/meetings", f"/api/meetings/{meeting}", f"/api/meetings/{meeting}/recommendations",
            f"/api/recommendations/{rec}", "/api/attention")]
        for a in answers:
            assert a.status_code == 200, a.url
            assert not [s for s in secrets if s in a.text], (a.url, [s for s in secrets if s in a.text])
    # An analyst reads them as written.
    assert "ZHANG WEIXIANPRIVATE" in browser(data, "analyst").get(f"/meetings/{meeting}/recommendations/{rec}").text


def test_a_worker_named_in_a_region_note_or_a_group_label_is_masked_for_viewers(world):
    """A regency's discrepancy note and a recommendation's group label are free text too: a viewer
    reads them without the names of the workers they mention."""
    from tests.test_web_discrepancies import add_reports

    data = world
    base, boss = data.server.base, data.headers("admin")
    named = "ZHANG WEIXIANPRIVATE dan KIM JISOOPRIVATE"
    add_reports(data.url, data.company_ids, data.worker_ids)
    r = httpx.post(f"{base}/api/discrepancies/regions/62.02/resolutions", headers=data.headers("editor"), json={
        "field": "jumlah_tka", "chosen_agency": "imigrasi", "note": f"Dicek: {named} terdaftar"})
    assert r.status_code in (200, 201), r.text
    meeting = httpx.post(f"{base}/api/meetings", headers=boss, timeout=60, json={
        "date": "2026-11-22", "place": "Aula", "period": "2026-Q4", "agencies": ["kesbangpol"]}).json()["id"]
    rec = httpx.post(f"{base}/api/meetings/{meeting}/recommendations", headers=boss, timeout=60, json={
        "text": "Data kelompok diperbarui", "agency": "kesbangpol", "due_date": "2026-12-31", "regions": ["62.02"],
        "groups": [{"label": f"Kelompok {named}", "regency": "62.02"}]})
    assert r.status_code in (200, 201), rec.text
    rec = rec.json()["id"]
    secrets = ("ZHANG WEIXIANPRIVATE", "KIM JISOOPRIVATE")
    for regencies in (None, ["62.02"]):
        viewer, headers = browser(data, "viewer", regencies), data.headers("viewer", regencies)
        answers = [viewer.get(p) for p in ("/discrepancies?status=resolved", "/discrepancies", f"/meetings/{meeting}",
                                           f"/meetings/{meeting}/recommendations/{rec}")]
        answers += [httpx.get(f"{base}{p}", headers=headers) for p in (
            "/api/discrepancies/regions", "/api/discrepancies/companies", f"/api/recommendations/{rec}",
            f"/api/meetings/{meeting}/recommendations")]
        for a in answers:
            assert a.status_code == 200, a.url
            assert not [s for s in secrets if s in a.text], (a.url, [s for s in secrets if s in a.text])
    assert "ZHANG WEIXIANPRIVATE" in browser(data, "analyst").get("/discrepancies?status=resolved").text


def test_no_personal_value_reached_the_audit_trail(world):
    """After the probes above (notes, minutes, texts and imports naming workers): the audit trail's
    targets and details hold none of their names or numbers."""
    data = world
    r = httpx.patch(f"{data.server.base}/api/recommendations/{data.recs['62.02']}", headers=data.headers("editor"),
                    timeout=60, json={"note": "ZHANG WEIXIANPRIVATE EZ9911001 dipanggil", "version": 1})
    assert r.status_code in (200, 409), r.text
    rows = data.query("SELECT action, coalesce(target, ''), coalesce(detail::text, '') FROM audit_log")
    assert len(rows) > 10
    leaks = [(a, s) for a, target, detail in rows for s in data.secrets if s in target or s in detail]
    assert leaks == []


def test_a_meeting_known_only_through_another_regions_recommendation_is_absent(world):
    """An agency not present at a meeting sees it through the recommendations it must carry out; a
    user of a regency sees it only when one of those concerns its regencies."""
    data = world
    base, boss = data.server.base, data.headers("admin")
    meeting = httpx.post(f"{base}/api/meetings", headers=boss, timeout=60, json={
        "date": "2026-11-23", "place": "Rapat khusus Palangka Raya", "period": "2026-Q4",
        "agencies": ["kesbangpol"], "minutes": "Hanya tentang Palangka Raya"}).json()["id"]
    r = httpx.post(f"{base}/api/meetings/{meeting}/recommendations", headers=boss, timeout=60, json={
        "text": "Periksa di Palangka Raya", "agency": "disnakertrans", "due_date": "2026-12-31", "regions": ["62.71"]})
    assert r.status_code in (200, 201), r.text
    kotim = browser(data, "editor", ["62.02"], "disnakertrans")
    _same_absent(kotim.get(f"/meetings/{meeting}"), kotim.get(f"/meetings/{ABSENT}"), (str(meeting), str(ABSENT)))
    assert kotim.get(f"/meetings/{meeting}/changes").status_code == 404
    assert "Rapat khusus Palangka Raya" not in kotim.get("/meetings").text
    headers = data.headers("editor", ["62.02"], "disnakertrans")
    assert httpx.get(f"{base}/api/meetings/{meeting}", headers=headers).status_code == 404
    assert "Rapat khusus Palangka Raya" not in httpx.get(f"{base}/api/meetings", headers=headers).text
    palangka = browser(data, "editor", ["62.71"], "disnakertrans")
    assert palangka.get(f"/meetings/{meeting}").status_code == 200
    assert "Rapat khusus Palangka Raya" in palangka.get("/meetings").text
