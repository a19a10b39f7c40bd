"""GET /api/discrepancies/companies|regions: where agencies' reports disagree (no personal data), each
differing field open or resolved; POST .../resolutions: a resolution note (geo.discrepancy_resolutions)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from api.deps import Conn
from api.security import CurrentUser
from geo import discrepancy_resolutions as notes
from geo.discrepancies import company_discrepancies, region_discrepancies, resolve

router = APIRouter(prefix="/discrepancies", tags=["discrepancies"])

AgencyQuery = Annotated[str | None, Query(pattern=r"^[a-z_]{2,20}$",
                                          description="only where this agency's figure differs from another's")]
StatusQuery = Annotated[Literal["open", "resolved"] | None, Query(alias="status", description="open | resolved")]


@router.get("/companies", summary="Companies on which agencies disagree (worker counts, reported fields)")
def companies(principal: CurrentUser, conn: Conn,
              regency_code: Annotated[str | None, Query(pattern=r"^\d{2}\.\d{2}$")] = None,
              agency: AgencyQuery = None, state: StatusQuery = None) -> list[dict]:
    return company_discrepancies(conn, principal.regencies, regency_code, agency=agency, state=state,
                                 personal=principal.can_see_personal)


@router.get("/regions", summary="Per regency: workers reported by each agency, companies in disagreement")
def regions(principal: CurrentUser, conn: Conn, agency: AgencyQuery = None, state: StatusQuery = None) -> list[dict]:
    return region_discrepancies(conn, principal.regencies, agency=agency, state=state,
                                personal=principal.can_see_personal)


class ResolutionIn(BaseModel):
    field: str = Field(pattern=r"^[a-z_]{1,40}$", description="jumlah_tka (worker count) or a reported field")
    chosen_agency: str | None = Field(None, max_length=20, description="the agency whose figure holds")
    chosen_value: str | None = Field(None, max_length=notes.VALUE_MAX, description="or the value that holds")
    note: str = Field(max_length=notes.NOTE_MAX, description="why (free text: may be masked for viewers)")
    figures: str | None = Field(None, max_length=20_000, description="the figures seen (figures_token); "
                                                                      "409 when they changed since")


def _resolve(principal, conn, kind: str, key: str, body: ResolutionIn) -> dict:
    if not notes.may_resolve(principal):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "peran Anda tidak boleh mencatat penyelesaian selisih "
                                                        "(role may not resolve discrepancies)")
    try:
        rid = resolve(conn, principal, kind, key, field=body.field, chosen_agency=body.chosen_agency,
                             chosen_value=body.chosen_value, note=body.note, seen=body.figures)
    except notes.ResolutionError as exc:
        conn.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT if exc.conflict else status.HTTP_400_BAD_REQUEST,
                            str(exc)) from exc
    if rid is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "selisih tidak ditemukan (no such discrepancy)")
    return {"id": rid}


@router.post("/companies/{company_id}/resolutions", status_code=201,
             summary="Record which figure holds for a company's discrepancy (admin, editor, Kesbangpol analyst)")
def resolve_company(principal: CurrentUser, conn: Conn, body: ResolutionIn,
                          company_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> dict:
    return _resolve(principal, conn, "company", str(company_id), body)


@router.post("/regions/{regency_code}/resolutions", status_code=201,
             summary="Record which worker count holds for a regency (admin, editor, Kesbangpol analyst)")
def resolve_region(principal: CurrentUser, conn: Conn, body: ResolutionIn,
                         regency_code: Annotated[str, Path(pattern=r"^\d{2}\.\d{2}$")]) -> dict:
    return _resolve(principal, conn, "region", regency_code, body)
