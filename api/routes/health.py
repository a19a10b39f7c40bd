"""Liveness and readiness.

GET /api/health: public liveness, always 200 while the process runs: {"status": "ok"}, or
"degraded" when the database cannot be reached. Nothing else: versions and data counts help an
attacker pick exploits, so they are for administrators only.
GET /api/health/details (admins): reachability, PostgreSQL and PostGIS versions, pending migrations,
boundary counts per level and the repairs made when loading them.
GET /api/ready: 200 only when requests can be served (database reachable, schema migrated,
boundaries loaded), else 503: what a load balancer or orchestrator should poll.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import get_pool
from api.security import Admin
from geo.boundaries.status import boundary_counts, latest_issues
from geo.db import UNAVAILABLE_ERRORS, DatabaseUnavailable, transaction
from geo.migrate import applied, available

router = APIRouter(tags=["health"])


def _database_state(request: Request) -> dict:
    try:
        with get_pool(request).connection() as conn:
            with transaction(conn) as cur:
                cur.execute("SELECT postgis_lib_version(), current_setting('server_version')")
                postgis, pg_version = cur.fetchone()
            migrations_applied = set(applied(conn))
            counts = boundary_counts(conn)
            issues = latest_issues(conn)
    except (DatabaseUnavailable, *UNAVAILABLE_ERRORS) as exc:
        return {"reachable": False, "error": type(exc).__name__}
    pending = [m.version for m in available() if m.version not in migrations_applied]
    return {
        "reachable": True, "postgis": postgis, "postgresql": pg_version,
        "pending_migrations": pending, "boundaries": counts, "issues": issues,
    }


def _reachable(request: Request) -> bool:
    try:
        with get_pool(request).connection() as conn, transaction(conn) as cur:
            cur.execute("SELECT 1")
    except (DatabaseUnavailable, *UNAVAILABLE_ERRORS):
        return False
    return True


@router.get("/health", summary="Liveness: 200 while the process runs; status 'degraded' without the database")
def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok" if _reachable(request) else "degraded"})


@router.get("/health/details", summary="Database, PostGIS version, migrations, boundaries loaded (admins only)")
def health_details(request: Request, principal: Admin) -> JSONResponse:
    db = _database_state(request)
    if not db["reachable"]:
        return JSONResponse({"status": "degraded", "database": db})
    issues = db.pop("issues")
    return JSONResponse(
        {
            "status": "ok",
            "database": {k: db[k] for k in ("reachable", "postgis", "postgresql", "pending_migrations")},
            "boundaries": db["boundaries"],
            "boundary_repairs": [i for i in issues if i["kind"] == "repaired"],
            "boundary_issues": [i for i in issues if i["kind"] != "repaired"],
        }
    )


@router.get("/ready", summary="Readiness: 200 when requests can be served, else 503 with the reason")
def ready(request: Request) -> JSONResponse:
    db = _database_state(request)
    reasons = []
    if not db["reachable"]:
        reasons.append("database unreachable")
    else:
        if db["pending_migrations"]:
            reasons.append(f"migrations pending: {db['pending_migrations']}")
        if not db["boundaries"]["regency"]:
            reasons.append("no boundaries loaded")
    if reasons:
        return JSONResponse({"ready": False, "reasons": reasons}, status_code=503, headers={"Retry-After": "5"})
    return JSONResponse({"ready": True})
