"""PATCH/PUT of companies, workers and inspections with optimistic locking.

The client sends the version it read, as `If-Match: "<version>"` (the ETag of the GET) or as the
body's `version`. Missing → 428; stale → 412 (If-Match) or 409 (body version); the row is then
unchanged. Success returns the record with its new ETag. Writers only, within their scope.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from api.deps import Conn
from api.edit_models import (
    REQUIRED,
    CompanyPatch,
    CompanyPut,
    InspectionPatch,
    InspectionPut,
    WorkerPatch,
    WorkerPut,
)
from api.errors import BadRequest, Conflict, NotFound, PantauError
from api.routes.records import RecordId, etag
from api.security import Principal, Writer
from geo import edits, records, redaction
from geo.auth import audit
from geo.db import transaction

router = APIRouter(tags=["edits"])

_ETAG = re.compile(r'^(?:W/)?"?(\d{1,10})"?$')


class PreconditionFailed(PantauError):
    status_code = 412


class PreconditionRequired(PantauError):
    status_code = 428


class Forbidden(PantauError):
    status_code = 403


def expected_version(request: Request, body_version: int | None) -> tuple[int, str]:
    """The version the client read, and where it said so ('header' or 'body')."""
    header = request.headers.get("if-match")
    if header is not None:
        match = _ETAG.match(header.strip())
        if not match:
            raise BadRequest(f'If-Match: {header[:40]!r} is not a version ETag such as "3"')
        version = int(match.group(1))
        if body_version is not None and body_version != version:
            raise Conflict(f"version: body says {body_version} but If-Match says {version}")
        return version, "header"
    if body_version is not None:
        return body_version, "body"
    raise PreconditionRequired('If-Match: required (send the ETag you read, e.g. If-Match: "3", or the body\'s version)')


def _changes(kind: str, body, partial: bool) -> dict[str, Any]:
    if partial:
        values = {k: getattr(body, k) for k in body.model_fields_set if k != "version"}
        for key, value in values.items():
            if value is None and key in REQUIRED[kind]:
                raise BadRequest(f"{key}: may not be null")
    else:
        values = {k: getattr(body, k) for k in type(body).model_fields if k != "version"}
    return {k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in values.items()}


def _check_team(conn, team: list[str] | None) -> None:
    if not team:
        return
    with transaction(conn) as cur:
        cur.execute("SELECT array_agg(code) FROM agencies WHERE code = ANY(%s)", (team,))
        known = set(cur.fetchone()[0] or ())
    for code in team:
        if code not in known:
            raise BadRequest(f"team: unknown agency {code!r}")


def _apply(request: Request, conn, principal: Principal, kind: edits.Kind, record_id: int, body, partial: bool) -> int:
    version, source = expected_version(request, body.version)
    changes = _changes(kind.name, body, partial)
    if kind is edits.INSPECTION:
        _check_team(conn, changes.get("team"))
    try:
        return edits.update_record(
            conn, kind, record_id, changes, version, regencies=principal.regencies,
            actor=principal.audit_fields(), method=request.method,
        )
    except edits.RecordNotFound as exc:
        raise NotFound(exc.message) from exc
    except edits.StaleVersion as exc:
        raise (PreconditionFailed if source == "header" else Conflict)(exc.message) from exc
    except edits.OutOfScope as exc:
        audit.record(conn, f"{kind.name}.update", **principal.audit_fields(), target=f"{kind.name}:{record_id}",
                     outcome="denied", detail={"reason": "out_of_scope", "field": exc.field})
        raise Forbidden(exc.message) from exc
    except edits.DuplicateRecord as exc:
        raise Conflict(exc.message) from exc
    except edits.InvalidEdit as exc:
        raise BadRequest(exc.message) from exc


def _respond(response: Response, record: dict[str, Any] | None, written: int) -> dict[str, Any]:
    """The record as read after our commit, labelled with the version our edit wrote: another edit
    committed in between must not lend us its newer version (an If-Match with it would then overwrite
    a change we never saw); an older label can only cost a 412."""
    if record is None:  # only if someone deleted it between our commit and this read
        raise NotFound("record no longer exists")
    response.headers["ETag"] = etag(written)
    return {**record, "version": written} if "version" in record else record


def _company(request, response, conn, principal, company_id, body, partial):
    written = _apply(request, conn, principal, edits.COMPANY, company_id, body, partial)
    return _respond(response, records.company_detail(conn, company_id, principal.regencies), written)


def _worker(request, response, conn, principal, worker_id, body, partial):
    written = _apply(request, conn, principal, edits.WORKER, worker_id, body, partial)
    return _respond(response, records.worker_detail(conn, worker_id, principal.regencies, principal.can_see_personal),
                    written)


def _inspection(request, response, conn, principal, inspection_id, body, partial):
    written = _apply(request, conn, principal, edits.INSPECTION, inspection_id, body, partial)
    record = _respond(response, records.inspection_detail(conn, inspection_id, principal.regencies,
                                                          principal.can_see_personal), written)
    # Saved as written; the writer learns that the text will be masked for others (geo.redaction).
    return {**record, "warnings": redaction.record_warnings(conn, record["company_id"], record)}


_DOC = {428: {"description": "If-Match (or body version) missing"},
        412: {"description": "If-Match is stale: the record changed since you read it"},
        409: {"description": "body version stale or differing from If-Match; or a duplicate"}}


@router.patch("/companies/{company_id:int}", summary="Change some fields of a company", responses=_DOC)
def patch_company(company_id: RecordId, body: CompanyPatch, request: Request, response: Response, conn: Conn, principal: Writer):
    return _company(request, response, conn, principal, company_id, body, True)


@router.put("/companies/{company_id:int}", summary="Replace a company's editable fields", responses=_DOC)
def put_company(company_id: RecordId, body: CompanyPut, request: Request, response: Response, conn: Conn, principal: Writer):
    return _company(request, response, conn, principal, company_id, body, False)


@router.patch("/workers/{worker_id:int}", summary="Change some fields of a worker", responses=_DOC)
def patch_worker(worker_id: RecordId, body: WorkerPatch, request: Request, response: Response, conn: Conn, principal: Writer):
    return _worker(request, response, conn, principal, worker_id, body, True)


@router.put("/workers/{worker_id:int}", summary="Replace a worker's editable fields", responses=_DOC)
def put_worker(worker_id: RecordId, body: WorkerPut, request: Request, response: Response, conn: Conn, principal: Writer):
    return _worker(request, response, conn, principal, worker_id, body, False)


@router.patch("/inspections/{inspection_id:int}", summary="Change some fields of an inspection", responses=_DOC)
def patch_inspection(inspection_id: RecordId, body: InspectionPatch, request: Request, response: Response, conn: Conn,
                     principal: Writer):
    return _inspection(request, response, conn, principal, inspection_id, body, True)


@router.put("/inspections/{inspection_id:int}", summary="Replace an inspection's editable fields", responses=_DOC)
def put_inspection(inspection_id: RecordId, body: InspectionPut, request: Request, response: Response, conn: Conn,
                   principal: Writer):
    return _inspection(request, response, conn, principal, inspection_id, body, False)
