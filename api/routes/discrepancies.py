"""GET /api/discrepancies/companies|regions: where agencies' reports disagree (no personal data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Conn
from api.security import CurrentUser
from geo.discrepancies import company_discrepancies, region_discrepancies

router = APIRouter(prefix="/discrepancies", tags=["discrepancies"])


@router.get("/companies", summary="Companies on which agencies disagree (worker counts, reported fields)")
def companies(principal: CurrentUser, conn: Conn,
              regency_code: Annotated[str | None, Query(pattern=r"^\d{2}\.\d{2}$")] = None) -> list[dict]:
    return company_discrepancies(conn, principal.regencies, regency_code)


@router.get("/regions", summary="Per regency: workers reported by each agency, companies in disagreement")
def regions(principal: CurrentUser, conn: Conn) -> list[dict]:
    return region_discrepancies(conn, principal.regencies)
