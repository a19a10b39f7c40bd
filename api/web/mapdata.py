"""Run-time map data for the pages: company points as compact arrays (see geo.maps.points)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Conn
from api.filters import Filters
from geo.maps.points import company_points_json

router = APIRouter(tags=["maps"])


@router.get("/maps/data/companies.json", summary="Company points for the map pages (compact arrays)")
def company_points(conn: Conn, flt: Filters) -> Response:
    # Filters already carries the user's scope; no personal data: ids, positions, statuses only.
    return Response(company_points_json(conn, flt), media_type="application/json",
                    headers={"Cache-Control": "private, max-age=60"})
