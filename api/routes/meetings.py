"""Coordination meetings and their recommendations (issue 19).

GET/POST /api/meetings, GET /api/meetings/{id}, PUT /api/meetings/{id}/minutes-file (upload) and GET
(download), GET/POST /api/meetings/{id}/recommendations, GET/PATCH /api/recommendations/{id} (status,
note, version; If-Match accepted: missing 428, stale 412 (If-Match) or 409 (body version)),
POST /api/recommendations/{id}/updates (the same as multipart with evidence files) and
GET /api/recommendations/{id}/evidence/{evidence_id}. Who may see and do what: geo/meetings/store.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import Conn
from api.errors import BadRequest, Conflict, NotFound, PantauError
from api.routes.edits import PreconditionFailed, expected_version
from api.routes.records import etag
from api.security import CurrentUser, Principal
from geo import clock
from geo.meetings import files, store
from geo.reports import jobs

router = APIRouter(tags=["meetings"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
AgencyCode = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{2}\.\d{2}(\.\d{2})?$")]


class Forbidden(PantauError):
    status_code = 403


class TooLarge(PantauError):
    status_code = 413


class UnsupportedType(PantauError):
    status_code = 415


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date
    place: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    period: Annotated[str, StringConstraints(pattern=r"^\d{4}-Q[1-4]$")]
    agencies: list[AgencyCode] = Field(default_factory=list, max_length=20)
    minutes: Annotated[str, StringConstraints(max_length=100_000)] = ""


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    regency: Annotated[str, StringConstraints(pattern=r"^\d{2}\.\d{2}$")] | None = None
    purpose: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")] | None = Field(
        None, description="a stay purpose code (stay_purposes)")
    nationality: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        None, description="ISO 3166-1 alpha-2, e.g. CN")


class RecommendationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    agency: AgencyCode
    due_date: dt.date
    regions: list[RegionCode] = Field(default_factory=list, max_length=100)
    company_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(default_factory=list, max_length=500)
    groups: list[GroupIn] = Field(default_factory=list, max_length=50)


class RecommendationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str | None = Field(None, description="baru | diproses | selesai | tidak_dapat_dilaksanakan")
    note: Annotated[str, StringConstraints(max_length=5000)] = ""
    version: int | None = Field(None, ge=1, le=2**31 - 1)


def _refuse(exc: store.MeetingError) -> PantauError:
    if isinstance(exc, store.NotAllowed):
        return Forbidden(exc.message)
    return BadRequest(exc.message)


@router.get("/meetings", summary="Meetings you see, newest first")
def list_meetings(conn: Conn, principal: CurrentUser) -> dict[str, Any]:
    return {"items": store.list_meetings(conn, principal, clock.today()),
            "can_create": store.can_manage(principal)}


@router.post("/meetings", status_code=201, summary="Record a meeting (Kesbangpol)")
def create_meeting(body: MeetingIn, conn: Conn, principal: CurrentUser) -> dict[str, Any]:
    try:
        meeting_id = store.create_meeting(conn, principal, held_on=body.date, place=body.place, period=body.period,
                                          agencies=body.agencies, minutes=body.minutes)
    except store.MeetingError as exc:
        raise _refuse(exc) from exc
    return store.get_meeting(conn, principal, meeting_id)


@router.get("/meetings/{meeting_id}", summary="One meeting with its recommendations")
def get_meeting(meeting_id: Id, conn: Conn, principal: CurrentUser) -> dict[str, Any]:
    meeting = store.get_meeting(conn, principal, meeting_id)
    if meeting is None:
        raise NotFound(f"meeting {meeting_id} not found")
    meeting["recommendations"] = store.list_recommendations(conn, principal, meeting_id, clock.today()) or []
    return meeting


def read_upload(upload: UploadFile, limit: int) -> files.Upload:
    """The uploaded file checked (size, type), read no further than the limit."""
    content = upload.file.read(limit + 1)
    try:
        return files.check(upload.filename, content, limit)
    except files.FileRefused as exc:
        raise {413: TooLarge, 415: UnsupportedType}.get(exc.status, BadRequest)(exc.message) from exc


@router.put("/meetings/{meeting_id}/minutes-file", summary="Upload the minutes file (PDF, DOCX, ODT, image; 20 MB)",
            responses={413: {"description": "file too large"}, 415: {"description": "file type not accepted"}})
def put_minutes_file(meeting_id: Id, file: Annotated[UploadFile, File()], conn: Conn,
                     principal: CurrentUser) -> dict[str, Any]:
    upload = read_upload(file, files.MAX_MINUTES_BYTES)
    try:
        if not store.set_minutes_file(conn, principal, meeting_id, upload):
            raise NotFound(f"meeting {meeting_id} not found")
    except store.MeetingError as exc:
        raise _refuse(exc) from exc
    return store.get_meeting(conn, principal, meeting_id)


def file_response(name: str, media_type: str, content: bytes) -> Response:
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, no-store"})


@router.get("/meetings/{meeting_id}/minutes-file", summary="Download the minutes file (not for viewers)",
            response_class=Response)
def get_minutes_file(meeting_id: Id, conn: Conn, principal: CurrentUser) -> Response:
    try:
        found = store.minutes_file(conn, principal, meeting_id)
    except store.MeetingError as exc:
        raise _refuse(exc) from exc
    if found is None:
        raise NotFound(f"meeting {meeting_id} has no minutes file")
    return file_response(*found)


class KeepReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job_id: Annotated[str, StringConstraints(max_length=40)] = Field(
        description="a finished report job of yours (POST /api/reports/jobs), made without personal data")


@router.post("/meetings/{meeting_id}/reports", status_code=201,
             summary="Keep a finished report job's file as the meeting's report, with its SHA-256 (Kesbangpol)")
def keep_report(meeting_id: Id, body: KeepReport, conn: Conn, principal: CurrentUser) -> dict[str, Any]:
    job_id = jobs.parse_id(body.job_id)
    job = jobs.status(conn, job_id, principal.username) if job_id else None
    found = jobs.file(conn, job_id, principal.username) if job is not None and job.status == "done" else None
    if found is None:
        raise NotFound("job_id: no finished report job of yours with this id")
    if job.options.personal:
        raise BadRequest("job_id: a report with personal data is not kept with a meeting (made with personal=true)")
    content, _media_type, filename, _digest = found
    try:
        report_id = store.add_report(conn, principal, meeting_id, job.options.format, filename, content)
    except store.MeetingError as exc:
        raise _refuse(exc) from exc
    if report_id is None:
        raise NotFound(f"meeting {meeting_id} not found")
    return next(r for r in store.get_meeting(conn, principal, meeting_id)["reports"] if r["id"] == report_id)


@router.get("/meetings/{meeting_id}/reports/{report_id}", response_class=Response,
            summary="Download a kept meeting report (province-wide users)")
def get_report(meeting_id: Id, report_id: Id, conn: Conn, principal: CurrentUser) -> Response:
    try:
        found = store.report_file(conn, principal, meeting_id, report_id)
    except store.MeetingError as exc:
        raise _refuse(exc) from exc
    if found is None:
        raise NotFound(f"report {report_id} not found")
    return file_response(*found)


@router.get("/meetings/{meeting_id}/recommendations", summary="The recommendations of a meeting you see")
def list_recommendations(meeting_id: Id, conn: Conn, principal: CurrentUser) -> dict[str, Any]:
    items = store.list_recommendations(conn, principal, meeting_id, clock.today())
    if items is None:
        raise NotFound(f"meeting {meeting_id} not found")
    return {"items": items}


@router.post("/meetings/{meeting_id}/recommendations", status_code=201, summary="Add a recommendation (Kesbangpol)")
def create_recommendation(meeting_id: Id, body: RecommendationIn, response: Response, conn: Conn,
                          principal: CurrentUser) -> dict[str, Any]:
    try:
        rec_id = store.create_recommendation(
            conn, principal, meeting_id, text=body.text, agency=body.agency, due_date=body.due_date,
            regions=body.regions, company_ids=body.company_ids, groups=[g.model_dump() for g in body.groups])
    except store.MeetingError as exc:
        raise _refuse(exc) from exc
    if rec_id is None:
        raise NotFound(f"meeting {meeting_id} not found")
    return _recommendation(conn, principal, rec_id, response)


def _recommendation(conn, principal: Principal, rec_id: int, response: Response) -> dict[str, Any]:
    rec = store.get_recommendation(conn, principal, rec_id, clock.today())
    if rec is None:
        raise NotFound(f"recommendation {rec_id} not found")
    response.headers["ETag"] = etag(rec["version"])
    return rec


@router.get("/recommendations/{rec_id}", summary="One recommendation with its history (ETag: its version)")
def get_recommendation(rec_id: Id, response: Response, conn: Conn, principal: CurrentUser) -> dict[str, Any]:
    return _recommendation(conn, principal, rec_id, response)


def apply_update(request: Request, conn, principal: Principal, rec_id: int, change: store.Update,
                 body_version: int | None) -> None:
    """The one path of PATCH, the multipart update and the page's form."""
    version, source = expected_version(request, body_version)
    try:
        done = store.update_recommendation(conn, principal, rec_id, change, version)
    except store.StaleVersion as exc:
        raise (PreconditionFailed if source == "header" else Conflict)(exc.message) from exc
    except store.NotAllowed as exc:
        store.refused(conn, principal, rec_id, "not_responsible_agency")
        raise Forbidden(exc.message) from exc
    except store.MeetingError as exc:
        raise BadRequest(exc.message) from exc
    if done is None:
        raise NotFound(f"recommendation {rec_id} not found")


_DOC = {428: {"description": "If-Match (or body version) missing"},
        412: {"description": "If-Match is stale: the recommendation changed since you read it"},
        409: {"description": "body version stale or differing from If-Match"},
        403: {"description": "another agency's recommendation, or a read-only role"}}


@router.patch("/recommendations/{rec_id}", summary="Update status and/or add a progress note", responses=_DOC)
def patch_recommendation(rec_id: Id, body: RecommendationPatch, request: Request, response: Response, conn: Conn,
                         principal: CurrentUser) -> dict[str, Any]:
    apply_update(request, conn, principal, rec_id, store.Update(body.status, body.note), body.version)
    return _recommendation(conn, principal, rec_id, response)


@router.post("/recommendations/{rec_id}/updates", summary="Update with evidence files (multipart; 5 files of 10 MB)",
             responses={**_DOC, 413: {"description": "file too large"}, 415: {"description": "file type not accepted"}})
def post_update(rec_id: Id, request: Request, response: Response, conn: Conn, principal: CurrentUser,
                status: Annotated[str | None, Form()] = None,
                note: Annotated[str, Form(max_length=5000)] = "",
                version: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
                evidence: Annotated[list[UploadFile] | None, File()] = None) -> dict[str, Any]:
    uploads = [u for u in (evidence or []) if u.filename or u.size]
    if len(uploads) > files.MAX_EVIDENCE_FILES:
        raise BadRequest(f"paling banyak {files.MAX_EVIDENCE_FILES} berkas bukti (too many files)")
    checked = tuple(read_upload(u, files.MAX_EVIDENCE_BYTES) for u in uploads)
    apply_update(request, conn, principal, rec_id, store.Update(status or None, note, checked), version)
    return _recommendation(conn, principal, rec_id, response)


@router.get("/recommendations/{rec_id}/evidence/{evidence_id}", summary="Download an evidence file (not for viewers)",
            response_class=Response)
def get_evidence(rec_id: Id, evidence_id: Id, conn: Conn, principal: CurrentUser) -> Response:
    try:
        found = store.evidence_file(conn, principal, rec_id, evidence_id)
    except store.MeetingError as exc:
        raise _refuse(exc) from exc
    if found is None:
        raise NotFound(f"evidence {evidence_id} not found")
    return file_response(*found)

