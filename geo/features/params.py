"""Parsing and checking the items query parameters: bbox, limit, offset, sortby, properties, and
`name=value` equality filters on a collection's properties."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from geo.features.catalog import Collection, Column
from geo.features.errors import FeatureQueryError

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
MAX_OFFSET = 10_000_000
CRS84 = ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "http://www.opengis.net/def/crs/EPSG/0/4326")


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def parse_int(name: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise FeatureQueryError(f"{name}: {value!r} is not an integer") from None
    if not low <= number <= high:
        raise FeatureQueryError(f"{name}: {number} is out of range ({low}..{high})")
    return number


def parse_page(limit: str | None, offset: str | None, max_limit: int = MAX_LIMIT) -> Page:
    return Page(parse_int("limit", limit, min(DEFAULT_LIMIT, max_limit), 1, max_limit),
                parse_int("offset", offset, 0, 0, MAX_OFFSET))


def parse_bbox(value: str | None, crs: str | None = None) -> tuple[float, float, float, float] | None:
    """`minx,miny,maxx,maxy` in WGS 84 longitude/latitude (6 numbers with heights are refused)."""
    if crs and crs not in CRS84:
        raise FeatureQueryError(f"bbox-crs: {crs!r} is not supported (only CRS84)")
    if value is None or value == "":
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise FeatureQueryError(f"bbox: {value!r} must be 4 numbers minx,miny,maxx,maxy")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        raise FeatureQueryError(f"bbox: {value!r} must be 4 numbers minx,miny,maxx,maxy") from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise FeatureQueryError(f"bbox: {value!r} must be finite numbers")
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise FeatureQueryError(f"bbox: {value!r} is outside longitude -180..180 / latitude -90..90")
    if minx > maxx:
        raise FeatureQueryError(f"bbox: {value!r} crosses the antimeridian (minx > maxx), not supported")
    return minx, miny, maxx, maxy


def parse_sortby(value: str | None, collection: Collection) -> tuple[tuple[Column, bool], ...]:
    """`sortby=+name,-rptka_valid_until` → ((column, descending), ...), columns from the allow-list."""
    if not value:
        return ()
    out = []
    for raw in value.split(","):
        item = raw.strip()
        descending = item.startswith("-")
        name = item.lstrip("+-").strip()
        column = collection.column(name)
        if column is None or not column.queryable:
            known = ", ".join(c.name for c in collection.queryables)
            raise FeatureQueryError(f"sortby: unknown property {name!r} in {collection.id!r} (sortable: {known})")
        out.append((column, descending))
    return tuple(out)


def parse_properties(value: str | None, collection: Collection) -> tuple[Column, ...]:
    if value is None:
        return collection.columns
    chosen = []
    for raw in value.split(","):
        name = raw.strip()
        if not name:
            continue
        column = collection.column(name)
        if column is None:
            known = ", ".join(c.name for c in collection.columns)
            raise FeatureQueryError(f"properties: unknown property {name!r} in {collection.id!r} (known: {known})")
        if column not in chosen:
            chosen.append(column)
    return tuple(chosen)


# --- name=value filters (OGC API – Features Part 1, /rec/core/fc-filters) --------------------------
PROPERTY_FILTER_TYPES = ("string", "integer", "number", "boolean")
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def filter_properties(collection: Collection) -> tuple[Column, ...]:
    """The properties a client may filter on with `name=value` (equality): the scalar queryables.
    GIS clients (GDAL's OAPIF driver, QGIS) send simple attribute filters this way when the API
    definition declares the parameter."""
    return tuple(col for col in collection.queryables if col.type in PROPERTY_FILTER_TYPES)


def property_value(column: Column, raw: str):
    """One `name=value` filter value checked against the column's type: a mistake is a 400 naming
    the value, never a database error or a silently empty page."""
    name, text = column.name, raw.strip()
    if column.type == "integer":
        if not _INTEGER.match(text):
            raise FeatureQueryError(f"{name}: {raw!r} is not an integer")
        return int(text)
    if column.type == "number":
        try:
            number = float(text)
        except ValueError:
            raise FeatureQueryError(f"{name}: {raw!r} is not a number") from None
        if not math.isfinite(number):
            raise FeatureQueryError(f"{name}: {raw!r} is not a finite number")
        return number
    if column.type == "boolean":
        if text.lower() not in _BOOLEANS:
            raise FeatureQueryError(f"{name}: {raw!r} is not true/false")
        return _BOOLEANS[text.lower()]
    if column.format == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise FeatureQueryError(f"{name}: {raw!r} is not a date (YYYY-MM-DD)") from None
    if column.enum and raw not in column.enum:
        raise FeatureQueryError(f"{name}: {raw!r} is not one of {', '.join(column.enum)}")
    return raw


def parse_property_filters(
    query: list[tuple[str, str]], collection: Collection, handled_elsewhere: frozenset[str] | set[str]
) -> tuple[tuple[Column, object], ...]:
    """(column, value) for each `name=value` query parameter naming a filterable property of the
    collection; names in `handled_elsewhere` (e.g. the monitoring filters) are left to their own
    parsing. A property given twice is refused (equality with two values would match nothing)."""
    columns = {col.name: col for col in filter_properties(collection)}
    out: list[tuple[Column, object]] = []
    seen: set[str] = set()
    for name, raw in query:
        column = columns.get(name)
        if column is None or name in handled_elsewhere:
            continue
        if name in seen:
            raise FeatureQueryError(f"{name}: given more than once (one value per property)")
        seen.add(name)
        out.append((column, property_value(column, raw)))
    return tuple(out)
