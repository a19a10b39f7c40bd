"""The static maps of the PDF: province choropleth by regency, one district map per regency."""

from __future__ import annotations

import math

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geo.formatting import number
from geo.maps.classify import SMALL_BELOW, SMALL_COLOR, ZERO_COLOR, Classification, classify_report
from geo.reports import cartography as carto
from geo.reports.geometry import Geometries
from geo.reports.suppress import show

OUTSIDE = "#dddddd"
ATLAS_MAP = (0.01, 0.075, 0.71, 0.845)  # left part of an atlas map; the right column holds locator and legend
DETAILED_POINTS = 1500  # above this many companies on one map, uniform small dots (fast, readable)
POINT_COLOUR = "#2166ac"


def classes(values: list, threshold: int | None) -> Classification:
    """The classes of the web maps (geo.maps.classify) for the published values of one map: the same
    data gets the same breaks and colours on paper as on screen."""
    return classify_report(values, threshold)


def _colour(value, bins: Classification) -> str:
    return bins.color(value)


def _legend_items(bins: Classification, threshold, title_zero="0") -> list:
    """Every class, zero and small ones included (a class no region falls in is still listed, so
    the legend of every map of a report reads the same)."""
    items = [Patch(facecolor=ZERO_COLOR, edgecolor="#888888", label=title_zero)]
    small = f"1–{max(SMALL_BELOW, threshold or 0) - 1}"
    items.append(Patch(facecolor=SMALL_COLOR, edgecolor="#888888",
                       label=f"{small} (tampil <{threshold})" if threshold else small))
    items += [Patch(facecolor=b.color, edgecolor="#888888", label=b.label) for b in bins.bins if b.lower > 0 and not b.small]
    return items


def short_name(name: str) -> str:
    return name.removeprefix("Kabupaten ")


def province_map(geo: Geometries, values: dict[str, object], threshold: int | None, source: str,
                 title: str) -> bytes:
    """Choropleth of foreign workers per regency; regencies outside the report's scope in grey."""
    fig = carto.figure(180, 150)
    ax = fig.add_axes((0.01, 0.07, 0.98, 0.86))
    bins = classes(list(values.values()), threshold)
    regencies = geo.regencies
    colours = [_colour(values[c], bins) if c in values else OUTSIDE for c in regencies.index]
    regencies.plot(ax=ax, color=colours, edgecolor="#444444", linewidth=0.7)
    geo.province.boundary.plot(ax=ax, color="black", linewidth=1.0)
    carto.frame_axes(ax, geo.province.total_bounds, pad=0.03)
    legend = _legend_items(bins, threshold)
    if len(values) < len(regencies):
        legend.append(Patch(facecolor=OUTSIDE, edgecolor="#888888", label="di luar cakupan laporan"))
    leg = ax.legend(handles=legend, title="Jumlah TKA", loc="lower right", fontsize=7, title_fontsize=7.5,
                    frameon=True, framealpha=0.95)
    obstacles = [leg, carto.north_arrow(ax), carto.scale_bar(ax)]
    # Every regency keeps its label (it carries the figure): crowded ones are drawn smaller.
    items = [(row["label_x"], row["label_y"], f"{short_name(row['name'])}\n{show(values[code])}",
              {"ha": "center", "va": "center", "fontsize": 6.5, "linespacing": 1.1, "path_effects": carto.HALO})
             for code, row in _by_area(regencies) if code in values]
    carto.place_labels(ax, items, obstacles, min_size=5.5, force=True)
    fig.text(0.01, 0.965, title, fontsize=10, fontweight="bold", va="top")
    carto.source(fig, source)
    return carto.png(fig)


def regency_map(geo: Geometries, regency: str, district_values: dict[str, object], points,
                threshold: int | None, source: str, title: str, size_mm: tuple[float, float] = (180, 118),
                figures: bool = False) -> bytes:
    """One regency: its districts shaded by workers and named, neighbours for context, company
    points sized by workers, a locator inset of the province. `figures`: each district's label
    carries its count too (the overview map of a one-regency report, as the province map does)."""
    fig = carto.figure(*size_mm)
    ax = fig.add_axes(ATLAS_MAP)
    own = geo.regencies.loc[[regency]]
    districts = geo.districts[geo.districts["parent_code"] == regency]
    bounds = own.total_bounds
    geo.regencies.plot(ax=ax, color="#eeeeee", edgecolor="#999999", linewidth=0.5)
    bins = classes(list(district_values.values()), threshold)
    districts.plot(ax=ax, color=[_colour(district_values.get(c, 0), bins) for c in districts.index],
                   edgecolor="#666666", linewidth=0.5)
    own.boundary.plot(ax=ax, color="black", linewidth=1.2)
    carto.frame_axes(ax, bounds, pad=0.06)
    legend = _legend_items(bins, threshold) + [_points(ax, points)]
    fig.legend(handles=legend, title="TKA per kecamatan", loc="lower left", bbox_to_anchor=(0.735, 0.08),
               fontsize=6.5, title_fontsize=7, frameon=False)
    obstacles = [carto.north_arrow(ax), carto.scale_bar(ax)]
    # District names first (largest first), then neighbouring regencies where room is left.
    items = [(row["label_x"], row["label_y"],
              f"{row['name']}\n{show(district_values.get(code, 0))}" if figures else row["name"],
              {"ha": "center", "va": "center", "fontsize": 6 if figures else 5.5, "color": "#222222",
               "linespacing": 1.1, "path_effects": carto.HALO, "zorder": 6}) for code, row in _by_area(districts)]
    if figures:  # a label carrying a count of workers is drawn, if need be small (as on the province map)
        counted = [item for item, code in zip(items, (c for c, _ in _by_area(districts)), strict=True)
                   if district_values.get(code, 0)]
        obstacles += carto.place_labels(ax, counted, obstacles, min_size=4.5, force=True)
        items = [item for item in items if item not in counted]
    items += _neighbour_items(ax, geo, regency)
    carto.place_labels(ax, items, obstacles)
    _locator(fig, geo, regency)
    fig.text(0.01, 0.965, title, fontsize=10, fontweight="bold", va="top")
    carto.source(fig, source)
    return carto.png(fig)


def empty_districts_map(geo: Geometries, regency: str, empty: list[str], source: str, title: str,
                        size_mm: tuple[float, float] = (180, 118)) -> bytes:
    """Where a regency's districts without workers lie: those hatched and named, the others (each
    with an atlas page) plain, and the locator inset."""
    fig = carto.figure(*size_mm)
    ax = fig.add_axes(ATLAS_MAP)
    own = geo.regencies.loc[[regency]]
    districts = geo.districts[geo.districts["parent_code"] == regency]
    geo.regencies.plot(ax=ax, color="#eeeeee", edgecolor="#999999", linewidth=0.5)
    chosen = districts.index.isin(empty)
    districts[~chosen].plot(ax=ax, color="white", edgecolor="#666666", linewidth=0.5)
    if chosen.any():
        districts[chosen].plot(ax=ax, color="#f2f2f2", edgecolor="#444444", linewidth=0.6, hatch="////")
    own.boundary.plot(ax=ax, color="black", linewidth=1.2)
    carto.frame_axes(ax, own.total_bounds, pad=0.06)
    legend = [Patch(facecolor="#f2f2f2", edgecolor="#444444", hatch="////", label="Kecamatan tanpa TKA"),
              Patch(facecolor="white", edgecolor="#666666", label="Kecamatan dengan TKA\n(halaman atlas)")]
    fig.legend(handles=legend, loc="lower left", bbox_to_anchor=(0.735, 0.08), fontsize=6.5, frameon=False)
    obstacles = [carto.north_arrow(ax), carto.scale_bar(ax)]
    items = [(row["label_x"], row["label_y"], row["name"],
              {"ha": "center", "va": "center", "fontsize": 6, "color": "#222222", "path_effects": carto.HALO,
               "zorder": 6}) for code, row in _by_area(districts) if code in empty]
    carto.place_labels(ax, items, obstacles, min_size=4.5, force=True)
    _locator(fig, geo, regency)
    fig.text(0.01, 0.965, title, fontsize=10, fontweight="bold", va="top")
    carto.source(fig, source)
    return carto.png(fig)


def fitted_size(geo: Geometries, regency: str, width_mm: float = 180, lowest: float = 118,
                highest: float = 210) -> tuple[float, float]:
    """A figure size for regency_map whose map fills its height: tall regencies get a tall page."""
    minx, miny, maxx, maxy = geo.regencies.loc[[regency]].total_bounds
    map_h = (maxy - miny) / max(maxx - minx, 1) * width_mm * ATLAS_MAP[2]  # at equal scale, as drawn
    return width_mm, round(min(max(map_h / ATLAS_MAP[3], lowest), highest), 1)


def _by_area(frame):
    """Rows largest first: big regions get their labels before small crowded ones."""
    areas = frame.geometry.area
    return sorted(frame.iterrows(), key=lambda kv: (-areas[kv[0]], kv[0]))


def _neighbour_items(ax, geo: Geometries, regency: str) -> list:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    return [(row["label_x"], row["label_y"], short_name(row["name"]).upper(),
             {"ha": "center", "va": "center", "fontsize": 6, "color": "#8a8a8a", "style": "italic"})
            for code, row in geo.regencies.iterrows()
            if code != regency and x0 < row["label_x"] < x1 and y0 < row["label_y"] < y1]


def _points(ax, points) -> Line2D:
    """Company points: sized by workers while few; above DETAILED_POINTS uniform small rasterized
    dots (drawn as one marker path: 100,000 points take well under a second). Returns the legend entry."""
    xs, ys, sizes = points
    if len(xs) <= DETAILED_POINTS:
        if len(xs):
            ax.scatter(xs, ys, s=sizes, c=POINT_COLOUR, edgecolors="white", linewidths=0.4, alpha=0.85, zorder=5)
        return Line2D([], [], marker="o", linestyle="", markerfacecolor=POINT_COLOUR, markeredgecolor="white",
                      markersize=5, label="Perusahaan\n(ukuran = jumlah TKA)")
    ax.plot(xs, ys, linestyle="", marker="o", markersize=1.1, markeredgewidth=0, color=POINT_COLOUR, alpha=0.55,
            zorder=5, rasterized=True)
    return Line2D([], [], marker="o", linestyle="", markerfacecolor=POINT_COLOUR, markeredgewidth=0,
                  markersize=3, label=f"Perusahaan ({number(len(xs))} titik;\n1 titik = 1 perusahaan)")


def _locator(fig, geo: Geometries, regency: str, district: str | None = None):
    inset = fig.add_axes((0.74, 0.50, 0.25, 0.40))
    geo.regencies.plot(ax=inset, color="#e6e6e6", edgecolor="#aaaaaa", linewidth=0.3)
    geo.regencies.loc[[regency]].plot(ax=inset, color="#e34a33", edgecolor="black", linewidth=0.4)
    if district:  # the district itself, inside its highlighted regency
        geo.districts.loc[[district]].plot(ax=inset, color="black", linewidth=0)
    # Framed after the last plot: geopandas labels the axes "Easting/Northing [metre]" on each plot.
    carto.frame_axes(inset, geo.province.total_bounds, pad=0.02)
    inset.set_facecolor("white")
    return inset


def point_sizes(workers: list) -> list[float]:
    """Marker area grows with the square root of workers; hidden counts get the small size."""
    return [8 + 10 * math.sqrt(w if isinstance(w, int) else 1) for w in workers]


def district_map(geo: Geometries, district: str, workers, points, threshold: int | None, source: str,
                 title: str, bins=None) -> bytes:
    """One district of a regency report: the district shaded, its neighbours named, company points.
    `bins`: the classes of the regency's districts, so every district page shares one legend."""
    fig = carto.figure(180, 118)
    ax = fig.add_axes(ATLAS_MAP)
    own = geo.districts.loc[[district]]
    geo.districts.plot(ax=ax, color="#eeeeee", edgecolor="#aaaaaa", linewidth=0.4)
    bins = classes([workers], threshold) if bins is None else bins
    own.plot(ax=ax, color=_colour(workers, bins), edgecolor="black", linewidth=1.2)
    carto.frame_axes(ax, own.total_bounds, pad=0.15)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    fig.legend(handles=_legend_items(bins, threshold) + [_points(ax, points)], title="TKA per kecamatan",
               loc="lower left", bbox_to_anchor=(0.735, 0.08), fontsize=6.5, title_fontsize=7, frameon=False)
    obstacles = [carto.north_arrow(ax), carto.scale_bar(ax)]
    near = [(code, row) for code, row in _by_area(geo.districts)
            if x0 < row["label_x"] < x1 and y0 < row["label_y"] < y1]
    near.sort(key=lambda kv: kv[0] != district)  # the district itself first
    items = [(row["label_x"], row["label_y"], row["name"],
              {"ha": "center", "va": "center", "fontsize": 7 if code == district else 5.5,
               "color": "#222222" if code == district else "#8a8a8a",
               "fontweight": "bold" if code == district else "normal", "path_effects": carto.HALO, "zorder": 6})
             for code, row in near]
    carto.place_labels(ax, items, obstacles)
    _locator(fig, geo, district[:5], district)
    fig.text(0.01, 0.965, title, fontsize=10, fontweight="bold", va="top")
    carto.source(fig, source)
    return carto.png(fig)
