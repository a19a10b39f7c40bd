"""Every knob of Pantau in one `Settings`, read from the environment (and an optional .env file) once
by each entry point (`pantau ...`, `api.main:app_from_env`, the benchmarks) and passed down:
`create_app(settings)` decides how the app behaves. Nothing else reads the environment for settings.

The sections only group the knobs; each knob keeps its own variable name (PANTAU_POOL_MAX,
DATABASE_URL, HOST ...). The README's settings table is `python -m geo.settings` (tests/test_settings.py
fails when they differ).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from dotenv import dotenv_values
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from geo.maps.tileurl import tile_origin, tile_template

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class _Section(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    env_prefix: ClassVar[str] = "PANTAU_"  # variable = prefix + field name, unless the field names its own


class DatabaseSettings(_Section):
    url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "PANTAU_DATABASE_URL"),
        description="an existing PostGIS database (libpq URL); unset = Pantau runs its own cluster")
    home: Path = Field(default=PROJECT_ROOT / ".pantau",
                       description="embedded cluster (`pg/`), its socket (`run/`), cached boundary files, generated secrets")
    pool_max: int = Field(default=10, ge=1, description="database connections each worker lends to requests at once; "
                          "with the one it reads data versions on, a worker never holds more than PANTAU_POOL_MAX + 1 "
                          "(`docs/scaling.md`)")
    pool_wait_s: float = Field(default=5.0, gt=0, le=60,
                               description="longest a request waits for a connection, then 503 \"server busy\"")
    pool_max_waiting: int = Field(default=1024, ge=1, description="requests that may wait for a connection at once, "
                                  "beyond them 503 \"server busy\"")
    statement_timeout_ms: int = Field(default=30_000, ge=100, description="longest a query may run")


class BoundarySettings(_Section):
    env_prefix: ClassVar[str] = "PANTAU_BOUNDARIES_"

    source: str | None = Field(
        default=None, description="where boundary files are copied from: a folder or an http(s) base URL; unset = "
        "the workspace mirror `../shared/boundaries`, then the manifest's download base (`data/boundaries/README.md`)")
    manifest: Path = Field(default=PROJECT_ROOT / "data" / "boundaries" / "manifest.json",
                           description="boundary manifest: sources, licence, checksums")
    home_province: str = Field(
        default="62", pattern=r"^\d{2}$", validation_alias=AliasChoices("PANTAU_PROVINCE"),
        description="the province the province map, home page and reports cover (also with the national "
        "boundaries loaded); its time zone (WIB, WITA or WIT) gives every page, API answer, report and export "
        "its \"today\" and \"data per\" (`geo/clock.py`, docs/reports.md)")


class ServerSettings(_Section):
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST", "PANTAU_HOST"),
                      description="address `pantau serve` listens on")
    port: int = Field(default=8000, ge=1, le=65535, validation_alias=AliasChoices("PORT", "PANTAU_PORT"),
                      description="port `pantau serve` listens on")
    workers: int = Field(default=1, ge=1, validation_alias=AliasChoices("PANTAU_WORKERS"),
                         description="uvicorn worker processes")


class AuthSettings(_Section):
    """Secrets come only from the environment (or, in development, a random key generated once into
    PANTAU_HOME/secret_key, readable by its owner only)."""

    env: str = Field(default="development", pattern="^(development|production)$",
                     description="`production`: the server refuses to start without `PANTAU_SECRET_KEY`")
    secret_key: str | None = Field(default=None, min_length=32, repr=False,
                                   description="signs access and session tokens (32+ characters)")
    previous_secret_key: str | None = Field(
        default=None, min_length=32, repr=False,
        description="the key before a rotation: tokens it signed stay valid until they expire")
    token_ttl_minutes: int = Field(default=30, ge=1, le=24 * 60, description="lifetime of an access token")
    session_ttl_minutes: int = Field(default=8 * 60, ge=5, le=7 * 24 * 60, description="lifetime of a web session")
    cookie_secure: bool = Field(default=False, description="session cookie only over HTTPS, and HSTS (behind HTTPS)")
    login_attempts_per_minute: int = Field(default=5, ge=1,
                                           description="failed logins a minute per address and user name, then 429")
    login_failures_per_address: int = Field(default=20, ge=1,
                                            description="failed logins per address in a window, whatever the user name")
    login_address_window_seconds: int = Field(default=900, ge=1, description="that window; also the window in which "
                                              "repeated login noise is audited as one row")
    hash_workers: int = Field(default=0, ge=0, description="threads checking passwords; `0` = half the cores, "
                              "at least 1, never more than the cores")
    hash_queue: int = Field(default=4, ge=0, description="password checks that may wait for a thread, "
                            "beyond them 503 \"server busy\"")
    max_upload_mb: int = Field(default=50, ge=1, description="larger uploads answer 413")
    max_photo_mb: int = Field(default=10, ge=1, description="one inspection photo (the web form); a larger one is "
                              "refused beside the field")


class HttpSettings(_Section):
    cors_origins: str = Field(default="", description="comma-separated origins whose browser code may call the API; "
                              "empty = none")
    max_json_kb: int = Field(default=1024, ge=1, description="larger non-upload bodies (JSON, forms) answer 413")
    trusted_proxies: str = Field(default="", description="comma-separated addresses/networks of reverse proxies whose "
                                 "`X-Forwarded-For` is believed; empty = none, the connection's address counts")

    @property
    def origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]


class CacheSettings(_Section):
    features_cache_mb: int = Field(default=32, ge=0, description="in-process cache of feature pages per worker "
                                   "(api/cache.py; every write invalidates it); `0` = off")
    stats_cache_mb: int = Field(default=16, ge=0, description="the same for statistics, the home page's figures and "
                                "the maps' numbers; the maps' company points get 4× this; `0` = off")
    tiles_cache_mb: int = Field(default=64, ge=0, description="the same for vector tiles; `0` = off")
    # 0 = browsers revalidate every tile (a cheap 304 when unchanged), so edits show at once.
    tiles_max_age: int = Field(default=0, ge=0, description="`Cache-Control: max-age` of tiles, seconds")


class ImportSettings(_Section):
    """Limits of one import (API and `pantau import`); a file beyond them is refused (HTTP 413) with
    the limit named. Imports run in a child process, so the limits bound it without touching the server."""

    env_prefix: ClassVar[str] = "PANTAU_IMPORT_"

    max_columns: int = Field(default=200, ge=1, description="header columns of an import file, beyond them 413 (API) "
                             "or a failure (`pantau import`; `--no-limits` lifts every import limit)")
    max_line_kb: int = Field(default=64, ge=1, description="longest CSV line of an import")
    max_cells: int = Field(default=20_000_000, ge=1, description="rows × columns of an import")
    max_xlsx_mb: int = Field(default=200, ge=1, description="an XLSX's size once inflated (from the zip directory, "
                             "before anything is inflated)")
    max_xlsx_ratio: int = Field(default=100, ge=2, description="inflated : compressed of an XLSX part over 1 MB "
                                "(zip bombs)")
    timeout_s: int = Field(default=600, ge=1, description="wall clock of one import (and its `statement_timeout`); "
                           "then it is killed and rolled back")
    memory_mb: int = Field(default=2048, ge=256, description="memory one import process may add (each import runs in "
                           "a child process)")
    concurrency: int = Field(default=2, ge=1, description="imports at once per server worker; the next ones wait")
    queue_s: int = Field(default=30, ge=0, description="longest an import waits for its turn, then 503 with "
                         "`Retry-After`")


class ReportSettings(_Section):
    """Background report jobs (POST /api/reports/jobs): each runs in a child process of the server
    worker that accepted it; the status and the file are kept in the database (report_jobs)."""

    env_prefix: ClassVar[str] = "PANTAU_REPORT_"

    concurrency: int = Field(default=1, ge=1, description="report jobs (the pages' \"Unduh laporan\") building at "
                             "once per server worker (docs/reports.md)")
    queue: int = Field(default=4, ge=0, description="report jobs that may wait for their turn per worker; beyond, 503 "
                       "with `Retry-After`")
    timeout_s: int = Field(default=900, ge=10, description="longest a report job may run; then it is killed and fails")
    keep_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60, description="how long a finished job and its file "
                              "are kept (in the database)")


class MapSettings(_Section):
    """The optional base maps under the data. None is configured by default: the maps then draw no
    base map and need nothing but Pantau (offline). See docs/basemap.md."""

    basemap_tiles_url: str = Field(
        default="", validation_alias=AliasChoices("PANTAU_BASEMAP_TILES_URL", "PANTAU_BASEMAP_URL"),
        description="a raster tile server, `https://host/{z}/{x}/{y}.png` (`{s}.` subdomains allowed) or a path on "
        "this server; its origin is added to the pages' `img-src`")
    basemap_attribution: str = Field(default="© OpenStreetMap contributors", max_length=300,
                                     description="credit shown with the tile server's base map (plain text, shown escaped)")
    basemap_pmtiles: Path | None = Field(
        default=None, description="a vector base map in a local PMTiles file (Protomaps basemap schema), served by "
        "Pantau to signed-in users (`/maps/basemap.pmtiles`, Range requests) and drawn in the browser: works offline "
        "(`docs/basemap.md`)")
    basemap_pmtiles_attribution: str = Field(default="© OpenStreetMap contributors", max_length=300,
                                             description="credit shown with the PMTiles base map (plain text)")
    satellite_url: str = Field(default="", description="a tile server of satellite imagery, like "
                               "`PANTAU_BASEMAP_TILES_URL`")
    satellite_attribution: str = Field(default="", max_length=300, description="credit shown with the satellite imagery")

    @field_validator("basemap_tiles_url")
    @classmethod
    def _tiles(cls, value: str) -> str:
        return tile_template(value, "PANTAU_BASEMAP_TILES_URL")

    @field_validator("satellite_url")
    @classmethod
    def _satellite(cls, value: str) -> str:
        return tile_template(value, "PANTAU_SATELLITE_URL")

    @field_validator("basemap_pmtiles", mode="before")
    @classmethod
    def _pmtiles(cls, value):
        return None if value is None or not str(value).strip() else value

    def tile_origins(self) -> list[str]:
        """Where tile images come from besides this server: the page's img-src must allow them."""
        origins = [tile_origin(self.basemap_tiles_url), tile_origin(self.satellite_url)]
        return list(dict.fromkeys(o for o in origins if o))


class MailSettings(_Section):
    """E-mail digests (`pantau digest send`, docs/digest.md). Without PANTAU_SMTP_URL nothing is sent."""

    smtp_url: str = Field(default="", repr=False, description="the SMTP server of the e-mail digests: "
                          "`smtp://user:password@host:587?starttls=true`, `smtps://...:465` or `smtp://host:25`; "
                          "empty = no mail is sent (docs/digest.md)")
    smtp_from: str = Field(default="Pantau <pantau@localhost>", max_length=300,
                           description="the From address of the digests")
    public_url: str = Field(default="", description="the site's address as users reach it, e.g. "
                            "`https://pantau.kalteng.go.id`: the links in the digests (required to send them)")

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: str) -> str:
        # Checked by `pantau digest send` (geo/digest/smtp.py), not here: a refused settings value is
        # printed whole, and this one may hold a password.
        return value.strip()

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("PANTAU_PUBLIC_URL: an http(s) address, e.g. https://pantau.kalteng.go.id")
        return value


def variables(section: type[_Section], name: str, field: FieldInfo) -> list[str]:
    """The environment variables of a knob, the first one preferred."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str)]
    return [section.env_prefix + name.upper()]


class _Variables(PydanticBaseSettingsSource):
    """Each knob from its own variable: the environment first, then a .env file in the working directory."""

    def get_field_value(self, field: FieldInfo, field_name: str):  # required by the base class; __call__ does it all
        return None, field_name, False

    def __call__(self) -> dict:
        found = {k.upper(): v for k, v in dotenv_values(".env").items() if v is not None}
        found.update((k.upper(), v) for k, v in os.environ.items())
        out: dict = {}
        for section_name, info in self.settings_cls.model_fields.items():
            section = info.annotation
            for name, field in section.model_fields.items():
                var = next((v for v in variables(section, name, field) if v in found), None)
                if var is not None:
                    out.setdefault(section_name, {})[name] = found[var]
        return out


class Settings(BaseSettings):
    """Everything together; what create_app(settings) receives. Give sections or single knobs
    in code, e.g. Settings(cache={"features_cache_mb": 0}); the rest comes from the environment."""

    model_config = SettingsConfigDict(extra="forbid")

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    boundaries: BoundarySettings = Field(default_factory=BoundarySettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    maps: MapSettings = Field(default_factory=MapSettings)
    mail: MailSettings = Field(default_factory=MailSettings)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _Variables(settings_cls)


def _shown(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, Path):
        value = value.relative_to(PROJECT_ROOT) if value.is_relative_to(PROJECT_ROOT) else value
    if isinstance(value, bool):
        value = str(value).lower()
    return f"`{value}`" if value != "" else "empty"


def markdown_table() -> str:
    """The README's settings table: every knob, its default and what it does."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for info in Settings.model_fields.values():
        section = info.annotation
        for name, field in section.model_fields.items():
            first, *others = variables(section, name, field)
            also = f" (also `{'`, `'.join(others)}`)" if others else ""
            rows.append(f"| `{first}`{also} | {_shown(field.default)} | {field.description} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
