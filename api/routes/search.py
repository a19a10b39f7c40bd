"""The map search box: regions of every level and companies by name, within the user's regions
(geo.search). Names, codes and positions only, so every role may search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Conn
from api.errors import BadRequest
from api.security import CurrentUser
from geo import search as places

router = APIRouter(tags=["search"])


@router.get("/search", summary="Regions (province, regency, district, village) and companies by name")
def search(
    principal: CurrentUser,
    conn: Conn,
    q: Annotated[str | None, Query(description=f"part of the name, {places.MIN_CHARS}..{places.MAX_CHARS} characters")] = None,
    limit: Annotated[int, Query(ge=1, le=places.MAX_LIMIT, description="most regions and most companies returned")] = 10,
) -> dict:
    try:
        return places.search(conn, q, principal.regencies, limit)
    except places.SearchError as exc:
        raise BadRequest(str(exc)) from exc
