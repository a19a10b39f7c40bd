"""Folium elements for maps whose data texts (company and region names) reach the page only as DOM
text nodes: the data is written as JSON (geo.maps.jsutil) and static/js/pantau-report.js builds the
markers and tooltips. Folium's own Tooltip/GeoJsonTooltip put text into JavaScript template
strings and innerHTML, where a name such as "PT ${alert(1)} Jaya" or "<img onerror=...>" runs."""

from __future__ import annotations

from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from geo.maps.assets import STATIC_URL
from geo.maps.jsutil import js_literal

_REPORT_JS = [("pantau_report_js", f"{STATIC_URL}/js/pantau-report.js")]


class CompanyPoints(JSCSSMixin, MacroElement):
    """Circle markers with a text tooltip, added to the parent layer (a FeatureGroup or a
    MarkerCluster). `rows`: [lat, lon, tooltip text, radius] each."""

    default_js = _REPORT_JS
    _template = Template(
        """{% macro script(this, kwargs) %}
        PantauReport.companies({{ this._parent.get_name() }}, {{ this.rows }});
        {% endmacro %}"""
    )

    def __init__(self, rows: list[list]) -> None:
        super().__init__()
        self._name = "CompanyPoints"
        self.rows = js_literal(rows)


class RegionTooltips(JSCSSMixin, MacroElement):
    """A tooltip table on each feature of the parent GeoJson: `fields` as [(property, label)]."""

    default_js = _REPORT_JS
    _template = Template(
        """{% macro script(this, kwargs) %}
        PantauReport.regionTooltips({{ this._parent.get_name() }}, {{ this.fields }});
        {% endmacro %}"""
    )

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        super().__init__()
        self._name = "RegionTooltips"
        self.fields = js_literal([list(f) for f in fields])

