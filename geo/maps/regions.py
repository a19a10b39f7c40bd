"""The regions a map page is about: what a code is, its ancestors (breadcrumb) and its children."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from geo import clock
from geo.db import Connection, transaction

# Page level → the level of the regions drawn on it.
CHILD_LEVEL = {"province": "regency", "regency": "district", "district": "village"}
LEVEL_LABEL = {"province": "Provinsi", "regency": "Kabupaten/Kota", "district": "Kecamatan", "village": "Desa/Kelurahan"}


@dataclass(frozen=True)
class Region:
    code: str
    level: str
    name: str
    bbox: tuple[float, float, float, float]  # west, south, east, north


def get_region(conn: Connection, code: str) -> Region | None:
    with transaction(conn) as cur:
        cur.execute(
            "SELECT code, level, name, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) "
            "FROM boundaries WHERE code = %s",
            (code,),
        )
        row = cur.fetchone()
    return None if row is None else Region(row[0], row[1], row[2], tuple(row[3:7]))


def province(conn: Connection) -> Region | None:
    with transaction(conn) as cur:
        # The configured province; with the national boundaries loaded there are 38 to choose from.
        cur.execute("SELECT code FROM boundaries WHERE level = 'province' ORDER BY code <> %s, code LIMIT 1",
                    (clock.province(),))
        row = cur.fetchone()
    return None if row is None else get_region(conn, row[0])


def ancestors(conn: Connection, code: str) -> list[Region]:
    """From the province down to the region itself: 62 → 62.02 → 62.02.01."""
    parts = code.split(".")
    codes = [".".join(parts[: i + 1]) for i in range(len(parts))]
    with transaction(conn) as cur:
        cur.execute(
            "SELECT code, level, name, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) "
            "FROM boundaries WHERE code = ANY(%s) ORDER BY length(code)",
            (codes,),
        )
        return [Region(r[0], r[1], r[2], tuple(r[3:7])) for r in cur.fetchall()]


# Simplification tolerance (degrees) per level of the regions drawn: the same as the statistics'
# choropleth GeoJSON, so both show the same outlines.
SIMPLIFY = {"province": 0.005, "regency": 0.002, "district": 0.001, "village": 0.0002}
_BOUNDARIES_CACHE: dict[tuple, str] = {}
_BOUNDARIES_LOCK = threading.Lock()
_BOUNDARIES_MAX = 256


def boundaries_geojson(conn: Connection, level: str, parent: str | None, scope: tuple[str, ...] | None,
                       tolerance: float | None = None, decimals: int = 5) -> str:
    """The regions of `level` (under `parent`, within the user's regencies `scope`) as a GeoJSON
    FeatureCollection text: simplified polygons with `code`, `name` and `label_point` only.

    Independent of the monitoring data, so a map page can draw its outlines at once and fetch the
    numbers later. Cached in process by the boundaries' data version (bumped by every write)."""
    with transaction(conn) as cur:
        cur.execute("SELECT version FROM data_versions WHERE name = 'boundaries'")
        row = cur.fetchone()
    tolerance = SIMPLIFY[level] if tolerance is None else tolerance
    key = (conn.info.dbname, row[0] if row else None, level, parent, tuple(scope) if scope is not None else None,
           tolerance, decimals)
    cached = _BOUNDARIES_CACHE.get(key)
    if cached is not None:
        return cached
    conds, params = ["b.level = %s"], [level]
    if parent is not None:
        conds.append("b.code LIKE %s")
        params.append(parent + ".%")
    if scope is not None and level != "province":
        conds.append("left(b.code, 5) = ANY(%s)")
        params.append(list(scope))
    sql = f"""
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
           'type', 'Feature', 'id', b.code,
           'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(b.geom, %s), %s)::json,
           'properties', json_build_object(
               'code', b.code, 'name', b.name,
               'label_point', json_build_array(round(ST_X(b.label_point)::numeric, 5),
                                               round(ST_Y(b.label_point)::numeric, 5))))
       ORDER BY b.code), '[]'::json))::text
  FROM boundaries b WHERE {" AND ".join(conds)}
"""  # noqa: S608 - fixed text, bound parameters
    with transaction(conn) as cur:
        cur.execute(sql, [tolerance, decimals, *params])
        text = cur.fetchone()[0]
    with _BOUNDARIES_LOCK:
        if len(_BOUNDARIES_CACHE) >= _BOUNDARIES_MAX:
            _BOUNDARIES_CACHE.pop(next(iter(_BOUNDARIES_CACHE)))
        _BOUNDARIES_CACHE[key] = text
    return text


def context_geojson(conn: Connection, scope: tuple[str, ...] | None) -> str:
    """The regencies, coarsely simplified (~20 KB): the minimap's view of the whole province."""
    return boundaries_geojson(conn, "regency", clock.province(), scope, tolerance=0.01, decimals=3)
