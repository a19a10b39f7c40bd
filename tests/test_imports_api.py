"""Imports, exports and discrepancies over HTTP: a real server on its own database."""

from __future__ import annotations

import csv
import io
import json
import uuid

import httpx
import psycopg2
import pyogrio
import pytest

from geo.auth.users import create_user
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database
from tests.importutil import (
    BAD_COMPANY_LINES,
    BAD_WORKER_LINES,
    COMPANIES_CSV,
    VALID_COMPANIES,
    VALID_WORKERS,
    WORKERS_CSV,
    sample_rows,
)

pytestmark = pytest.mark.slow  # a server of its own; imports in child processes


class Api:
    def __init__(self, url: str, server: LiveServer) -> None:
        self.url, self.server, self._headers = url, server, {}

    def headers(self, role="admin", regencies=None, agency="kesbangpol") -> dict:
        key = (role, tuple(regencies or ()), agency)
        if key not in self._headers:
            username, password = f"{role}-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
            conn = psycopg2.connect(self.url)
            create_user(conn, username, password, role, agency, regencies)
            conn.close()
            r = httpx.post(f"{self.server.base}/api/auth/token", data={"username": username, "password": password})
            r.raise_for_status()
            self._headers[key] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self._headers[key]

    def upload(self, kind, data: bytes, name: str, headers, **form):
        return httpx.post(f"{self.server.base}/api/imports/{kind}", headers=headers, timeout=120,
                          files={"file": (name, data, "text/csv")}, data=form)

    def get(self, path, headers, **params):
        return httpx.get(f"{self.server.base}{path}", headers=headers, params=params, timeout=120)

    def count(self, table: str) -> int:
        with psycopg2.connect(self.url) as conn, conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names in tests
            n = cur.fetchone()[0]
        conn.close()
        return n


@pytest.fixture(scope="module")
def api(server_url, template_db):
    url = create_database(server_url, template=template_db)
    server = LiveServer(url, extra_env={"PANTAU_MAX_UPLOAD_MB": "1"})
    try:
        yield Api(url, server)
    finally:
        server.stop()
        drop_database(server_url, dbname_of(url))


def test_import_needs_a_writer(api):
    data = COMPANIES_CSV.read_bytes()
    assert api.upload("companies", data, "c.csv", {}).status_code == 401
    assert api.upload("companies", data, "c.csv", api.headers("viewer")).status_code == 403
    assert api.upload("companies", data, "c.csv", api.headers("analyst")).status_code == 403
    assert api.count("companies") == 0


def test_out_of_scope_rows_rejected_for_a_regional_editor(api):
    r = api.upload("companies", COMPANIES_CSV.read_bytes(), "c.csv", api.headers("editor", ["62.71"]), mode="check")
    assert r.status_code == 200
    report = r.json()
    scoped = {x["line"] for x in report["rejected"] if "di luar wilayah kewenangan Anda" in x["reason"]}
    assert scoped and report["valid"] > 0
    assert set(BAD_COMPANY_LINES) <= {x["line"] for x in report["rejected"]}
    assert report["valid"] + len(scoped) == VALID_COMPANIES
    assert api.count("companies") == 0


def test_all_or_nothing_is_422_with_the_report(api):
    r = api.upload("companies", COMPANIES_CSV.read_bytes(), "c.csv", api.headers(), source="imigrasi")
    assert r.status_code == 422
    assert sorted({x["line"] for x in r.json()["rejected"]}) == BAD_COMPANY_LINES
    assert api.count("companies") == 0 and api.count("import_batches") == 0


def test_too_large_upload_is_413(api):
    data = COMPANIES_CSV.read_bytes()
    big = data * (2**20 // len(data) + 1)  # > 1 MB, the server's limit here
    assert api.upload("companies", big, "big.csv", api.headers()).status_code == 413


def test_skip_invalid_imports_and_records_provenance(api):
    h = api.headers("editor", agency="disnakertrans")
    r = api.upload("companies", COMPANIES_CSV.read_bytes(), "companies.csv", h, mode="skip_invalid")
    assert r.status_code == 200, r.text
    assert (r.json()["imported"], r.json()["source"]) == (VALID_COMPANIES, "disnakertrans")
    # An editor reports for its own agency only; an admin may name the agency that sent the file.
    r = api.upload("workers", WORKERS_CSV.read_bytes(), "workers.csv", h, mode="skip_invalid", source="imigrasi")
    assert r.status_code == 403 and "atas nama instansi lain" in r.json()["detail"]
    r = api.upload("workers", WORKERS_CSV.read_bytes(), "workers.csv", api.headers(), mode="skip_invalid",
                   source="imigrasi")
    assert r.status_code == 200
    assert sorted({x["line"] for x in r.json()["rejected"]}) == BAD_WORKER_LINES
    assert "H12807628" not in r.text and "Pekerja" not in r.text
    with psycopg2.connect(api.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT kind, agency, file_name, imported, rejected FROM import_batches ORDER BY id")
        assert cur.fetchall() == [("companies", "disnakertrans", "companies.csv", VALID_COMPANIES, len(BAD_COMPANY_LINES)),
                                  ("workers", "imigrasi", "workers.csv", VALID_WORKERS, len(BAD_WORKER_LINES))]
    conn.close()


def test_worker_export_personal_data_by_role_and_scope(api):
    viewer = api.get("/api/exports/workers", api.headers("viewer"), format="csv")
    assert viewer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(viewer.content.decode("utf-8-sig"))))
    assert len(rows) == VALID_WORKERS and "nomor_paspor" not in rows[0] and "nama_lengkap" not in rows[0]
    assert api.get("/api/exports/workers", api.headers("viewer"), personal="true").status_code == 403
    analyst = api.get("/api/exports/workers", api.headers("analyst"), format="csv")
    rows = list(csv.DictReader(io.StringIO(analyst.content.decode("utf-8-sig"))))
    assert rows[0]["nomor_paspor"] and rows[0]["nama_lengkap"]
    scoped = api.get("/api/exports/companies", api.headers("viewer", ["62.71"]), format="geojson")
    features = json.loads(scoped.content)["features"]
    with psycopg2.connect(api.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM companies WHERE regency_code = '62.71'")
        assert len(features) == cur.fetchone()[0] > 0
    conn.close()
    assert {f["properties"]["kabupaten_kota"] for f in features} == {"62.71"}


def test_gpkg_download(api, tmp_path):
    r = api.get("/api/exports/companies", api.headers("viewer"), format="gpkg", sector="jasa")
    assert r.status_code == 200
    path = tmp_path / "c.gpkg"
    path.write_bytes(r.content)
    frame = pyogrio.read_dataframe(path)
    assert len(frame) == int(r.headers["x-row-count"]) > 0 and set(frame["sektor"]) == {"jasa"}


def test_discrepancies_between_two_agencies(api):
    """Disnakertrans reports fewer workers at one company and another name for a second one."""
    header, rows = sample_rows(WORKERS_CSV)
    bad = {line - 2 for line in BAD_WORKER_LINES}
    valid = [r for i, r in enumerate(rows) if i not in bad]
    target = valid[0][0]
    at_target = [r for r in valid if r[0] == target]
    assert len(at_target) >= 2
    subset = at_target[:-1]
    text = "\n".join(",".join(r) for r in [header, *subset]) + "\n"
    h = api.headers("editor", agency="disnakertrans")
    assert api.upload("workers", text.encode(), "w-dnt.csv", h).status_code == 200

    c_header, c_rows = sample_rows(COMPANIES_CSV)
    other = next(r for r in c_rows if r[0] != target and r[1].startswith("PT Contoh"))
    renamed = [other[0], other[1] + " Baru", *other[2:]]
    text = ",".join(c_header) + "\n" + ",".join(renamed) + "\n"
    assert api.upload("companies", text.encode(), "c-kb.csv", api.headers("editor")).status_code == 200

    r = api.get("/api/discrepancies/companies", api.headers("viewer"))
    assert r.status_code == 200
    found = {d["nib"]: d for d in r.json()}
    assert found[target]["worker_counts"] == {"disnakertrans": len(subset), "imigrasi": len(at_target)}
    assert found[target]["worker_counts_differ"] is True
    assert found[other[0]]["field_differences"]["nama_perusahaan"] == {
        "disnakertrans": other[1], "kesbangpol": other[1] + " Baru"}
    regions = api.get("/api/discrepancies/regions", api.headers("viewer")).json()
    with psycopg2.connect(api.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT regency_code FROM companies WHERE nib = %s", (target,))
        regency = cur.fetchone()[0]
    conn.close()
    region = next(x for x in regions if x["regency_code"] == regency)
    assert region["companies_with_worker_count_difference"] >= 1
    assert region["workers_by_agency"]["disnakertrans"] == len(subset)
    outside = api.get("/api/discrepancies/companies", api.headers("viewer", ["62.08"])).json()
    assert all(d["regency_code"] == "62.08" for d in outside)


def test_exports_and_discrepancies_need_credentials(http, auth_headers):
    """On the shared (read-only, empty) session server, with the suite's own auth fixture."""
    assert http.get("/api/exports/companies").status_code == 401
    assert http.get("/api/discrepancies/regions").status_code == 401
    r = http.get("/api/exports/workers", headers=auth_headers("viewer"), params={"format": "csv"})
    assert r.status_code == 200
    header = r.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert "kewarganegaraan" in header and "nomor_paspor" not in header
    r = http.get("/api/exports/workers", headers=auth_headers("analyst"), params={"format": "csv"})
    assert "nomor_paspor" in r.content.decode("utf-8-sig").splitlines()[0]
    assert http.get("/api/exports/workers", headers=auth_headers("viewer"), params={"format": "pdf"}).status_code in (400, 422)
    assert http.post("/api/imports/companies", headers=auth_headers("viewer"),
                     files={"file": ("c.csv", b"nib\n", "text/csv")}).status_code == 403
