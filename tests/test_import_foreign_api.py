"""POST /api/imports/{orang-asing,penginapan,kegiatan} on a real server, and `pantau import` of the
same files (issue 17 item 2): roles, scope, provenance, limits, exit codes."""

from __future__ import annotations

import json

import psycopg2
import pytest

from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database
from tests.importutil import SAMPLES, pantau, sample_rows
from tests.seed import COMPANIES
from tests.test_import_foreign import _csv
from tests.test_imports_api import Api

pytestmark = pytest.mark.slow  # a server of its own; imports in child processes; `pantau import`

ORANG_ASING = SAMPLES / "orang_asing.csv"
PENGINAPAN = SAMPLES / "penginapan.csv"
KEGIATAN = SAMPLES / "kegiatan.csv"


def _companies(url: str) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for nib, name, sector, lon, lat, regency in COMPANIES:
            cur.execute("""INSERT INTO companies (nib, name, sector, geom, declared_regency, rptka_valid_until)
                           VALUES (%s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, current_date + 400)""",
                        (nib, name, sector, lon, lat, regency))
    conn.close()


@pytest.fixture(scope="module")
def api(server_url, template_db):
    url = create_database(server_url, template=template_db)
    _companies(url)
    server = LiveServer(url, extra_env={"PANTAU_MAX_UPLOAD_MB": "1"})
    try:
        yield Api(url, server)
    finally:
        server.stop()
        drop_database(server_url, dbname_of(url))


def _stays(api) -> int:
    return api.count("foreign_national_stays") + api.count("lodging_stays") + api.count("monitoring_activities")


@pytest.mark.parametrize("slug", ["orang-asing", "penginapan", "kegiatan"])
def test_only_writers_may_import(api, slug):
    data = {"orang-asing": ORANG_ASING, "penginapan": PENGINAPAN, "kegiatan": KEGIATAN}[slug].read_bytes()
    assert api.upload(slug, data, "f.csv", {}).status_code == 401
    for role in ("viewer", "analyst"):
        assert api.upload(slug, data, "f.csv", api.headers(role), mode="skip_invalid").status_code == 403
    assert _stays(api) == 0 and api.count("foreign_nationals") == 0
    # The route is there for writers: the same file is checked for an editor.
    r = api.upload(slug, data, "f.csv", api.headers("editor"), mode="check")
    assert r.status_code == 200 and r.json()["valid"] == 3 + 3 * (slug == "orang-asing")


def test_a_62_71_editor_uploading_a_62_02_row_gets_it_refused_as_unknown(api):
    """The row reads exactly as a village that does not exist; nothing is written and the answer names
    neither 62.02 nor the row's personal values."""
    header, rows = sample_rows(ORANG_ASING)
    in_6202 = rows[2]  # OA7700203 in 62.02.06.1007, sponsored by a 62.02 company
    unknown = list(rows[0])
    unknown[header.index("kode_desa")] = "62.71.01.9999"
    unknown[header.index("latitude")] = unknown[header.index("longitude")] = ""
    editor = api.headers("editor", ["62.71"], agency="imigrasi")
    r = api.upload("orang-asing", _csv(header, [in_6202, unknown]), "oa.csv", editor)
    assert r.status_code == 422, r.text
    rejected = {(x["line"], x["column"]): x for x in r.json()["rejected"]}
    assert rejected[(2, "kode_desa")]["reason"] == rejected[(3, "kode_desa")]["reason"]
    assert "tidak dikenal" in rejected[(2, "kode_desa")]["reason"]
    assert rejected[(2, "nib_sponsor")]["reason"].startswith("NIB perusahaan tidak terdaftar")
    assert "62.02 " not in r.text and "62.02)" not in r.text
    assert not {in_6202[header.index(c)] for c in ("nomor_paspor", "nama_lengkap", "nomor_izin", "alamat")} & set(
        json.dumps(r.json()).split('"'))
    assert "OA7700203" not in r.text and "Privatuji" not in r.text
    assert _stays(api) == 0 and api.count("foreign_nationals") == 0 and api.count("import_batches") == 0

    # The same upload by a province-wide editor is written.
    r = api.upload("orang-asing", _csv(header, [in_6202]), "oa.csv", api.headers("editor", agency="imigrasi"))
    assert r.status_code == 200 and r.json()["imported"] == 1
    with psycopg2.connect(api.url) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM foreign_national_stays; DELETE FROM foreign_nationals; DELETE FROM import_batches")
    conn.close()


def test_an_editor_imports_as_its_own_agency(api):
    h = api.headers("editor", agency="polda")
    r = api.upload("penginapan", PENGINAPAN.read_bytes(), "penginapan.csv", h, mode="skip_invalid", source="imigrasi")
    assert r.status_code == 403
    r = api.upload("penginapan", PENGINAPAN.read_bytes(), "penginapan.csv", h, mode="skip_invalid")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["kind"], body["source"], body["imported"]) == ("lodgings", "polda", 3)
    assert sorted({x["line"] for x in body["rejected"]}) == [5, 6, 7, 8, 9]
    assert "TM88003" not in r.text and "Privatinap" not in r.text
    with psycopg2.connect(api.url) as conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT s.agency, b.kind, b.agency, b.imported_by LIKE 'editor-%' FROM lodging_stays s "
                    "JOIN import_batches b ON b.id = s.batch_id")
        assert cur.fetchall() == [("polda", "lodgings", "polda", True)]
        cur.execute("SELECT action, outcome FROM audit_log WHERE action = 'import.lodgings' "
                    "AND detail->>'mode' = 'skip_invalid'")
        assert cur.fetchall() == [("import.lodgings", "ok")]
    conn.close()
    again = api.upload("penginapan", PENGINAPAN.read_bytes(), "penginapan.csv", h, mode="skip_invalid").json()
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, 3)


def test_upload_limits_hold_for_the_new_kinds(api):
    data = KEGIATAN.read_bytes()
    big = data * (2**20 // len(data) + 1)  # > 1 MB, the server's limit here
    assert api.upload("kegiatan", big, "big.csv", api.headers()).status_code == 413
    wide = ",".join(f"c{i}" for i in range(500)).encode() + b"\n"
    r = api.upload("kegiatan", wide, "wide.csv", api.headers())
    assert r.status_code == 413 and r.json()["limit"] == "PANTAU_IMPORT_MAX_COLUMNS"
    assert api.upload("unknown-kind", data, "k.csv", api.headers()).status_code in (400, 422)


def test_pantau_import_commands(api, tmp_path):
    out = tmp_path / "r.json"
    checked = pantau("import", "kegiatan", KEGIATAN, "--check", "--report", out, database_url=api.url)
    assert checked.returncode == 1 and "baris 5, kolom jenis_kegiatan" in checked.stdout
    assert api.count("monitoring_activities") == 0
    strict = pantau("import", "kegiatan", KEGIATAN, "--source", "kesbangpol", database_url=api.url)
    assert strict.returncode == 1 and "tidak ada yang disimpan" in strict.stdout
    assert api.count("monitoring_activities") == 0
    done = pantau("import", "kegiatan", KEGIATAN, "--skip-invalid", "--report", out, database_url=api.url)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert (report["kind"], report["imported"], report["rejected_rows"]) == ("activities", 3, 5)
    assert api.count("monitoring_activities") == 3
    help_text = pantau("import", "--help", database_url=api.url).stdout
    assert all(slug in help_text for slug in ("orang-asing", "penginapan", "kegiatan"))
