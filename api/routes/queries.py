"""Monitoring queries on companies: in a region, within a radius, nearest k, in a drawn polygon,
by name. Each answers a GeoJSON FeatureCollection built in PostgreSQL, with the shared monitoring
filters and the user's regional scope applied."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.deps import Conn
from api.errors import BadRequest, NotFound
from api.filters import Filters
from api.routes.features import GEOJSON, _paging_links
from api.security import CurrentUser
from geo.features import monitoring
from geo.features.catalog import CATALOG
from geo.features.errors import FeatureNotFound, FeatureQueryError
from geo.features.output import feature_collection
from geo.features.params import parse_int, parse_page, parse_properties
from geo.features.sql import Extra, Where, base_where, fetch_page
from geo.filters import MonitoringFilter

router = APIRouter(tags=["monitoring queries"])
COMPANIES = CATALOG["companies"]
MAX_K = 1000

Limit = Annotated[str | None, Query(description="1..10000, default 100")]
Offset = Annotated[str | None, Query(description="features to skip, default 0")]
Properties = Annotated[str | None, Query(description="comma-separated company properties to return")]


def _answer(request: Request, conn, flt: MonitoringFilter, principal, cond: tuple[str, list] | None,
            order: tuple[str, list], page, properties: str | None, extras: tuple[Extra, ...] = (),
            extra_head: dict | None = None, count: bool = True, paging: bool = True) -> Response:
    columns = parse_properties(properties, COMPANIES)
    where: Where = base_where(COMPANIES, flt, principal.regencies)
    if cond:
        where.add(*cond)
    result = fetch_page(conn, COMPANIES, where, order, columns, page, extras=extras, count=count)
    if paging:
        links = _paging_links(request, request.url.path.removeprefix("/api"), page.offset, page.limit,
                              result.returned, result.matched, GEOJSON)
        links = [link for link in links if link["rel"] != "alternate"]
    else:
        links = [{"rel": "self", "type": GEOJSON, "href": str(request.url)}]
    return Response(feature_collection(result, links, extra_head), media_type=GEOJSON)


def _bad(exc: Exception):
    if isinstance(exc, FeatureNotFound):
        return NotFound(str(exc))
    return BadRequest(str(exc))


@router.get("/regions/{code}/companies", summary="Companies within a region (province, regency, district or village)",
            response_class=Response, responses={200: {"content": {GEOJSON: {}}}})
def region_companies(code: str, request: Request, principal: CurrentUser, conn: Conn, flt: Filters,
                     limit: Limit = None, offset: Offset = None, properties: Properties = None) -> Response:
    try:
        page = parse_page(limit, offset)
        info, sql, params = monitoring.region(conn, code)
        return _answer(request, conn, flt, principal, (sql, params), ("c.id", []), page, properties,
                       extra_head={"region": info})
    except (FeatureQueryError, FeatureNotFound) as exc:
        raise _bad(exc) from exc


@router.get("/companies/within", summary="Companies within a radius (km, on the spheroid), nearest first",
            response_class=Response, responses={200: {"content": {GEOJSON: {}}}})
def within(request: Request, principal: CurrentUser, conn: Conn, flt: Filters,
           lon: Annotated[str | None, Query(description="longitude (WGS 84)")] = None,
           lat: Annotated[str | None, Query(description="latitude (WGS 84)")] = None,
           radius_km: Annotated[str | None, Query(description="radius in km, 0..1000")] = None,
           limit: Limit = None, offset: Offset = None, properties: Properties = None) -> Response:
    try:
        page = parse_page(limit, offset)
        x, y = monitoring.point(lon, lat)
        sql, params, _ = monitoring.within_radius(x, y, radius_km)
        distance = monitoring.distance_extra(x, y)
        order = ("x0, c.id", [])  # the page's distance column
        return _answer(request, conn, flt, principal, (sql, params), order, page, properties, (distance,))
    except FeatureQueryError as exc:
        raise _bad(exc) from exc


@router.get("/companies/nearest", summary="The k nearest companies to a point",
            response_class=Response, responses={200: {"content": {GEOJSON: {}}}})
def nearest(request: Request, principal: CurrentUser, conn: Conn, flt: Filters,
            lon: Annotated[str | None, Query(description="longitude (WGS 84)")] = None,
            lat: Annotated[str | None, Query(description="latitude (WGS 84)")] = None,
            k: Annotated[str | None, Query(description=f"how many, 1..{MAX_K}, default 10")] = None,
            properties: Properties = None) -> Response:
    try:
        x, y = monitoring.point(lon, lat)
        page = parse_page(str(parse_int("k", k, 10, 1, MAX_K)), None)
        return _answer(request, conn, flt, principal, None, monitoring.nearest_order(x, y), page, properties,
                       (monitoring.distance_extra(x, y),), count=False, paging=False)
    except FeatureQueryError as exc:
        raise _bad(exc) from exc


@router.post("/companies/within-polygon", summary="Companies inside a posted GeoJSON Polygon/MultiPolygon",
             response_class=Response, responses={200: {"content": {GEOJSON: {}}}},
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                 "type": "object", "description": "GeoJSON Polygon or MultiPolygon (or a Feature with one)"}}}}})
async def within_polygon(request: Request, principal: CurrentUser, conn: Conn, flt: Filters,
                         limit: Limit = None, offset: Offset = None, properties: Properties = None) -> Response:
    body = await request.body()

    def run() -> Response:
        try:
            page = parse_page(limit, offset)
            cond = monitoring.polygon(conn, body)
            return _answer(request, conn, flt, principal, cond, ("c.id", []), page, properties, paging=False)
        except FeatureQueryError as exc:
            raise _bad(exc) from exc

    return await run_in_threadpool(run)


@router.get("/companies/search", summary="Companies by name (substring or similar spelling)",
            response_class=Response, responses={200: {"content": {GEOJSON: {}}}})
def search(request: Request, principal: CurrentUser, conn: Conn, flt: Filters,
           q: Annotated[str | None, Query(description="part of the name, 2..100 characters")] = None,
           limit: Limit = None, offset: Offset = None, properties: Properties = None) -> Response:
    try:
        page = parse_page(limit, offset)
        cond, params, order, extra = monitoring.search(q)
        return _answer(request, conn, flt, principal, (cond, params), order, page, properties, (extra,))
    except FeatureQueryError as exc:
        raise _bad(exc) from exc
