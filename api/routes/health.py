"""Liveness and readiness.

GET /api/health: the process is up (always 200 while it runs) and what it sees of the database:
reachability, PostGIS version, boundary counts per level and the repairs made when loading them.
GET /api/ready: 200 only when requests can be served (database reachable, schema migrated,
boundaries loaded), else 503: what a load balancer or orchestrator should poll.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import get_pool
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


@router.get("/health", summary="Liveness, database reachability, PostGIS version, boundaries loaded")
def health(request: Request) -> JSONResponse:
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
