"""Filtered exports of companies, workers and inspections: one query per kind, five file formats.

The filters are the shared `MonitoringFilter` (same meaning as on maps and in statistics), already
scoped to the user's regencies by the caller. Worker names, passport and ITAS numbers are included
only when `personal` is true; the caller decides (role check in the API, operator flag in the CLI).
Inspection notes and follow-up may name workers: without `personal` they are masked (geo.redaction).
Column names follow the import templates, so an exported CSV can be imported again.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo import clock, exports_foreign, formulas, redaction
from geo.db import Connection
from geo.filters import MonitoringFilter

# Lodgings, monitoring activities and foreign nationals: geo/exports_foreign.py (issue 17).
KINDS = ("companies", "workers", "inspections", *exports_foreign.KINDS)
FORMATS = {  # format → (file extension, media type)
    "csv": ("csv", "text/csv; charset=utf-8"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "geojson": ("geojson", "application/geo+json"),
    "gpkg": ("gpkg", "application/geopackage+sqlite3"),
    "kml": ("kml", "application/vnd.google-earth.kml+xml"),
}
_DRIVERS = {"geojson": "GeoJSON", "gpkg": "GPKG", "kml": "KML"}
PERSONAL_COLUMNS = ("nama_lengkap", "nomor_paspor", "nomor_itas")
FREE_TEXT_COLUMNS = ("keterangan", "tindak_lanjut")  # inspection notes and follow-up
DATE_COLUMNS = ("rptka_berlaku_hingga", "izin_berlaku_hingga", "itas_berlaku_hingga", "tanggal",
                *exports_foreign.DATE_COLUMNS)


class ExportError(ValueError):
    pass


_COMPANY = """
SELECT c.nib, c.name AS nama_perusahaan, c.sector AS sektor, c.kbli, c.address AS alamat,
       c.regency_code AS kabupaten_kota, r.name AS nama_kabupaten_kota,
       c.district_code AS kecamatan, d.name AS nama_kecamatan,
       round(ST_Y(c.geom)::numeric, 6)::float8 AS latitude, round(ST_X(c.geom)::numeric, 6)::float8 AS longitude,
       c.rptka_valid_until AS rptka_berlaku_hingga, permit_status(c.rptka_valid_until, %s) AS status_rptka,
       c.status, (SELECT count(*) FROM foreign_workers fw WHERE fw.company_id = c.id AND fw.status = 'active')
           AS jumlah_tka,
       ST_AsBinary(c.geom) AS wkb
  FROM companies c
  JOIN boundaries r ON r.code = c.regency_code
  JOIN boundaries d ON d.code = c.district_code
 WHERE {where}
 ORDER BY c.nib
"""

_WORKER = """
SELECT c.nib, c.name AS nama_perusahaan, {personal}
       w.nationality AS kewarganegaraan, w.sex AS jenis_kelamin, w.position AS jabatan,
       w.position_level AS tingkat_jabatan, w.rptka_number AS nomor_rptka,
       w.permit_valid_until AS izin_berlaku_hingga, permit_status(w.permit_valid_until, %s) AS status_izin,
       w.itas_valid_until AS itas_berlaku_hingga, w.status,
       c.regency_code AS kabupaten_kota, c.district_code AS kecamatan,
       round(ST_Y(w.work_site)::numeric, 6)::float8 AS lokasi_kerja_lat,
       round(ST_X(w.work_site)::numeric, 6)::float8 AS lokasi_kerja_lon,
       ST_AsBinary(coalesce(w.work_site, c.geom)) AS wkb
  FROM foreign_workers w
  JOIN companies c ON c.id = w.company_id
 WHERE {where} AND {worker_where}
 ORDER BY c.nib, w.id
"""
_WORKER_PERSONAL = "w.full_name AS nama_lengkap, w.passport_number AS nomor_paspor, w.itas_number AS nomor_itas,"

_INSPECTION = """
SELECT c.nib, c.name AS nama_perusahaan, i.inspected_on AS tanggal, array_to_string(i.team, ', ') AS tim,
       i.finding AS temuan, i.notes AS keterangan, i.follow_up AS tindak_lanjut, i.status,
       c.regency_code AS kabupaten_kota, c.district_code AS kecamatan,
       c.id AS company_id, ST_AsBinary(c.geom) AS wkb
  FROM inspections i
  JOIN companies c ON c.id = i.company_id
 WHERE {where} AND ({period})
 ORDER BY i.inspected_on, c.nib
"""


def _sql(kind: str, flt: MonitoringFilter, personal: bool) -> tuple[str, list]:
    if kind == "inspections":
        # The period applies to the inspection date here, not to the company's RPTKA.
        company_flt = replace(flt, period_start=None, period_end=None)
        where, params = company_flt.company_where("c", "fw")
        conds, extra = ["TRUE"], []
        if flt.period_start:
            conds.append("i.inspected_on >= %s")
            extra.append(flt.period_start)
        if flt.period_end:
            conds.append("i.inspected_on <= %s")
            extra.append(flt.period_end)
        return _INSPECTION.format(where=where, period=" AND ".join(conds)), params + extra
    where, params = flt.company_where("c", "fw")
    today = flt.today or clock.today()  # permit states on the province's day, not the database's
    if kind == "companies":
        return _COMPANY.format(where=where), [today, *params]
    worker_where, worker_params = flt.worker_where("w")
    sql = _WORKER.format(where=where, worker_where=worker_where, personal=_WORKER_PERSONAL if personal else "")
    return sql, [today, *params, *worker_params]


def fetch(conn: Connection, kind: str, flt: MonitoringFilter, *, personal: bool = False) -> gpd.GeoDataFrame:
    """The filtered rows of `kind` as a GeoDataFrame (EPSG:4326)."""
    if kind not in KINDS:
        raise ExportError(f"jenis ekspor tidak dikenal: {kind} (unknown kind; one of {', '.join(KINDS)})")
    if kind in exports_foreign.KINDS:
        if kind in exports_foreign.PERSONAL_KINDS and not personal:
            raise ExportError(f"{kind} adalah data pribadi: perlu --personal ({kind} is personal data as a whole)")
        if bad := exports_foreign.unsupported(kind, flt):
            raise ExportError(f"{bad}: tidak berlaku untuk {kind} ({bad} does not apply to {kind})")
        frame = exports_foreign.fetch(conn, kind, flt, personal=personal)
        geometry = shapely.from_wkb([bytes(b) for b in frame.pop("wkb")]) if len(frame) else []
        return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    sql, params = _sql(kind, flt, personal)
    with conn.cursor() as cur:
        cur.execute(sql, params)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    conn.rollback()
    frame = pd.DataFrame(rows, columns=names)
    if kind == "inspections":
        if not personal:
            masked = redaction.mask_columns(conn, frame["company_id"].tolist(),
                                            [frame[c].tolist() for c in FREE_TEXT_COLUMNS])
            for column, values in zip(FREE_TEXT_COLUMNS, masked, strict=True):
                frame[column] = pd.Series(values, index=frame.index, dtype=object)
        frame = frame.drop(columns="company_id")
    geometry = shapely.from_wkb([bytes(b) for b in frame.pop("wkb")]) if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def write(gdf: gpd.GeoDataFrame, fmt: str, path: Path, kind: str, as_of: datetime | None = None) -> None:
    """`as_of`: the moment the rows were read (default now), written into the file where the format has
    a place for it ('Data per ...': XLSX properties and printed header, GeoJSON and GeoPackage
    layer description); a CSV keeps only its columns (it can be imported again)."""
    note = f"Pantau: {kind}, data per {clock.stamp(as_of or clock.as_of())}"
    if fmt not in FORMATS:
        raise ExportError(f"format tidak dikenal: {fmt} (unknown format; one of {', '.join(FORMATS)})")
    if fmt == "csv":
        _csv_table(gdf).to_csv(path, index=False, encoding="utf-8-sig", lineterminator=formulas.LINE_END)
    elif fmt == "xlsx":
        _write_xlsx(gdf, path, kind, note)
    else:
        out = gdf.copy()
        for column in DATE_COLUMNS:
            if column in out:
                # KML has no date type; GeoJSON/GPKG get ISO dates either way.
                out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%d") if fmt == "kml" \
                    else pd.to_datetime(out[column])
        if fmt == "kml":
            out = out.rename(columns={"nama_perusahaan": "Name"})
        options = {"DESCRIPTION": note} if fmt in ("geojson", "gpkg") else {}
        out.to_file(path, driver=_DRIVERS[fmt], engine="pyogrio", layer=kind, layer_options=options)


def _csv_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """The rows for a CSV: no geometry, texts a spreadsheet would run neutralised (geo.formulas)."""
    return formulas.csv_frame(pd.DataFrame(gdf.drop(columns="geometry")))


def _write_xlsx(gdf: gpd.GeoDataFrame, path: Path, kind: str, note: str) -> None:
    """Real date cells, NIB/KBLI as text (so Excel keeps all digits), texts that look like formulas
    as text (geo.formulas), frozen header, autofilter."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    frame = pd.DataFrame(gdf.drop(columns="geometry"))
    wb = Workbook()
    ws = wb.active
    ws.title = kind
    ws.append(list(frame.columns))
    dates = [i for i, c in enumerate(frame.columns, start=1) if c in DATE_COLUMNS]
    for row in frame.itertuples(index=False):
        ws.append([None if (v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)))
                   else formulas.xlsx_value(ws, v)
                   for v in row])
    for col in dates:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = "DD/MM/YYYY"
    for col in range(1, len(frame.columns) + 1):
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            if frame.columns[col - 1] in ("nib", "kbli"):
                cell.number_format = "@"
        ws.column_dimensions[get_column_letter(col)].width = max(12, len(frame.columns[col - 1]) + 2)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.properties.title = wb.properties.subject = note
    ws.oddHeader.right.text = note  # printed pages say when the rows were read
    wb.save(path)


def export_to_file(conn: Connection, kind: str, flt: MonitoringFilter, fmt: str, path: Path, *,
                   personal: bool = False) -> int:
    as_of = clock.as_of()
    gdf = fetch(conn, kind, flt, personal=personal)
    write(gdf, fmt, Path(path), kind, as_of)
    return len(gdf)


def export_bytes(conn: Connection, kind: str, flt: MonitoringFilter, fmt: str, *, personal: bool = False,
                 as_of: datetime | None = None) -> tuple[bytes, int]:
    """The export as bytes (for a download); drivers like GPKG need a real file, so a temp dir."""
    gdf = fetch(conn, kind, flt, personal=personal)
    if fmt == "csv":
        buf = io.StringIO()
        _csv_table(gdf).to_csv(buf, index=False, lineterminator=formulas.LINE_END)
        return ("\ufeff" + buf.getvalue()).encode("utf-8"), len(gdf)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.{FORMATS[fmt][0] if fmt in FORMATS else 'x'}"
        write(gdf, fmt, path, kind, as_of)
        return path.read_bytes(), len(gdf)
