"""Monitoring statistics: by region (JSON or a choropleth FeatureCollection), summary, quarterly
series. Aggregates only (no personal data), so every role may read them; rows stay within the
user's regencies. Small counts of foreign nationals are hidden for roles without personal access
(geo/stats/protect.py), as on the map and in the reports. Foreign nationals (issue 17) are counted by geo.stats.foreign, with `purpose`,
`permit_type` and (by region) `date` besides the shared filters. One SQL statement per computed response; the JSON is built by PostgreSQL.

Responses are cached in process and carry an ETag (api/cache.py), both keyed by the request
(level, parent, filter, scope, day) and the data versions that every write bumps, so an edit or
import shows on the next request; If-None-Match → 304. PANTAU_STATS_CACHE_MB=0 turns the cache off."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.cache import cached
from api.deps import Conn
from api.errors import BadRequest, NotFound
from api.filters import Filters
from api.security import CurrentUser
from geo.filters import FilterError, MonitoringFilter
from geo.stats import LEVELS, quarterly_series, region_stats_geojson, region_stats_json, summary
from geo.stats.foreign import ForeignFilter, foreign_filter
from geo.stats.protect import THRESHOLD, protect_rows, protect_series

router = APIRouter(prefix="/stats", tags=["statistics"])
JSON = "application/json"


def _foreign(
    purpose: Annotated[str | None, Query(description=(
        "foreign nationals' purpose(s) of stay, comma-separated: bekerja, keluarga, studi, penelitian, keagamaan, "
        "sosial, jurnalistik, investasi, lansia, wisata, lainnya, or tidak_diketahui (lodging-only guests); "
        "filters the foreign_nationals counts only"))] = None,
    permit_type: Annotated[str | None, Query(description=(
        "foreign nationals' permit type(s), comma-separated: itas, itap, visa_kunjungan, voa, bebas_visa, "
        "diplomatik, or tidak_diketahui (lodging-only guests); filters the foreign_nationals counts only"))] = None,
) -> ForeignFilter:
    try:
        return foreign_filter(purpose, permit_type)
    except FilterError as exc:
        raise BadRequest(str(exc)) from exc


def _day(
    day: Annotated[str | None, Query(alias="date", description=(
        "the day counted on, YYYY-MM-DD (default: today in the province's time zone): foreign nationals "
        "present on it, lodging guests of the 30 days and activities of the 12 months up to it; the workers' "
        "and companies' counts are taken on it too"))] = None,
) -> date | None:
    if day is None or day == "":
        return None
    try:
        parsed = date.fromisoformat(day.strip())
    except ValueError:
        raise BadRequest(f"date: {day[:40]!r} bukan tanggal (not a date, YYYY-MM-DD)") from None
    if not date(2000, 1, 1) <= parsed <= date(2100, 12, 31):
        raise BadRequest(f"date: {day[:40]!r} di luar 2000-01-01..2100-12-31 (out of range)")
    return parsed


ForeignQuery = Annotated[ForeignFilter, Depends(_foreign)]
DayQuery = Annotated[date | None, Depends(_day)]


async def _respond(request: Request, flt: MonitoringFilter, key: tuple, media_type: str,
                   produce: Callable[[date], str]) -> Response:
    """The cached response: a hit on the event loop, a miss in one hop to a thread for the SQL."""
    def build(today: date) -> bytes:
        try:
            return produce(today).encode()
        except FilterError as exc:
            raise BadRequest(str(exc)) from exc

    return await cached(request, "stats", (*key, flt), scope=flt.scope, media_type=media_type, produce=build)


@router.get("/summary", summary="Totals for the home page (within the filters and your regencies)")
async def stats_summary(request: Request, principal: CurrentUser, flt: Filters, conn: Conn) -> Response:
    return await _respond(request, flt, ("summary",), JSON,
                          lambda today: json.dumps({"filter": flt.as_query(), **summary(conn, flt, today)}))


@router.get("/timeseries", summary="Active workers, inspections and findings per quarter", description=(
    "Per quarter and region: `active_workers` at the quarter's end, `inspections` and `findings` in it; "
    "`foreign_nationals` present at the quarter's end (the current quarter: today) with "
    "`foreign_nationals_by_purpose` and `foreign_nationals_by_permit`, `lodging_guests` (distinct persons with "
    "a lodging stay overlapping the quarter) and `activities` (monitoring activities held in it; `null` for a "
    "village). The filters apply as in `/stats/{level}`. For roles without personal access the counts of persons "
    "among the foreign nationals (`foreign_nationals`, its breakdowns, `lodging_guests`) of 1-2 are `\"<3\"`, "
    "the regions of each quarter forming one group (see `/stats/{level}`); `suppressed_below` says which rule "
    "applied (3, or `null` for exact numbers)."))
async def stats_timeseries(
    request: Request,
    principal: CurrentUser,
    flt: Filters,
    foreign: ForeignQuery,
    conn: Conn,
    level: Annotated[str | None, Query(description="province | regency | district: one series per region")] = None,
    code: Annotated[str | None, Query(description="one region's series, e.g. 62.71")] = None,
    start: Annotated[str | None, Query(description="first quarter, e.g. 2025-Q1 (default: 7 before end)")] = None,
    end: Annotated[str | None, Query(description="last quarter, e.g. 2026-Q4 (default: this quarter)")] = None,
) -> Response:
    personal = principal.can_see_personal

    def produce(today: date) -> str:
        rows = quarterly_series(conn, flt, level, start, end, code=code, today=today, foreign=foreign)
        if not personal:
            protect_series(rows)
        return json.dumps({"filter": {**flt.as_query(), **foreign.as_query()}, "level": level, "code": code,
                           "suppressed_below": None if personal else THRESHOLD, "quarters": rows})

    return await _respond(request, flt, ("timeseries", level, code, start, end, foreign, personal), JSON, produce)


_FOREIGN_DOC = """
Foreign nationals (orang asing, issue 17), in every row beside the workers' own counts:

- `foreign_nationals`: persons present on `date` by the one presence rule (`foreign_nationals_present`:
  a stay covering the day, else a worker record as the workers are counted, else a lodging stay; each
  person once), placed at their residence, work site (or company) or lodging;
- `foreign_nationals_by_purpose`, `foreign_nationals_by_permit`, `foreign_nationals_by_nationality`:
  {code: persons}, largest first; guests known only from a lodging report have no purpose or permit
  and count under `tidak_diketahui`, so each breakdown sums to `foreign_nationals`;
- `lodging_guests_30d`: distinct persons with a lodging stay overlapping the 30 days up to `date`
  (no check-out: 30 days from check-in), in the lodging's region (a guest of two regions counts in each);
- `activities_12m`: monitoring activities held in the 12 months up to `date`, in their district
  (`null` for villages: an activity has no village).

Filters on them: your regencies, `regency_code` and `district_code` (where each is placed);
`nationality` (the person's; not activities); `purpose` and `permit_type` (the present foreign nationals
only). The company filters `sector`, `permit_status` and `datetime` do not apply to them (a foreign
national is not a company), and `purpose`/`permit_type` do not change the workers' counts.
`date` is the day every count of the row is taken on, the workers' too (answered as `today`).

Small counts (roles without personal access, i.e. viewers): as in the reports and on the map, a count
of 1-2 persons among the foreign nationals (`foreign_nationals`, its three breakdowns,
`lodging_guests_30d`) is the string `"<3"`; 0 stays 0. When only one cell of a group is hidden (the
regions of the answer; the parts of one breakdown, which sum to `foreign_nationals`), its smallest
other non-zero cell is hidden too. `suppressed_below` is 3 for these roles and `null` (exact numbers)
for admin, editor and analyst. `activities_12m` and the workers' counts are never hidden.
"""


@router.get(
    "/{level}",
    summary="Counts per region of a level, zeros included (f=geojson: region polygons for a choropleth)",
    description=_FOREIGN_DOC,
    responses={200: {"content": {"application/json": {}, "application/geo+json": {}}}},
)
async def stats_by_region(
    level: str,
    request: Request,
    principal: CurrentUser,
    flt: Filters,
    foreign: ForeignQuery,
    day: DayQuery,
    conn: Conn,
    parent: Annotated[str | None, Query(description="only regions under this code (required for village)")] = None,
    f: Annotated[str, Query(description="json | geojson")] = "json",
) -> Response:
    if level not in LEVELS:
        raise NotFound(f"level: {level!r} is not one of {', '.join(LEVELS)}")
    if f not in ("json", "geojson"):
        raise BadRequest(f"f: {f!r} is not one of json, geojson")

    personal = principal.can_see_personal
    below = json.dumps(None if personal else THRESHOLD)

    def produce(today: date) -> str:
        if f == "geojson":
            text = region_stats_geojson(conn, level, flt, parent, day or today, foreign=foreign)
            if not personal:
                collection = json.loads(text)
                protect_rows([feature["properties"] for feature in collection["features"]])
                text = json.dumps(collection, ensure_ascii=False)
            return f'{{"suppressed_below": {below}, {text.lstrip()[1:]}'
        rows, counted_on = region_stats_json(conn, level, flt, parent, day or today, foreign=foreign)
        if not personal:
            rows = json.dumps(protect_rows(json.loads(rows)), ensure_ascii=False)
        head = json.dumps({"level": level, "parent": parent, "filter": {**flt.as_query(), **foreign.as_query()},
                           "today": counted_on.isoformat(), "suppressed_below": None if personal else THRESHOLD})
        # The rows arrive as JSON text from PostgreSQL: splice them in rather than parse and re-encode
        # (for roles allowed personal data; the others' small counts are hidden first).
        return f'{head[:-1]}, "regions": {rows}}}'

    media_type = "application/geo+json" if f == "geojson" else JSON
    return await _respond(request, flt, ("regions", level, parent, f, foreign, day, personal), media_type, produce)
