"""Map settings: the optional base maps under the data. None is configured by default: the maps
then draw no base map and need nothing but Pantau (offline). See docs/basemap.md."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A tile server's host as it may stand in a Content-Security-Policy source: letters, digits, dots,
# dashes, an optional port, and Leaflet's "{s}." subdomain placeholder (written "*." in the policy).
_HOST = re.compile(r"^(\{s\}\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$")


def _tile_template(value: str, name: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if any(ch.isspace() or ch in "\"'`<>\\" for ch in value):
        raise ValueError(f"{name}: spaces, quotes, '<', '>' and backslashes are not allowed in a tile URL")
    if not all(p in value for p in ("{z}", "{x}")) or not ("{y}" in value or "{-y}" in value):
        raise ValueError(f"{name}: a tile URL template needs {{z}}, {{x}} and {{y}}, e.g. https://tiles.example.go.id/{{z}}/{{x}}/{{y}}.png")
    if value.startswith("/") and not value.startswith("//"):
        return value  # a path on this server (e.g. a tile server behind the same reverse proxy)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not _HOST.match(parts.netloc):
        raise ValueError(f"{name}: expected http(s)://host[:port]/...{{z}}/{{x}}/{{y}}... or a path starting with '/'")
    return value


def tile_origin(template: str) -> str | None:
    """The origin a browser loads a tile template's images from, as a CSP source (None: this server)."""
    if not template or template.startswith("/"):
        return None
    parts = urlsplit(template)
    return f"{parts.scheme}://{parts.netloc.replace('{s}.', '*.')}"


class MapSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="PANTAU_", populate_by_name=True)

    basemap_tiles_url: str = Field(
        default="", validation_alias=AliasChoices("PANTAU_BASEMAP_TILES_URL", "PANTAU_BASEMAP_URL"),
        description="XYZ raster tile URL template (the office's tile server, or a public one); empty = none",
    )
    basemap_attribution: str = Field(default="© OpenStreetMap contributors", max_length=300,
                                     description="credit shown with the tile server's base map (plain text)")
    basemap_pmtiles: Path | None = Field(
        default=None, description="a vector base map in a local PMTiles file (Protomaps basemap schema), "
        "served by Pantau and drawn in the browser; empty = none")
    basemap_pmtiles_attribution: str = Field(default="© OpenStreetMap contributors", max_length=300,
                                             description="credit shown with the PMTiles base map (plain text)")
    satellite_url: str = Field(default="", description="XYZ tile URL of satellite imagery; empty = none")
    satellite_attribution: str = Field(default="", max_length=300)

    @field_validator("basemap_tiles_url")
    @classmethod
    def _tiles(cls, value: str) -> str:
        return _tile_template(value, "PANTAU_BASEMAP_TILES_URL")

    @field_validator("satellite_url")
    @classmethod
    def _satellite(cls, value: str) -> str:
        return _tile_template(value, "PANTAU_SATELLITE_URL")

    @field_validator("basemap_pmtiles", mode="before")
    @classmethod
    def _pmtiles(cls, value):
        return None if value is None or not str(value).strip() else value

    def tile_origins(self) -> list[str]:
        """Where tile images come from besides this server: the page's img-src must allow them."""
        origins = [tile_origin(self.basemap_tiles_url), tile_origin(self.satellite_url)]
        return list(dict.fromkeys(o for o in origins if o))


@lru_cache
def get_map_settings() -> MapSettings:
    return MapSettings()
