"""Run-time map data for the pages: company points as compact arrays (see geo.maps.points), and the
numbers per region with their colours and legend (classed on the server by geo.maps.classify).

Aggregates and positions only: no personal data. Both follow the user's regencies (Filters)."""

from __future__ import annotations

import json
import threading
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import Conn
from api.errors import BadRequest, NotFound
from api.filters import Filters
from api.web.maps import describe, sector_labels
from geo.filters import FilterError
from geo.maps.build import MEASURES, region_values
from geo.maps.points import company_points_json
from geo.maps.regions import LEVEL_LABEL
from geo.stats import region_stats_json
from geo.stats.cache import STATS_TABLES, StatsSettings
from geo.tiles import ResultCache, data_version, etag_matches, etag_of

router = APIRouter(tags=["maps"])
_init_lock = threading.Lock()
REGION_LEVELS = ("regency", "district", "village")


def _cache(request: Request) -> ResultCache:
    state = request.app.state
    if not hasattr(state, "map_regions_cache"):
        with _init_lock:
            if not hasattr(state, "map_regions_cache"):
                state.map_regions_cache = ResultCache(StatsSettings().cache_mb * 1024 * 1024)
    return state.map_regions_cache


@router.get("/maps/data/companies.json", summary="Company points for the map pages (compact arrays)")
def company_points(conn: Conn, flt: Filters) -> Response:
    # Filters already carries the user's scope; no personal data: ids, positions, statuses only.
    return Response(company_points_json(conn, flt), media_type="application/json",
                    headers={"Cache-Control": "private, max-age=60"})


@router.get("/maps/data/regions.json", summary="Numbers per region, fill colours and legend for a map page")
def region_numbers(
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
    today = date.today()
    # Keyed like the statistics API: request, scope (in flt), day and the data versions.
    key = ("map-regions", flt, level, parent, measure, today, data_version(conn, STATS_TABLES))
    etag = etag_of(key)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)

    def produce() -> bytes:
        rows, _ = region_stats_json(conn, level, flt, parent, today)
        body = region_values(json.loads(rows), measure, MEASURES[measure], f"per {LEVEL_LABEL[level].lower()}",
                             describe(flt, sector_labels(conn)))
        return json.dumps(body, ensure_ascii=False).encode()

    try:
        body, hit = _cache(request).get_or_compute(key, produce)
    except FilterError as exc:
        raise BadRequest(str(exc)) from exc
    headers["X-Stats-Cache"] = "hit" if hit else "miss"
    return Response(body, media_type="application/json", headers=headers)
