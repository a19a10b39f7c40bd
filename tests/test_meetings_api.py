"""The meetings API against a real server: contract, optimistic locking, regional scope, another
agency refused, evidence upload limits and downloads, viewers' masking."""

from __future__ import annotations

import hashlib
import json
import uuid

import httpx
import psycopg2
import pytest

from tests.seed import seed

pytestmark = pytest.mark.slow  # a server of its own (writes)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def data(server_url, template_db):
    seeded = seed(server_url, template_db)
    yield seeded
    seeded.close()


@pytest.fixture(scope="module")
def client(data):
    with httpx.Client(base_url=data.server.base, timeout=120) as c:
        yield c


@pytest.fixture(scope="module")
def meeting(client, data):
    r = client.post("/api/meetings", headers=data.headers("editor"), json={
        "date": "2026-11-20", "place": "Aula Kesbangpol Kalteng", "period": "2026-Q4",
        "agencies": ["disnakertrans", "imigrasi", "kesbangpol"], "minutes": "Rapat dibuka pukul 09.00."})
    assert r.status_code == 201, r.text
    return r.json()


def _rec(client, data, meeting, **fields):
    body = {"text": "Periksa izin kerja TKA", "agency": "disnakertrans", "due_date": "2026-12-31",
            "regions": [], "company_ids": [], **fields}
    r = client.post(f"/api/meetings/{meeting['id']}/recommendations", headers=data.headers("editor"), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_meeting_contract(client, data, meeting):
    assert isinstance(meeting["id"], int)
    assert (meeting["date"], meeting["place"], meeting["period"]) == ("2026-11-20", "Aula Kesbangpol Kalteng", "2026-Q4")
    assert meeting["agencies"] == ["disnakertrans", "imigrasi", "kesbangpol"]
    listed = client.get("/api/meetings", headers=data.headers("viewer", agency="imigrasi")).json()["items"]
    assert meeting["id"] in [m["id"] for m in listed]
    one = client.get(f"/api/meetings/{meeting['id']}", headers=data.headers("analyst", agency="disnakertrans"))
    assert one.status_code == 200 and one.json()["minutes"] == "Rapat dibuka pukul 09.00."
    # an agency that neither attended nor holds a recommendation does not see it
    assert client.get(f"/api/meetings/{meeting['id']}", headers=data.headers("admin", agency="polda")).status_code != 404
    assert client.get(f"/api/meetings/{meeting['id']}", headers=data.headers("editor", agency="polda")).status_code == 404
    assert meeting["id"] not in [m["id"] for m in
                                 client.get("/api/meetings", headers=data.headers("editor", agency="polda")).json()["items"]]


@pytest.mark.parametrize("bad", [{"date": "2026-13-01"}, {"period": "2026-Q5"}, {"agencies": ["nope"]},
                                 {"place": ""}, {"extra": 1}])
def test_meeting_bad_input(client, data, bad):
    body = {"date": "2026-11-20", "place": "Aula", "period": "2026-Q4", "agencies": ["imigrasi"], **bad}
    r = client.post("/api/meetings", headers=data.headers("editor"), json=body)
    assert r.status_code in (400, 422), r.text


@pytest.mark.parametrize(("role", "agency"), [("editor", "imigrasi"), ("analyst", "kesbangpol"),
                                              ("viewer", "kesbangpol")])
def test_only_kesbangpol_writers_create(client, data, meeting, role, agency):
    r = client.post("/api/meetings", headers=data.headers(role, agency=agency),
                    json={"date": "2026-11-20", "place": "Aula", "period": "2026-Q4"})
    assert r.status_code == 403
    r = client.post(f"/api/meetings/{meeting['id']}/recommendations", headers=data.headers(role, agency=agency),
                    json={"text": "x", "agency": "imigrasi", "due_date": "2026-12-31"})
    assert r.status_code == 403


def test_recommendation_contract_and_locking(client, data, meeting):
    rec = _rec(client, data, meeting)
    assert rec["status"] == "baru" and rec["version"] == 1 and isinstance(rec["id"], int)
    own = data.headers("editor", agency="disnakertrans")
    url = f"/api/recommendations/{rec['id']}"
    got = client.get(url, headers=own)
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    assert client.patch(url, headers=own, json={"status": "diproses"}).status_code == 428
    r = client.patch(url, headers=own, json={"status": "diproses", "note": "Surat teguran dikirim", "version": 1})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["status"] == "diproses" and r.headers["ETag"] == '"2"'
    assert r.json()["last_note"]["note"] == "Surat teguran dikirim"
    # stale: If-Match 412, body version 409; nothing changed
    assert client.patch(url, headers={**own, "If-Match": '"1"'}, json={"status": "selesai"}).status_code == 412
    assert client.patch(url, headers=own, json={"status": "selesai", "version": 1}).status_code == 409
    assert client.patch(url, headers=own, json={"status": "bogus", "version": 2}).status_code == 400
    r = client.patch(url, headers={**own, "If-Match": '"2"'}, json={"status": "selesai", "note": "Tuntas"})
    assert r.status_code == 200 and r.json()["version"] == 3
    history = client.get(url, headers=own).json()["history"]
    assert [(h["status_from"], h["status_to"]) for h in history] == [("diproses", "selesai"), ("baru", "diproses"),
                                                                      (None, "baru")]
    rows = data.query("SELECT count(*) FROM audit_log WHERE action = 'recommendation.update' AND target = %s "
                      "AND outcome = 'ok'", (f"recommendation:{rec['id']}",))
    assert rows[0][0] == 2


def test_another_agency_refused(client, data, meeting):
    rec = _rec(client, data, meeting, agency="disnakertrans")
    url = f"/api/recommendations/{rec['id']}"
    for role, agency in (("editor", "imigrasi"), ("admin", "imigrasi"), ("analyst", "disnakertrans"),
                         ("viewer", "disnakertrans")):
        headers = data.headers(role, agency=agency)
        assert client.get(url, headers=headers).status_code == 200  # shared with the agencies present
        r = client.patch(url, headers=headers, json={"status": "selesai", "note": "bukan milik kami", "version": 1})
        assert r.status_code == 403, (role, agency)
    after = client.get(url, headers=data.headers("editor")).json()
    assert after["status"] == "baru" and after["version"] == 1
    denied = data.query("SELECT count(*) FROM audit_log WHERE target = %s AND outcome = 'denied'",
                        (f"recommendation:{rec['id']}",))
    assert denied[0][0] == 4


def test_regional_scope(client, data, meeting):
    sampit, palangka = data.ids_in("62.02"), data.ids_in("62.71")
    both = _rec(client, data, meeting, agency="imigrasi", company_ids=[sampit[0], palangka[0]])
    assert sorted(both["regions"]) == ["62.02", "62.71"]
    only_palangka = _rec(client, data, meeting, agency="imigrasi", regions=["62.71"])
    scoped = data.headers("editor", ["62.02"], agency="imigrasi")
    # the Palangka Raya company named with a Sampit one is not named to a 62.02 user
    r = client.get(f"/api/recommendations/{both['id']}", headers=scoped)
    assert r.status_code == 200
    assert [c["id"] for c in r.json()["companies"]] == [sampit[0]]
    assert "PT Jasa Palangka Raya" not in r.text
    listed = client.get(f"/api/meetings/{meeting['id']}", headers=scoped)
    assert "PT Jasa Palangka Raya" not in listed.text
    ids = [x["id"] for x in listed.json()["recommendations"]]
    assert both["id"] in ids and only_palangka["id"] not in ids
    # outside the scope: absent, for reading and for updating
    url = f"/api/recommendations/{only_palangka['id']}"
    assert client.get(url, headers=scoped).status_code == 404
    assert client.patch(url, headers=scoped, json={"note": "x", "version": 1}).status_code == 404
    # a scoped creator cannot name a company or a region outside its scope
    creator = data.headers("editor", ["62.02"])
    r = client.post(f"/api/meetings/{meeting['id']}/recommendations", headers=creator,
                    json={"text": "x", "agency": "imigrasi", "due_date": "2026-12-31", "company_ids": [palangka[0]]})
    assert r.status_code == 400 and "PT Jasa" not in r.text
    r = client.post(f"/api/meetings/{meeting['id']}/recommendations", headers=creator,
                    json={"text": "x", "agency": "imigrasi", "due_date": "2026-12-31", "regions": ["62.71"]})
    assert r.status_code == 400


def test_evidence_upload_limits_and_download(client, data, meeting):
    rec = _rec(client, data, meeting, agency="disnakertrans", company_ids=[data.ids_in("62.02")[0]])
    own = data.headers("editor", agency="disnakertrans")
    url = f"/api/recommendations/{rec['id']}/updates"
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 1)
    r = client.post(url, headers=own, data={"note": "bukti", "version": "1"},
                    files={"evidence": ("besar.pdf", big, "application/pdf")})
    assert r.status_code == 413 and "berkas lebih dari 10 MB" in r.json()["description"]
    for name, content in (("skrip.pdf", b"#!/bin/sh\necho hi\n"), ("a.html", b"<html><script>alert(1)</script>"),
                          ("x.exe", b"MZ\x90\x00")):
        r = client.post(url, headers=own, data={"note": "bukti", "version": "1"},
                        files={"evidence": (name, content, "application/pdf")})
        assert r.status_code == 415, (name, r.text)
    r = client.post(url, headers=own, data={"note": "bukti", "version": "1"},
                    files=[("evidence", (f"f{i}.pdf", PDF, "application/pdf")) for i in range(6)])
    assert r.status_code == 400
    assert client.get(f"/api/recommendations/{rec['id']}", headers=own).json()["version"] == 1  # nothing written
    r = client.post(url, headers=own, data={"status": "diproses", "note": "Berita acara", "version": "1"},
                    files={"evidence": ("../../berita acara.pdf", PDF, "text/plain")})
    assert r.status_code == 200, r.text
    entry = r.json()["history"][0]
    assert entry["evidence"][0]["name"] == "berita acara.pdf"
    download = f"/api/recommendations/{rec['id']}/evidence/{entry['evidence'][0]['id']}"
    got = client.get(download, headers=data.headers("analyst", agency="imigrasi"))
    assert got.status_code == 200 and got.content == PDF and got.headers["content-type"] == "application/pdf"
    assert "attachment" in got.headers["content-disposition"]
    assert client.get(download, headers=data.headers("viewer", agency="disnakertrans")).status_code == 403
    assert client.get(download, headers=data.headers("editor", ["62.71"], agency="disnakertrans")).status_code == 404
    assert client.get(download, headers=data.headers("editor", agency="polda")).status_code == 404
    # the minutes file: Kesbangpol uploads, others download, viewers do not
    m = f"/api/meetings/{meeting['id']}/minutes-file"
    assert client.put(m, headers=own, files={"file": ("n.pdf", PDF, "application/pdf")}).status_code == 403
    assert client.put(m, headers=data.headers("editor"), files={"file": ("n.txt", b"hello", "text/plain")}).status_code == 415
    r = client.put(m, headers=data.headers("editor"), files={"file": ("notulen.pdf", PDF, "application/pdf")})
    assert r.status_code == 200 and r.json()["minutes_file"]["name"] == "notulen.pdf"
    assert client.get(m, headers=own).content == PDF
    assert client.get(m, headers=data.headers("viewer", agency="imigrasi")).status_code == 403


def test_viewer_reads_masked_text(client, data, meeting):
    sampit = data.ids_in("62.02")[0]
    rec = _rec(client, data, meeting, agency="imigrasi", company_ids=[sampit],
               text="Periksa ZHANG WEIXIANPRIVATE, paspor EZ9911001, ITAS ITASQ9911001")
    own = data.headers("editor", agency="imigrasi")
    client.patch(f"/api/recommendations/{rec['id']}", headers=own,
                 json={"note": "ZHANG WEIXIANPRIVATE sudah dipanggil", "version": 1}).raise_for_status()
    for url in (f"/api/recommendations/{rec['id']}", f"/api/meetings/{meeting['id']}",
                f"/api/meetings/{meeting['id']}/recommendations"):
        body = client.get(url, headers=data.headers("viewer", agency="imigrasi")).text
        for secret in ("ZHANG", "WEIXIANPRIVATE", "EZ9911001", "ITASQ9911001"):
            assert secret not in body, (url, secret)
        assert secret in client.get(url, headers=own).text or "EZ9911001" in client.get(url, headers=own).text


def test_overdue_flag(client, data, meeting):
    late = _rec(client, data, meeting, agency="imigrasi", due_date="2026-01-31")
    done = _rec(client, data, meeting, agency="imigrasi", due_date="2026-01-31")
    own = data.headers("editor", agency="imigrasi")
    client.patch(f"/api/recommendations/{done['id']}", headers=own,
                 json={"status": "selesai", "version": 1}).raise_for_status()
    items = {r["id"]: r for r in client.get(f"/api/meetings/{meeting['id']}/recommendations", headers=own).json()["items"]}
    assert items[late["id"]]["overdue"] is True and items[done["id"]]["overdue"] is False


def _finished_job(data, username: str, personal: bool = False) -> str:
    """A finished report job of `username` as the job worker leaves it (the report itself is built in
    tests/browser/test_meeting_cycle.py)."""
    job_id = str(uuid.uuid4())
    options = {"period": "2026-Q4", "format": "pdf", "filter": {}, "scope": None, "threshold": 3,
               "agency": "kesbangpol", "personal": personal}
    conn = psycopg2.connect(data.url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("""INSERT INTO report_jobs (id, user_id, options, status, progress, filename, media_type,
                                                    content_hash, body, finished_at, expires_at)
                           SELECT %s, id, %s, 'done', 100, 'laporan-2026-Q4.pdf', 'application/pdf', 'abc', %s,
                                  now(), now() + interval '1 hour' FROM users WHERE username = %s""",
                        (job_id, json.dumps(options), PDF, username))
    finally:
        conn.close()
    return job_id


def test_meeting_keeps_its_report(client, data, meeting):
    kesbangpol, user = data.headers("editor"), data.username("editor")
    url = f"/api/meetings/{meeting['id']}/reports"
    # someone else's job, an unknown one, one with personal data: not kept
    other = _finished_job(data, data.username("admin"))
    assert client.post(url, headers=kesbangpol, json={"job_id": other}).status_code == 404
    assert client.post(url, headers=kesbangpol, json={"job_id": "nope"}).status_code == 404
    personal = _finished_job(data, user, personal=True)
    assert client.post(url, headers=kesbangpol, json={"job_id": personal}).status_code == 400
    # only Kesbangpol keeps one
    dn, dn_user = data.headers("editor", agency="disnakertrans"), data.username("editor", agency="disnakertrans")
    assert client.post(url, headers=dn, json={"job_id": _finished_job(data, dn_user)}).status_code == 403
    r = client.post(url, headers=kesbangpol, json={"job_id": _finished_job(data, user)})
    assert r.status_code == 201, r.text
    kept = r.json()
    assert kept["sha256"] == hashlib.sha256(PDF).hexdigest() and kept["kind"] == "pdf"
    listed = client.get(f"/api/meetings/{meeting['id']}", headers=dn).json()["reports"]
    assert [x["sha256"] for x in listed] == [kept["sha256"]]
    download = f"{url}/{kept['id']}"
    assert client.get(download, headers=dn).content == PDF
    # a regency-scoped user learns the hash but does not get the province's report
    assert client.get(download, headers=data.headers("editor", ["62.02"], agency="disnakertrans")).status_code == 403
    assert client.get(download, headers=data.headers("editor", agency="polda")).status_code == 404
    assert data.query("SELECT count(*) FROM audit_log WHERE action = 'meeting.report' AND target = %s",
                      (f"meeting:{meeting['id']}",))[0][0] == 1


def test_foreign_nationals_group(client, data, meeting):
    rec = _rec(client, data, meeting, agency="imigrasi",
               groups=[{"label": "Wisatawan Tiongkok di Palangka Raya", "regency": "62.71", "purpose": "wisata",
                        "nationality": "CN"}])
    assert rec["regions"] == ["62.71"]
    assert rec["groups"] == [{"label": "Wisatawan Tiongkok di Palangka Raya", "regency": "62.71", "purpose": "wisata",
                              "nationality": "CN"}]
    url = f"/api/meetings/{meeting['id']}/recommendations"
    body = {"text": "x", "agency": "imigrasi", "due_date": "2026-12-31"}
    for group in ({"label": "x", "purpose": "bukan_tujuan"}, {"label": "x", "nationality": "CHN"}, {"label": ""}):
        assert client.post(url, headers=data.headers("editor"), json={**body, "groups": [group]}).status_code in (400, 422)
    r = client.post(url, headers=data.headers("editor", ["62.02"]), json={**body, "groups": [{"label": "x",
                                                                                             "regency": "62.71"}]})
    assert r.status_code == 400
