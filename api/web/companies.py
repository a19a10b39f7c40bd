"""Company detail page: the company, its workers (personal data only for roles allowed to see
it) and its inspection history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from api.deps import Conn
from api.routes.records import audit_personal_read
from api.web.common import PageUser, current_quarter, error_page, render
from geo import photos, records

router = APIRouter(include_in_schema=False)


@router.get("/companies/{company_id}", response_class=HTMLResponse)
def company_page(company_id: Annotated[int, Path(ge=1, le=2**63 - 1)], request: Request, conn: Conn, principal: PageUser):
    company = records.company_detail(conn, company_id, principal.regencies)
    if company is None:  # absent or outside the user's regencies: the same answer
        return error_page(request, 404, "Perusahaan tidak ditemukan", f"Tidak ada perusahaan dengan id {company_id}.")
    workers = records.company_workers(conn, company_id, principal.can_see_personal)
    if principal.can_see_personal and workers:
        audit_personal_read(conn, principal, f"company:{company_id}/workers", len(workers))
    return render(request, "company.html", {
        "company": company, "workers": workers, "inspections": records.company_inspections(conn, company_id, principal.can_see_personal),
        "personal": principal.can_see_personal, "quarter": current_quarter(),
        "photos": photos.by_inspection(conn, company_id),  # inspection photos (api/web/inspections.py)
    })
