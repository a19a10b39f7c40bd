"""Imports of foreign nationals (orang_asing), lodging guests (penginapan) and monitoring activities
(kegiatan), issue 17 item 2: the sample files in tests/fixtures/ through the importer, on databases
of their own (tests/fixtures/README.md lists the bad rows)."""

from __future__ import annotations

import io
import json

import psycopg2
import pytest
from openpyxl import Workbook

from geo.imports.service import run_import
from tests.importutil import SAMPLES, sample_rows
from tests.seed import COMPANIES

ORANG_ASING = SAMPLES / "orang_asing.csv"
PENGINAPAN = SAMPLES / "penginapan.csv"
KEGIATAN = SAMPLES / "kegiatan.csv"
# line → (column, words of the reason): the acceptance's bad rows, and a few more.
BAD = {
    "foreign_nationals": {
        7: ("kode_desa", "kode desa tidak dikenal"),
        8: ("latitude,longitude", "di luar desa 62.71.01.1002 dan lebih dari 2 km"),
        9: ("nib_sponsor", "NIB perusahaan tidak terdaftar"),
        10: ("izin_berlaku_hingga", "sebelum izin_berlaku_dari"),
        11: ("nomor_paspor", "ganda: sudah ada di baris 2"),
        12: ("tujuan", "tujuan tidak dikenal"),
        14: ("jenis_izin", "jenis izin tidak dikenal"),
    },
    "lodgings": {
        5: ("kode_desa", "kode desa tidak dikenal"),
        6: ("latitude,longitude", "di luar desa 62.71.01.1002"),
        7: ("tanggal_keluar", "sebelum tanggal_masuk"),
        8: ("nomor_paspor", "ganda: sudah ada di baris 2"),
        9: ("kewarganegaraan", "tidak dikenal"),
    },
    "activities": {
        5: ("jenis_kegiatan", "jenis kegiatan tidak dikenal"),
        6: ("kode_kecamatan", "kode kecamatan tidak dikenal"),
        7: ("nib_sasaran", "NIB perusahaan tidak terdaftar"),
        8: ("instansi", "instansi tidak dikenal"),
        9: ("tanggal", "ganda: sudah ada di baris 2"),
    },
}
FILES = {"foreign_nationals": ORANG_ASING, "lodgings": PENGINAPAN, "activities": KEGIATAN}
VALID = {"foreign_nationals": 6, "lodgings": 3, "activities": 3}
TABLES = ("foreign_nationals", "foreign_national_stays", "lodgings", "lodging_stays", "monitoring_activities",
          "activity_company_targets", "import_batches")


def _personal(path) -> set[str]:
    """The personal values of a sample file (names, passports, permit numbers, addresses)."""
    header, rows = sample_rows(path)
    columns = [header.index(c) for c in ("nomor_paspor", "nama_lengkap", "nama_tamu", "nomor_izin", "alamat")
               if c in header]
    return {row[i] for row in rows for i in columns if row[i]}


@pytest.fixture
def db(fresh_db_url):
    """A database with the seed's three companies (NIBs 6202000000001/2 in 62.02, 6271000000001 in 62.71)."""
    conn = psycopg2.connect(fresh_db_url)
    with conn, conn.cursor() as cur:
        for nib, name, sector, lon, lat, regency in COMPANIES:
            cur.execute("""INSERT INTO companies (nib, name, sector, geom, declared_regency, rptka_valid_until)
                           VALUES (%s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, current_date + 400)""",
                        (nib, name, sector, lon, lat, regency))
    yield conn
    conn.close()


def run(conn, kind, data, mode="all_or_nothing", name="f.csv", regencies=None, source="imigrasi"):
    return run_import(conn, kind, data, name, mode=mode, source=source, user="test", regencies=regencies)


def counts(conn) -> dict[str, int]:
    out = {}
    with conn.cursor() as cur:
        for table in TABLES:
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            out[table] = cur.fetchone()[0]
    conn.rollback()
    return out


@pytest.mark.parametrize("kind", list(FILES))
def test_every_bad_row_is_rejected_with_its_line_and_column_and_nothing_written(db, kind):
    before = counts(db)
    report = run(db, kind, FILES[kind].read_bytes())
    assert not report.committed and report.batch_id is None
    assert report.rejected_lines == sorted(BAD[kind])
    assert report.valid == VALID[kind]
    for line, (column, words) in BAD[kind].items():
        found = [r for r in report.rejected if r.line == line]
        assert any(r.column == column and words in r.reason for r in found), (line, found)
        assert all("(" in r.reason and r.reason.endswith(")") for r in found)  # Indonesian (English)
    assert counts(db) == before
    text = json.dumps(report.as_dict())
    assert not {v for v in _personal(FILES[kind]) if v in text}, "personal values quoted in the report"


def test_check_validates_and_writes_nothing(db):
    before = counts(db)
    report = run(db, "foreign_nationals", ORANG_ASING.read_bytes(), mode="check")
    assert report.valid == VALID["foreign_nationals"] and not report.committed
    assert counts(db) == before


def test_skip_invalid_writes_the_valid_rows_with_their_provenance(db):
    reports = {kind: run(db, kind, path.read_bytes(), mode="skip_invalid", name=path.name)
               for kind, path in FILES.items()}
    for kind, report in reports.items():
        assert report.committed
        assert (report.imported, report.updated, report.unchanged) == (VALID[kind], 0, 0), kind
    assert reports["activities"].warnings == []  # no text there names a person
    n = counts(db)
    # Six persons of the orang_asing file, and two guests not known before (OA7700203 is one of the six).
    assert n["foreign_nationals"] == 8 and n["foreign_national_stays"] == 6
    assert (n["lodgings"], n["lodging_stays"]) == (2, 3)
    assert (n["monitoring_activities"], n["activity_company_targets"]) == (3, 3)
    with db.cursor() as cur:
        cur.execute("SELECT kind, agency, file_name, imported, rejected FROM import_batches ORDER BY id")
        assert cur.fetchall() == [
            ("foreign_nationals", "imigrasi", "orang_asing.csv", 6, 7),
            ("lodgings", "imigrasi", "penginapan.csv", 3, 5),
            ("activities", "imigrasi", "kegiatan.csv", 3, 5),
        ]
        for table, kind in (("foreign_national_stays", "foreign_nationals"), ("lodging_stays", "lodgings"),
                            ("monitoring_activities", "activities")):
            cur.execute(f"SELECT DISTINCT agency, batch_id FROM {table}")  # noqa: S608 - fixed names
            assert cur.fetchall() == [("imigrasi", reports[kind].batch_id)]
        # Placed by village: the reported point when given (line 4: 410 m outside its village,
        # within 2 km), else the village's label point.
        cur.execute("""SELECT p.passport_number, s.village_code, s.district_code, s.regency_code, s.location_source,
                              s.purpose, s.permit_type, s.valid_from::text, s.valid_until::text, c.nib, s.reported_on::text
                         FROM foreign_national_stays s JOIN foreign_nationals p ON p.id = s.foreign_national_id
                         LEFT JOIN companies c ON c.id = s.sponsor_company_id ORDER BY 1""")
        stays = {r[0]: r[1:] for r in cur.fetchall()}
        assert stays["OA7700202"] == ("62.71.01.1005", "62.71.01", "62.71", "village", "keagamaan", "itap",
                                      "2025-01-01", None, None, "2026-11-30")
        assert stays["OA7700203"][:4] == ("62.02.06.1007", "62.02.06", "62.02", "reported")
        assert stays["OA7700203"][8] == "6202000000001"
        assert stays["OA7700204"][4:6] == ("wisata", "visa_kunjungan")
        cur.execute("SELECT nationality FROM foreign_nationals WHERE passport_number IN ('OA7700202', 'OA7700204') "
                    "ORDER BY passport_number")
        assert cur.fetchall() == [("US",), ("CN",)]
        # A guest already known keeps the name of the first report; a new one is made under the lodging's.
        cur.execute("SELECT passport_number, full_name FROM foreign_nationals "
                    "WHERE passport_number IN ('OA7700203', 'TM8800302') ORDER BY 1")
        assert cur.fetchall() == [("OA7700203", "Wei Privatuji"), ("TM8800302", "Chloe Privatinap")]
        # Lines 2 and 3 of penginapan.csv name one establishment ('HOTEL  kahayan uji').
        cur.execute("SELECT l.name, l.location_source, count(*) FROM lodgings l JOIN lodging_stays s "
                    "ON s.lodging_id = l.id GROUP BY 1, 2 ORDER BY 1")
        assert cur.fetchall() == [("Hotel Kahayan Uji", "reported", 2), ("Losmen Mentaya Uji", "village", 1)]
        cur.execute("""SELECT a.kind, a.district_code, a.regency_code, a.agencies, array_agg(c.nib ORDER BY c.nib)
                         FROM monitoring_activities a LEFT JOIN activity_company_targets t ON t.activity_id = a.id
                         LEFT JOIN companies c ON c.id = t.company_id GROUP BY a.id ORDER BY a.held_on""")
        assert cur.fetchall() == [
            ("sosialisasi", "62.02.05", "62.02", ["kesbangpol"], [None]),
            ("operasi_gabungan", "62.02.06", "62.02", ["imigrasi", "pemkab", "polda"],
             ["6202000000001", "6202000000002"]),
            ("rapat", "62.71.01", "62.71", ["imigrasi", "kesbangpol"], ["6271000000001"]),
        ]
    db.rollback()


def _versions(conn):
    out = {}
    with conn.cursor() as cur:
        for table in TABLES[:-1]:
            if table == "activity_company_targets":
                cur.execute("SELECT activity_id, company_id FROM activity_company_targets ORDER BY 1, 2")
            else:
                cur.execute(f"SELECT id, version, updated_at FROM {table} ORDER BY id")  # noqa: S608 - fixed names
            out[table] = cur.fetchall()
    conn.rollback()
    return out


def test_reimport_changes_nothing_and_a_changed_row_is_an_update(db):
    for kind, path in FILES.items():
        run(db, kind, path.read_bytes(), mode="skip_invalid")
    before = _versions(db)
    for kind, path in FILES.items():
        again = run(db, kind, path.read_bytes(), mode="skip_invalid", source="polda")
        assert (again.imported, again.updated, again.unchanged) == (0, 0, VALID[kind]), kind
    assert _versions(db) == before

    # One stay's end date, one guest's check-out and one activity's targets change: updates, nothing new.
    header, rows = sample_rows(ORANG_ASING)
    rows[0][header.index("izin_berlaku_hingga")] = "2027-12-31"
    changed = run(db, "foreign_nationals", _csv(header, rows[:1]), source="polda")
    assert (changed.imported, changed.updated, changed.unchanged) == (0, 1, 0)
    header, rows = sample_rows(PENGINAPAN)
    rows[1][header.index("tanggal_keluar")] = "2026-12-06"
    changed = run(db, "lodgings", _csv(header, rows[1:2]), source="polda")
    assert (changed.imported, changed.updated, changed.unchanged) == (0, 1, 0)
    header, rows = sample_rows(KEGIATAN)
    rows[1][header.index("nib_sasaran")] = "6202000000002"
    changed = run(db, "activities", _csv(header, rows[1:2]), source="polda")
    assert (changed.imported, changed.updated, changed.unchanged) == (0, 1, 0)
    with db.cursor() as cur:
        cur.execute("SELECT s.valid_until::text, s.agency, s.version FROM foreign_national_stays s "
                    "JOIN foreign_nationals p ON p.id = s.foreign_national_id WHERE p.passport_number = 'OA7700201'")
        assert cur.fetchall() == [("2027-12-31", "polda", 2)]
        cur.execute("SELECT count(*) FROM foreign_national_stays WHERE agency = 'polda'")
        assert cur.fetchone()[0] == 1  # the unchanged rows keep the agency that reported them first
        cur.execute("SELECT count(*) FROM activity_company_targets t JOIN monitoring_activities a ON a.id = t.activity_id "
                    "WHERE a.kind = 'operasi_gabungan'")
        assert cur.fetchone()[0] == 1
    db.rollback()


def _csv(header, rows, delimiter=",") -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _xlsx(path) -> bytes:
    """As Excel keeps it: re-typed headers, dates as date cells, NIBs and coordinates as numbers."""
    from datetime import datetime

    header, rows = sample_rows(path)
    wb = Workbook()
    ws = wb.active
    ws.append([f" {h.upper().replace('_', ' ')} " for h in reversed(header)])
    for row in rows:
        cells = []
        for name, value in zip(header, row, strict=True):
            typed = value
            for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
                try:
                    typed = datetime.strptime(value, fmt)
                    break
                except ValueError:
                    pass
            if name in ("latitude", "longitude") and value:
                typed = float(value)
            elif name == "nib_sponsor" and value.isdigit():
                typed = int(value)
            cells.append(typed)
        ws.append(list(reversed(cells)))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _semicolon(path) -> bytes:
    """';'-separated with decimal commas, a BOM and CRLF, as Excel saves CSV in an Indonesian locale."""
    header, rows = sample_rows(path)
    for row in rows:
        for i, name in enumerate(header):
            if name in ("latitude", "longitude"):
                row[i] = row[i].replace(".", ",")
    return b"\xef\xbb\xbf" + _csv(header, rows, ";").replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")


@pytest.mark.parametrize("variant", [_xlsx, _semicolon], ids=["xlsx", "semicolon"])
def test_xlsx_and_semicolon_files_give_the_csv_results(db, variant):
    for kind, path in FILES.items():
        report = run(db, kind, variant(path), mode="skip_invalid", name=f"{kind}.xlsx" if variant is _xlsx else "x.csv")
        assert report.rejected_lines == sorted(BAD[kind]), kind
        assert report.imported == VALID[kind], kind
    # The same rows as the CSV: importing the CSV afterwards changes nothing.
    for kind, path in FILES.items():
        again = run(db, kind, path.read_bytes(), mode="skip_invalid")
        assert (again.imported, again.updated, again.unchanged) == (0, 0, VALID[kind]), kind


def test_a_scoped_writer_sees_other_regencies_as_unknown(db):
    """An editor of 62.71: a village, district or company of 62.02 reads exactly as an unknown one."""
    reports = {kind: run(db, kind, path.read_bytes(), mode="check", regencies=("62.71",))
               for kind, path in FILES.items()}
    by_line = {kind: {(r.line, r.column): r.reason for r in report.rejected} for kind, report in reports.items()}
    unknown_village = by_line["foreign_nationals"][(7, "kode_desa")]
    for line in (4, 5, 6):  # orang_asing rows in 62.02 villages
        assert by_line["foreign_nationals"][(line, "kode_desa")] == unknown_village
    assert by_line["lodgings"][(4, "kode_desa")] == unknown_village  # Losmen Mentaya Uji, 62.02
    # 62.02.06 reads like 62.71.09, and the 62.02 companies it targets like 9999999999999.
    assert by_line["activities"][(3, "kode_kecamatan")] == by_line["activities"][(6, "kode_kecamatan")]
    assert by_line["activities"][(3, "nib_sasaran")] == by_line["activities"][(7, "nib_sasaran")]
    assert "62.02" not in json.dumps([r.as_dict() for r in reports.values()]).replace("62.02.0", "")

    # The 62.02 sponsor NIB on a row moved into 62.71 reads as the unknown NIB 9999999999999.
    header, rows = sample_rows(ORANG_ASING)
    row = list(rows[2])
    row[header.index("kode_desa")] = "62.71.01.1002"
    row[header.index("latitude")] = row[header.index("longitude")] = ""
    unknown = list(rows[7])
    unknown[header.index("kode_desa")] = "62.71.01.1002"
    report = run(db, "foreign_nationals", _csv(header, [row, unknown]), mode="check", regencies=("62.71",))
    assert [(r.line, r.column, r.reason) for r in report.rejected] == [
        (2, "nib_sponsor", by_line["foreign_nationals"][(9, "nib_sponsor")]),
        (3, "nib_sponsor", by_line["foreign_nationals"][(9, "nib_sponsor")])]
    assert counts(db)["import_batches"] == 0


def test_a_scoped_writer_cannot_take_over_a_stay_of_another_regency(db):
    """The stay of OA7700203 in 62.02 (same person, permit type and start) cannot be moved into 62.71 by
    an editor of 62.71; the refusal names neither the stay nor its regency."""
    run(db, "foreign_nationals", ORANG_ASING.read_bytes(), mode="skip_invalid")
    header, rows = sample_rows(ORANG_ASING)
    row = list(rows[2])
    row[header.index("kode_desa")] = "62.71.01.1002"
    row[header.index("latitude")] = row[header.index("longitude")] = row[header.index("nib_sponsor")] = ""
    report = run(db, "foreign_nationals", _csv(header, [row]), mode="skip_invalid", regencies=("62.71",))
    assert [(r.line, r.column, r.value) for r in report.rejected] == [(2, "nomor_paspor", None)]
    assert "wilayah kewenangan Anda" in report.rejected[0].reason and "62.02" not in report.rejected[0].reason
    with db.cursor() as cur:
        cur.execute("SELECT s.regency_code FROM foreign_national_stays s JOIN foreign_nationals p "
                    "ON p.id = s.foreign_national_id WHERE p.passport_number = 'OA7700203'")
        assert cur.fetchall() == [("62.02",)]
    db.rollback()


def test_a_scoped_writer_does_not_rename_a_person_recorded_elsewhere(db):
    """OA7700203 has a stay in 62.02: a 62.71 editor may report a new stay of theirs, not rename them."""
    run(db, "foreign_nationals", ORANG_ASING.read_bytes(), mode="skip_invalid")
    header, rows = sample_rows(ORANG_ASING)
    row = list(rows[2])
    row[header.index("kode_desa")] = "62.71.01.1002"
    row[header.index("latitude")] = row[header.index("longitude")] = row[header.index("nib_sponsor")] = ""
    row[header.index("izin_berlaku_dari")] = "2026-12-01"
    row[header.index("nama_lengkap")] = "Nama Ganti Privat"
    report = run(db, "foreign_nationals", _csv(header, [row]), regencies=("62.71",))
    assert report.committed and report.imported == 1
    with db.cursor() as cur:
        cur.execute("SELECT full_name FROM foreign_nationals WHERE passport_number = 'OA7700203'")
        assert cur.fetchone() == ("Wei Privatuji",)
    db.rollback()


def test_controlled_lists_by_label_and_the_codes_named_when_unknown(db):
    header, rows = sample_rows(ORANG_ASING)
    labelled = list(rows[0])
    labelled[header.index("jenis_izin")] = "Izin Tinggal Terbatas"
    labelled[header.index("tujuan")] = "Studi"
    future = list(rows[4])
    future[header.index("tanggal_lahir")] = "2099-01-01"
    future[header.index("tujuan")] = "berdagang"
    report = run(db, "foreign_nationals", _csv(header, [labelled, future]), mode="check")
    assert [(r.line, r.column, r.value) for r in report.rejected] == [(3, "tanggal_lahir", None), (3, "tujuan", "berdagang")]
    assert "bekerja, investasi, jurnalistik" in report.rejected[1].reason


def test_activity_text_naming_a_foreign_national_is_imported_with_a_warning(db):
    """Targets may name persons: saved as written, the writer warned (by line and column, never the
    text) that roles without personal access see it masked."""
    run(db, "foreign_nationals", ORANG_ASING.read_bytes(), mode="skip_invalid")
    header, rows = sample_rows(KEGIATAN)
    named = list(rows[0])
    named[header.index("sasaran")] = "PT Jasa Palangka Raya; Olivia Privatuji"
    named[header.index("temuan")] = "paspor OA7700202 tidak dibawa"
    report = run(db, "activities", _csv(header, [named, rows[2]]))
    assert report.committed and report.imported == 2
    assert [(w.line, w.column) for w in report.warnings] == [(2, "sasaran"), (2, "temuan")]
    assert "nama orang asing" in report.warnings[0].reason and "paspor/izin" in report.warnings[1].reason
    text = json.dumps(report.as_dict())
    assert "Olivia Privatuji" not in text and "OA7700202" not in text
