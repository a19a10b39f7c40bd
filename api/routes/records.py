"""Single records: a company (ETag = its version), its workers and inspections, one worker, one
inspection. Records outside the user's regional scope are 404, like absent ones."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from api.deps import Conn
from api.errors import NotFound
from api.security import CurrentUser, Principal
from geo import records
from geo.auth import audit

router = APIRouter(tags=["records"])

# Path ids are bigint: bounded here so an absurd id is a 422, never a database error.
RecordId = Annotated[int, Path(ge=1, le=2**63 - 1, description="record id")]


def etag(version: int) -> str:
    return f'"{version}"'


def _not_modified(request: Request, version: int) -> bool:
    tags = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    return etag(version) in tags or f"W/{etag(version)}" in tags


def _company_or_404(conn, company_id: int, principal: Principal) -> dict[str, Any]:
    company = records.company_detail(conn, company_id, principal.regencies)
    if company is None:
        raise NotFound(f"company {company_id} not found")
    return company


def audit_personal_read(conn, principal: Principal, target: str, count: int) -> None:
    """Every view of worker names/passport/ITAS numbers is recorded (how many, never which)."""
    audit.record(conn, "personal.read", **principal.audit_fields(), target=target, detail={"workers": count})


@router.get("/companies/{company_id:int}", summary="One company with location, permit status and worker counts")
def get_company(company_id: RecordId, request: Request, response: Response, conn: Conn, principal: CurrentUser):
    company = _company_or_404(conn, company_id, principal)
    if _not_modified(request, company["version"]):
        return Response(status_code=304, headers={"ETag": etag(company["version"])})
    response.headers["ETag"] = etag(company["version"])
    return company


@router.get("/companies/{company_id:int}/workers", summary="The company's foreign workers (personal data only for roles allowed to see it)")
def get_company_workers(company_id: RecordId, conn: Conn, principal: CurrentUser) -> list[dict[str, Any]]:
    _company_or_404(conn, company_id, principal)
    workers = records.company_workers(conn, company_id, principal.can_see_personal)
    if principal.can_see_personal and workers:
        audit_personal_read(conn, principal, f"company:{company_id}/workers", len(workers))
    return workers


@router.get("/companies/{company_id:int}/inspections", summary="The company's field inspections, newest first")
def get_company_inspections(company_id: RecordId, conn: Conn, principal: CurrentUser) -> list[dict[str, Any]]:
    _company_or_404(conn, company_id, principal)
    return records.company_inspections(conn, company_id, principal.can_see_personal)


@router.get("/workers/{worker_id:int}", summary="One foreign worker (personal data only for roles allowed to see it)")
def get_worker(worker_id: RecordId, response: Response, conn: Conn, principal: CurrentUser) -> dict[str, Any]:
    worker = records.worker_detail(conn, worker_id, principal.regencies, principal.can_see_personal)
    if worker is None:
        raise NotFound(f"worker {worker_id} not found")
    if principal.can_see_personal:
        audit_personal_read(conn, principal, f"worker:{worker_id}", 1)
    response.headers["ETag"] = etag(worker["version"])
    return worker


@router.get("/inspections/{inspection_id:int}", summary="One field inspection")
def get_inspection(inspection_id: RecordId, response: Response, conn: Conn, principal: CurrentUser) -> dict[str, Any]:
    inspection = records.inspection_detail(conn, inspection_id, principal.regencies, principal.can_see_personal)
    if inspection is None:
        raise NotFound(f"inspection {inspection_id} not found")
    response.headers["ETag"] = etag(inspection["version"])
    return inspection
