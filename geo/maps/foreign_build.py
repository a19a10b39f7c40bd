"""Build the foreign nationals' map page (issue 17 item 5): the regions as a choropleth of persons
present, and empty layers that static/js/pantau-foreign.js fills at run time with the numbers,
lodgings, monitoring activities and, for roles allowed personal data only, residence points."""

from __future__ import annotations

from dataclasses import dataclass

import folium
import folium.plugins as plugins
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from geo.maps.assets import STATIC_URL, localize
from geo.maps.basemap import add_base_layers
from geo.maps.build import PENDING_FILL, short_name
from geo.maps.foreign import TITLE
from geo.maps.jsutil import js_literal
from geo.maps.legend import Legend, legend_pending_html
from geo.maps.regions import LEVEL_LABEL
from geo.maps.scale import MetricScale
from geo.settings import MapSettings


@dataclass(frozen=True)
class ForeignPage:
    level: str  # province | regency | district
    region_level: str  # regency | district | village
    child_url: str | None  # "/maps/foreign/regency/{code}", None at the deepest level
    query: str  # the page's filters, kept on drill-down links
    stats_url: str
    lodgings_url: str
    activities_url: str
    residences_url: str | None  # None: the role may not see residences (no layer, no URL)
    bbox: tuple[float, float, float, float]


class ForeignLayers(JSCSSMixin, MacroElement):
    default_js = [("pantau_labels_js", f"{STATIC_URL}/js/pantau-labels.js"),
                  ("pantau_foreign_js", f"{STATIC_URL}/js/pantau-foreign.js")]
    default_css = [("pantau_map_css", f"{STATIC_URL}/css/pantau-map.css"),
                   ("pantau_labels_css", f"{STATIC_URL}/css/pantau-labels.css")]
    _template = Template(
        """{% macro script(this, kwargs) %}
        window.PANTAU_FOREIGN_READY = PantauForeign.start(Object.assign({{ this.config }}, {
            map: {{ this._parent.get_name() }},
            regions: {{ this.regions }},
            labels: {{ this.labels }},
            lodgings: {{ this.lodgings }},
            activities: {{ this.activities }},
            residences: {{ this.residences }}
        }));
        {% endmacro %}"""
    )

    def __init__(self, config: dict, regions: str, labels: str, lodgings: str, activities: str, residences: str) -> None:
        super().__init__()
        self._name = "ForeignLayers"
        self.config = js_literal(config)
        self.regions, self.labels, self.lodgings, self.activities = regions, labels, lodgings, activities
        self.residences = residences


def _prepare(fc: dict, page: ForeignPage) -> dict:
    features = []
    for f in fc["features"]:
        p = f["properties"]
        props = {"code": p["code"], "name": p["name"], "label": short_name(p["name"]), "label_point": p["label_point"]}
        if page.child_url:
            props["href"] = page.child_url.format(code=p["code"]) + (f"?{page.query}" if page.query else "")
        features.append({"type": "Feature", "id": f.get("id"), "geometry": f["geometry"], "properties": props})
    return {"type": "FeatureCollection", "features": features}


def build_foreign_map(fc: dict, page: ForeignPage, settings: MapSettings) -> folium.Map:
    west, south, east, north = page.bbox
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=7, tiles=None,
                   control_scale=False, prefer_canvas=False, maxZoom=18, minZoom=5, zoomSnap=0.25)
    MetricScale().add_to(m)
    m.fit_bounds([[south, west], [north, east]], padding=(12, 12))
    level_label = LEVEL_LABEL[page.region_level]
    weight = 0.7 if page.region_level == "village" else 1.2
    regions = folium.GeoJson(
        _prepare(fc, page), name=f"Orang asing per {level_label.lower()}",
        style_function=lambda f: {"fillColor": PENDING_FILL, "color": "#4d4d4d", "weight": weight, "fillOpacity": 0.75},
        highlight_function=lambda f: {"weight": 3, "color": "#1f1f1f", "fillOpacity": 0.9},
        zoom_on_click=False,
    ).add_to(m)
    labels = folium.FeatureGroup(name="Label wilayah", show=True).add_to(m)
    lodgings = folium.FeatureGroup(name="Penginapan (jumlah tamu)", show=True).add_to(m)
    # Over the whole province the badges of ~100 districts would bury the regions: ticked from a regency down.
    activities = folium.FeatureGroup(name="Kegiatan pemantauan 12 bulan", show=page.level != "province").add_to(m)
    residences = (folium.FeatureGroup(name="Tempat tinggal (data pribadi)", show=False).add_to(m)
                  if page.residences_url else None)
    plugins.Fullscreen(position="topleft", title="Layar penuh", title_cancel="Keluar dari layar penuh").add_to(m)
    control = folium.LayerControl(position="topright", collapsed=False).add_to(m)
    add_base_layers(m, control.get_name(), settings)
    Legend(legend_pending_html(TITLE, f"per {level_label.lower()}")).add_to(m)
    ForeignLayers(
        {"statsUrl": page.stats_url, "lodgingsUrl": page.lodgings_url, "activitiesUrl": page.activities_url,
         "residencesUrl": page.residences_url, "level": page.level, "regionLabel": level_label},
        regions.get_name(), labels.get_name(), lodgings.get_name(), activities.get_name(),
        residences.get_name() if residences is not None else "null",
    ).add_to(m)
    localize(m)
    return m
