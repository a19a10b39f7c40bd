"""Exports of the foreign-national collections (issue 17): lodgings, monitoring activities and the
foreign nationals present on a day, read with the SQL of their OGC API collections (geo/features),
so an export holds exactly the rows and values the API gives the same user with the same filters.

Column names follow the import templates (docs/IMPORTS.md: `penginapan`, `kegiatan`, `orang_asing`)
where they have a counterpart; `latitude`/`longitude` only for a point as reported (a village's
stand-in point is left empty, so a file imported again does not turn it into a reported one).
Lodgings are exported one row per establishment with its guest counts (the guests are personal);
without `personal` a count of 1 or 2 guests is empty, as in the API (catalog.small_counts).
`foreign_nationals` is personal data as a whole: the caller allows it only to roles that may see it.
"""

from __future__ import annotations

import pandas as pd

from geo import activity_text
from geo.db import Connection, single_read
from geo.features.catalog import CATALOG, PUBLIC
from geo.features.sql import base_where
from geo.filters import MonitoringFilter

PERSONAL_KINDS = ("foreign_nationals",)
# The monitoring filters each kind takes besides regency_code, district_code (and `datetime`).
NATIONALITY_KINDS = ("foreign_nationals",)


def _col(kind: str, name: str) -> str:
    return CATALOG[kind].column(name).sql


def _reported(kind: str, source: str) -> tuple[tuple[str, str], ...]:
    geom = CATALOG[kind].geom_sql
    return (("latitude", f"CASE WHEN {source} = 'reported' THEN round(ST_Y({geom})::numeric, 6)::float8 END"),
            ("longitude", f"CASE WHEN {source} = 'reported' THEN round(ST_X({geom})::numeric, 6)::float8 END"))


# (export column, SQL over the collection's from_sql aliases), in order.
LAYOUT: dict[str, tuple[tuple[str, str], ...]] = {
    "lodgings": (
        ("nama_penginapan", "l.name"), ("alamat_penginapan", "l.address"), ("kode_desa", "l.village_code"),
        *_reported("lodgings", "l.location_source"),
        ("nama_desa", _col("lodgings", "village_name")), ("kecamatan", "l.district_code"),
        ("nama_kecamatan", _col("lodgings", "district_name")), ("kabupaten_kota", "l.regency_code"),
        ("nama_kabupaten_kota", _col("lodgings", "regency_name")),
        ("tamu_hari_ini", _col("lodgings", "guests_today")), ("tamu_30_hari", _col("lodgings", "guests_30d")),
        ("tanggal_data", "q.d"),
    ),
    "activities": (
        ("tanggal", "a.held_on"), ("jenis_kegiatan", "a.kind"), ("kode_kecamatan", "a.district_code"),
        ("instansi", "array_to_string(a.agencies, ', ')"),
        ("nib_sasaran", "(SELECT string_agg(tc.nib, ', ' ORDER BY tc.nib) FROM activity_company_targets t "
                        "JOIN companies tc ON tc.id = t.company_id WHERE t.activity_id = a.id "
                        "AND (q.scope IS NULL OR tc.regency_code = ANY(q.scope)))"),
        ("sasaran", "a.targets"), ("temuan", "a.findings"), ("tindak_lanjut", "a.follow_up"),
        ("nama_kegiatan", _col("activities", "kind_label")), ("nama_kecamatan", _col("activities", "district_name")),
        ("kabupaten_kota", "a.regency_code"), ("nama_kabupaten_kota", _col("activities", "regency_name")),
        ("instansi_pelapor", "a.agency"), ("activity_id", "a.id"),
    ),
    "foreign_nationals": (
        ("nomor_paspor", "p.passport_number"), ("kewarganegaraan", "p.nationality"),
        ("nama_lengkap", "p.full_name"), ("jenis_kelamin", "p.sex"), ("tanggal_lahir", "p.birth_date"),
        ("jenis_izin", "fp.permit_type"), ("nomor_izin", _col("foreign_nationals", "permit_number")),
        ("izin_berlaku_dari", "st.valid_from"),
        ("izin_berlaku_hingga", _col("foreign_nationals", "permit_valid_until")),
        ("tujuan", "fp.purpose"), ("sponsor", _col("foreign_nationals", "sponsor_name")),
        ("nib_sponsor", _col("foreign_nationals", "sponsor_nib")), ("alamat", "st.address"),
        ("kode_desa", "fp.village_code"),
        *_reported("foreign_nationals", "st.location_source"),
        ("tanggal_lapor", "st.reported_on"), ("dasar_keberadaan", "fp.source"),
        ("penginapan", "l.name"), ("nama_desa", _col("foreign_nationals", "village_name")),
        ("kecamatan", "fp.district_code"), ("kabupaten_kota", "fp.regency_code"), ("tanggal_data", "q.d"),
    ),
}
KINDS = tuple(LAYOUT)
DATE_COLUMNS = ("tanggal_lahir", "izin_berlaku_dari", "tanggal_lapor", "tanggal_data")
FREE_TEXT = {"sasaran": "targets", "temuan": "findings", "tindak_lanjut": "follow_up"}
# Export columns holding a collection's small counts of persons: as the collection gives them to
# roles without personal access (empty when 1 or 2) unless `personal`.
SMALL_COUNTS = {"tamu_hari_ini": "guests_today", "tamu_30_hari": "guests_30d"}


def unsupported(kind: str, flt: MonitoringFilter) -> str | None:
    """The filter this kind cannot apply, named (else None): sector and RPTKA status are companies'."""
    if flt.sector:
        return "sector"
    if flt.permit_status:
        return "permit_status"
    if flt.nationality and kind not in NATIONALITY_KINDS:
        return "nationality"
    if kind in ("lodgings", "foreign_nationals") and flt.period_start != flt.period_end:
        return "datetime"  # one day: the day described
    return None


def fetch(conn: Connection, kind: str, flt: MonitoringFilter, *, personal: bool = False) -> pd.DataFrame:
    """The rows of `kind` (scoped by flt.scope) with a `wkb` column; activities' free text masked
    and lodgings' guest counts of 1-2 left empty unless `personal`."""
    coll = CATALOG[kind]
    where = base_where(coll, flt, flt.scope)
    layout = LAYOUT[kind]
    if not personal:
        layout = tuple((name, PUBLIC[kind].column(SMALL_COUNTS[name]).sql if name in SMALL_COUNTS else sql)
                       for name, sql in layout)
    select = ", ".join(f"{sql} AS {name}" for name, sql in layout)
    sql = (f"SELECT {select}, ST_AsBinary({coll.geom_sql}) AS wkb FROM {coll.from_sql} "  # noqa: S608 - fixed text
           f"WHERE {where.sql} ORDER BY {coll.default_order}")
    with single_read(conn) as cur:
        cur.execute(sql, [*where.head, *where.params])
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    frame = pd.DataFrame(rows, columns=names)
    for name in SMALL_COUNTS:  # integers with empty cells, not floats
        if name in frame:
            frame[name] = frame[name].astype("Int64")
    if kind == "activities":
        if not personal and len(frame):
            records = frame[list(FREE_TEXT)].to_dict("records")
            activity_text.mask_rows(conn, records, frame["activity_id"].tolist(), list(FREE_TEXT))
            for column in FREE_TEXT:
                frame[column] = pd.Series([r[column] for r in records], index=frame.index, dtype=object)
        frame = frame.drop(columns="activity_id")
    return frame
