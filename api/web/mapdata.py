"""Run-time map data for the pages: company points as compact arrays (see geo.maps.points), and the
numbers per region with their colours and legend (classed on the server by geo.maps.classify).

Aggregates and positions only: no personal data. Both follow the user's regencies (Filters)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.cache import cached
from api.deps import Conn
from api.errors import BadRequest, NotFound
from api.filters import Filters
from api.web.maps import describe, sector_labels
from geo.filters import FilterError
from geo.maps.build import MEASURES, region_values
from geo.maps.points import company_points_json
from geo.maps.regions import LEVEL_LABEL
from geo.stats import region_stats_json

router = APIRouter(tags=["maps"])
REGION_LEVELS = ("regency", "district", "village")


@router.get("/maps/data/companies.json", summary="Company points for the map pages (compact arrays)")
async def company_points(request: Request, conn: Conn, flt: Filters) -> Response:
    # Filters already carries the user's scope; no personal data: ids, positions, statuses only.
    # Cached like the statistics: a province's points are megabytes built by PostgreSQL (bench/RESULTS-maps.md).
    return await cached(request, "points", (flt,), scope=flt.scope, tables=("companies", "foreign_workers", "inspections"),
                        produce=lambda today: company_points_json(conn, flt, today).encode())


@router.get("/maps/data/regions.json", summary="Numbers per region, fill colours and legend for a map page")
async def region_numbers(
    request: Request,
    conn: Conn,
    flt: Filters,
    level: Annotated[str, Query(description="regency | district | village: the regions drawn")],
    parent: Annotated[str | None, Query(description="only regions under this code (required for village)")] = None,
    measure: Annotated[str, Query(description="the choropleth's measure")] = "foreign_workers",
) -> Response:
    if level not in REGION_LEVELS:
        raise NotFound(f"level: {level!r} is not one of {', '.join(REGION_LEVELS)}")
    if measure not in MEASURES:
        raise BadRequest(f"measure: {measure!r} is not one of {', '.join(MEASURES)}")

    def produce(today: date) -> bytes:
        try:
            rows, _ = region_stats_json(conn, level, flt, parent, today)
        except FilterError as exc:
            raise BadRequest(str(exc)) from exc
        body = region_values(json.loads(rows), measure, MEASURES[measure], f"per {LEVEL_LABEL[level].lower()}",
                             describe(flt, sector_labels(conn)))
        return json.dumps(body, ensure_ascii=False).encode()

    # Keyed like the statistics API: request, scope (in flt), day and the data versions.
    return await cached(request, "stats", ("map-regions", flt, level, parent, measure), scope=flt.scope, produce=produce)
