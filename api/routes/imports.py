"""POST /api/imports/{kind}: an agency's CSV/XLSX file through the same importer as the CLI.

The import runs in a child process (geo/imports/worker.py) within the limits of PANTAU_IMPORT_*:
the event loop only waits for it, at most PANTAU_IMPORT_CONCURRENCY run at once per worker (the
next wait their turn, for a while), and a file beyond a limit is a 413 that names it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.security import Writer
from geo import db as dbmod
from geo.auth import audit
from geo.imports.limits import ImportLimits, LimitExceeded, LineMeter, check_upload
from geo.imports.templates import SLUGS
from geo.imports.worker import ImportCrashed, ImportDatabaseError, ImportRefused, Job, run_async

router = APIRouter(prefix="/imports", tags=["imports"])
log = logging.getLogger("pantau.api")
CHUNK = 1024 * 1024
BUSY_RETRY_S = 30
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


def _spool(upload, limit: int) -> tuple[str, str, int]:
    """The upload into a file of its own for the import process; returns (path, sha256, longest line)."""
    fd, path = tempfile.mkstemp(prefix="pantau-import-")
    digest, size, lines = hashlib.sha256(), 0, LineMeter()
    try:
        with os.fdopen(fd, "wb") as out:
            upload.seek(0)
            while chunk := upload.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                                        f"berkas lebih dari {limit // CHUNK} MB (file too large; PANTAU_MAX_UPLOAD_MB)")
                digest.update(chunk)
                lines.feed(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return path, digest.hexdigest(), lines.longest


def _audit(settings, principal, kind: str, outcome: str, target: str | None, detail: dict) -> None:
    conn = dbmod.connect(dbmod.resolve_url(settings.database), application_name="pantau-import-audit")
    try:
        audit.record(conn, f"import.{kind}", **principal.audit_fields(), target=target, outcome=outcome, detail=detail)
    finally:
        conn.close()


@asynccontextmanager
async def _slot(state, imports) -> AsyncIterator[None]:
    """At most PANTAU_IMPORT_CONCURRENCY imports at once in this process; the next ones wait in
    arrival order (asyncio.Semaphore is FIFO) for up to PANTAU_IMPORT_QUEUE_S, then answer 503."""
    slots = getattr(state, "import_slots", None)
    if slots is None:
        slots = state.import_slots = asyncio.Semaphore(imports.concurrency)
    try:
        async with asyncio.timeout(imports.queue_s):
            await slots.acquire()
    except TimeoutError:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            f"server sedang menjalankan {imports.concurrency} impor; coba lagi dalam {BUSY_RETRY_S} "
                            f"detik (too many imports at once, retry in {BUSY_RETRY_S} s; PANTAU_IMPORT_CONCURRENCY)",
                            headers={"Retry-After": str(BUSY_RETRY_S)}) from None
    try:
        yield
    finally:
        slots.release()


@router.post("/{kind}", summary="Import companies, workers, inspections, foreign nationals (orang-asing), lodging "
                                 "guests (penginapan) or monitoring activities (kegiatan) (CSV or XLSX)",
             responses={413: {"description": "the file is beyond an import limit (named in the answer)"},
                        503: {"description": "too many imports at once; retry after Retry-After seconds"}})
async def import_file(
    request: Request,
    principal: Writer,
    kind: Literal["companies", "workers", "inspections", "orang-asing", "penginapan", "kegiatan"],
    file: Annotated[UploadFile, File(description="CSV (, or ; separated) or XLSX in the import template")],
    source: Annotated[str | None, Form(description="agency that sent the file: your own agency (admins may name another)",
                                       max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")] = None,
    mode: Annotated[Literal["check", "all_or_nothing", "skip_invalid"], Form()] = "all_or_nothing",
) -> JSONResponse:
    settings = request.app.state.settings
    kind = SLUGS.get(kind, kind)  # the URL's name → import_batches.kind
    # Each agency's figures are compared with the others' (discrepancies): an editor reports for its
    # own agency only, or it could put words in another agency's mouth.
    if source and source != principal.agency and not principal.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "hanya admin boleh mengimpor atas nama instansi lain "
                            "(only admins may import on behalf of another agency)")
    source = source or principal.agency
    file_name = _UNSAFE_NAME.sub("", file.filename or "")[:200] or f"{kind}.csv"
    async with _slot(request.app.state, settings.imports):
        path, sha256, longest_line = await run_in_threadpool(_spool, file.file, settings.auth.max_upload_mb * CHUNK)
        detail = {"mode": mode, "source": source, "sha256": sha256}
        limits = ImportLimits.from_settings(settings.imports)
        try:
            # What the directory or line lengths already tell costs no import process.
            await run_in_threadpool(check_upload, path, file_name, longest_line, limits)
            job = Job(url=dbmod.resolve_url(settings.database), kind=kind, path=path, file_name=file_name, mode=mode,
                      source=source, user=principal.username, regencies=principal.regencies, limits=limits,
                      province=settings.boundaries.home_province)
            report = await run_async(job)
        except LimitExceeded as exc:
            await run_in_threadpool(_audit, settings, principal, kind, "failed", None, {**detail, "limit": exc.limit})
            return JSONResponse({"code": "ImportLimit", "description": exc.message, "limit": exc.setting},
                                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        except ImportRefused as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        except ImportDatabaseError as exc:
            # Only the primary message, never the DETAIL (it may quote row values); nothing was written.
            raise HTTPException(status.HTTP_409_CONFLICT, "kesalahan basis data, tidak ada yang disimpan "
                                f"(database error, nothing written): {exc}") from None
        except ImportCrashed as exc:
            log.warning("import process failed: %s", exc)
            await run_in_threadpool(_audit, settings, principal, kind, "failed", None, {**detail, "error": "crashed"})
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "berkas tidak dapat diproses, tidak ada yang "
                                "disimpan (the file could not be processed, nothing written)") from None
        finally:
            os.unlink(path)
    await run_in_threadpool(_audit, settings, principal, kind, "ok" if report.committed or mode == "check" else "failed",
                            f"import_batch:{report.batch_id}",
                            {**detail, "rows": report.rows_total, "imported": report.imported,
                             "updated": report.updated, "rejected_rows": len(report.rejected_lines)})
    rejected_all = report.rejected and (mode == "all_or_nothing" or report.rows_total == 0)
    body = await run_in_threadpool(lambda: json.dumps(report.as_dict(), ensure_ascii=False, separators=(",", ":"),
                                                      default=str).encode())
    return Response(body, status_code=422 if rejected_all else 200, media_type="application/json")
