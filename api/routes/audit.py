"""GET /api/audit: the audit trail for administrators, newest first, with filters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status

from api.deps import Conn
from api.errors import BadRequest
from api.security import Admin
from geo.auth import audit_query, login_audit
from geo.auth.accounts import may_manage

router = APIRouter(tags=["audit"])


@router.get("/audit", summary="The audit trail (province-wide admins only)")
def audit_log(
    request: Request,
    conn: Conn,
    principal: Admin,
    user: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._@-]{1,63}$", description="user name")] = None,
    action: Annotated[str | None, Query(pattern=r"^[a-z_.]{1,60}$",
                                        description="action, e.g. company.update; a trailing '.' matches a family (company.)")] = None,
    target: Annotated[str | None, Query(max_length=200, description="target, or its beginning (api_token:)")] = None,
    outcome: Annotated[Literal["ok", "denied", "failed"] | None, Query()] = None,
    since: Annotated[datetime | None, Query(description="from this time (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="before this time (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict:
    if not may_manage(principal):
        # The trail names every regency's users and records: as the /audit page, province-wide admins only.
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "jejak audit hanya untuk admin tingkat provinsi (province-wide admins only)")
    # In UTC (a time without an offset is read as UTC): PostgreSQL refuses offsets beyond ±15:59 that
    # Python accepts (+22:06 was a 500), and a naive and an aware time cannot be compared.
    since, until = (None if t is None else t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
                    for t in (since, until))
    if since and until and since > until:
        raise BadRequest(f"since: {since.isoformat()} is after until {until.isoformat()}")
    login_audit.flush(conn, request.app.state.settings.auth.login_address_window_seconds)  # counted login noise of ended windows
    items = audit_query.search(conn, audit_query.AuditFilter(user, action, target, outcome, since, until), limit, offset)
    return {"items": items, "limit": limit, "offset": offset, "numberReturned": len(items)}
