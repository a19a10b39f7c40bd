"""Folium elements that make the offline HTML report's maps readable: region labels (name and
count, placed by the web maps' static/js/pantau-labels.js) and the colour key. Their texts are
written as JSON and set as DOM text nodes (the same rule as geo.maps.textlayers: names from data
never become markup)."""

from __future__ import annotations

from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from geo.maps.assets import STATIC_URL
from geo.maps.jsutil import js_literal

_REPORT_JS = [("pantau_report_js", f"{STATIC_URL}/js/pantau-report.js")]


class RegionLabels(JSCSSMixin, MacroElement):
    """Labels in the parent layer (a FeatureGroup of the map `map_name`) for the regions of the
    GeoJson layer `regions_name`: `rows` [code, lat, lon, name, count as shown, weight]."""

    default_js = [("pantau_labels_js", f"{STATIC_URL}/js/pantau-labels.js"), *_REPORT_JS]
    default_css = [("pantau_labels_css", f"{STATIC_URL}/css/pantau-labels.css")]
    _template = Template(
        """{% macro script(this, kwargs) %}
        PantauReport.labels({{ this.map_name }}, {{ this._parent.get_name() }}, {{ this.regions_name }},
                            {{ this.rows }});
        {% endmacro %}"""
    )

    def __init__(self, map_name: str, regions_name: str, rows: list[list]) -> None:
        super().__init__()
        self._name = "RegionLabels"
        self.map_name, self.regions_name = map_name, regions_name
        self.rows = js_literal(rows)


class MapLegend(JSCSSMixin, MacroElement):
    """The colour key of the parent map: a title, [colour, text] rows and the company points' entry."""

    default_js = _REPORT_JS
    _template = Template(
        """{% macro script(this, kwargs) %}
        PantauReport.legend({{ this._parent.get_name() }}, {{ this.spec }});
        {% endmacro %}"""
    )

    def __init__(self, title: str, rows: list[tuple[str, str]], points: str | None) -> None:
        super().__init__()
        self._name = "MapLegend"
        self.spec = js_literal({"title": title, "rows": [list(r) for r in rows], "points": points})
