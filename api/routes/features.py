"""OGC API – Features (Part 1 Core, GeoJSON, OpenAPI 3.0; Part 3 CQL2 text filters) under /api.

Handlers only parse, check access and assemble links: the features are built by PostgreSQL
(geo.features.sql) and passed through as text. Item pages are cached in process and carry an
ETag (api/cache.py) until the next write to the tables they read; PANTAU_FEATURES_CACHE_MB=0
turns the cache off.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import Field, TypeAdapter, ValidationError

from api.blocking import blocking
from api.cache import cached
from api.deps import Conn, lend
from api.errors import BadRequest, NotFound
from api.filters import Filters, monitoring_filter
from api.ogc_openapi import rooted_openapi
from api.security import CurrentUser, Principal, authenticated
from geo import activity_text
from geo.auth import audit
from geo.db import fetchone
from geo.features import cql2
from geo.features.catalog import SMALL_BELOW, Collection, get_collection, visible
from geo.features.errors import FeatureNotFound, FeatureQueryError
from geo.features.output import as_csv, as_html, feature_collection
from geo.features.params import (
    CRS84,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    Page,
    filter_properties,
    parse_bbox,
    parse_properties,
    parse_property_filters,
    parse_sortby,
)
from geo.features.sql import (
    Result,
    Where,
    base_where,
    extents,
    fetch_page,
    one_feature_sql,
    order_sql,
)

router = APIRouter(tags=["OGC API – Features"])

GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
]
MONITORING_PARAMS = ("sector", "nationality", "permit_status", "datetime")
ITEM_PARAMS = {
    "bbox", "bbox-crs", "limit", "offset", "datetime", "sector", "nationality", "permit_status",
    "regency_code", "district_code", "sortby", "properties", "filter", "filter-lang", "filter-crs", "f",
}


def api_url(request: Request, path: str = "", query: dict | list | None = None) -> str:
    url = str(request.base_url).rstrip("/") + "/api" + path
    return f"{url}?{urlencode(query)}" if query else url


def _collection(collection_id: str, principal: Principal) -> Collection:
    """A personal collection (foreign_nationals) is unknown to roles without personal access."""
    try:
        return get_collection(collection_id, principal.can_see_personal)
    except FeatureNotFound as exc:
        raise NotFound(str(exc)) from exc


def output_format(request: Request, f: str | None, allowed: tuple[str, ...] = ("json",)) -> str:
    if f is not None:
        if f not in allowed:
            raise BadRequest(f"f: {f!r} is not supported here (use {' | '.join(allowed)})")
        return f
    accept = request.headers.get("accept", "")
    for fmt, media in (("json", "json"), ("csv", "text/csv"), ("html", "text/html")):
        if fmt in allowed and media in accept:
            return fmt
    return "json"


# --- one feature (first: a map asks for one on every click) -----------------------------------
def _text_param(name: str, where: str, required: bool, description: str | None = None) -> dict:
    """An OpenAPI parameter as FastAPI writes that of a `str` (`str | None`) argument."""
    schema = {"type": "string"} if required else {"anyOf": [{"type": "string"}, {"type": "null"}]}
    schema["title"] = name.replace("_", " ").title()
    described = {"description": description} if description else {}
    return {"name": name, "in": where, "required": required, "schema": {**schema, **described}, **described}


# Served as a plain Starlette route ahead of every router (api/main.py PLAIN_API_ROUTES); this FastAPI
# route documents it. Its parameters, connection and principal are read here rather than as FastAPI
# arguments and dependencies (Conn, CurrentUser): for one feature, FastAPI's solving of them cost more
# Python than the query (bench/RESULTS-features.md). The parameters are documented as FastAPI would
# (none of them can fail validation).
@router.get("/collections/{collection_id}/items/{feature_id}", summary="One feature", response_class=Response,
            responses={200: {"content": {GEOJSON: {}}}},
            openapi_extra={"parameters": [_text_param("collection_id", "path", True),
                                          _text_param("feature_id", "path", True),
                                          _text_param("f", "query", False, "json")]})
async def item(request: Request) -> Response:
    collection_id, feature_id = request.path_params["collection_id"], request.path_params["feature_id"]
    f = request.query_params.get("f")
    async with lend(request) as conn:
        principal = await authenticated(request, conn)
        coll = _collection(collection_id, principal)
        output_format(request, f, ("json",))
        key: int | str = feature_id
        if coll.key_type == "integer":
            if not feature_id.isdigit() or len(feature_id) > 18:
                raise NotFound(f"feature {feature_id!r} not found in {coll.id!r}")
            key = int(feature_id)
        row = await blocking(fetchone, conn, *one_feature_sql(coll, base_where(coll, None, principal.regencies), key))
        if row is None:  # outside the user's scope looks the same as absent
            raise NotFound(f"feature {feature_id!r} not found in {coll.id!r}")
        feature = row[0]
        if coll.free_text and not principal.can_see_personal:
            feature = (await blocking(activity_text.mask_features, conn, f"[{feature}]", coll.free_text))[1:-1]
        if coll.personal:
            await blocking(_audit_read, conn, principal, coll, {"persons": 1})
    # The collection's URL is this one's up to "/items/" (the same scheme, host and root path as
    # api_url writes): one URL built per request rather than two.
    self_url = str(request.url)
    collection_url = self_url.partition("?")[0].rpartition("/items/")[0]
    links = (f', "links": [{{"rel": "self", "type": "{GEOJSON}", "href": {json.dumps(self_url)}}}, '
             f'{{"rel": "collection", "type": "application/json", "href": {json.dumps(collection_url)}}}]')
    return Response(feature[:-1] + links + "}", media_type=GEOJSON,
                    headers={"Cache-Control": "no-store"} if coll.personal else None)


# --- landing page and conformance (public: they describe the service, no data) -----------------
# "/api" itself redirects here (the auto-mount cannot hold an empty path).
@router.get("/", summary="Landing page (OGC API)")
def landing(request: Request) -> JSONResponse:
    return JSONResponse({
        "title": "Pantau API",
        "description": "Pemantauan tenaga kerja asing (TKA) Kalimantan Tengah — OGC API – Features.",
        "links": [
            {"rel": "self", "type": "application/json", "href": api_url(request, "/"), "title": "Halaman ini"},
            # The document rooted here, as OGC API clients (GDAL, QGIS) look paths up; Swagger UI
            # (service-doc) reads /api/openapi.json, the same API named from the host root.
            {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
             "href": api_url(request, "/openapi-ogc.json"), "title": "OpenAPI"},
            {"rel": "service-doc", "type": "text/html", "href": api_url(request, "/docs"), "title": "Dokumentasi API"},
            {"rel": "conformance", "type": "application/json", "href": api_url(request, "/conformance"),
             "title": "Kelas kesesuaian"},
            {"rel": "data", "type": "application/json", "href": api_url(request, "/collections"), "title": "Koleksi"},
        ],
    })


@router.get("/conformance", summary="Conformance classes implemented")
def conformance() -> JSONResponse:
    return JSONResponse({"conformsTo": CONFORMANCE})


@router.get("/openapi-ogc.json", include_in_schema=False)
def openapi_ogc(request: Request) -> Response:
    """The OpenAPI document with paths relative to /api and one items path per collection
    (api/ogc_openapi.py); built once per process from FastAPI's document."""
    state = request.app.state
    body = getattr(state, "openapi_ogc", None)
    if body is None:
        # Public: a personal collection is not named in it (for its users the generic path serves).
        doc = rooted_openapi(request.app.openapi(), visible(False).values(), MONITORING_PARAMS)
        body = state.openapi_ogc = json.dumps(doc, ensure_ascii=False).encode()
    return Response(body, media_type="application/json")


# --- collections --------------------------------------------------------------------------------
def _collection_doc(request: Request, collection: Collection, ext: dict) -> dict:
    base = f"/collections/{collection.id}"
    doc = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": [CRS84[0]],
        # A scoped user's monitoring collections cover its regencies (boundaries stay province-wide).
        "extent": {"spatial": {"bbox": [((collection.monitoring or collection.region_sql) and ext.get("scope_bbox"))
                                        or ext["bbox"]],
                               "crs": CRS84[0]}},
        "links": [
            {"rel": "self", "type": "application/json", "href": api_url(request, base)},
            {"rel": "items", "type": GEOJSON, "href": api_url(request, base + "/items")},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": "application/schema+json",
             "href": api_url(request, base + "/queryables")},
        ],
    }
    if collection.small_counts:
        # GDAL's OAPIF driver types its fields from this schema when linked (else from the first
        # page, where a page of hidden counts, all null, would make them strings).
        doc["links"].append({"rel": "describedBy", "type": "application/schema+json",
                             "href": api_url(request, base + "/schema")})
    if collection.id in ext:
        doc["extent"]["temporal"] = {"interval": [ext[collection.id]],
                                     "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return doc


@router.get("/collections", summary="The collections")
def collections(request: Request, principal: CurrentUser, conn: Conn) -> JSONResponse:
    ext = extents(conn, principal.regencies)
    return JSONResponse({
        "links": [{"rel": "self", "type": "application/json", "href": api_url(request, "/collections")}],
        "collections": [_collection_doc(request, c, ext) for c in visible(principal.can_see_personal).values()],
    })


@router.get("/collections/{collection_id}", summary="One collection")
def collection(collection_id: str, request: Request, principal: CurrentUser, conn: Conn) -> JSONResponse:
    coll = _collection(collection_id, principal)
    return JSONResponse(_collection_doc(request, coll, extents(conn, principal.regencies)))


@router.get("/collections/{collection_id}/queryables", summary="Queryable properties (JSON Schema)")
def queryables(collection_id: str, request: Request, principal: CurrentUser) -> JSONResponse:
    coll = _collection(collection_id, principal)
    props: dict = {"geometry": {"$ref": f"https://geojson.org/schema/{coll.geometry_type}.json",
                                "x-ogc-role": "primary-geometry"}}
    for col in coll.queryables:
        schema = {"title": col.title, "type": col.type}
        if col.format:
            schema["format"] = col.format
        if col.enum:
            schema["enum"] = list(col.enum)
        props[col.name] = schema
    return JSONResponse(
        {"$schema": "https://json-schema.org/draft/2019-09/schema",
         "$id": api_url(request, f"/collections/{coll.id}/queryables"),
         "type": "object", "title": coll.title, "properties": props, "additionalProperties": False},
        media_type="application/schema+json",
    )


@router.get("/collections/{collection_id}/schema", summary="The features' properties (JSON Schema)")
def schema(collection_id: str, request: Request, principal: CurrentUser) -> JSONResponse:
    """Every property of a feature, queryable or not, with its type (a hidden count is null)."""
    coll = _collection(collection_id, principal)
    props: dict = {}
    for col in coll.columns:
        props[col.name] = {"title": col.title, "type": col.type, **({"format": col.format} if col.format else {})}
        if col.type == "array":
            props[col.name]["items"] = {"type": "string"}
        if col.name in coll.small_counts and not principal.can_see_personal:
            props[col.name]["description"] = f"null: fewer than {SMALL_BELOW}, hidden (tersembunyi)"
    return JSONResponse({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": api_url(request, f"/collections/{coll.id}/schema"), "title": coll.title, "type": "object",
        "properties": {"type": {"type": "string", "enum": ["Feature"]}, "id": {"type": coll.key_type},
                       "geometry": {"$ref": f"https://geojson.org/schema/{coll.geometry_type}.json"},
                       "properties": {"type": "object", "properties": props}},
    })


# --- items --------------------------------------------------------------------------------------
def _check_params(request: Request, coll: Collection, flt) -> None:
    properties = {col.name for col in filter_properties(coll)}
    for name in request.query_params:
        if name not in ITEM_PARAMS and name not in properties:
            known = ", ".join(sorted(ITEM_PARAMS | properties))
            raise BadRequest(f"{name}: unknown query parameter (known: {known})")
        if not coll.monitoring and name in MONITORING_PARAMS and name not in coll.accepts:
            raise BadRequest(f"{name}: does not apply to collection {coll.id!r}")
    if coll.day_param and request.query_params.get("datetime"):
        start, end = flt.period_start, flt.period_end
        if start is None or start != end:
            raise BadRequest(f"datetime: {request.query_params['datetime']!r} must be one date (YYYY-MM-DD) for "
                             f"{coll.id!r}: the day described")


def _audit_read(conn, principal: Principal, coll: Collection, detail: dict) -> None:
    """A read of a personal collection: who, and how many persons (never which, nor the query)."""
    audit.record(conn, "personal.read", **principal.audit_fields(), target=f"collection:{coll.id}", detail=detail)


def _paging_links(request: Request, path: str, offset: int, limit: int, returned: int, matched: int, fmt_type: str) -> list[dict]:
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")]
    links = [{"rel": "self", "type": fmt_type, "href": str(request.url)}]
    for f, media in (("json", GEOJSON), ("csv", "text/csv"), ("html", "text/html")):
        if media != fmt_type:
            alt = [(k, v) for k, v in query if k != "f"] + [("f", f), ("limit", limit), ("offset", offset)]
            links.append({"rel": "alternate", "type": media, "href": api_url(request, path, alt)})
    if returned == limit and (matched < 0 or offset + limit < matched):
        links.append({"rel": "next", "type": fmt_type,
                      "href": api_url(request, path, [*query, ("limit", limit), ("offset", offset + limit)])})
    if offset > 0:
        links.append({"rel": "prev", "type": fmt_type,
                      "href": api_url(request, path, [*query, ("limit", limit), ("offset", max(0, offset - limit))])})
    return links


def _items_parameters(
    collection_id: str,
    flt: Filters,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy (WGS 84 lon/lat)")] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs")] = None,
    # Typed, so the OpenAPI document gives clients the default and the largest page (GDAL 3.8+
    # sizes its pages from it); a bad value is a 400 naming it (api/validation.py).
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="features per page")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="features to skip")] = 0,
    sortby: Annotated[str | None, Query(description="+prop,-prop (queryables)")] = None,
    properties: Annotated[str | None, Query(description="comma-separated properties to return")] = None,
    filter_: Annotated[str | None, Query(alias="filter", description="CQL2 text")] = None,
    filter_lang: Annotated[Literal["cql2-text"] | None, Query(alias="filter-lang")] = None,
    filter_crs: Annotated[str | None, Query(alias="filter-crs")] = None,
    f: Annotated[Literal["json", "csv", "html"] | None, Query(description="json | csv | html")] = None,
) -> None:
    """The parameters of the items route as FastAPI arguments: only documented (OpenAPI), never called."""


def _documented(endpoint, path: str) -> tuple[list[dict], dict]:
    """The OpenAPI parameters and 422 answer FastAPI writes for `endpoint`'s signature."""
    doc_app = FastAPI()
    doc_app.get(path)(endpoint)
    operation = doc_app.openapi()["paths"][path]["get"]
    return operation["parameters"], operation["responses"]["422"]


ITEMS_PATH = "/collections/{collection_id}/items"
_ITEMS_PARAMETERS, _ITEMS_422 = _documented(_items_parameters, ITEMS_PATH)
# The typed query parameters, validated as FastAPI validates them (its messages, a 400 naming them).
_TYPED = {name: TypeAdapter(annotation) for name, annotation in (
    ("limit", Annotated[int, Field(ge=1, le=MAX_LIMIT)]),
    ("offset", Annotated[int, Field(ge=0, le=MAX_OFFSET)]),
    ("filter-lang", Literal["cql2-text"] | None),
    ("f", Literal["json", "csv", "html"] | None),
)}


def _typed_params(query) -> dict:
    values, errors = {}, []
    for name, adapter in _TYPED.items():
        raw = query.get(name)
        if raw is None:
            continue
        try:
            values[name] = adapter.validate_python(raw)
        except ValidationError as exc:
            errors += [{**error, "loc": ("query", name, *error["loc"])} for error in exc.errors(include_url=False)]
    if errors:
        raise RequestValidationError(errors)
    return values


# Served as a plain Starlette route ahead of every router (api/main.py PLAIN_API_ROUTES); this FastAPI
# route documents it. Its connection, principal and parameters are read here, not solved by FastAPI
# from the signature above: that solving cost a fifth of a page's Python (bench/RESULTS-features.md).
# Same order as FastAPI's: connection, principal (401), monitoring filters (400), typed parameters (400).
@router.get(ITEMS_PATH, summary="Features of a collection (GeoJSON, CSV, HTML)",
            description="Besides the parameters below, every scalar queryable property of the collection "
            "filters by equality as `name=value` (e.g. `status=active`, `workers=3`): declared per collection "
            "in the document for OGC API clients, /api/openapi-ogc.json.",
            response_class=Response, responses={200: {"content": {GEOJSON: {}, "text/csv": {}, "text/html": {}}},
                                                422: _ITEMS_422},
            openapi_extra={"parameters": _ITEMS_PARAMETERS})
async def items(request: Request) -> Response:
    q = request.query_params
    async with lend(request) as conn:
        principal = await authenticated(request, conn)
        flt = await monitoring_filter(principal, conn, q.get("sector"), q.get("nationality"), q.get("permit_status"),
                                      q.get("regency_code"), q.get("district_code"), q.get("datetime"))
        typed = _typed_params(q)
        return await _items(
            request, request.path_params["collection_id"], principal, conn, flt, q.get("bbox"), q.get("bbox-crs"),
            typed.get("limit", DEFAULT_LIMIT), typed.get("offset", 0), q.get("sortby"), q.get("properties"),
            q.get("filter"), typed.get("filter-lang"), q.get("filter-crs"), typed.get("f"))


async def _items(request: Request, collection_id: str, principal: Principal, conn, flt, bbox: str | None,
                 bbox_crs: str | None, limit: int, offset: int, sortby: str | None, properties: str | None,
                 filter_: str | None, filter_lang: str | None, filter_crs: str | None, f: str | None) -> Response:
    coll = _collection(collection_id, principal)
    _check_params(request, coll, flt)
    fmt = output_format(request, f, ("json", "csv", "html"))
    try:
        page = Page(limit, offset)
        box = parse_bbox(bbox, bbox_crs)
        sort = parse_sortby(sortby, coll)
        columns = parse_properties(properties, coll)
        equal = parse_property_filters(request.query_params.multi_items(), coll, ITEM_PARAMS)
        if filter_ and filter_crs and filter_crs not in CRS84:
            raise FeatureQueryError(f"filter-crs: {filter_crs!r} is not supported (only CRS84)")
    except FeatureQueryError as exc:
        raise BadRequest(str(exc)) from exc

    def where_clause() -> Where:
        # Built on a cache miss only: the URL (the cache key) holds every input, and a CQL2 parse costs.
        where = base_where(coll, flt, principal.regencies)
        if box:
            where.add(f"ST_Intersects({coll.geom_sql}, ST_MakeEnvelope(%s, %s, %s, %s, 4326))", box)
        for column, value in equal:  # column text from the catalog, the value bound
            where.add(f"{column.sql} = %s", [value])
        if filter_:
            try:
                where.add(*cql2.to_sql(filter_, coll))
            except FeatureQueryError as exc:
                raise BadRequest(str(exc)) from exc
        return where

    path = f"/collections/{coll.id}/items"
    media = {"json": GEOJSON, "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8"}[fmt]
    headers = {"Content-Disposition": f'attachment; filename="{coll.id}.csv"'} if fmt == "csv" else None

    def links_for(result: Result) -> list[dict]:
        return _paging_links(request, path, page.offset, page.limit, result.returned, result.matched,
                             media.split(";")[0])

    masked = bool(coll.free_text) and not principal.can_see_personal
    # Lodgings' small guest counts are hidden for the same roles (catalog.small_counts).
    audience = masked or (bool(coll.small_counts) and not principal.can_see_personal)

    def page_of(wkt: bool) -> Result:
        result = fetch_page(conn, coll, where_clause(), (order_sql(coll, sort), []), columns, page, wkt=wkt)
        if masked:  # free text that may name persons (geo/activity_text.py)
            result = replace(result, features=activity_text.mask_features(conn, result.features, coll.free_text))
        return result

    def produce_json(today: date) -> bytes:
        result = page_of(False)
        links = links_for(result)
        links.append({"rel": "collection", "type": "application/json",
                      "href": api_url(request, f"/collections/{coll.id}")})
        return feature_collection(result, links).encode()

    def produce_table(today: date) -> bytes:  # CSV and HTML: formatting thousands of rows
        result = page_of(True)
        if fmt == "csv":
            return as_csv(result, columns).encode()
        return as_html(coll, result, columns, links_for(result)).encode()

    # Pages are cached per URL (every parameter and the host the links point to), output format and
    # the user's regencies; the data versions in the key make any committed write show at once.
    # A hit is served on the event loop; a miss is built in a thread with the request's connection.
    # A monitoring page reads every table (company, workers, inspections, region names).
    produce = produce_json if fmt == "json" else produce_table
    if coll.personal:
        # Personal data: never kept, and every read is recorded (how many persons, never which).
        body = await blocking(produce, None)
        returned = json.loads(body)["numberReturned"] if fmt == "json" else None
        await blocking(_audit_read, conn, principal, coll, {"format": fmt, "persons": returned})
        return Response(body, media_type=media, headers={**(headers or {}), "Cache-Control": "no-store"})
    # Masked and unmasked pages (free text, small counts) of the same URL are different bodies.
    return await cached(
        request, "features", (str(request.url), fmt, audience), scope=principal.regencies,
        tables=("boundaries",) if coll.level else None, media_type=media, headers=headers,
        produce=produce)

