"""Map settings: optional basemap tile servers (empty = none; the maps work offline without them)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MapSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="PANTAU_")

    basemap_url: str = Field(default="", description="XYZ tile URL, e.g. a government tile server; empty = no basemap")
    basemap_attribution: str = Field(default="© OpenStreetMap contributors")
    satellite_url: str = Field(default="", description="XYZ tile URL of satellite imagery; empty = none")
    satellite_attribution: str = Field(default="")


@lru_cache
def get_map_settings() -> MapSettings:
    return MapSettings()
