"""POST /api/imports/{kind}: an agency's CSV/XLSX file through the same importer as the CLI."""

from __future__ import annotations

from typing import Annotated, Literal

import psycopg2
from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.security import Writer
from geo import db as dbmod
from geo.auth import audit
from geo.imports.service import ImportFileError, run_import

router = APIRouter(prefix="/imports", tags=["imports"])
CHUNK = 1024 * 1024


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    parts, size = [], 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                                f"berkas lebih dari {limit // CHUNK} MB (file too large)")
        parts.append(chunk)
    return b"".join(parts)


def _import(request: Request, principal, kind: str, data: bytes, file_name: str, mode: str, source: str):
    settings = request.app.state.settings
    # Its own connection: a large import outlasts the pool's statement timeout.
    conn = dbmod.connect(dbmod.resolve_url(settings.database), application_name="pantau-import")
    try:
        report = run_import(conn, kind, data, file_name, mode=mode, source=source, user=principal.username,
                            regencies=principal.regencies)
        audit.record(conn, f"import.{kind}", **principal.audit_fields(), target=f"import_batch:{report.batch_id}",
                     outcome="ok" if report.committed or mode == "check" else "failed",
                     detail={"mode": mode, "source": source, "sha256": report.sha256, "rows": report.rows_total,
                             "imported": report.imported, "updated": report.updated,
                             "rejected_rows": len(report.rejected_lines)})
        return report
    finally:
        conn.close()


@router.post("/{kind}", summary="Import companies, workers or inspections (CSV or XLSX)")
async def import_file(
    request: Request,
    principal: Writer,
    kind: Literal["companies", "workers", "inspections"],
    file: Annotated[UploadFile, File(description="CSV (, or ; separated) or XLSX in the import template")],
    source: Annotated[str | None, Form(description="agency that sent the file (default: your agency)")] = None,
    mode: Annotated[Literal["check", "all_or_nothing", "skip_invalid"], Form()] = "all_or_nothing",
) -> JSONResponse:
    limit = request.app.state.settings.auth.max_upload_mb * CHUNK
    data = await _read_limited(file, limit)
    try:
        report = await run_in_threadpool(_import, request, principal, kind, data, file.filename or f"{kind}.csv",
                                         mode, source or principal.agency)
    except ImportFileError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    except psycopg2.Error as exc:
        # Only the primary message, never the DETAIL (it may quote row values); nothing was written.
        raise HTTPException(status.HTTP_409_CONFLICT, "kesalahan basis data, tidak ada yang disimpan "
                            f"(database error, nothing written): {exc.diag.message_primary}") from None
    rejected_all = report.rejected and (mode == "all_or_nothing" or report.rows_total == 0)
    return JSONResponse(report.as_dict(), status_code=422 if rejected_all else 200)
