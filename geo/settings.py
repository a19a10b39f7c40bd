"""Configuration from the environment (and an optional .env file).

Small prefixed settings classes, one per concern, so each part of Pantau reads only what it needs.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class DatabaseSettings(BaseSettings):
    """Where the database is. Without DATABASE_URL Pantau runs its own cluster under PANTAU_HOME."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="PANTAU_")

    url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "PANTAU_DATABASE_URL"),
        description="libpq URL of an existing PostGIS database; unset = embedded cluster",
    )
    home: Path = Field(
        default=PROJECT_ROOT / ".pantau",
        description="folder for the embedded cluster, caches and generated secrets",
    )
    pool_min: int = Field(default=1, ge=0)
    pool_max: int = Field(default=10, ge=1)
    pool_wait_s: float = Field(default=5.0, gt=0, le=60,
                               description="longest a request waits for a connection before 503 'server busy'")
    pool_max_waiting: int = Field(default=1024, ge=1, description="requests that may wait for a connection at once")
    statement_timeout_ms: int = Field(default=30_000, ge=100)


class BoundarySettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="PANTAU_BOUNDARIES_")

    source: str | None = Field(
        default=None,
        description="directory or http(s) base URL holding the boundary files; "
        "default: the workspace mirror ../shared/boundaries, then the manifest's download_base if it has one",
    )
    manifest: Path = PROJECT_ROOT / "data" / "boundaries" / "manifest.json"
    home_province: str = Field(
        default="62",
        pattern=r"^\d{2}$",
        validation_alias=AliasChoices("PANTAU_PROVINCE"),
        description="the province the maps and reports cover (62 = Kalimantan Tengah), also when the "
        "national boundaries are loaded",
    )


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST", "PANTAU_HOST"))
    port: int = Field(default=8000, ge=1, le=65535, validation_alias=AliasChoices("PORT", "PANTAU_PORT"))
    workers: int = Field(default=1, ge=1, validation_alias=AliasChoices("PANTAU_WORKERS"))


class AuthSettings(BaseSettings):
    """Token signing and sessions. Secrets come only from the environment (or, in development,
    a random key generated once into PANTAU_HOME/secret_key, readable by its owner only)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="PANTAU_")

    env: str = Field(default="development", pattern="^(development|production)$")
    secret_key: str | None = Field(default=None, min_length=32, repr=False)
    previous_secret_key: str | None = Field(
        default=None, min_length=32, repr=False,
        description="the key before a rotation: tokens it signed stay valid until they expire",
    )
    token_ttl_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_ttl_minutes: int = Field(default=8 * 60, ge=5, le=7 * 24 * 60)
    cookie_secure: bool = Field(default=False, description="set true behind HTTPS")
    login_attempts_per_minute: int = Field(default=5, ge=1)
    max_upload_mb: int = Field(default=50, ge=1)


class ImportSettings(BaseSettings):
    """Limits of one import (API and `pantau import`); a file beyond them is refused (HTTP 413) with
    the limit named. Imports run in a child process, so the limits bound it without touching the server."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="PANTAU_IMPORT_")

    max_columns: int = Field(default=200, ge=1, description="columns of the header row")
    max_line_kb: int = Field(default=64, ge=1, description="longest line of a CSV")
    max_cells: int = Field(default=20_000_000, ge=1, description="rows x columns")
    max_xlsx_mb: int = Field(default=200, ge=1, description="an XLSX's size once inflated")
    max_xlsx_ratio: int = Field(default=100, ge=2, description="inflated : compressed, per XLSX part")
    timeout_s: int = Field(default=600, ge=1, description="wall clock per import; the import is rolled back")
    memory_mb: int = Field(default=2048, ge=256, description="memory one import process may add")
    concurrency: int = Field(default=2, ge=1, description="imports at once per server worker; the next ones wait")
    queue_s: int = Field(default=30, ge=0, description="longest an import waits for its turn before 503")


class ReportSettings(BaseSettings):
    """Background report jobs (POST /api/reports/jobs): each runs in a child process of the server
    worker that accepted it; the status and the file are kept in the database (report_jobs)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="PANTAU_REPORT_")

    concurrency: int = Field(default=1, ge=1, description="report jobs building at once per server worker")
    queue: int = Field(default=4, ge=0, description="jobs that may wait for their turn per worker; beyond, 503")
    timeout_s: int = Field(default=900, ge=10, description="wall clock of one job; then it is killed and fails")
    keep_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60, description="how long a finished job and its file stay")


class Settings(BaseSettings):
    """Everything together; what create_app(settings) receives."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    boundaries: BoundarySettings = Field(default_factory=BoundarySettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)


@lru_cache
def get_settings() -> Settings:
    return Settings()


@lru_cache
def home_province() -> str:
    """E.g. '62': the province page, the province map and the reports are of this province."""
    return BoundarySettings().home_province
