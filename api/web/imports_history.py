"""The history of import batches (/imports/history, editors and admins), the rejected rows of a batch
or a checked upload as CSV, and the per-agency view (/agency, every role): what the user's agency last
reported and on how many companies its figures differ from another agency's.

Which batches: a user's own agency's (admins: any agency, chosen with ?agency=). The rejected rows of
a batch: its importer, a province-wide user of the agency or a province-wide admin (a regency-scoped
user's colleague may have imported rows of other regencies).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.blocking import blocking
from api.deps import Conn
from api.security import Principal
from api.web.common import PageUser, error_page, render
from api.web.imports import KIND_LABEL, UploadId, _agencies, _refused
from geo.discrepancies import company_discrepancies
from geo.imports import history, uploads

router = APIRouter(include_in_schema=False)
AgencyParam = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z_]+$")]


def _agency_of(principal: Principal, asked: str | None) -> str | None:
    """The agency whose batches the user reads: their own; an admin any (None = all)."""
    return asked if principal.is_admin else principal.agency


@router.get("/imports/history", response_class=HTMLResponse)
async def history_page(request: Request, conn: Conn, principal: PageUser, agency: AgencyParam = None):
    if not principal.can_write:
        return _refused(request)
    chosen = _agency_of(principal, agency)

    def load():
        return history.batches(conn, chosen), _agencies(conn)

    rows, agencies = await blocking(load)
    return render(request, "imports_history.html", {
        "batches": rows, "kind_label": KIND_LABEL, "agencies": agencies, "chosen": chosen,
        "can_download": lambda b: _may_download(principal, b),
    })


def _may_download(principal: Principal, b: dict) -> bool:
    # A regency-scoped admin no more than a scoped editor: the rows may be of any regency.
    return b["imported_by"] == principal.username or principal.regencies is None and (
        principal.is_admin or b["agency"] == principal.agency)


def _csv(body: bytes, name: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/imports/batches/{batch_id}/rejected.csv")
async def batch_rejected(request: Request, conn: Conn, principal: PageUser,
                         batch_id: Annotated[int, Path(ge=1, le=2**63 - 1)]):
    if not principal.can_write:
        return _refused(request)
    found = await blocking(history.batch, conn, batch_id)
    if found is None or not _may_download(principal, found[0]):  # absent or not the user's: the same answer
        return error_page(request, 404, "Batch tidak ditemukan", f"Tidak ada batch impor dengan id {batch_id}.")
    return _csv(history.rejected_csv(found[1]), f"ditolak-batch-{batch_id}.csv")


@router.get("/imports/u/{upload_id}/rejected.csv")
async def upload_rejected(request: Request, conn: Conn, principal: PageUser, upload_id: UploadId):
    if not principal.can_write:
        return _refused(request)
    upload = await blocking(uploads.get, conn, upload_id, principal.username)
    if upload is None:
        return error_page(request, 404, "Unggahan tidak ditemukan", "Unggahan ini tidak ada atau sudah kedaluwarsa.")
    reports = upload.commit_reports if upload.state == "committed" else upload.check_reports
    rejected = [r for report in reports for r in report["rejected"]]
    if len(reports) > 1:  # two files: say which one each line belongs to
        rejected = [{**r, "column": f"{KIND_LABEL.get(report['kind'], report['kind'])}: {r['column']}"}
                    for report in reports for r in report["rejected"]]
    return _csv(history.rejected_csv(rejected), "baris-ditolak.csv")


@router.get("/agency", response_class=HTMLResponse)
async def agency_page(request: Request, conn: Conn, principal: PageUser, agency: AgencyParam = None):
    code = (agency or principal.agency) if principal.is_admin else principal.agency

    def load():
        name = history.agency_name(conn, code)
        if name is None:
            return None
        # Within the user's regions only: a company elsewhere is not counted (nor named).
        differing = company_discrepancies(conn, principal.regencies, agency=code, state="open")
        return name, history.latest_per_kind(conn, code), differing, _agencies(conn)

    loaded = await blocking(load)
    if loaded is None:
        return error_page(request, 404, "Instansi tidak ditemukan", "Tidak ada instansi dengan kode itu.")
    name, latest, differing, agencies = loaded
    return render(request, "imports_agency.html", {
        "code": code, "name": name, "latest": latest, "kind_label": KIND_LABEL, "agencies": agencies,
        "differing": len(differing), "worker_count_differs": sum(1 for c in differing if c["worker_counts_differ"]),
    })
