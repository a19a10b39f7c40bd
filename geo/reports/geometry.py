"""Boundary geometries for the static maps, simplified in PostGIS and projected for metric scale bars."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import shapely

from geo.db import Connection, transaction

# A transverse Mercator centred on Kalimantan Tengah: metres, little distortion across the province.
CRS = "+proj=tmerc +lat_0=0 +lon_0=113.5 +k=0.9996 +x_0=500000 +y_0=10000000 +ellps=WGS84 +units=m +no_defs"
SIMPLIFY_DEG = 0.002  # ~200 m: invisible at report scale, far fewer vertices to draw


@dataclass
class Geometries:
    province: gpd.GeoDataFrame
    regencies: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame


def load(conn: Connection, province: str) -> Geometries:
    with transaction(conn) as cur:
        cur.execute("""SELECT code, level, parent_code, name,
                              ST_AsBinary(ST_SimplifyPreserveTopology(geom, %s)), ST_AsBinary(label_point)
                         FROM boundaries
                        WHERE level IN ('province', 'regency', 'district') AND left(code, 2) = %s
                        ORDER BY code""", (SIMPLIFY_DEG, province))
        rows = cur.fetchall()
    columns = {key: [r[i] for r in rows] for i, key in enumerate(("code", "level", "parent_code", "name"))}
    frame = gpd.GeoDataFrame(columns, geometry=shapely.from_wkb([bytes(r[4]) for r in rows]), crs=4326)
    labels = gpd.GeoSeries(shapely.from_wkb([bytes(r[5]) for r in rows]), crs=4326).to_crs(CRS)
    frame = frame.to_crs(CRS)
    frame["label_x"], frame["label_y"] = labels.x.to_numpy(), labels.y.to_numpy()
    by_level = {lv: frame[frame["level"] == lv].set_index("code", drop=False) for lv in ("province", "regency", "district")}
    return Geometries(by_level["province"], by_level["regency"], by_level["district"])


def project_points(lons, lats):
    """Company points in the map CRS as two arrays (x, y)."""
    pts = gpd.GeoSeries(gpd.points_from_xy(lons, lats, crs=4326)).to_crs(CRS)
    return pts.x.to_numpy(), pts.y.to_numpy()
