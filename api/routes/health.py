"""GET /api/health: is the database reachable, which PostGIS, which boundaries are loaded."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import get_pool
from geo.boundaries.status import boundary_counts, latest_issues
from geo.db import transaction

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service and database health")
def health(request: Request) -> JSONResponse:
    try:
        with get_pool(request).connection() as conn:
            with transaction(conn) as cur:
                cur.execute("SELECT postgis_lib_version(), version()")
                postgis, pg_version = cur.fetchone()
            counts = boundary_counts(conn)
            issues = latest_issues(conn)
    except Exception as exc:  # noqa: BLE001 - the health check reports, it does not raise
        return JSONResponse(
            {"status": "unavailable", "database": {"reachable": False, "error": type(exc).__name__}},
            status_code=503,
        )
    return JSONResponse(
        {
            "status": "ok",
            "database": {"reachable": True, "postgis": postgis, "postgresql": pg_version.split(" on ")[0]},
            "boundaries": counts,
            "boundary_repairs": [i for i in issues if i["kind"] == "repaired"],
            "boundary_issues": [i for i in issues if i["kind"] != "repaired"],
        }
    )
