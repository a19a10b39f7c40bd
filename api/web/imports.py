"""/imports: an agency's CSV/XLSX files through the browser, always checked before anything is kept.

1. POST /imports/check: the file(s) go through the importer in `check` mode (the real writes, rolled
   back: geo/imports/service.py), and are kept server-side with the report (geo/imports/uploads.py).
2. GET /imports/u/{id}: the preview: new, changed, unchanged and rejected rows, the rejected rows'
   line, column, value and reason.
3. POST /imports/u/{id}/commit: the very bytes that were checked, all or nothing or the valid rows
   only. The database may have changed since the check: new/changed counts may then differ and are
   reported as they are; but if the rows the commit would reject are not those of the check, nothing
   is written and the page offers to check the kept file again (the user agreed to skip those rows).

Roles editor and admin; the source agency is the user's own (admins choose). The same child process,
limits, concurrency slots and audit records as POST /api/imports/{kind}.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Request, UploadFile, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.blocking import blocking
from api.deps import Conn
from api.routes.imports import CHUNK, _audit, _slot, _spool
from api.security import Principal
from api.web.common import TEMPLATES, error_page, render
from api.web.common import page_user as _page_user
from api.web.forms import FormUser
from geo import clock
from geo import db as dbmod
from geo.imports import uploads
from geo.imports.limits import ImportLimits, LimitExceeded, check_upload
from geo.imports.service import STALE
from geo.imports.templates import SLUGS
from geo.imports.worker import (
    ImportCrashed,
    ImportDatabaseError,
    ImportRefused,
    Job,
    run_many_async,
)

router = APIRouter(include_in_schema=False)

# The form's kinds (URL names, as the API and the CLI) and what a person reads.
KIND_CHOICES = (("companies", "Perusahaan"), ("workers", "Tenaga kerja asing (TKA)"), ("inspections", "Pemeriksaan"),
                ("orang-asing", "Orang asing"), ("penginapan", "Tamu penginapan"), ("kegiatan", "Kegiatan pemantauan"))
KIND_LABEL = {SLUGS.get(slug, slug): label for slug, label in KIND_CHOICES}
MAX_SHOWN = 500  # rejected rows listed on the page; all of them in the CSV
_UPLOAD_ID = r"^[A-Za-z0-9_-]{32,64}$"
_PROGRESS_ID = re.compile(r"[A-Za-z0-9]{16,64}")
TEMPLATES.env.filters.setdefault("stamp", clock.stamp)  # '5 Desember 2026 14:07 WIB'


def _writer(principal: Principal) -> bool:
    return principal.can_write


def _refused(request: Request) -> HTMLResponse:
    return error_page(request, 403, "Akses ditolak", "Impor data hanya untuk peran editor dan admin.")


PageUser = Annotated[Principal, Depends(_page_user)]
UploadId = Annotated[str, Path(pattern=_UPLOAD_ID)]


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _answer(request: Request, target: str | None, error: str | None = None, status_code: int = 200) -> Response:
    """The page's script reads JSON ({next} or {error}); a plain form gets a redirect or an error page."""
    if _wants_json(request):
        return JSONResponse({"next": target} if error is None else {"error": error},
                            status_code=status_code if error else 200)
    if error is not None:
        return error_page(request, status_code, "Impor tidak dapat diproses", error)
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def _agencies(conn) -> list[tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute("SELECT code, name FROM agencies ORDER BY name")
        rows = cur.fetchall()
    conn.rollback()
    return rows


@router.get("/imports", response_class=HTMLResponse)
async def imports_form(request: Request, conn: Conn, principal: PageUser):
    if not _writer(principal):
        return _refused(request)
    await blocking(uploads.purge_expired, conn)  # expired files go as soon as anyone opens the page
    agencies = await blocking(_agencies, conn)
    return render(request, "imports.html", {
        "kinds": KIND_CHOICES, "agencies": agencies, "max_mb": request.app.state.settings.auth.max_upload_mb,
    })


async def _run_job(settings, principal: Principal, source: str, mode: str,
                   files: list[tuple[str, str, str]], expect_rejected=None, progress_path: str | None = None):
    """(kind, path, file name) files through one import process; → reports, or an error text."""
    limits = ImportLimits.from_settings(settings.imports)
    (kind, path, name), *more = files
    job = Job(url=dbmod.resolve_url(settings.database), kind=kind, path=path, file_name=name, mode=mode,
              source=source, user=principal.username, regencies=principal.regencies, limits=limits,
              province=settings.boundaries.home_province, more=tuple(more),
              expect_rejected=tuple(tuple(lines) for lines in expect_rejected) if expect_rejected is not None else None,
              progress_path=progress_path)
    try:
        return await run_many_async(job), None
    except LimitExceeded as exc:
        return None, exc.message
    except ImportRefused as exc:
        return None, str(exc)
    except ImportDatabaseError as exc:  # the primary message only, never the DETAIL (it may quote values)
        return None, f"kesalahan basis data, tidak ada yang disimpan (database error, nothing written): {exc}"
    except ImportCrashed:
        return None, "berkas tidak dapat diproses, tidak ada yang disimpan (the file could not be processed, nothing written)"


def _audit_reports(settings, principal, reports, mode: str, committed: bool) -> None:
    for r in reports:
        detail = {"mode": mode, "source": r.source, "sha256": r.sha256, "rows": r.rows_total, "imported": r.imported,
                  "updated": r.updated, "rejected_rows": len(r.rejected_lines), "via": "web"}
        _audit(settings, principal, r.kind, "ok" if committed or mode == "check" else "failed",
               f"import_batch:{r.batch_id}" if r.batch_id else None, detail)


@router.post("/imports/check")
async def check(
    request: Request, conn: Conn, principal: FormUser,
    kind: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
    workers_file: Annotated[UploadFile | None, File()] = None,
    source: Annotated[str, Form(max_length=40)] = "",
    progress_id: Annotated[str, Form(max_length=64)] = "",
):
    if not _writer(principal):
        return _answer(request, None, "impor hanya untuk editor dan admin (editors and admins only)", 403)
    slugs = dict(KIND_CHOICES)
    if kind not in slugs:
        return _answer(request, None, "jenis data tidak dikenal (unknown kind)", 400)
    # An editor reports for its own agency only (api/routes/imports.py says why).
    source = (source or principal.agency) if principal.is_admin else principal.agency
    settings = request.app.state.settings
    uploads_in = [(SLUGS.get(kind, kind), file)]
    if workers_file is not None and workers_file.filename:
        if kind != "companies":
            return _answer(request, None, "berkas TKA hanya bersama berkas perusahaan (workers file only with a "
                                          "companies file)", 400)
        uploads_in.append(("workers", workers_file))
    paths: list[str] = []
    progress = _progress_path(principal, progress_id)
    try:
        async with _slot(request.app.state, settings.imports):
            files, limits = [], ImportLimits.from_settings(settings.imports)
            for part_kind, upload in uploads_in:
                name = "".join(ch for ch in (upload.filename or "") if ch.isprintable())[:200] or f"{part_kind}.csv"
                path, _, longest = await run_in_threadpool(_spool, upload.file, settings.auth.max_upload_mb * CHUNK)
                paths.append(path)
                try:
                    await run_in_threadpool(check_upload, path, name, longest, limits)
                except LimitExceeded as exc:
                    return _answer(request, None, exc.message, 413)
                files.append((part_kind, path, name))
            reports, error = await _run_job(settings, principal, source, "check", files, progress_path=progress)
            if error is not None:
                return _answer(request, None, error, 400)
            await run_in_threadpool(_audit_reports, settings, principal, reports, "check", False)
            kept = [(k, n, await run_in_threadpool(_read, p)) for k, p, n in files]
            upload_id = await blocking(uploads.save, conn, principal.username, source, principal.regencies, kept,
                                       [r.as_dict() for r in reports])
    except HTTPException as exc:  # 413 of the spool, 503 of a full queue
        return _answer(request, None, str(exc.detail), exc.status_code)
    finally:
        for path in paths:
            os.unlink(path)
        if progress is not None:
            for leftover in (progress, f"{progress}.part"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)
    return _answer(request, f"/imports/u/{upload_id}")


def _progress_path(principal: Principal, progress_id: str) -> str | None:
    """The file where the import process reports its steps: named by the user and the page's random id,
    so that one user cannot read another's (any worker process of this host finds it)."""
    if not _PROGRESS_ID.fullmatch(progress_id):
        return None
    key = hashlib.sha256(f"{principal.username}\0{progress_id}".encode()).hexdigest()
    return os.path.join(tempfile.gettempdir(), f"pantau-import-progress-{key}.json")


@router.get("/imports/progress/{progress_id}")
def check_progress(request: Request, principal: PageUser, progress_id: Annotated[str, Path(max_length=64)]):
    """The step the user's running check is at: {kind, stage, rows}; {} before the first or after the last."""
    if not _writer(principal):
        return JSONResponse({}, status_code=403)
    path = _progress_path(principal, progress_id)
    try:
        with open(path or "", encoding="utf-8") as f:
            body = json.load(f)
    except (OSError, ValueError):
        body = {}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _view(upload: uploads.Upload) -> dict:
    committed = upload.state == "committed"
    reports = upload.commit_reports if committed else upload.check_reports
    parts = []
    for report in reports:
        rejected = report["rejected"]
        parts.append({**report, "label": KIND_LABEL.get(report["kind"], report["kind"]),
                      "rejected_count": report["rejected_rows"], "shown": rejected[:MAX_SHOWN],
                      "more": max(0, len(rejected) - MAX_SHOWN)})
    readable = all(p["rows_total"] > 0 or not p["rejected"] for p in parts)
    return {"upload": upload, "parts": parts, "committed": committed,
            "any_rejected": any(p["rejected_count"] for p in parts),
            "any_valid": any(p["valid"] for p in parts), "readable": readable}


@router.get("/imports/u/{upload_id}", response_class=HTMLResponse)
async def preview(request: Request, conn: Conn, principal: PageUser, upload_id: UploadId):
    if not _writer(principal):
        return _refused(request)
    upload = await blocking(uploads.get, conn, upload_id, principal.username)
    if upload is None:  # another user's, expired or never made: the same answer
        return error_page(request, 404, "Unggahan tidak ditemukan",
                          "Unggahan ini tidak ada atau sudah kedaluwarsa. Unggah berkas lagi.")
    return render(request, "imports_preview.html", {**_view(upload), "error": request.query_params.get("galat")})


@router.post("/imports/u/{upload_id}/commit")
async def commit(request: Request, conn: Conn, principal: FormUser, upload_id: UploadId,
                 mode: Annotated[str, Form()] = ""):
    if not _writer(principal):
        return _answer(request, None, "impor hanya untuk editor dan admin (editors and admins only)", 403)
    if mode not in ("all_or_nothing", "skip_invalid", "recheck"):
        return _answer(request, None, "pilihan simpan tidak dikenal (unknown mode)", 400)
    upload = await blocking(uploads.get, conn, upload_id, principal.username)
    if upload is None:
        return _answer(request, None, "unggahan tidak ditemukan atau kedaluwarsa (upload not found or expired)", 404)
    if upload.source != principal.agency and not principal.is_admin:  # the user's agency changed meanwhile
        return _answer(request, None, "hanya admin boleh mengimpor atas nama instansi lain "
                                      "(only admins may import on behalf of another agency)", 403)
    if mode == "all_or_nothing" and any(r["rejected"] for r in upload.check_reports):
        return _answer(request, None, "ada baris yang ditolak: pilih 'hanya baris yang valid' atau perbaiki berkas "
                                      "(rows were rejected: commit the valid rows only, or fix the file)", 400)
    settings = request.app.state.settings
    try:
        files = await blocking(uploads.claim, conn, upload_id, principal.username)
    except ValueError:
        return _answer(request, None, "berkas yang disimpan rusak, unggah lagi (stored file damaged, upload again)", 409)
    if files is None:  # a commit already ran or runs (a second click)
        return _answer(request, f"/imports/u/{upload_id}")
    paths, done = [], False
    try:
        for _, _, data in files:
            paths.append(await run_in_threadpool(_write_temp, data))
        parts = [(kind, path, name) for (kind, name, _), path in zip(files, paths, strict=True)]
        async with _slot(request.app.state, settings.imports):
            run_mode = "check" if mode == "recheck" else mode
            expect = None if mode == "recheck" else [sorted({r["line"] for r in rep["rejected"]})
                                                        for rep in upload.check_reports]
            reports, error = await _run_job(settings, principal, upload.source, run_mode, parts, expect)
        if error is not None:
            await blocking(uploads.release, conn, upload_id)
            done = True
            return _answer(request, None, error, 409 if error == STALE else 400)
        await run_in_threadpool(_audit_reports, settings, principal, reports, run_mode,
                                all(r.committed for r in reports))
        if mode == "recheck" or not all(r.committed for r in reports):
            await blocking(uploads.release, conn, upload_id, "checked", [r.as_dict() for r in reports])
        else:
            await blocking(uploads.finish, conn, upload_id, mode, [r.as_dict() for r in reports])
        done = True
    except HTTPException as exc:
        return _answer(request, None, str(exc.detail), exc.status_code)
    finally:
        if not done:  # a full queue or a cancelled request: the upload may be tried again
            await run_in_threadpool(_release_alone, settings, upload_id)
        for path in paths:
            os.unlink(path)
    return _answer(request, f"/imports/u/{upload_id}")


def _write_temp(data: bytes) -> str:
    fd, path = tempfile.mkstemp(prefix="pantau-import-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return path


def _release_alone(settings, upload_id: str) -> None:
    conn = dbmod.connect(dbmod.resolve_url(settings.database), application_name="pantau-import-release")
    try:
        uploads.release(conn, upload_id)
    finally:
        conn.close()
