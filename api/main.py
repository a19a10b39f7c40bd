"""The application factory: `create_app(settings)` builds the same app for `make run` and tests.

Routers are found, not listed: every module in `api/routes/` with a `router` is mounted under
/api, every module in `api/web/` with a `router` at the site root (HTML pages). A module is one
resource or page family; adding one needs no edit here.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType

from fastapi import APIRouter, FastAPI

import api.routes
import api.web
from api.errors import install_handlers
from api.fresh_versions import FreshVersions
from api.middleware import flush_logs
from api.middleware import install as install_middleware
from geo import __version__
from geo.db import Pool, resolve_url
from geo.db_async import AsyncReads
from geo.settings import Settings, get_settings

# Matched first: the routes a map calls on every pan (routes are tried in order, and each miss costs;
# these modules' paths overlap no other module's).
HOT_MODULES = ("features", "tiles", "stats")


def _routers(package: ModuleType) -> list[APIRouter]:
    found = []

    def order(info) -> tuple:
        return (HOT_MODULES.index(info.name) if info.name in HOT_MODULES else len(HOT_MODULES), info.name)

    for info in sorted(pkgutil.iter_modules(package.__path__), key=order):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if isinstance(getattr(module, "router", None), APIRouter):
            found.append(module.router)
    return found


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = settings.database
        url = resolve_url(db)
        app.state.pool = Pool(url, db.pool_min, db.pool_max, db.statement_timeout_ms, db.pool_wait_s, db.pool_max_waiting)
        app.state.reads = AsyncReads(url, db.pool_max, db.statement_timeout_ms)  # single reads on the event loop
        app.state.versions = FreshVersions(app.state.reads)
        # Everything loaded so far (FastAPI, pydantic, geopandas, the routes) lives as long as the
        # process: out of the collector's sight, a full collection under load took 80-170 ms every
        # second or two (that was the p99 of every route), scanning objects that never die.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            try:
                app.state.reads.close()
                app.state.pool.close()
            finally:
                flush_logs()

    app = FastAPI(
        title="Pantau API",
        version=__version__,
        description="Pemantauan tenaga kerja asing (TKA) Kalimantan Tengah: spatial queries, statistics, maps.",
        docs_url=None,  # /api/docs is api/web/apidocs.py: vendored Swagger UI, no CDN, no inline script
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        # Pantau exports no OpenTelemetry data; off, FastAPI skips the provider look-ups it makes
        # on every request (5% of the event loop's time under load, py-spy 2026-11-29).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    install_handlers(app)
    install_middleware(app, settings)  # refuses to start in production without PANTAU_SECRET_KEY
    for router in _routers(api.routes):
        app.include_router(router, prefix="/api")  # directly: one router level less to match per request
    for router in _routers(api.web):
        app.include_router(router)
    return app


def app_from_env() -> FastAPI:
    """Entry point for uvicorn --factory: settings from the environment."""
    return create_app(get_settings())
