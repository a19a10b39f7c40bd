"""The map scale in kilometres only: Leaflet's default scale control (folium's control_scale)
also draws miles, which nobody here measures in."""

from __future__ import annotations

from branca.element import MacroElement
from jinja2 import Template


class MetricScale(MacroElement):
    _template = Template(
        """{% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false, position: "bottomleft"}).addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"
