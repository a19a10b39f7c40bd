"""Meeting reports (PDF, offline HTML or XLSX), audited at each download:

- GET /api/reports: built while the request waits (scripts, the CLI's equivalent);
- POST /api/reports/jobs, GET /api/reports/jobs/{id}, GET /api/reports/jobs/{id}/file: the same
  report built in the background with progress (the web pages' "Unduh laporan" dialog). Jobs live
  in the database (geo/reports/jobs.py), so any server worker answers a poll.

Both build with the asking user's scope and personal-data permission, checked here in one place.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.blocking import blocking
from api.deps import Conn
from api.errors import BadRequest
from api.filters import Filters
from api.report_runner import ReportRunner
from api.security import CurrentUser, Principal
from geo.auth import audit
from geo.filters import FilterError, MonitoringFilter, from_params
from geo.meetings import store as meetings_store
from geo.reports import jobs
from geo.reports.build import FORMATS, ReportError, build_report
from geo.reports.content import Options
from geo.reports.data import agency_name
from geo.reports.period import PeriodError, Quarter

router = APIRouter(prefix="/reports", tags=["reports"])
BUSY_RETRY_S = 30
NO_STORE = {"Cache-Control": "no-store"}


def report_options(conn, principal: Principal, flt: MonitoringFilter, *, period: str, fmt: str, regency: str | None,
                   suppress: bool, threshold: int, agency: str, personal: bool) -> Options:
    """The options of a report this user may have (flt already scoped to the user); BadRequest if not."""
    # Messages in Indonesian for the dialog, the English one (parameter and value) in brackets.
    try:
        quarter = Quarter.parse(period)
    except PeriodError as exc:
        raise BadRequest(f"triwulan tidak sah ({exc})") from exc
    if fmt not in FORMATS:
        raise BadRequest(f"format harus PDF, HTML atau XLSX (format: {fmt!r} is not one of {', '.join(FORMATS)})")
    if regency is not None:
        if flt.regency_code and flt.regency_code != regency:
            raise BadRequest(f"wilayah berbeda dengan filter kabupaten/kota "
                             f"(regency: {regency!r} differs from regency_code {flt.regency_code!r})")
        try:
            flt = _with_regency(flt, regency, conn)
        except ReportError as exc:
            raise BadRequest(f"wilayah tidak dikenal ({exc})") from exc
    if personal and (fmt != "xlsx" or not principal.can_see_personal):
        raise BadRequest("data pribadi hanya dalam XLSX dan hanya untuk peran yang berhak (personal: only in the "
                         "XLSX and only for roles allowed to see personal data)")
    if flt.district_code and flt.regency_code and not flt.district_code.startswith(flt.regency_code + "."):
        raise BadRequest(f"kecamatan tidak terletak di kabupaten/kota itu (district_code: {flt.district_code!r} "
                         f"is not in regency {flt.regency_code!r})")
    for code in (flt.regency_code, flt.district_code):
        if code and not principal.allows_regency(code):
            raise BadRequest(f"wilayah di luar cakupan akun Anda (regency: {code[:5]!r} is outside your regencies)")
    if agency_name(conn, agency) is None:  # checked here so that a job is refused at once, not failed later
        raise BadRequest(f"instansi tidak dikenal (agency: unknown agency {agency!r})")
    # The meeting pack: the meetings this user's agency sees (Kesbangpol and admins: every one).
    return Options(quarter, flt, threshold=threshold if suppress else None, agency=agency, personal=personal,
                   meetings_of=None if meetings_store.sees_all(principal) else principal.agency)


def _audit_export(conn, principal: Principal, opts: Options, fmt: str, digest: str, **extra) -> None:
    audit.record(conn, "report.export", **principal.audit_fields(), target=str(opts.period),
                 detail={"format": fmt, "filter": opts.flt.as_query(), "hash": digest,
                         "suppressed": opts.threshold, "personal": opts.personal, **extra})


def _attachment(body: bytes, media_type: str, filename: str, digest: str) -> Response:
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Hash": digest,
                             **NO_STORE})


@router.get("", summary="Report for rapat koordinasi: PDF atlas, offline HTML or XLSX annex (file download)",
            response_class=Response)
def get_report(
    principal: CurrentUser,
    flt: Filters,
    conn: Conn,
    period: Annotated[str, Query(description="quarter, e.g. 2026-Q3")],
    format: Annotated[str, Query(description="pdf | html | xlsx")] = "pdf",  # noqa: A002 - the API word
    regency: Annotated[str | None, Query(description="one regency (atlas per district), e.g. 62.02")] = None,
    suppress: Annotated[bool, Query(description="hide counts of persons below the threshold")] = True,
    threshold: Annotated[int, Query(ge=2, le=20, description="suppression threshold")] = 3,
    agency: Annotated[str, Query(description="issuing agency code for the cover")] = "kesbangpol",
    personal: Annotated[bool, Query(description="XLSX: named worker sheet (roles allowed to see personal data)")] = False,
) -> Response:
    opts = report_options(conn, principal, flt, period=period, fmt=format, regency=regency, suppress=suppress,
                          threshold=threshold, agency=agency, personal=personal)
    try:
        result = build_report(conn, opts, format)
    except ReportError as exc:
        raise BadRequest(f"laporan tidak dapat dibuat ({exc})") from exc
    _audit_export(conn, principal, opts, format, result.hash)
    return _attachment(result.body, result.media_type, result.filename, result.hash)


def _with_regency(flt, regency: str, conn):
    try:
        out = replace(flt, regency_code=regency)
        out.validate_against(conn)
    except FilterError as exc:
        raise ReportError(str(exc).replace("regency_code", "regency")) from exc
    return out


# --- background jobs -------------------------------------------------------------------------------
class JobRequest(BaseModel):
    """The query parameters of GET /api/reports, as a JSON body."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(max_length=10, description="quarter, e.g. 2026-Q3")
    format: str = Field(default="pdf", max_length=10, description="pdf | html | xlsx")
    regency: str | None = Field(default=None, max_length=20, description="one regency (atlas per district), e.g. 62.02")
    sector: str | None = Field(default=None, max_length=400)
    nationality: str | None = Field(default=None, max_length=400)
    permit_status: str | None = Field(default=None, max_length=20)
    regency_code: str | None = Field(default=None, max_length=20)
    district_code: str | None = Field(default=None, max_length=20)
    datetime: str | None = Field(default=None, max_length=50)
    suppress: bool = True
    threshold: int = Field(default=3, ge=2, le=20)
    agency: str = Field(default="kesbangpol", max_length=40)
    personal: bool = False


class JobCreated(BaseModel):
    id: str
    status: str
    status_url: str


class JobState(BaseModel):
    id: str
    status: str = Field(description="queued | running | done | failed")
    progress: int = Field(description="0-100")
    step: str = Field(description="what is being done, for the user")
    error: str | None = None
    format: str
    period: str
    filter: dict
    status_url: str
    download_url: str | None = None
    filename: str | None = None
    created_at: str
    finished_at: str | None = None
    expires_at: str


def _job_options(conn, principal: Principal, body: JobRequest) -> Options:
    try:
        flt = from_params(body.sector, body.nationality, body.permit_status, body.regency_code, body.district_code,
                          body.datetime)
        flt.validate_against(conn)
    except FilterError as exc:
        raise BadRequest(f"filter tidak sah ({exc})") from exc
    return report_options(conn, principal, flt.scoped(principal.regencies), period=body.period, fmt=body.format,
                          regency=body.regency, suppress=body.suppress, threshold=body.threshold, agency=body.agency,
                          personal=body.personal)


def _create_job(conn, principal: Principal, body: JobRequest, keep_minutes: int, timeout_s: int) -> str:
    opts = _job_options(conn, principal, body)
    jobs.sweep(conn)
    if jobs.active_count(conn, principal.username) >= jobs.ACTIVE_PER_USER:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            f"Anda sudah membuat {jobs.ACTIVE_PER_USER} laporan yang belum selesai; tunggu hingga "
                            f"selesai (you already have {jobs.ACTIVE_PER_USER} reports being built)",
                            headers={"Retry-After": str(BUSY_RETRY_S)})
    return jobs.create(conn, principal.username, jobs.JobOptions.of(opts, body.format), keep_minutes, timeout_s)


@router.post("/jobs", status_code=202, response_model=JobCreated,
             summary="Start building a report in the background; poll status_url, then download",
             responses={429: {"description": "this user already has reports being built"},
                        503: {"description": "this server worker is building and queueing all it may; retry later"}})
async def create_job(request: Request, principal: CurrentUser, conn: Conn, body: JobRequest) -> JSONResponse:
    settings = request.app.state.settings.reports
    runner = ReportRunner.of(request.app.state)
    if not runner.reserve():
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            f"server sedang membuat laporan lain; coba lagi dalam {BUSY_RETRY_S} detik "
                            f"(too many reports at once, retry in {BUSY_RETRY_S} s; PANTAU_REPORT_QUEUE)",
                            headers={"Retry-After": str(BUSY_RETRY_S)})
    try:
        job_id = await blocking(_create_job, conn, principal, body, settings.keep_minutes, settings.timeout_s)
    except BaseException:
        runner.release()
        raise
    runner.start(job_id)
    url = f"/api/reports/jobs/{job_id}"
    return JSONResponse({"id": job_id, "status": "queued", "status_url": url}, status_code=202,
                        headers={"Location": url, **NO_STORE})


def _own_job(conn, principal: Principal, job_id: str) -> jobs.JobStatus:
    """The job, if it is the user's and was built with the scope and permission the user has now."""
    canonical = jobs.parse_id(job_id)
    found = jobs.status(conn, canonical, principal.username) if canonical else None
    if found is not None:
        scope = found.options.scope
        same_scope = (scope is None and principal.regencies is None) or \
            (scope is not None and principal.regencies is not None and set(scope) <= set(principal.regencies))
        if not same_scope or (found.options.personal and not principal.can_see_personal):
            found = None
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "laporan tidak ditemukan (no such report job)")
    return found


def _state(job: jobs.JobStatus) -> dict:
    url = f"/api/reports/jobs/{job.id}"
    return JobState(
        id=job.id, status=job.status, progress=job.progress, step=job.step, error=job.error,
        format=job.options.format, period=job.options.period, filter=job.options.filter, status_url=url,
        download_url=f"{url}/file" if job.status == "done" else None, filename=job.filename,
        created_at=job.created_at.isoformat(), finished_at=job.finished_at.isoformat() if job.finished_at else None,
        expires_at=job.expires_at.isoformat(),
    ).model_dump()


def _read_job(conn, principal: Principal, job_id: str) -> dict:
    jobs.sweep(conn)
    return _state(_own_job(conn, principal, job_id))


@router.get("/jobs/{job_id}", response_model=JobState, summary="A report job's status and progress",
            responses={404: {"description": "no such job of yours (or expired)"}})
async def get_job(principal: CurrentUser, conn: Conn, job_id: str) -> JSONResponse:
    return JSONResponse(await blocking(_read_job, conn, principal, job_id), headers=NO_STORE)


def _job_file(conn, principal: Principal, job_id: str) -> Response:
    job = _own_job(conn, principal, job_id)
    found = jobs.file(conn, job.id, principal.username) if job.status == "done" else None
    if found is None:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"laporan belum selesai (report not ready: {job.status})")
    body, media_type, filename, digest = found
    _audit_export(conn, principal, job.options.options(), job.options.format, digest, job=job.id)
    return _attachment(body, media_type, filename, digest)


@router.get("/jobs/{job_id}/file", response_class=Response, summary="The finished report of a job (file download)",
            responses={404: {"description": "no such job of yours (or expired)"},
                       409: {"description": "not finished (or failed)"}})
async def get_job_file(principal: CurrentUser, conn: Conn, job_id: str) -> Response:
    return await blocking(_job_file, conn, principal, job_id)


# --- one company ---------------------------------------------------------------------------------
SHEET_FORMATS = {"pdf": "application/pdf",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _company_sheet(conn, principal: Principal, company_id: int, fmt: str, personal: bool, threshold: int | None):
    from geo.reports.company import content, locator
    from geo.reports.company import pdf as sheet_pdf
    from geo.reports.company import xlsx as sheet_xlsx

    opts = content.SheetOptions(company_id, principal.regencies, personal=personal, threshold=threshold)
    c = content.gather_sheet(conn, opts)
    if c is None:  # absent or outside the user's regencies: the same answer
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"tidak ada perusahaan dengan id {company_id} (no such company)")
    if fmt == "pdf":
        body = sheet_pdf.render(c, locator.draw(conn, c["company"]))
    else:
        body = sheet_xlsx.render(c)
    digest = c["meta"]["hash"]
    # As exports: a sheet carrying names and passport/ITAS numbers is a personal.export (with how many).
    audit.record(conn, "personal.export" if personal else "report.export", **principal.audit_fields(),
                 target=f"company:{company_id}",
                 detail={"format": fmt, "sheet": "company", "hash": digest, "suppressed": c["meta"]["threshold"],
                         "personal": personal, **({"workers": len(c["named"])} if personal else {})})
    name = f"lembar-perusahaan-{c['company']['nib']}-{digest}.{fmt}"
    return _attachment(body, SHEET_FORMATS[fmt], name, digest)


@router.get("/companies/{company_id}", response_class=Response,
            summary="One company's sheet (Lembar perusahaan): data, workers aggregated, inspections, location map",
            responses={404: {"description": "no such company in your scope"}})
def get_company_sheet(
    principal: CurrentUser,
    conn: Conn,
    company_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    format: Annotated[str, Query(description="pdf | xlsx")] = "pdf",  # noqa: A002 - the API word
    personal: Annotated[bool, Query(description="named workers and unmasked follow-up (roles allowed to see "
                                                "personal data)")] = False,
    suppress: Annotated[bool, Query(description="hide counts of persons below the threshold")] = True,
    threshold: Annotated[int, Query(ge=2, le=20, description="suppression threshold")] = 3,
) -> Response:
    if format not in SHEET_FORMATS:
        raise BadRequest(f"format harus PDF atau XLSX (format: {format!r} is not one of {', '.join(SHEET_FORMATS)})")
    if personal and not principal.can_see_personal:
        raise BadRequest("data pribadi hanya untuk peran yang berhak (personal: only for roles allowed to see "
                         "personal data)")
    return _company_sheet(conn, principal, company_id, format, personal, threshold if suppress else None)
