"""Vector tiles (Mapbox Vector Tile, WebMercatorQuad) and their TileJSON documents.

Company and inspection tiles honour the monitoring filters and the user's regencies, and carry
no personal data. A tile that no feature touches is answered 204 No Content (no body).
Freshness: every response has an ETag derived from the layer, address, filter, scope, day and
the data versions of the tables it reads (bumped by triggers on every write), so an edit or
import changes the ETag and the in-process cache key at once; If-None-Match → 304.
"""

from __future__ import annotations

import threading
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.blocking import blocking
from api.deps import Conn
from api.errors import BadRequest, NotFound
from api.filters import Filters
from api.fresh_versions import versions_key
from api.security import CurrentUser
from geo import clock
from geo.tiles import (
    TileCache,
    TileError,
    TileSettings,
    check_tile,
    etag_matches,
    etag_of,
    get_layer,
    render_tile,
    tile_bounds,
    tilejson,
)
from geo.tiles.layers import UnknownLayer

router = APIRouter(prefix="/tiles", tags=["tiles"])
MVT = "application/vnd.mapbox-vector-tile"
_init_lock = threading.Lock()


def _cache(request: Request) -> tuple[TileSettings, TileCache]:
    state = request.app.state
    if not hasattr(state, "tile_cache"):
        with _init_lock:
            if not hasattr(state, "tile_cache"):
                settings = TileSettings()
                state.tile_settings = settings
                state.tile_cache = TileCache(settings.cache_mb * 1024 * 1024)
    return state.tile_settings, state.tile_cache


def _layer(collection: str):
    try:
        return get_layer(collection)
    except UnknownLayer as exc:
        raise NotFound(str(exc)) from exc


@router.get(
    "/{collection}/{z}/{x}/{y}.mvt",
    summary="One vector tile (204 when empty)",
    responses={200: {"content": {MVT: {}}}, 204: {"description": "no feature in this tile"},
               304: {"description": "unchanged since the ETag given in If-None-Match"}},
)
async def get_tile(collection: str, z: str, x: str, y: str, request: Request,
                   principal: CurrentUser, flt: Filters, conn: Conn) -> Response:
    layer = _layer(collection)
    try:
        zi, xi, yi = check_tile(z, x, y)
    except TileError as exc:
        raise BadRequest(str(exc)) from exc
    settings, cache = _cache(request)

    today = clock.today()
    versions = await request.app.state.versions.read()  # shared fresh read: a hit needs no thread
    key = (layer.name, zi, xi, yi, flt if layer.filtered else None, today if layer.filtered else None,
           versions_key(versions, layer.tables))
    etag = etag_of(key)
    headers = {"ETag": etag, "Cache-Control": f"private, max-age={settings.max_age}", "Vary": "Authorization, Cookie"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    data = cache.get(key)
    hit = data is not None
    if data is None:
        data, hit = await blocking(cache.get_or_compute, key, lambda: render_tile(conn, layer, zi, xi, yi, flt, today))
    headers["X-Tile-Cache"] = "hit" if hit else "miss"
    if not data:
        return Response(status_code=204, headers=headers)
    return Response(data, media_type=MVT, headers=headers)


@router.get("/{collection}.json", summary="TileJSON 3.0 document of a tile layer (with the current filters)")
def get_tilejson(collection: str, request: Request, principal: CurrentUser, flt: Filters, conn: Conn) -> dict:
    layer = _layer(collection)
    base = str(request.url_for("get_tilejson", collection=layer.name)).removesuffix(".json")
    query = urlencode(flt.as_query()) if layer.filtered else ""
    url = base + "/{z}/{x}/{y}.mvt" + (f"?{query}" if query else "")
    return tilejson(layer, url, tile_bounds(conn, flt.scope))
