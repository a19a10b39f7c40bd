"""The tile layers: which rows, which properties (never personal data), one SQL statement each.

Tiles are WebMercatorQuad (EPSG:3857, z/x/y from the top-left), extent 4096, buffer 64. Points are
selected with the GiST index on the tile envelope (in EPSG:4326, with the buffer margin);
polygons are clipped to that envelope and simplified to the tile's resolution before transforming.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from geo.db import Connection, transaction
from geo.filters import MonitoringFilter

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22


class TileError(ValueError):
    """A tile address or layer that does not exist; the message names the bad value."""


class UnknownLayer(TileError):
    pass


@dataclass(frozen=True)
class Layer:
    name: str
    description: str
    tables: tuple[str, ...]  # whose data_versions the tiles depend on
    fields: dict[str, str]  # TileJSON vector_layers fields
    minzoom: int = 0
    maxzoom: int = 16
    filtered: bool = False  # honours the monitoring filters and the user's scope
    level: str | None = None  # boundary level, for boundary layers


_BOUNDARY_FIELDS = {"code": "String", "name": "String", "parent_code": "String"}

LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer("companies", "Perusahaan pemberi kerja TKA (sesuai filter)", ("companies", "foreign_workers"),
              {"id": "Number", "nib": "String", "name": "String", "sector": "String",
               "permit_status": "String (RPTKA: valid|expiring|expired|unknown)",
               "workers": "Number (active foreign workers within the filter)"},
              filtered=True),
        Layer("inspections", "Pemeriksaan lapangan (di lokasi perusahaan)", ("inspections", "companies"),
              {"id": "Number", "company_id": "Number", "inspected_on": "String (date)",
               "finding": "String", "status": "String"},
              filtered=True),
        Layer("provinces", "Batas provinsi", ("boundaries",), _BOUNDARY_FIELDS, 0, 12, level="province"),
        Layer("regencies", "Batas kabupaten/kota", ("boundaries",), _BOUNDARY_FIELDS, 0, 14, level="regency"),
        Layer("districts", "Batas kecamatan", ("boundaries",), _BOUNDARY_FIELDS, 4, 14, level="district"),
        Layer("villages", "Batas desa/kelurahan", ("boundaries",), _BOUNDARY_FIELDS, 8, 16, level="village"),
    )
}


def get_layer(name: str) -> Layer:
    layer = LAYERS.get(name)
    if layer is None:
        raise UnknownLayer(f"collection: {name!r} has no tiles; known: {', '.join(LAYERS)}")
    return layer


def check_tile(z: str | int, x: str | int, y: str | int) -> tuple[int, int, int]:
    """Parse and range-check a tile address; 0 <= x, y < 2^z, 0 <= z <= MAX_ZOOM."""
    out = []
    for name, value in (("z", z), ("x", x), ("y", y)):
        try:
            out.append(int(str(value), 10))
        except ValueError:
            raise TileError(f"{name}: {value!r} is not an integer") from None
    zi, xi, yi = out
    if not 0 <= zi <= MAX_ZOOM:
        raise TileError(f"z: {zi} is outside 0..{MAX_ZOOM}")
    for name, value in (("x", xi), ("y", yi)):
        if not 0 <= value < 2**zi:
            raise TileError(f"{name}: {value} is outside 0..{2**zi - 1} at zoom {zi}")
    return zi, xi, yi


_ENVELOPE = (
    "p AS (SELECT ST_TileEnvelope(%s, %s, %s) AS env, "
    f"ST_Transform(ST_TileEnvelope(%s, %s, %s, margin => {BUFFER / EXTENT}), 4326) AS env4326)"
)
_MVT_GEOM = f"ST_AsMVTGeom({{geom}}, p.env, {EXTENT}, {BUFFER}, true)"


def _companies_sql(flt: MonitoringFilter, today: date) -> tuple[str, list]:
    c_where, c_params = flt.company_where("c", "w")
    w_where, w_params = flt.worker_where("w2")
    geom = _MVT_GEOM.format(geom="ST_Transform(c.geom, 3857)")
    sql = (
        f"SELECT {geom} AS geom, c.id AS fid, c.id, c.nib, c.name, c.sector, "  # noqa: S608
        "permit_status(c.rptka_valid_until, %s) AS permit_status, "
        f"(SELECT count(*) FROM foreign_workers w2 WHERE w2.company_id = c.id AND {w_where})::int AS workers "
        f"FROM companies c, p WHERE c.geom && p.env4326 AND {c_where}"
    )
    return sql, [today, *w_params, *c_params]


def _inspections_sql(flt: MonitoringFilter, today: date) -> tuple[str, list]:
    # The period applies to the inspection date here, not to the company's RPTKA date.
    c_where, c_params = replace(flt, period_start=None, period_end=None).company_where("c", "w")
    conds, params = [c_where], list(c_params)
    if flt.period_start:
        conds.append("i.inspected_on >= %s")
        params.append(flt.period_start)
    if flt.period_end:
        conds.append("i.inspected_on <= %s")
        params.append(flt.period_end)
    geom = _MVT_GEOM.format(geom="ST_Transform(c.geom, 3857)")
    sql = (
        f"SELECT {geom} AS geom, i.id AS fid, i.id, i.company_id, i.inspected_on::text AS inspected_on, "  # noqa: S608
        "i.finding, i.status FROM inspections i JOIN companies c ON c.id = i.company_id, p "
        f"WHERE c.geom && p.env4326 AND {' AND '.join(conds)}"
    )
    return sql, params


def _boundaries_sql(layer: Layer, z: int) -> tuple[str, list]:
    # Half a tile pixel at this zoom, in degrees: finer detail would vanish in the 4096 grid anyway.
    tolerance = 360.0 / (EXTENT * 2**z) / 2
    geom = _MVT_GEOM.format(geom="ST_Transform(ST_Simplify(ST_ClipByBox2D(b.geom, p.env4326), %s), 3857)")
    sql = (
        f"SELECT {geom} AS geom, b.code, b.name, b.parent_code "  # noqa: S608
        "FROM boundaries b, p WHERE b.level = %s AND b.geom && p.env4326"
    )
    return sql, [tolerance, layer.level]


def tile_query(layer: Layer, z: int, x: int, y: int, flt: MonitoringFilter, today: date) -> tuple[str, list]:
    """The one SQL statement of a tile, and its parameters."""
    if layer.name == "companies":
        rows_sql, params = _companies_sql(flt, today)
    elif layer.name == "inspections":
        rows_sql, params = _inspections_sql(flt, today)
    else:
        rows_sql, params = _boundaries_sql(layer, z)
    fid = "'fid'" if layer.filtered else "NULL"
    sql = (
        f"WITH {_ENVELOPE}, t AS ({rows_sql}) "  # noqa: S608
        f"SELECT ST_AsMVT(t, %s, {EXTENT}, 'geom', {fid}) FROM t WHERE t.geom IS NOT NULL"
    )
    return sql, [z, x, y, z, x, y, *params, layer.name]


def render_tile(conn: Connection, layer: Layer, z: int, x: int, y: int,
                flt: MonitoringFilter, today: date) -> bytes:
    """The tile as MVT bytes (b'' when no feature touches it)."""
    sql, params = tile_query(layer, z, x, y, flt, today)
    with transaction(conn) as cur:
        # Many small concurrent queries: JIT compilation and parallel workers cost more than they save.
        cur.execute("SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0; " + sql, params)
        data = cur.fetchone()[0]
    return bytes(data) if data else b""


def tile_bounds(conn: Connection, scope: tuple[str, ...] | None) -> list[float]:
    """[west, south, east, north] of the province, or of the user's regencies."""
    with transaction(conn) as cur:
        cur.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e "
            "FROM boundaries WHERE level = 'regency' AND (%s::text[] IS NULL OR code = ANY(%s::text[]))) s",
            (list(scope) if scope is not None else None,) * 2,
        )
        row = cur.fetchone()
    return [round(v, 5) for v in row] if row and row[0] is not None else [-180.0, -85.05, 180.0, 85.05]


def tilejson(layer: Layer, tiles_url: str, bounds: list[float]) -> dict:
    """A TileJSON 3.0.0 document for one layer."""
    west, south, east, north = bounds
    center_zoom = max(layer.minzoom, 7)
    return {
        "tilejson": "3.0.0",
        "name": f"pantau-{layer.name}",
        "description": layer.description,
        "version": "1.0.0",
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": layer.minzoom,
        "maxzoom": layer.maxzoom,
        "bounds": bounds,
        "center": [round((west + east) / 2, 5), round((south + north) / 2, 5), center_zoom],
        "vector_layers": [{
            "id": layer.name, "description": layer.description, "fields": layer.fields,
            "minzoom": layer.minzoom, "maxzoom": layer.maxzoom,
        }],
    }
