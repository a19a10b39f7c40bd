"""Monitoring statistics: by region (JSON or a choropleth FeatureCollection), summary, quarterly
series. Aggregates only (no personal data), so every role may read them; rows stay within the
user's regencies. One SQL statement per request; the JSON is built by PostgreSQL."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import Conn
from api.errors import BadRequest, NotFound
from api.filters import Filters
from api.security import CurrentUser
from geo.filters import FilterError
from geo.stats import LEVELS, quarterly_series, region_stats_geojson, region_stats_json, summary

router = APIRouter(prefix="/stats", tags=["statistics"])


@router.get("/summary", summary="Totals for the home page (within the filters and your regencies)")
def stats_summary(principal: CurrentUser, flt: Filters, conn: Conn) -> dict:
    return {"filter": flt.as_query(), **summary(conn, flt)}


@router.get("/timeseries", summary="Active workers, inspections and findings per quarter")
def stats_timeseries(
    principal: CurrentUser,
    flt: Filters,
    conn: Conn,
    level: Annotated[str | None, Query(description="province | regency | district: one series per region")] = None,
    code: Annotated[str | None, Query(description="one region's series, e.g. 62.71")] = None,
    start: Annotated[str | None, Query(description="first quarter, e.g. 2025-Q1 (default: 7 before end)")] = None,
    end: Annotated[str | None, Query(description="last quarter, e.g. 2026-Q4 (default: this quarter)")] = None,
) -> dict:
    try:
        rows = quarterly_series(conn, flt, level, start, end, code=code)
    except FilterError as exc:
        raise BadRequest(str(exc)) from exc
    return {"filter": flt.as_query(), "level": level, "code": code, "quarters": rows}


@router.get(
    "/{level}",
    summary="Counts per region of a level, zeros included (f=geojson: region polygons for a choropleth)",
    responses={200: {"content": {"application/json": {}, "application/geo+json": {}}}},
)
def stats_by_region(
    level: str,
    principal: CurrentUser,
    flt: Filters,
    conn: Conn,
    parent: Annotated[str | None, Query(description="only regions under this code (required for village)")] = None,
    f: Annotated[str, Query(description="json | geojson")] = "json",
) -> Response:
    if level not in LEVELS:
        raise NotFound(f"level: {level!r} is not one of {', '.join(LEVELS)}")
    if f not in ("json", "geojson"):
        raise BadRequest(f"f: {f!r} is not one of json, geojson")
    try:
        if f == "geojson":
            return Response(region_stats_geojson(conn, level, flt, parent), media_type="application/geo+json")
        rows, day = region_stats_json(conn, level, flt, parent)
    except FilterError as exc:
        raise BadRequest(str(exc)) from exc
    head = json.dumps({"level": level, "parent": parent, "filter": flt.as_query(), "today": day.isoformat()})
    # The rows arrive as JSON text from PostgreSQL: splice them in rather than parse and re-encode.
    return Response(f'{head[:-1]}, "regions": {rows}}}', media_type="application/json")
