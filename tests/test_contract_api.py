"""API contract, in-process: every route group through `create_app(settings)` (conftest's
`app_client`, a real database with the known data of tests/seed.py, no HTTP server). Each group is
checked for status, content type, the fields clients rely on, and scope: a user of 62.02 gets
nothing of 62.71 (PT Jasa Palangka Raya, its worker KIM, its inspection), the same answer as for a
record that does not exist. The fast tier (`make check`); the HTTP details (real sockets, limits,
overload, shutdown) stay in the other modules."""

from __future__ import annotations

import csv
import io
import time

import mapbox_vector_tile
import pytest
from openpyxl import load_workbook

from tests.access_probe import tile_of
from tests.seed import COMPANIES

JSON = "application/json"
GEOJSON = "application/geo+json"
# What a 62.02 user must never read about 62.71 (names, numbers, the regency's code).
OTHER_REGENCY = ("62.71", "Palangka", "PT Jasa", "KIM JISOO", "MK6611004", "ITASQ6611004")
ABSENT_ID = 999_999_999


@pytest.fixture(scope="module")
def api(app_client):
    return app_client


@pytest.fixture(scope="module")
def client(app_client):
    return app_client.client


def local(api, role="viewer"):
    """A user limited to Kotawaringin Timur (62.02)."""
    return api.headers(role, ["62.02"])


def leaks(text: str) -> list[str]:
    return [s for s in OTHER_REGENCY if s in text]


def media_type(response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def same_as_absent(a, b) -> bool:
    """The same status and reason for a record outside the scope as for one that does not exist."""
    return a.status_code == b.status_code and media_type(a) == media_type(b) and \
        set(a.json()) == set(b.json())


# --- health ----------------------------------------------------------------------------------------
def test_health_and_readiness_are_public_and_say_nothing_more(client):
    r = client.get("/api/health")
    assert (r.status_code, media_type(r), r.json()) == (200, JSON, {"status": "ok"})
    r = client.get("/api/ready")
    assert r.status_code == 200 and media_type(r) == JSON
    assert client.get("/api/health/details").status_code == 401


def test_health_details_for_admins(api, client):
    r = client.get("/api/health/details", headers=api.headers("admin"))
    assert r.status_code == 200 and media_type(r) == JSON
    assert client.get("/api/health/details", headers=local(api)).status_code == 403


# --- auth ------------------------------------------------------------------------------------------
def test_token_login_and_me(api, client):
    username, password = api.make_user("viewer", ["62.02"])
    wrong = client.post("/api/auth/token", data={"username": username, "password": password + "x"})
    assert wrong.status_code == 401 and media_type(wrong) == JSON
    assert wrong.headers["www-authenticate"] == "Bearer" and "detail" in wrong.json()
    r = client.post("/api/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200 and media_type(r) == JSON
    body = r.json()
    assert body["token_type"].lower() == "bearer" and body["access_token"] and body["expires_in"] > 0
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {"username": username, "role": "viewer", "agency": "kesbangpol", "regencies": ["62.02"],
                         "can_see_personal": False, "can_write": False}


def test_without_credentials_every_group_is_401(client):
    for path in ("/api/auth/me", "/api/collections/companies/items", "/api/stats/summary",
                 "/api/tiles/companies/6/52/32.mvt", "/api/search?q=Sampit", "/api/companies/1",
                 "/api/exports/companies", "/api/reports/jobs/x"):
        r = client.get(path)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"] == "Bearer", path


# --- features (OGC API - Features) -----------------------------------------------------------------
def test_collections_are_listed(api, client):
    r = client.get("/api/collections", headers=local(api))
    assert r.status_code == 200 and media_type(r) == JSON
    ids = {c["id"] for c in r.json()["collections"]}
    assert {"companies", "inspections"} <= ids


def test_company_items_are_geojson_within_the_scope(api, client):
    r = client.get("/api/collections/companies/items", headers=local(api), params={"limit": 100})
    assert r.status_code == 200 and media_type(r) == GEOJSON
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == body["numberReturned"] == len(api.ids_in("62.02"))
    assert sorted(f["id"] for f in body["features"]) == sorted(api.ids_in("62.02"))
    for f in body["features"]:
        assert f["type"] == "Feature" and f["geometry"]["type"] == "Point"
        assert f["properties"]["regency_code"] == "62.02"
    assert leaks(r.text) == []
    everything = client.get("/api/collections/companies/items", headers=api.headers("viewer")).json()
    assert everything["numberMatched"] == len(COMPANIES)


def test_a_feature_outside_the_scope_is_absent(api, client):
    (outside,) = api.ids_in("62.71")
    mine = client.get(f"/api/collections/companies/items/{api.ids_in('62.02')[0]}", headers=local(api))
    assert mine.status_code == 200 and media_type(mine) == GEOJSON and mine.json()["type"] == "Feature"
    theirs = client.get(f"/api/collections/companies/items/{outside}", headers=local(api))
    absent = client.get(f"/api/collections/companies/items/{ABSENT_ID}", headers=local(api))
    assert theirs.status_code == 404 and same_as_absent(theirs, absent) and leaks(theirs.text) == []


def test_head_on_the_feature_routes_answers_as_get_without_a_body(api, client):
    # The feature routes are plain Starlette routes (api/main.py), which answer HEAD too: the same
    # status and headers as GET, the same scope, no body.
    (outside,) = api.ids_in("62.71")
    for path in (f"/api/collections/companies/items/{api.ids_in('62.02')[0]}", "/api/collections/companies/items"):
        got, head = client.get(path, headers=local(api)), client.head(path, headers=local(api))
        assert head.status_code == got.status_code == 200 and head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-security-policy"] == got.headers["content-security-policy"]
    assert client.head(f"/api/collections/companies/items/{outside}", headers=local(api)).status_code == 404
    assert client.head(f"/api/collections/companies/items/{ABSENT_ID}").status_code == 401


# --- statistics ------------------------------------------------------------------------------------
def test_summary_counts_only_the_scope(api, client):
    r = client.get("/api/stats/summary", headers=local(api))
    assert r.status_code == 200 and media_type(r) == JSON
    body = r.json()
    assert body["companies"] == 2 and body["foreign_workers"] == 3
    assert {"quarter", "today", "by_nationality", "findings_quarter", "filter"} <= set(body)
    assert "KR" not in body["by_nationality"]  # KIM's nationality: only in 62.71
    everything = client.get("/api/stats/summary", headers=api.headers("viewer")).json()
    assert (everything["companies"], everything["foreign_workers"]) == (3, 4)


def test_regions_outside_the_scope_are_absent_not_zero(api, client):
    r = client.get("/api/stats/regency", headers=local(api))
    assert r.status_code == 200 and media_type(r) == JSON
    rows = r.json()["regions"]
    assert [row["code"] for row in rows] == ["62.02"]
    assert rows[0]["companies"] == 2
    r = client.get("/api/stats/regency", headers=local(api), params={"f": "geojson"})
    assert r.status_code == 200 and media_type(r) == GEOJSON
    assert {f["properties"]["code"] for f in r.json()["features"]} == {"62.02"}


# --- vector tiles ----------------------------------------------------------------------------------
def test_company_tile_holds_only_the_scope(api, client):
    z, x, y = tile_of(113.5, -2.4, 6)  # one tile over all three companies
    everything = client.get(f"/api/tiles/companies/{z}/{x}/{y}.mvt", headers=api.headers("viewer"))
    assert everything.status_code == 200 and media_type(everything) == "application/vnd.mapbox-vector-tile"
    ids = {f["properties"]["id"] for f in mapbox_vector_tile.decode(everything.content)["companies"]["features"]}
    assert ids == set(api.company_ids)
    r = client.get(f"/api/tiles/companies/{z}/{x}/{y}.mvt", headers=local(api))
    assert r.status_code == 200 and r.headers["etag"]
    ids = {f["properties"]["id"] for f in mapbox_vector_tile.decode(r.content)["companies"]["features"]}
    assert ids == set(api.ids_in("62.02"))


def test_tilejson(api, client):
    r = client.get("/api/tiles/companies.json", headers=local(api))
    assert r.status_code == 200 and media_type(r) == JSON
    body = r.json()
    assert body["tilejson"].startswith("3.") and body["tiles"][0].endswith("/{z}/{x}/{y}.mvt")


# --- search ----------------------------------------------------------------------------------------
def test_search_stays_within_the_scope(api, client):
    r = client.get("/api/search", params={"q": "Palangka"}, headers=local(api))
    assert r.status_code == 200 and media_type(r) == JSON
    assert r.json()["companies"] == [] and leaks(r.text) == []
    theirs = client.get("/api/search", params={"q": "Palangka"}, headers=api.headers("viewer", ["62.71"])).json()
    assert [c["name"] for c in theirs["companies"]] == ["PT Jasa Palangka Raya"]
    mine = client.get("/api/search", params={"q": "Sampit"}, headers=local(api)).json()
    assert {"regions", "companies"} <= set(mine)
    assert "PT Sawit Sampit Lestari" in [c["name"] for c in mine["companies"]]


# --- records ---------------------------------------------------------------------------------------
def test_company_record_and_its_workers_without_personal_data_for_a_viewer(api, client):
    cid = api.ids_in("62.02")[0]
    r = client.get(f"/api/companies/{cid}", headers=local(api))
    assert r.status_code == 200 and media_type(r) == JSON and r.headers["etag"]
    assert r.json()["id"] == cid and r.json()["regency_code"] == "62.02"
    workers = client.get(f"/api/companies/{cid}/workers", headers=local(api))
    assert workers.status_code == 200
    assert not any(secret in workers.text for secret in api.secrets)
    analyst = client.get(f"/api/companies/{cid}/workers", headers=local(api, "analyst"))
    assert "ZHANG WEIXIANPRIVATE" in analyst.text  # the same list with names, so the check above can fail


def test_records_outside_the_scope_answer_as_absent(api, client):
    (outside,) = api.ids_in("62.71")
    kim, their_inspection = api.worker_ids[3], api.inspection_ids[2]
    for path, absent in ((f"/api/companies/{outside}", f"/api/companies/{ABSENT_ID}"),
                         (f"/api/companies/{outside}/workers", f"/api/companies/{ABSENT_ID}/workers"),
                         (f"/api/workers/{kim}", f"/api/workers/{ABSENT_ID}"),
                         (f"/api/inspections/{their_inspection}", f"/api/inspections/{ABSENT_ID}")):
        theirs, nothing = client.get(path, headers=local(api, "analyst")), client.get(absent, headers=local(api, "analyst"))
        assert theirs.status_code == 404, path
        assert same_as_absent(theirs, nothing) and leaks(theirs.text) == [], path


# --- edits -----------------------------------------------------------------------------------------
def test_patch_in_scope_with_if_match(api, client):
    cid = api.ids_in("62.02")[1]
    editor = local(api, "editor")
    tag = client.get(f"/api/companies/{cid}", headers=editor).headers["etag"]
    r = client.patch(f"/api/companies/{cid}", json={"address": "Jl. Kontrak 1"}, headers={**editor, "If-Match": tag})
    assert r.status_code == 200 and media_type(r) == JSON, r.text
    assert r.json()["address"] == "Jl. Kontrak 1" and r.headers["etag"] != tag
    stale = client.patch(f"/api/companies/{cid}", json={"address": "Jl. Lain"}, headers={**editor, "If-Match": tag})
    assert stale.status_code == 412
    viewer = client.patch(f"/api/companies/{cid}", json={"address": "Jl. Lain"},
                          headers={**local(api), "If-Match": r.headers["etag"]})
    assert viewer.status_code == 403


def test_patch_outside_the_scope_answers_as_absent_and_changes_nothing(api, client):
    (outside,) = api.ids_in("62.71")
    before = api.query("SELECT address, version FROM companies WHERE id = %s", (outside,))
    editor = local(api, "editor")
    theirs = client.patch(f"/api/companies/{outside}", json={"address": "Diambil"}, headers={**editor, "If-Match": '"1"'})
    absent = client.patch(f"/api/companies/{ABSENT_ID}", json={"address": "Diambil"}, headers={**editor, "If-Match": '"1"'})
    assert theirs.status_code == 404 and same_as_absent(theirs, absent) and leaks(theirs.text) == []
    assert api.query("SELECT address, version FROM companies WHERE id = %s", (outside,)) == before


# --- imports (check mode: nothing is written) -----------------------------------------------------
COMPANY_HEADER = "nib,nama_perusahaan,sektor,kbli,alamat,kabupaten_kota,kecamatan,latitude,longitude,rptka_berlaku_hingga"


def test_import_check_reports_rows_outside_the_scope_and_writes_nothing(api, client):
    before = api.query("SELECT count(*), sum(version) FROM companies")
    text = "\n".join([COMPANY_HEADER,
                      "6202000000090,PT Kontrak Sampit,jasa,,,,,-2.545,112.955,",   # 2: in 62.02
                      "6271000000090,PT Kontrak Palangka,jasa,,,,,-2.21,113.92,"])  # 3: in 62.71
    r = client.post("/api/imports/companies", headers=local(api, "editor"), data={"mode": "check"},
                    files={"file": ("perusahaan.csv", (text + "\n").encode(), "text/csv")})
    assert r.status_code == 200 and media_type(r) == JSON, r.text
    report = r.json()
    assert report["valid"] == 1 and report["imported"] == 1  # what a commit would do (the check is rolled back)
    ((line, reason),) = [(x["line"], x["reason"]) for x in report["rejected"]]
    assert line == 3 and "di luar wilayah kewenangan Anda" in reason
    assert api.query("SELECT count(*), sum(version) FROM companies") == before
    viewer = client.post("/api/imports/companies", headers=local(api), data={"mode": "check"},
                         files={"file": ("perusahaan.csv", (text + "\n").encode(), "text/csv")})
    assert viewer.status_code == 403


# --- exports ---------------------------------------------------------------------------------------
def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_company_export_holds_only_the_scope(api, client):
    r = client.get("/api/exports/companies", params={"format": "csv"}, headers=local(api))
    assert r.status_code == 200 and media_type(r) == "text/csv"
    assert "attachment" in r.headers["content-disposition"]
    rows = _csv(r)
    assert sorted(row["nib"] for row in rows) == sorted(c[0] for c in COMPANIES if c[5] == "62.02")
    assert leaks(r.text) == []


def test_worker_export_without_personal_data_for_a_viewer(api, client):
    r = client.get("/api/exports/workers", params={"format": "csv"}, headers=local(api))
    assert r.status_code == 200 and media_type(r) == "text/csv"
    rows = _csv(r)
    assert len(rows) == 3 and "nama_lengkap" not in rows[0] and "nomor_paspor" not in rows[0]
    assert not any(secret in r.text for secret in api.secrets)


# --- report jobs -----------------------------------------------------------------------------------
def test_report_job_status_and_file_are_the_owners_only(api, client):
    quarter = client.get("/api/stats/summary", headers=local(api)).json()["quarter"]
    r = client.post("/api/reports/jobs", json={"period": quarter, "format": "xlsx"}, headers=local(api))
    assert r.status_code == 202 and media_type(r) == JSON, r.text
    created = r.json()
    assert created["status"] == "queued" and r.headers["location"] == created["status_url"]
    deadline = time.monotonic() + 120
    while True:
        state = client.get(created["status_url"], headers=local(api))
        assert state.status_code == 200 and media_type(state) == JSON
        body = state.json()
        assert body["id"] == created["id"] and body["format"] == "xlsx" and body["period"] == quarter
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert body["status"] == "done", body
    other = client.get(created["status_url"], headers=api.headers("viewer", ["62.71"]))
    assert other.status_code == 404 and leaks(other.text) == []
    assert client.get(body["download_url"], headers=api.headers("viewer", ["62.71"])).status_code == 404
    file = client.get(body["download_url"], headers=local(api))
    assert file.status_code == 200
    assert media_type(file) == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    text = " ".join(str(v) for ws in load_workbook(io.BytesIO(file.content)).worksheets
                    for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    assert "Kotawaringin Timur" in text and leaks(text) == []
