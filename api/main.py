"""The application factory: `create_app(settings)` builds the same app for `make run` and tests;
every knob it honours comes from `settings` (geo/settings.py), none from the environment.

The routing table is below: one module per resource (`api/routes/`, under /api) or page family
(`api/web/`, at the site root), each exposing `router`; a new module is added to the table.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.cache import ResponseCache
from api.disconnect import CancelOnDisconnect
from api.errors import install_handlers
from api.middleware import flush_logs
from api.middleware import install as install_middleware
from api.routes import (
    api_tokens,
    attention,
    audit,
    auth,
    discrepancies,
    edits,
    exports,
    features,
    health,
    imports,
    meetings,
    queries,
    records,
    reports,
    search,
    stats,
    tiles,
)
from api.web import (
    account_password,
    account_tokens,
    admin_reset,
    admin_users,
    apidocs,
    audit_page,
    basemap,
    companies,
    discrepancies_page,
    edits_pages,
    exports_page,
    foreign_mapdata,
    foreign_maps,
    home,
    imports_history,
    inspections,
    login,
    mapdata,
    maps,
    meeting_changes,
    notifications,
    static,
)
from api.web import attention as attention_pages
from api.web import imports as imports_pages
from api.web import meetings as meetings_pages
from geo import __version__, clock
from geo.auth.passwords import Hashing
from geo.db import Pool, resolve_url
from geo.settings import Settings

# In matching order. Under /api the routes a map calls on every pan come first (routes are tried in
# order, and each miss costs); tests/test_routing_order.py checks that no route shadows a later one.
API_ROUTERS = (features, tiles, stats, api_tokens, attention, audit, auth, discrepancies, edits, exports, health, imports,
               meetings, queries, records, reports, search)
PAGE_ROUTERS = (account_password, account_tokens, admin_reset, admin_users, apidocs, audit_page, attention_pages, basemap, companies, discrepancies_page, edits_pages, exports_page, foreign_mapdata, foreign_maps, home, imports_pages, imports_history, inspections, login, mapdata, maps, meetings_pages, meeting_changes, notifications, static)

# Endpoints also served as plain Starlette routes, ahead of every router: on the paths a map calls on
# every click and pan, FastAPI's own work per request (matching through included routers, exit stacks,
# its request wrapper) cost as much Python as the handler (bench/RESULTS-features.md). Each keeps its
# FastAPI route, which documents it (OpenAPI) and which it alone shadows (tests/test_routing_order.py).
# Only endpoints that solve no dependency belong here: a plain route would run them without.
PLAIN_API_ROUTES = ((features, features.item), (features, features.items))


def create_app(settings: Settings) -> FastAPI:
    """The app for `settings`. The province (geo.clock) is one per process: the app sets it."""
    clock.use_province(settings.boundaries.home_province)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = settings.database
        url = resolve_url(db)
        app.state.pool = Pool(url, db.pool_max, db.statement_timeout_ms, db.pool_wait_s, db.pool_max_waiting)
        app.state.cache = ResponseCache(settings.cache, app.state.pool.fetchall)
        # Everything loaded so far (FastAPI, pydantic, geopandas, the routes) lives as long as the
        # process: out of the collector's sight. Under load, full collections scanning these objects that
        # never die made the p99 of every route (bench/RESULTS-features.md).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            try:
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
        # on every request (a measurable share of the event loop under load: bench/RESULTS-features.md).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.hashing = Hashing(settings.auth)  # password checks: a few threads of their own
    install_handlers(app)
    app.add_middleware(CancelOnDisconnect)  # innermost: the access log still sees the request
    install_middleware(app, settings)  # refuses to start in production without PANTAU_SECRET_KEY
    for module, endpoint in PLAIN_API_ROUTES:
        documented = documented_route(module, endpoint)
        app.router.add_route("/api" + documented.path, endpoint, methods=sorted(documented.methods),
                             include_in_schema=False)
    for module in API_ROUTERS:
        app.include_router(module.router, prefix="/api")  # directly: one router level less to match per request
    for module in PAGE_ROUTERS:
        app.include_router(module.router)
    return app


def documented_route(module, endpoint) -> APIRoute:
    """The FastAPI route of `endpoint` in `module`'s router."""
    return next(route for route in module.router.routes if getattr(route, "endpoint", None) is endpoint)


def app_from_env() -> FastAPI:
    """Entry point for uvicorn --factory: settings from the environment, read here once."""
    return create_app(Settings())
