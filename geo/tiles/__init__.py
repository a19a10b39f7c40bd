"""Mapbox vector tiles (WebMercatorQuad) built by PostGIS, a TileJSON document per layer, and an
in-process cache that data edits invalidate through the versions in `data_versions`."""

from geo.tiles.cache import ResultCache, TileCache, TileSettings, etag_matches, etag_of
from geo.tiles.layers import (
    LAYERS,
    TileError,
    check_tile,
    get_layer,
    render_tile,
    tile_bounds,
    tilejson,
)
from geo.tiles.versions import data_version

__all__ = [
    "LAYERS",
    "ResultCache",
    "TileCache",
    "TileError",
    "TileSettings",
    "check_tile",
    "data_version",
    "etag_matches",
    "etag_of",
    "get_layer",
    "render_tile",
    "tile_bounds",
    "tilejson",
]
