"""Build a monitoring map page's Folium map: choropleth of one measure per region, labels,
legend, controls, and empty layers that static/js/pantau-map.js fills at run time with the
companies (clustered), inspections and a heat map. No company is embedded in the HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass

import folium
import folium.plugins as plugins
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from geo import labels
from geo.formatting import number
from geo.maps.assets import STATIC_URL, localize, vendor_url
from geo.maps.basemap import add_base_layers
from geo.maps.classify import SMALL_BELOW, classify
from geo.maps.jsutil import js_literal
from geo.maps.legend import Legend, legend_html, legend_pending_html
from geo.maps.regions import LEVEL_LABEL
from geo.maps.scale import MetricScale
from geo.settings import MapSettings

# Selectable measures: stats field → label (Indonesian).
MEASURES = {
    "foreign_workers": "Pekerja asing (aktif)",
    "companies": "Perusahaan",
    "permits_expiring_90d": "Izin pekerja habis ≤ 90 hari",
    "not_inspected_12m": "Perusahaan belum diperiksa 12 bulan",
}
DEFAULT_MEASURE = "foreign_workers"
# Counts of persons: reports hide small ones, so their maps class them apart (geo.maps.classify).
PERSON_MEASURES = ("foreign_workers", "permits_expiring_90d")
PENDING_FILL = "#dcd8cf"  # regions before their numbers arrive (or offline)


# Vendor files the run-time script needs beyond what the Folium plugins bring.
_RUNTIME_JS = [
    ("supercluster", vendor_url("supercluster/supercluster.min.js")),
    ("leaflet_minimap_js", vendor_url("minimap/Control.MiniMap.min.js")),
    ("leaflet_heat_js", vendor_url("heat/leaflet-heat.js")),
    ("leaflet_search_js", vendor_url("search/dist/leaflet-search.min.js")),
    ("polylinemeasure_js", vendor_url("polylinemeasure/Leaflet.PolylineMeasure.js")),
    ("pantau_labels_js", f"{STATIC_URL}/js/pantau-labels.js"),
    ("pantau_map_js", f"{STATIC_URL}/js/pantau-map.js"),
]
_RUNTIME_CSS = [
    ("markercluster_css", vendor_url("markercluster/MarkerCluster.css")),
    ("markercluster_default_css", vendor_url("markercluster/MarkerCluster.Default.css")),
    ("leaflet_minimap_css", vendor_url("minimap/Control.MiniMap.min.css")),
    ("leaflet_search_css", vendor_url("search/dist/leaflet-search.min.css")),
    ("polylinemeasure_css", vendor_url("polylinemeasure/Leaflet.PolylineMeasure.css")),
    ("pantau_map_css", f"{STATIC_URL}/css/pantau-map.css"),
    ("pantau_labels_css", f"{STATIC_URL}/css/pantau-labels.css"),
    ("pantau_search_css", f"{STATIC_URL}/css/pantau-search.css"),
]


@dataclass(frozen=True)
class MapPage:
    level: str  # the page's level: province | regency | district
    region_level: str  # the level of the regions drawn
    measure: str
    child_url: str | None  # "/maps/regency/{code}" pattern for drill-down, None at the deepest level
    query: str  # the page's filter query string ("" or "sector=..."), kept on drill-down links
    points_url: str  # run-time company points (same filters)
    stats_url: str  # run-time numbers per region, colours and legend (same filters)
    filters_text: str | None
    bbox: tuple[float, float, float, float]
    context: dict | None = None  # the province's regencies, coarse: the minimap


class RuntimeLayers(JSCSSMixin, MacroElement):
    """Hands the run-time script the map and its empty layers, and loads that script's assets."""

    default_js = _RUNTIME_JS
    default_css = _RUNTIME_CSS
    _template = Template(
        """{% macro script(this, kwargs) %}
        window.PANTAU_MAP_READY = PantauMap.start(Object.assign({{ this.config }}, {
            map: {{ this._parent.get_name() }},
            regions: {{ this.regions }},
            companies: {{ this.companies }},
            inspections: {{ this.inspections }},
            heat: {{ this.heat }},
            labels: {{ this.labels }}
        }));
        {% endmacro %}"""
    )

    def __init__(self, config: dict, regions: str, companies: str, inspections: str, heat: str, labels: str) -> None:
        super().__init__()
        self._name = "RuntimeLayers"
        self.config = js_literal(config)
        self.regions, self.companies, self.inspections, self.heat = regions, companies, inspections, heat
        self.labels = labels


def short_name(name: str) -> str:
    """Map labels drop the "Kabupaten " prefix (the legend says what the regions are); "Kota" stays."""
    return name.removeprefix("Kabupaten ")


def _prepare(fc: dict, page: MapPage) -> dict:
    """The boundaries with their drill-down link; the numbers, colours, tooltips and labels come at
    run time from `page.stats_url` (static/js/pantau-map.js)."""
    features = []
    for f in fc["features"]:
        p = f["properties"]
        props = {"code": p["code"], "name": p["name"], "label": short_name(p["name"]), "label_point": p["label_point"]}
        if page.child_url:
            props["href"] = page.child_url.format(code=p["code"]) + (f"?{page.query}" if page.query else "")
        features.append({"type": "Feature", "id": f.get("id"), "geometry": f["geometry"], "properties": props})
    return {"type": "FeatureCollection", "features": features}


def build_map(fc: dict, page: MapPage, settings: MapSettings) -> folium.Map:
    """`fc`: geo.maps.regions.boundaries_geojson(...) parsed, the regions of `page.region_level`
    (outlines only: the page is sent without waiting for the statistics)."""
    west, south, east, north = page.bbox
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2], zoom_start=7, tiles=None,
        control_scale=False, prefer_canvas=False, maxZoom=18, minZoom=5, zoomSnap=0.25,
    )
    MetricScale().add_to(m)  # kilometres only (folium's control_scale adds miles)
    m.fit_bounds([[south, west], [north, east]], padding=(12, 12))

    data = _prepare(fc, page)
    level_label = LEVEL_LABEL[page.region_level]
    weight = 0.7 if page.region_level == "village" else 1.2  # many small villages: thin outlines
    regions = folium.GeoJson(
        data, name=f"Batas wilayah ({level_label.lower()})",
        style_function=lambda f: {"fillColor": PENDING_FILL, "color": "#4d4d4d", "weight": weight, "fillOpacity": 0.75},
        highlight_function=lambda f: {"weight": 3, "color": "#1f1f1f", "fillOpacity": 0.9},
        zoom_on_click=False,
    ).add_to(m)

    labels = folium.FeatureGroup(name="Label wilayah", show=True).add_to(m)
    companies = folium.FeatureGroup(name="Perusahaan", show=True).add_to(m)
    inspections = folium.FeatureGroup(name="Pemeriksaan 12 bulan terakhir", show=False).add_to(m)
    heat = folium.FeatureGroup(name="Peta panas perusahaan", show=False).add_to(m)

    plugins.Fullscreen(position="topleft", title="Layar penuh", title_cancel="Keluar dari layar penuh").add_to(m)
    control = folium.LayerControl(position="topright", collapsed=False).add_to(m)
    add_base_layers(m, control.get_name(), settings)  # geo.maps.basemap: only configured ones
    Legend(legend_pending_html(MEASURES[page.measure], f"per {level_label.lower()}")).add_to(m)
    RuntimeLayers(
        {"pointsUrl": page.points_url, "statsUrl": page.stats_url, "level": page.level, "measure": page.measure,
         "regionLabel": level_label, "measures": MEASURES, "context": page.context},
        regions.get_name(), companies.get_name(), inspections.get_name(), heat.get_name(), labels.get_name(),
    ).add_to(m)
    localize(m)
    return m


def region_values(rows: list[dict], measure: str, title: str, subtitle: str, filters_text: str | None) -> dict:
    """The run-time part of a choropleth: per region its numbers and fill colour, and the legend
    (classes by geo.maps.classify, the same as the reports' maps: `breaks` lists them)."""
    classes = classify([r.get(measure) or 0 for r in rows], SMALL_BELOW if measure in PERSON_MEASURES else None)
    regions = {}
    for r in rows:
        nat = r.get("by_nationality") or {}
        regions[r["code"]] = {
            "fill": classes.color(r.get(measure) or 0),
            "values": {k: r.get(k) or 0 for k in MEASURES},
            "nationalities": ", ".join(f"{labels.nationality(k)} {number(v)}" for k, v in list(nat.items())[:5]) or "–",
        }
    return {"measure": measure, "method": classes.method, "breaks": classes.breaks,
            "legend": legend_html(title, subtitle, classes, filters_text), "regions": regions}


# An inline script in Folium's <head> (L_NO_TOUCH/L_DISABLE_3D flags): moved into the one script of
# the page, so each map has a single inline script to allow by its hash (geo.maps.csp).
_HEAD_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def render_parts(m: folium.Map) -> dict[str, str]:
    """The map as three pieces for a page template: <head> assets (no inline script), the map
    <div>, and the script, to be written with geo.maps.csp so the page's policy can allow it."""
    root = m.get_root()
    root.render()
    head = root.header.render()
    moved = _HEAD_SCRIPT.findall(head)
    return {"head": _HEAD_SCRIPT.sub("", head), "body": root.html.render(),
            "script": "".join(moved) + root.script.render()}


__all__ = ["DEFAULT_MEASURE", "MEASURES", "MapPage", "build_map", "region_values", "render_parts"]
