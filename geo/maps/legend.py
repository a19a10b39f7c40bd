"""The choropleth legend as a Leaflet control: what is shown, how it is classed, the classes,
and the marker colours of permit status."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape

from branca.element import MacroElement
from jinja2 import Template

from geo.maps.classify import Bin, Classification
from geo.maps.jsutil import js_literal

PERMIT_LEGEND = (
    ("valid", "#1a9850", "RPTKA berlaku"),
    ("expiring", "#fdae61", "RPTKA berakhir dalam 90 hari"),
    ("expired", "#d73027", "RPTKA kedaluwarsa"),
    ("unknown", "#7f7f7f", "RPTKA tidak tercatat"),
)


_CLUSTER_ROW = ('<div class="lg-row"><span class="lg-cluster"></span>Kelompok perusahaan: angka = jumlah, '
                'klik untuk memperbesar</div>')


def legend_html(title: str, subtitle: str, classes: Classification, filters_text: str | None, *,
                markers_title: str = "Perusahaan (penanda)",
                markers: Iterable[tuple[str, str]] = tuple((c, label) for _, c, label in PERMIT_LEGEND),
                extra_rows: str = _CLUSTER_ROW, note_html: str = "",
                bin_label: Callable[[Bin], str] = lambda b: b.label) -> str:
    """Title, classes and their counts, then the markers (colour, label) under `markers_title`.
    Every text is escaped here; `extra_rows` and `note_html` are constant markup of the callers."""
    rows = "".join(
        f'<div class="lg-row"><span class="lg-swatch" style="background:{b.color}"></span>'
        f"{escape(bin_label(b))} <small>({b.count} wilayah)</small></div>"
        for b in classes.bins
    )
    marks = "".join(
        f'<div class="lg-row"><span class="lg-dot" style="background:{color}"></span>{escape(label)}</div>'
        for color, label in markers
    ) + extra_rows
    flt = f'<div class="lg-filter">Filter: {escape(filters_text)}</div>' if filters_text else ""
    return (
        f'<div class="lg-title">{escape(title)}</div><div class="lg-sub">{escape(subtitle)}</div>'
        f'<div class="lg-method">Kelas: {escape(classes.method)}</div>{rows}'
        f'<div class="lg-title lg-gap">{escape(markers_title)}</div>{marks}{note_html}{flt}'
    )


def legend_pending_html(title: str, subtitle: str) -> str:
    """The legend until the page's numbers arrive (filled by static/js/pantau-map.js)."""
    return (f'<div class="lg-title">{escape(title)}</div><div class="lg-sub">{escape(subtitle)}</div>'
            '<div class="lg-method" data-pending="1">Memuat statistik…</div>')


class Legend(MacroElement):
    """A bottom-right Leaflet control holding pre-escaped legend HTML."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "pantau-legend leaflet-bar");
                div.innerHTML = {{ this.html_json }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}"""
    )

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html_json = js_literal(html)
