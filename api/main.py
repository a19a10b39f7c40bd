"""The application factory: `create_app(settings)` builds the same app for `make run` and tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from api.errors import install_handlers
from api.routes import health
from geo import __version__
from geo.db import Pool, resolve_url
from geo.settings import Settings, get_settings


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = settings.database
        app.state.pool = Pool(resolve_url(db), db.pool_min, db.pool_max, db.statement_timeout_ms)
        try:
            yield
        finally:
            app.state.pool.close()

    app = FastAPI(
        title="Pantau API",
        version=__version__,
        description="Pemantauan tenaga kerja asing (TKA) Kalimantan Tengah: spatial queries, statistics, maps.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_handlers(app)
    api = APIRouter(prefix="/api")
    api.include_router(health.router)
    app.include_router(api)
    return app


def app_from_env() -> FastAPI:
    """Entry point for uvicorn --factory: settings from the environment."""
    return create_app(get_settings())
