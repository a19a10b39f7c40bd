"""The base layers a map page offers (Settings.maps): "Tanpa peta dasar" (none), a raster tile
server, a vector basemap from a local PMTiles file served by Pantau (PMTILES_URL, api/web/basemap.py),
satellite imagery. Only configured ones are offered; with none configured the page has no base-layer
choice and loads nothing for it. static/js/pantau-basemap.js adds them to the layer control."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from pathlib import Path

from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template
from pmtiles.reader import Reader
from pmtiles.tile import TileType

from geo.maps.assets import STATIC_URL, vendor_url
from geo.maps.jsutil import js_literal
from geo.settings import MapSettings

log = logging.getLogger("pantau.maps")

PMTILES_URL = "/maps/basemap.pmtiles"  # must end in .pmtiles: protomaps-leaflet picks its reader by it
LABELS = {
    "none": "Tanpa peta dasar",
    "tiles": "Peta dasar (server ubin)",
    "pmtiles": "Peta dasar (berkas lokal)",
    "satellite": "Citra satelit",
}


@dataclass(frozen=True)
class PmtilesInfo:
    min_zoom: int
    max_zoom: int


_info_cache: dict[tuple, PmtilesInfo | None] = {}


def pmtiles_info(path: Path | None) -> PmtilesInfo | None:
    """The file's zoom range from its header, or None when it is missing or not a vector PMTiles
    file (the option is then left out, with a warning). Re-read only when the file changes."""
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        log.warning("PANTAU_BASEMAP_PMTILES: %s cannot be read; the map pages offer no local basemap", path)
        return None
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _info_cache:
        _info_cache.clear()
        try:
            with path.open("rb") as f:
                header = Reader(lambda offset, length: (f.seek(offset), f.read(length))[1]).header()
            if header["tile_type"] != TileType.MVT:
                raise ValueError("not vector tiles (MVT)")
            _info_cache[key] = PmtilesInfo(header["min_zoom"], header["max_zoom"])
        except Exception as exc:  # a broken file must not break the map pages
            log.warning("PANTAU_BASEMAP_PMTILES: %s is not a usable PMTiles v3 vector file (%s)", path, exc)
            _info_cache[key] = None
    return _info_cache[key]


def base_layers(settings: MapSettings) -> list[dict]:
    """The options of the page's base-layer choice, in the order shown; [] when none is configured.
    Attributions are escaped here: Leaflet writes them as HTML, and settings hold plain text."""
    options = []
    info = pmtiles_info(settings.basemap_pmtiles)
    if info is not None:
        options.append({"id": "pmtiles", "kind": "pmtiles", "url": PMTILES_URL, "maxDataZoom": info.max_zoom,
                        "attribution": html.escape(settings.basemap_pmtiles_attribution)})
    if settings.basemap_tiles_url:
        options.append({"id": "tiles", "kind": "tiles", "url": settings.basemap_tiles_url,
                        "attribution": html.escape(settings.basemap_attribution)})
    if settings.satellite_url:
        options.append({"id": "satellite", "kind": "tiles", "url": settings.satellite_url,
                        "attribution": html.escape(settings.satellite_attribution or LABELS["satellite"])})
    if not options:
        return []
    return [{"id": o["id"], "label": LABELS[o["id"]], **o} for o in [{"id": "none", "kind": "none"}, *options]]


class BaseLayers(JSCSSMixin, MacroElement):
    """Loads static/js/pantau-basemap.js (and protomaps-leaflet when a PMTiles file is offered) and
    hands it the map, its layer control and the options."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        PantauBasemap.start({ map: {{ this._parent.get_name() }}, control: {{ this.control }},
                              layers: {{ this.layers }} });
        {% endmacro %}"""
    )

    def __init__(self, options: list[dict], control_name: str) -> None:
        super().__init__()
        self._name = "BaseLayers"
        self.layers = js_literal(options)
        self.control = control_name
        self.default_js = [("pantau_basemap_js", f"{STATIC_URL}/js/pantau-basemap.js")]
        if any(o["kind"] == "pmtiles" for o in options):
            self.default_js.insert(0, ("protomaps_leaflet_js", vendor_url("protomaps-leaflet/protomaps-leaflet.js")))
        self.default_css = [("pantau_basemap_css", f"{STATIC_URL}/css/pantau-basemap.css")]


def add_base_layers(m, control_name: str, settings: MapSettings) -> None:
    """Offer the configured base layers on map `m` (call after its LayerControl is added)."""
    options = base_layers(settings)
    if options:
        BaseLayers(options, control_name).add_to(m)
