"""Mapbox vector tiles (WebMercatorQuad) built by PostGIS and a TileJSON document per layer; the
API caches them (api/cache.py), keyed by the data versions of each layer's tables."""

from geo.tiles.layers import (
    LAYERS,
    TileError,
    check_tile,
    get_layer,
    render_tile,
    tile_bounds,
    tilejson,
)

__all__ = [
    "LAYERS",
    "TileError",
    "check_tile",
    "get_layer",
    "render_tile",
    "tile_bounds",
    "tilejson",
]
