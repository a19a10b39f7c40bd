"""Caching statistics responses: keyed by what they depend on, including the data versions that
every write bumps (migration 0040), so an edit or import is reflected on the next request."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Every table a statistic reads.
STATS_TABLES = ("boundaries", "companies", "foreign_workers", "inspections")


class StatsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="PANTAU_STATS_")

    cache_mb: int = Field(default=16, ge=0, description="in-process statistics cache per worker; 0 = off")


@lru_cache(maxsize=1)
def stats_cache_mb() -> int:
    return StatsSettings().cache_mb
