"""Settings of the in-process cache of feature pages (see api.response_cache)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class FeaturesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="PANTAU_FEATURES_")

    cache_mb: int = Field(default=32, ge=0, description="in-process cache of item pages per worker; 0 = off")
