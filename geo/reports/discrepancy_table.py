"""The report's "Selisih data antarinstansi": the agency discrepancies still open on the report's
day, and the resolution notes written in the period (geo.discrepancies, geo.discrepancy_resolutions),
within the report's scope. Shared by the PDF (an annex), the HTML and the XLSX as two tables.
Notes are free text: masked unless the report is made with personal data."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from geo import clock, redaction
from geo import discrepancy_resolutions as notes
from geo.db import Connection
from geo.discrepancies import company_discrepancies, region_discrepancies
from geo.labels import AGENCIES
from geo.reports.tables import Table

TITLE = "Selisih data antarinstansi"
FIELDS = {
    notes.WORKER_COUNT: "Jumlah TKA", "nama_perusahaan": "Nama perusahaan", "sektor": "Sektor", "kbli": "KBLI",
    "alamat": "Alamat", "kabupaten_kota": "Kabupaten/kota", "kecamatan": "Kecamatan", "latitude": "Lintang",
    "longitude": "Bujur", "rptka_berlaku_hingga": "RPTKA berlaku hingga",
}
OPEN_HEADERS = ("Kabupaten/kota", "Perusahaan / wilayah", "Data", "Angka tiap instansi")
RESOLVED_HEADERS = ("Tanggal", "Kabupaten/kota", "Perusahaan / wilayah", "Data", "Yang berlaku", "Oleh", "Alasan")


def _figures(figures: dict) -> str:
    return "; ".join(f"{AGENCIES.get(a, a)}: {v}" for a, v in sorted(figures.items()))


def _names(conn: Connection, company_ids: list[int]) -> tuple[dict, dict]:
    with conn.cursor() as cur:
        cur.execute("SELECT id, name FROM companies WHERE id = ANY(%s::bigint[])", (company_ids,))
        companies = dict(cur.fetchall())
        cur.execute("SELECT code, name FROM boundaries WHERE level = 'regency'")
        regions = dict(cur.fetchall())
    conn.rollback()
    return companies, regions


def assemble(conn: Connection, scope: tuple[str, ...] | None, regency: str | None, start: date, day: date,
             personal: bool) -> dict:
    """{"open": rows, "resolved": rows} for a report of `scope` (and one `regency`), period from
    `start` to `day` (the report's reference day)."""
    regencies = (regency,) if regency else scope
    companies = company_discrepancies(conn, regencies, state="open", personal=personal)
    regions = region_discrepancies(conn, regencies, state="open", personal=personal)
    zone = clock.zone()
    made = notes.made_between(conn, regencies, datetime.combine(start, time(), zone),
                              datetime.combine(day + timedelta(days=1), time(), zone))
    company_names, region_names = _names(conn, [r.company_id for r in made if r.company_id])
    texts = [r.note for r in made]
    if not personal and made:
        texts = redaction.mask_columns(conn, [r.company_id for r in made], [texts])[0]
    open_rows = [(region_names.get(c["regency_code"], c["regency_code"]), c["name"], FIELDS.get(i["field"], i["field"]),
                  _figures(i["figures"])) for c in companies for i in c["items"] if i["open"]]
    open_rows += [(r["name"], "(seluruh kabupaten/kota)", FIELDS.get(i["field"], i["field"]), _figures(i["figures"]))
                  for r in regions for i in r["items"] if i["open"]]
    open_rows.sort(key=lambda row: (row[0], row[1], row[2]))
    resolved_rows = [
        (r.resolved_at.astimezone(zone).date(), region_names.get(r.regency_code, r.regency_code),
         company_names.get(r.company_id, "") if r.company_id else "(seluruh kabupaten/kota)",
         FIELDS.get(r.field, r.field),
         f"angka {AGENCIES.get(r.chosen_agency, r.chosen_agency)}" if r.chosen_agency else str(r.chosen_value),
         f"{r.username} ({AGENCIES.get(r.agency, r.agency)})", text)
        for r, text in zip(made, texts, strict=True)]
    return {"open": open_rows, "resolved": resolved_rows}


def tables(content: dict) -> list[Table]:
    d = content["discrepancies"]
    return [Table("selisih_terbuka", f"{TITLE}: belum diselesaikan", OPEN_HEADERS, d["open"]),
            Table("selisih_diselesaikan", f"{TITLE}: diselesaikan dalam periode", RESOLVED_HEADERS, d["resolved"])]
