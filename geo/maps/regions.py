"""The regions a map page is about: what a code is, its ancestors (breadcrumb) and its children."""

from __future__ import annotations

from dataclasses import dataclass

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
        cur.execute("SELECT code FROM boundaries WHERE level = 'province' ORDER BY code LIMIT 1")
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
