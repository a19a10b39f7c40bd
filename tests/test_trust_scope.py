"""Trust between regencies (issue #14): a scoped writer may only touch records that lie in its scope
both before and after the write, and learns nothing of records outside it. Imports, PATCH and PUT
answer for a record outside the scope exactly as for an absent one: same status, same reason, no
other regency's code, name or personal data.

An editor of 62.02 attacks the seeded company of 62.71 (NIB 6271000000001), its worker KIM
(passport MK6611004 KR) and its inspection; each attack is compared with the same request about a
record that does not exist."""

import re

import httpx
import pandas as pd
import psycopg2
import pytest

from geo.imports import store
from geo.imports.service import run_import
from tests.seed import seed

pytestmark = pytest.mark.slow  # a server of its own (writes)

IN_SCOPE = "-2.545,112.955"  # latitude,longitude in 62.02
ELSEWHERE = "-2.21,113.92"  # in 62.71
OUTSIDE_NIB = "6271000000001"  # PT Jasa Palangka Raya, 62.71
UNKNOWN_NIB = "6271999999999"  # no such company
ABSENT_ID = 999999
COMPANIES = "nib,nama_perusahaan,sektor,kbli,alamat,kabupaten_kota,kecamatan,latitude,longitude,rptka_berlaku_hingga"
WORKERS = ("nib,nama_lengkap,nomor_paspor,kewarganegaraan,jenis_kelamin,jabatan,nomor_rptka,izin_berlaku_hingga,"
           "nomor_itas,itas_berlaku_hingga")
INSPECTIONS = "nib,tanggal,tim,temuan,keterangan,tindak_lanjut"
# What a 62.02 user must never read about 62.71.
OTHER_REGENCY = ("62.71", "Palangka", "PT Jasa", "KIM", "MK6611004", "ITASQ6611004")


@pytest.fixture(scope="module")
def data(server_url, template_db):
    seeded = seed(server_url, template_db)
    yield seeded
    seeded.close()


@pytest.fixture(scope="module")
def client(data):
    with httpx.Client(base_url=data.server.base, timeout=120) as c:
        yield c


def editor(data) -> dict:
    return data.headers("editor", ["62.02"])


def upload(client, data, kind, header, rows, mode="skip_invalid", headers=None):
    text = "\n".join([header, *rows]) + "\n"
    return client.post(f"/api/imports/{kind}", headers=headers or editor(data), data={"mode": mode},
                       files={"file": (f"{kind}.csv", text.encode(), "text/csv")})


def rejections(report, line) -> list[tuple]:
    return [(r["column"], r["value"], r["reason"]) for r in report["rejected"] if r["line"] == line]


def company(data, cid):
    return data.query("SELECT nib, name, regency_code, version, ST_AsText(geom) FROM companies WHERE id = %s", (cid,))[0]


def worker(data, wid):
    return data.query("SELECT company_id, full_name, itas_number, version FROM foreign_workers WHERE id = %s", (wid,))[0]


def counts(report) -> tuple:
    return report["imported"], report["updated"], report["unchanged"], report["rejected_rows"]


def leaks(text: str) -> list[str]:
    return [s for s in OTHER_REGENCY if s in text]


def same_but_id(a: httpx.Response, b: httpx.Response, a_id, b_id) -> bool:
    """Same status and body, once "company 3" and "company 999999" both read "company N"."""
    def norm(text, rid):
        return re.sub(rf"(?<=[a-z] ){rid}\b", "N", text)
    return a.status_code == b.status_code and norm(a.text, a_id) == norm(b.text, b_id)


# --- imports -------------------------------------------------------------------------------------
def test_company_import_cannot_take_over_a_company_of_another_regency(client, data):
    (target,) = data.ids_in("62.71")
    before = company(data, target)
    row = f"{OUTSIDE_NIB},PT Diambil Alih,jasa,,,,,{IN_SCOPE},"
    for mode, status in (("check", 200), ("all_or_nothing", 422), ("skip_invalid", 200)):
        r = upload(client, data, "companies", COMPANIES, [row], mode)
        assert r.status_code == status, (mode, r.text)
        report = r.json()
        assert counts(report) == (0, 0, 0, 1) and report["valid"] == 0, (mode, report)
        ((column, value, reason),) = rejections(report, 2)
        assert (column, value) == ("nib", OUTSIDE_NIB)
        assert "NIB tidak dapat digunakan" in reason and "(NIB cannot be used" in reason
        assert leaks(r.text) == [], mode
    assert company(data, target) == before
    workers = client.get(f"/api/companies/{target}/workers", headers=editor(data))
    assert workers.status_code == 404 and leaks(workers.text) == []


@pytest.mark.parametrize("point,other", [(ELSEWHERE, ""), (IN_SCOPE, "31/02/2026")],
                         ids=["point-outside-scope", "other-field-invalid"])
def test_company_row_with_an_outside_nib_reads_like_one_with_an_unknown_nib(client, data, point, other):
    """A row the scope rejects anyway (its point lies elsewhere, or a field is bad) gets exactly the
    rejections it would get if the NIB were unknown: the NIB check comes last and says nothing."""
    rows = [f"{nib},PT Sama,jasa,,,,,{point},{other}" for nib in (OUTSIDE_NIB, UNKNOWN_NIB)]
    r = upload(client, data, "companies", COMPANIES, rows, "check")
    assert r.status_code == 200, r.text
    report = r.json()
    assert rejections(report, 2) == rejections(report, 3) != []
    assert report["valid"] == 0 and leaks(r.text) == []


def test_worker_import_cannot_take_over_a_worker_of_another_regency(client, data):
    kim = data.worker_ids[3]
    before = worker(data, kim)
    row = "6202000000001,KIM DIAMBIL,MK6611004,KR,P,Konsultan,,,ITASQ0000001,"
    r = upload(client, data, "workers", WORKERS, [row])
    assert r.status_code == 200, r.text
    report = r.json()
    assert counts(report) == (0, 0, 0, 1), report
    ((column, value, reason),) = rejections(report, 2)
    assert (column, value) == ("nomor_paspor", None)
    assert "tidak dapat digunakan" in reason and "cannot be used" in reason
    assert leaks(r.text) == []
    assert worker(data, kim) == before
    listed = client.get(f"/api/companies/{data.company_ids[0]}/workers", headers=editor(data))
    assert listed.status_code == 200 and leaks(listed.text) == []


def test_worker_cannot_move_to_an_outside_employer_which_reads_as_unknown(client, data):
    zhang = data.worker_ids[0]
    before = worker(data, zhang)
    rows = [f"{OUTSIDE_NIB},ZHANG WEIXIANPRIVATE,EZ9911001,CN,L,Manajer kebun,,,,",
            f"{UNKNOWN_NIB},ORANG BARUPRIVATE,NB1234567,CN,L,Manajer kebun,,,,"]
    r = upload(client, data, "workers", WORKERS, rows)
    assert r.status_code == 200, r.text
    report = r.json()
    assert counts(report) == (0, 0, 0, 2)
    ((column, value, reason),) = rejections(report, 2)
    assert [(column, reason)] == [(c, why) for c, _, why in rejections(report, 3)]
    assert value == OUTSIDE_NIB and "tidak terdaftar" in reason
    assert leaks(r.text) == []
    assert worker(data, zhang) == before


def test_inspection_for_an_outside_employer_reads_as_unknown(client, data):
    rows = [f"{nib},2025-05-01,Imigrasi,tidak ada,," for nib in (OUTSIDE_NIB, UNKNOWN_NIB)]
    before = data.query("SELECT count(*), sum(version) FROM inspections")
    r = upload(client, data, "inspections", INSPECTIONS, rows)
    assert r.status_code == 200, r.text
    report = r.json()
    assert counts(report) == (0, 0, 0, 2)
    assert [(c, why) for c, _, why in rejections(report, 2)] == [(c, why) for c, _, why in rejections(report, 3)]
    assert leaks(r.text) == []
    assert data.query("SELECT count(*), sum(version) FROM inspections") == before


def test_scoped_editor_still_writes_inside_the_scope(client, data):
    """The rule must not block what the scope allows: update and insert companies, move a worker
    between two of its companies, add an inspection."""
    c1, c2 = data.ids_in("62.02")
    rows = ["6202000000002,PT Mentaya Olah Sawit Baru,industri_pengolahan,,,,,-2.53,112.96,",
            f"6202000000099,PT Baru Sampit,jasa,,,,,{IN_SCOPE},"]
    r = upload(client, data, "companies", COMPANIES, rows)
    assert r.status_code == 200 and counts(r.json()) == (1, 1, 0, 0), r.text
    ahmad = data.worker_ids[1]
    r = upload(client, data, "workers", WORKERS, ["6202000000002,AHMAD BINPRIVATE,AMY881002,MY,L,Asisten kepala,,,,"])
    assert r.status_code == 200 and counts(r.json()) == (0, 1, 0, 0), r.text
    assert worker(data, ahmad)[0] == c2
    r = upload(client, data, "inspections", INSPECTIONS, ["6202000000001,2025-05-02,Polda,nihil,,"])
    assert r.status_code == 200 and counts(r.json()) == (1, 0, 0, 0), r.text
    assert company(data, c1)[2] == company(data, c2)[2] == "62.02"


def test_a_move_out_of_the_scope_is_refused_without_naming_the_regency(client, data):
    c1 = data.ids_in("62.02")[0]
    before = company(data, c1)
    r = upload(client, data, "companies", COMPANIES, [f"6202000000001,PT Sawit Sampit Lestari,perkebunan_sawit,,,,,"
                                                      f"{ELSEWHERE},"])
    assert r.status_code == 200 and counts(r.json()) == (0, 0, 0, 1), r.text
    ((column, value, reason),) = rejections(r.json(), 2)
    assert column == "latitude,longitude" and "di luar wilayah kewenangan Anda" in reason
    assert leaks(r.text) == []
    assert company(data, c1) == before


def test_write_statements_themselves_refuse_records_outside_the_scope(data):
    """Defence in depth: even rows that reached the write unchecked (a record moved between the
    check and the write) leave a record outside the scope untouched."""
    conn = psycopg2.connect(data.url)
    try:
        (target,) = data.ids_in("62.71")
        before = company(data, target)
        frame = pd.DataFrame([{"line": 2, "nib": OUTSIDE_NIB, "name": "PT Diambil Alih", "sector": "jasa",
                               "kbli": None, "address": None, "declared_regency": None, "declared_district": None,
                               "lat": -2.545, "lon": 112.955, "rptka_valid_until": None}])
        store.stage(conn, "companies", frame)
        batch = store.new_batch(conn, "companies", "kesbangpol", "c.csv", "0" * 64, "test", "skip_invalid", "now")
        assert store.upsert(conn, "companies", "kesbangpol", batch, ("62.02",)) == (0, 0)
        conn.commit()
        assert company(data, target) == before
        assert data.query("SELECT count(*) FROM company_reports WHERE company_id = %s", (target,)) == [(0,)]
    finally:
        conn.close()


# --- PATCH / PUT ---------------------------------------------------------------------------------
def _version(data, table, rid) -> int:
    return data.query(f"SELECT version FROM {table} WHERE id = %s", (rid,))[0][0]  # noqa: S608 - fixed names


def test_reassigning_to_an_outside_company_reads_like_a_missing_company(client, data):
    (outside,) = data.ids_in("62.71")
    zhang, inspection = data.worker_ids[0], data.inspection_ids[0]
    before_worker = worker(data, zhang)
    put_worker = {"full_name": "ZHANG WEIXIANPRIVATE", "passport_number": "EZ9911001", "nationality": "CN",
                  "position": "Manajer kebun", "position_level": "manajer", "status": "active"}
    put_inspection = {"inspected_on": "2025-03-01", "team": ["imigrasi"], "finding": "none", "status": "open"}
    for method, path, body, table in (
        ("PATCH", f"/api/workers/{zhang}", {}, "foreign_workers"),
        ("PUT", f"/api/workers/{zhang}", put_worker, "foreign_workers"),
        ("PATCH", f"/api/inspections/{inspection}", {}, "inspections"),
        ("PUT", f"/api/inspections/{inspection}", put_inspection, "inspections"),
    ):
        rid = int(path.rsplit("/", 1)[1])
        headers = {**editor(data), "If-Match": f'"{_version(data, table, rid)}"'}
        to_outside = client.request(method, path, json={**body, "company_id": outside}, headers=headers)
        to_absent = client.request(method, path, json={**body, "company_id": ABSENT_ID}, headers=headers)
        assert to_absent.status_code == 400, to_absent.text
        assert same_but_id(to_outside, to_absent, outside, ABSENT_ID), (method, path, to_outside.text, to_absent.text)
        assert leaks(to_outside.text) == []
    assert worker(data, zhang) == before_worker
    assert data.query("SELECT company_id FROM inspections WHERE id = %s", (inspection,))[0][0] == data.company_ids[0]


def test_edits_of_records_outside_the_scope_answer_as_absent(client, data):
    (outside,) = data.ids_in("62.71")
    targets = {
        "companies": (outside, {"nib": "6202000000077", "name": "PT Diambil", "sector": "jasa", "status": "active",
                                "location": {"lon": 112.955, "lat": -2.545}}),
        "workers": (data.worker_ids[3], {"company_id": data.company_ids[0], "full_name": "X", "status": "active",
                                         "passport_number": "MK6611004", "nationality": "KR", "position": "X",
                                         "position_level": "konsultan"}),
        "inspections": (data.inspection_ids[2], {"company_id": data.company_ids[0], "inspected_on": "2025-03-01",
                                                 "team": ["polda"], "finding": "none", "status": "open"}),
    }
    tables = {"companies": "companies", "workers": "foreign_workers", "inspections": "inspections"}
    for kind, (rid, body) in targets.items():
        before = data.query(f"SELECT * FROM {tables[kind]} WHERE id = %s", (rid,))  # noqa: S608 - fixed names
        current = _version(data, tables[kind], rid)
        for method in ("PATCH", "PUT"):
            for tag in (f'"{current}"', f'"{current + 7}"', None):
                headers = {**editor(data), **({"If-Match": tag} if tag else {})}
                theirs = client.request(method, f"/api/{kind}/{rid}", json=body, headers=headers)
                absent = client.request(method, f"/api/{kind}/{ABSENT_ID}", json=body, headers=headers)
                assert theirs.status_code in (404, 428), (kind, method, tag, theirs.text)
                assert same_but_id(theirs, absent, rid, ABSENT_ID), (kind, method, tag, theirs.text, absent.text)
                assert leaks(theirs.text) == []
        assert data.query(f"SELECT * FROM {tables[kind]} WHERE id = %s", (rid,)) == before  # noqa: S608


def test_a_taken_nib_is_the_same_conflict_inside_and_outside_the_scope(client, data):
    c1, c2 = data.ids_in("62.02")
    before = company(data, c1)
    headers = {**editor(data), "If-Match": f'"{before[3]}"'}
    theirs = client.patch(f"/api/companies/{c1}", json={"nib": OUTSIDE_NIB}, headers=headers)
    ours = client.patch(f"/api/companies/{c1}", json={"nib": company(data, c2)[0]}, headers=headers)
    assert ours.status_code == 409
    assert (theirs.status_code, theirs.text) == (ours.status_code, ours.text)
    assert company(data, c1) == before


# --- province-wide users keep today's behaviour ---------------------------------------------------
def test_province_wide_editor_still_moves_records_between_regencies(client, data):
    headers = data.headers("editor")
    nib = "6271000000077"
    r = upload(client, data, "companies", COMPANIES, [f"{nib},PT Pindah,jasa,,,,,{ELSEWHERE},"], headers=headers)
    assert r.status_code == 200 and counts(r.json()) == (1, 0, 0, 0), r.text
    r = upload(client, data, "companies", COMPANIES, [f"{nib},PT Pindah,jasa,,,,,{IN_SCOPE},"], headers=headers)
    assert r.status_code == 200 and counts(r.json()) == (0, 1, 0, 0), r.text
    assert data.query("SELECT regency_code FROM companies WHERE nib = %s", (nib,))[0][0] == "62.02"
    r = upload(client, data, "workers", WORKERS, [f"{nib},ORANG PINDAHPRIVATE,PD7654321,CN,L,Konsultan,,,,"],
               headers=headers)
    assert r.status_code == 200 and counts(r.json()) == (1, 0, 0, 0), r.text


def test_run_import_without_a_scope_is_unchanged(data):
    """The CLI (no scope) imports a row whose NIB lies anywhere, as before."""
    conn = psycopg2.connect(data.url)
    try:
        text = f"{COMPANIES}\n6271000000088,PT Cli,jasa,,,,,{ELSEWHERE},\n".encode()
        report = run_import(conn, "companies", text, "c.csv", mode="skip_invalid")
        assert (report.imported, report.rejected) == (1, [])
    finally:
        conn.close()
