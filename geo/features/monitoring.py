"""The monitoring queries' own conditions: region code, radius, nearest, drawn polygon, name search.

Each returns SQL over companies alias `c` with bound parameters, for geo.features.sql.fetch_page.
"""

from __future__ import annotations

import math
import re

import psycopg2

from geo.db import Connection, transaction
from geo.features.errors import FeatureNotFound, FeatureQueryError
from geo.features.sql import Extra

_REGION = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
MAX_RADIUS_KM = 1000.0
MAX_POLYGON_BYTES = 2_000_000
_POINT = "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography"


def region(conn: Connection, code: str) -> tuple[dict, str, list]:
    """The region and the condition 'company lies in it' (by the codes the trigger computed)."""
    if not _REGION.match(code):
        raise FeatureQueryError(f"code: {code!r} is not a region code (e.g. 62, 62.71, 62.71.01, 62.71.01.1001)")
    with transaction(conn) as cur:
        cur.execute("SELECT code, name, level FROM boundaries WHERE code = %s", (code,))
        row = cur.fetchone()
    if row is None:
        raise FeatureNotFound(f"region {code!r} not found")
    info = {"code": row[0], "name": row[1], "level": row[2]}
    if info["level"] == "province":
        return info, "left(c.regency_code, 2) = %s", [code]
    if info["level"] == "regency":
        return info, "c.regency_code = %s", [code]
    if info["level"] == "district":
        return info, "c.district_code = %s", [code]
    # Villages are not stored on companies: the company's district and the village polygon.
    return info, "c.district_code = %s AND ST_Covers((SELECT geom FROM boundaries WHERE code = %s), c.geom)", [
        code[:8], code]


def _float(name: str, value: str | None, low: float, high: float) -> float:
    if value is None or value == "":
        raise FeatureQueryError(f"{name}: required")
    try:
        number = float(value)
    except ValueError:
        raise FeatureQueryError(f"{name}: {value!r} is not a number") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise FeatureQueryError(f"{name}: {value!r} is out of range ({low:g}..{high:g})")
    return number


def point(lon: str | None, lat: str | None) -> tuple[float, float]:
    return _float("lon", lon, -180, 180), _float("lat", lat, -90, 90)


def distance_extra(lon: float, lat: float) -> Extra:
    return Extra("distance_km", f"round((ST_Distance(c.geom::geography, {_POINT}) / 1000)::numeric, 3)", (lon, lat))


def within_radius(lon: float, lat: float, radius: str | None) -> tuple[str, list, float]:
    radius_km = _float("radius_km", radius, 0, MAX_RADIUS_KM)
    return f"ST_DWithin(c.geom::geography, {_POINT}, %s)", [lon, lat, radius_km * 1000], radius_km


def nearest_order(lon: float, lat: float) -> tuple[str, list]:
    # Index-assisted KNN on the geography expression index (sphere distance), id as tie-breaker.
    return f"c.geom::geography <-> {_POINT}, c.id", [lon, lat]


def polygon(conn: Connection, body: bytes) -> tuple[str, list]:
    """A posted GeoJSON Polygon/MultiPolygon (geometry or Feature), checked by PostGIS."""
    import json

    if len(body) > MAX_POLYGON_BYTES:
        raise FeatureQueryError(f"body: {len(body)} bytes is more than {MAX_POLYGON_BYTES}")
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeatureQueryError(f"body: not JSON ({exc})") from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = doc.get("geometry")
    if not isinstance(doc, dict) or doc.get("type") not in ("Polygon", "MultiPolygon"):
        kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise FeatureQueryError(f"geometry: type {kind!r} is not a GeoJSON Polygon or MultiPolygon")
    text = json.dumps(doc)
    try:
        with transaction(conn) as cur:
            cur.execute("SELECT ST_IsValid(g), ST_IsValidReason(g), ST_IsEmpty(g) "
                        "FROM (SELECT ST_GeomFromGeoJSON(%s) AS g) s", (text,))
            valid, reason, empty = cur.fetchone()
    except psycopg2.Error as exc:
        reason = (exc.diag.message_primary or type(exc).__name__)[:200]
        raise FeatureQueryError(f"geometry: not a valid GeoJSON geometry ({reason})") from None
    if empty:
        raise FeatureQueryError("geometry: the polygon is empty")
    if not valid:
        raise FeatureQueryError(f"geometry: invalid polygon ({reason})")
    return "ST_Covers(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326), c.geom)", [text]


def search(q: str | None) -> tuple[str, list, tuple[str, list], Extra]:
    """Name search: substring (ILIKE) or trigram similarity, both served by companies_name_trgm_idx."""
    q = (q or "").strip()
    if not 2 <= len(q) <= 100:
        raise FeatureQueryError(f"q: {q!r} must be 2 to 100 characters")
    pattern = "%" + re.sub(r"([\\%_])", r"\\\1", q) + "%"
    cond = "c.name ILIKE %s OR c.name %% %s"
    order = ("similarity(c.name, %s) DESC, c.id", [q])
    extra = Extra("similarity", "round(similarity(c.name, %s)::numeric, 3)", (q,))
    return cond, [pattern, q], order, extra
