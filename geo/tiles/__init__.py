"""Mapbox vector tiles (WebMercatorQuad) built by PostGIS, a TileJSON document per layer, and an
in-process cache that data edits invalidate through the versions in `data_versions`."""

from geo.tiles.cache import TileCache, TileSettings
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
    "TileCache",
    "TileError",
    "TileSettings",
    "check_tile",
    "data_version",
    "get_layer",
    "render_tile",
    "tile_bounds",
    "tilejson",
]
