"""A small vector basemap for the tests: a PMTiles file in the Protomaps basemap schema (the layers
and kinds protomaps-leaflet draws: earth, water, roads, places) with the Java Sea's coast, the
Kahayan, Mentaya and Barito rivers as water areas, the Katingan as a line, the Trans-Kalimantan
road and six towns of Kalimantan Tengah. Coordinates are rough (hand-drawn), enough to recognise
the province."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import shapely
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write
from shapely.geometry import LineString, Point, Polygon, box

BBOX = (110.0, -4.5, 116.5, 1.0)  # west, south, east, north
RIVERS = {
    "Sungai Kahayan": [(113.40, -0.90), (113.60, -1.30), (113.75, -1.70), (113.90, -2.10), (113.92, -2.21),
                       (113.95, -2.60), (114.05, -3.00), (114.10, -3.40)],
    "Sungai Mentaya": [(112.55, -1.60), (112.75, -2.00), (112.90, -2.35), (112.95, -2.54), (113.00, -2.90),
                       (113.05, -3.45)],
    "Sungai Barito": [(114.85, -0.50), (114.90, -0.95), (114.80, -1.50), (114.84, -1.71), (114.70, -2.40),
                      (114.60, -3.00), (114.50, -3.50)],
}
RIVER_LINES = {  # mapped as lines only (no water area), as many smaller rivers are
    "Sungai Katingan": [(113.00, -0.80), (113.20, -1.80), (113.35, -2.50), (113.30, -3.10), (113.35, -3.35)],
}
COAST = [(110.0, -2.95), (110.8, -3.05), (111.5, -3.0), (112.3, -3.3), (113.0, -3.4), (113.6, -3.35),
         (114.0, -3.3), (114.5, -3.45), (115.2, -3.9), (116.5, -4.0)]
ROAD = [(111.62, -2.68), (112.40, -2.60), (112.95, -2.54), (113.50, -2.30), (113.92, -2.21), (114.39, -3.01)]
TOWNS = {  # name: (lon, lat, population_rank)
    "Palangka Raya": (113.92, -2.21, 11),
    "Sampit": (112.95, -2.54, 10),
    "Pangkalan Bun": (111.62, -2.68, 10),
    "Kuala Kapuas": (114.39, -3.01, 9),
    "Muara Teweh": (114.89, -0.95, 9),
    "Buntok": (114.84, -1.71, 8),
}
R = 6378137.0


def _to_mercator(geom):
    def project(xy):
        return np.column_stack([np.radians(xy[:, 0]) * R, np.log(np.tan(np.pi / 4 + np.radians(xy[:, 1]) / 2)) * R])

    return shapely.transform(geom, project)


def _tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    size = 2 * math.pi * R / 2 ** z
    west, north = -math.pi * R + x * size, math.pi * R - y * size
    return west, north - size, west + size, north


def _tile_range(z: int) -> tuple[range, range]:
    n = 2 ** z

    def tx(lon):
        return int((lon + 180) / 360 * n)

    def ty(lat):
        r = math.radians(lat)
        return int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)

    west, south, east, north = BBOX
    return range(tx(west), tx(east) + 1), range(ty(north), ty(south) + 1)


def _layers() -> dict[str, list[tuple[object, dict]]]:
    west, south, east, north = BBOX
    sea = Polygon([*COAST, (east, south), (west, south)])
    water = [(sea, {"kind": "ocean"})]
    for name, line in RIVERS.items():
        water.append((LineString(line).buffer(0.025, cap_style="flat"), {"kind": "river", "name": name}))
    for name, line in RIVER_LINES.items():
        water.append((LineString(line), {"kind": "river", "name": name}))
    return {
        "earth": [(box(*BBOX), {"kind": "earth"})],
        "water": water,
        "roads": [(LineString(ROAD), {"kind": "major_road", "kind_detail": "trunk", "name": "Jalan Trans-Kalimantan"})],
        "places": [(Point(lon, lat), {"kind": "locality", "name": name, "min_zoom": 5, "population_rank": rank})
                   for name, (lon, lat, rank) in TOWNS.items()],
    }


def make_basemap(path: Path, max_zoom: int = 10) -> Path:
    """Write the basemap to `path` (zooms 0..max_zoom over BBOX, gzip-compressed MVT tiles)."""
    layers = {name: [(_to_mercator(g), p) for g, p in feats] for name, feats in _layers().items()}
    tiles = []
    for z in range(max_zoom + 1):
        xs, ys = _tile_range(z)
        for x in xs:
            for y in ys:
                bounds = _tile_bounds(z, x, y)
                pad = (bounds[2] - bounds[0]) / 16
                clip = box(bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad)
                encoded = []
                for name, feats in layers.items():
                    inside = [{"geometry": g.intersection(clip), "properties": p} for g, p in feats if g.intersects(clip)]
                    if inside:
                        encoded.append({"name": name, "features": inside})
                data = mapbox_vector_tile.encode(encoded, default_options={"quantize_bounds": bounds, "extents": 4096})
                tiles.append((zxy_to_tileid(z, x, y), gzip.compress(data, mtime=0)))
    tiles.sort()
    west, south, east, north = BBOX
    with write(str(path)) as writer:
        for tile_id, data in tiles:
            writer.write_tile(tile_id, data)
        writer.finalize(
            {"tile_type": TileType.MVT, "tile_compression": Compression.GZIP, "min_lon_e7": int(west * 1e7),
             "min_lat_e7": int(south * 1e7), "max_lon_e7": int(east * 1e7), "max_lat_e7": int(north * 1e7),
             "center_zoom": 7, "center_lon_e7": int(113.5e7), "center_lat_e7": int(-1.5e7)},
            {"name": "Pantau test basemap", "attribution": "data uji (test data)",
             "vector_layers": [{"id": name, "fields": {}} for name in layers]},
        )
    return path
