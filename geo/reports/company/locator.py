"""The sheet's small location map: the company's point in its district, the other districts of
its regency around it, the regency outline, scale bar and north arrow. No base map, no network."""

from __future__ import annotations

import geopandas as gpd
import shapely

from geo.db import Connection, transaction
from geo.reports import cartography as carto
from geo.reports.geometry import CRS, SIMPLIFY_DEG, project_points

POINT_COLOUR = "#b2182b"
DISTRICT_FILL = "#fdf1d6"


def _regions(conn: Connection, regency: str) -> gpd.GeoDataFrame:
    with transaction(conn) as cur:
        cur.execute("""SELECT code, level, name, ST_AsBinary(ST_SimplifyPreserveTopology(geom, %s))
                         FROM boundaries
                        WHERE (level = 'district' AND parent_code = %s) OR (level = 'regency' AND code = %s)
                        ORDER BY code""", (SIMPLIFY_DEG / 4, regency, regency))
        rows = cur.fetchall()
    frame = gpd.GeoDataFrame({"code": [r[0] for r in rows], "level": [r[1] for r in rows],
                              "name": [r[2] for r in rows]},
                             geometry=shapely.from_wkb([bytes(r[3]) for r in rows]), crs=4326)
    return frame.to_crs(CRS)


def draw(conn: Connection, company: dict, width_mm: float = 80, height_mm: float = 80) -> carto.Picture | None:
    """PNG of the map, or None when the company has no district (no outline to draw)."""
    if not company.get("regency_code") or not company.get("district_code"):
        return None
    regions = _regions(conn, company["regency_code"])
    districts = regions[regions["level"] == "district"]
    own = districts[districts["code"] == company["district_code"]]
    if own.empty:
        return None
    fig = carto.figure(width_mm, height_mm)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    districts.plot(ax=ax, color="#f4f4f4", edgecolor="#9a9a9a", linewidth=0.4)
    own.plot(ax=ax, color=DISTRICT_FILL, edgecolor="#555555", linewidth=0.9)
    regions[regions["level"] == "regency"].boundary.plot(ax=ax, color="#222222", linewidth=0.9)
    x, y = project_points([company["lon"]], [company["lat"]])
    # The district and its neighbours: the map shows where in the regency, not the whole regency.
    x0, y0, x1, y1 = own.total_bounds
    span = max(x1 - x0, y1 - y0, 20_000)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    carto.frame_axes(ax, (cx - span * 0.8, cy - span * 0.8, cx + span * 0.8, cy + span * 0.8), pad=0)
    ax.scatter(x, y, s=42, color=POINT_COLOUR, edgecolor="white", linewidth=1.0, zorder=6)
    own_label = ax.annotate(company["district_name"] or "", xy=(x[0], y[0]), xytext=(0, 9), textcoords="offset points",
                            ha="center", va="bottom", fontsize=7, fontweight="bold", path_effects=carto.HALO, zorder=7)
    arrow = carto.north_arrow(ax)
    bar = carto.scale_bar(ax, fraction=0.3)
    # The neighbours' names, where they fit: places are told by their district.
    others = districts[districts["code"] != company["district_code"]]
    points = others.geometry.representative_point()
    carto.place_labels(ax, [(pt.x, pt.y, name, {"fontsize": 5.5, "color": "#555555", "ha": "center", "va": "center",
                                               "path_effects": carto.HALO, "zorder": 5})
                            for pt, name in zip(points, others["name"], strict=True)],
                       obstacles=(own_label, arrow, bar))
    return carto.png(fig)
