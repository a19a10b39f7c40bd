"""Vector tiles (Mapbox Vector Tile, WebMercatorQuad) and their TileJSON documents.

Company and inspection tiles honour the monitoring filters and the user's regencies, and carry
no personal data. A tile that no feature touches is answered 204 No Content (no body).
Freshness: every response has an ETag derived from the layer, address, filter, scope, day and
the data versions of the tables it reads (bumped by triggers on every write), so an edit or
import changes the ETag and the in-process cache key at once (api/cache.py); If-None-Match → 304.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.cache import cached
from api.deps import Conn
from api.errors import BadRequest, NotFound
from api.filters import Filters
from api.security import CurrentUser
from geo.tiles import TileError, check_tile, get_layer, render_tile, tile_bounds, tilejson
from geo.tiles.layers import UnknownLayer

router = APIRouter(prefix="/tiles", tags=["tiles"])
MVT = "application/vnd.mapbox-vector-tile"


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

    def produce(today: date) -> bytes:
        return render_tile(conn, layer, zi, xi, yi, flt, today)

    max_age = request.app.state.settings.cache.tiles_max_age
    return await cached(request, "tile", (layer.name, zi, xi, yi, flt if layer.filtered else None),
                        scope=flt.scope, tables=layer.tables, produce=produce, media_type=MVT,
                        cache_control=f"private, max-age={max_age}")


@router.get("/{collection}.json", summary="TileJSON 3.0 document of a tile layer (with the current filters)")
def get_tilejson(collection: str, request: Request, principal: CurrentUser, flt: Filters, conn: Conn) -> dict:
    layer = _layer(collection)
    base = str(request.url_for("get_tilejson", collection=layer.name)).removesuffix(".json")
    query = urlencode(flt.as_query()) if layer.filtered else ""
    url = base + "/{z}/{x}/{y}.mvt" + (f"?{query}" if query else "")
    return tilejson(layer, url, tile_bounds(conn, flt.scope))
