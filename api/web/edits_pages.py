"""Edit forms of a company, a worker and an inspection (editors and admins, within their regencies).

The same edit logic as PATCH /api/... (geo.edits.update_record: validation by api/edit_models.py,
scope before and after the change, audit, one transaction). The form carries the version it showed;
when the record changed meanwhile, the page says who changed what and when (geo.edit_conflicts) and
offers to load the current record while the user's own values stay visible beside each field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.blocking import blocking
from api.deps import Conn
from api.security import Principal
from api.web.common import PageUser, error_page, render
from api.web.edits_forms import (
    FIELDS,
    LABELS,
    FormRefused,
    audit_value,
    form_user,
    parse,
    shown,
    typed_values,
)
from geo import clock, edit_conflicts, edits, records, redaction
from geo import photos as photo_store
from geo.auth import audit
from geo.db import transaction

router = APIRouter(include_in_schema=False)

RecordId = Annotated[int, Path(ge=1, le=2**63 - 1)]
TITLES = {"company": "perusahaan", "worker": "pekerja asing", "inspection": "pemeriksaan"}
NOT_FOUND = {"company": "Perusahaan tidak ditemukan", "worker": "Pekerja tidak ditemukan",
             "inspection": "Pemeriksaan tidak ditemukan"}
# Where a database refusal of a whole record belongs in the form.
DUPLICATE_FIELD = {"company": "nib", "worker": "passport_number", "inspection": "inspected_on"}
DUPLICATE_MESSAGE = {
    "company": "NIB ini sudah dipakai perusahaan lain (duplicate NIB)",
    "worker": "paspor ini sudah tercatat untuk pekerja lain (duplicate passport)",
    "inspection": "tim ini sudah tercatat memeriksa perusahaan ini pada tanggal itu (duplicate inspection)",
}


def _record(conn, kind: str, record_id: int, principal: Principal) -> dict[str, Any] | None:
    """The record as the form shows it; None when absent or outside the user's regencies."""
    if kind == "company":
        row = records.company_detail(conn, record_id, principal.regencies)
        if row is None:
            return None
        return {**row, "company_id": row["id"], "company_name": row["name"],
                "declared_regency": row["declared_location"]["regency"],
                "declared_district": row["declared_location"]["district"]}
    if kind == "worker":
        row = records.worker_detail(conn, record_id, principal.regencies, True)
        if row is None:
            return None
        lon, lat = row.get("work_site_lon"), row.get("work_site_lat")
        return {**row, "work_site": None if lon is None else {"lon": lon, "lat": lat}}
    return records.inspection_detail(conn, record_id, principal.regencies, True)


def _refused(request: Request, principal: Principal) -> HTMLResponse | None:
    if principal.can_write:
        return None
    return error_page(request, 403, "Tidak diizinkan",
                      "Peran Anda tidak boleh mengubah data (role may not write).")


def _page(request: Request, kind: str, record_id: int, record: dict, values: dict, *, errors=None,
          conflict=None, typed=None, saved=False, warnings=(), general=None, photos=(), status_code=200) -> HTMLResponse:
    return render(request, "edit_record.html", {
        "kind": kind, "record_id": record_id, "record": record, "fields": FIELDS[kind], "values": values,
        "errors": errors or {}, "conflict": conflict, "typed": typed, "saved": saved, "warnings": list(warnings),
        "general": general, "title": TITLES[kind], "field_labels": LABELS[kind],
        "version": values.get("_version", record["version"]), "audit_value": audit_value, "stamp": clock.stamp,
        "photos": photos,
    }, status_code=status_code)


def _show(request: Request, conn, principal: Principal, kind: str, record_id: int) -> HTMLResponse:
    refused = _refused(request, principal)
    if refused:
        return refused
    record = _record(conn, kind, record_id, principal)
    if record is None:  # absent or outside the user's regencies: the same answer
        return error_page(request, 404, NOT_FOUND[kind], f"Tidak ada data dengan id {record_id}.")
    shots = photo_store.listing(conn, record_id, principal.regencies) if kind == "inspection" else ()
    # Just recorded (api/web/inspections.py) with free text that names a person: say so, as after an edit.
    warnings = redaction.record_warnings(conn, record["company_id"], record) \
        if kind == "inspection" and request.query_params.get("tercatat") == "1" else ()
    return _page(request, kind, record_id, record, shown(kind, record), photos=shots, warnings=warnings,
                 saved=bool(warnings))


def _check_team(conn, team) -> str | None:
    if not team:
        return None
    with transaction(conn) as cur:
        cur.execute("SELECT array_agg(code) FROM agencies WHERE code = ANY(%s)", (list(team),))
        known = set(cur.fetchone()[0] or ())
    return None if set(team) <= known else "instansi tidak dikenal (unknown agency)"


def _save(request: Request, conn, principal: Principal, kind: str, record_id: int, form) -> HTMLResponse:
    refused = _refused(request, principal)
    if refused:
        return refused
    record = _record(conn, kind, record_id, principal)
    if record is None:
        return error_page(request, 404, NOT_FOUND[kind], f"Tidak ada data dengan id {record_id}.")
    typed = typed_values(kind, form)
    try:
        version = int(str(form.get("version") or ""))
    except ValueError:
        version = 0
    if form.get("action") == "reload":  # after a conflict: the current record, the user's values beside it
        return _page(request, kind, record_id, record, shown(kind, record), typed=typed)
    changes, errors = parse(kind, typed)
    if not errors and kind == "inspection" and (message := _check_team(conn, changes.get("team"))):
        errors["team"] = message
    if not errors and version < 1:
        errors["_form"] = "versi data tidak ada; muat ulang halaman (version missing: reload the page)"
    if errors:
        return _page(request, kind, record_id, record, {**typed, "_version": version}, errors=errors,
                     general=errors.pop("_form", None), status_code=400)
    try:
        edits.update_record(conn, edits.KINDS[kind], record_id, changes, version, regencies=principal.regencies,
                            actor=principal.audit_fields(), method="POST")
    except edits.RecordNotFound:
        return error_page(request, 404, NOT_FOUND[kind], f"Tidak ada data dengan id {record_id}.")
    except edits.StaleVersion:
        conflict = edit_conflicts.changes_since(conn, kind, record_id, version)
        return _page(request, kind, record_id, record, {**typed, "_version": version}, conflict=conflict or [None],
                     status_code=409)
    except edits.OutOfScope as exc:
        audit.record(conn, f"{kind}.update", **principal.audit_fields(), target=f"{kind}:{record_id}",
                     outcome="denied", detail={"reason": "out_of_scope", "field": exc.field})
        message = "lokasi ini di luar wilayah tugas Anda (outside your regional scope)"
        return _page(request, kind, record_id, record, {**typed, "_version": version},
                     errors={"lat": message, "lon": message}, status_code=403)
    except edits.DuplicateRecord:
        return _page(request, kind, record_id, record, {**typed, "_version": version},
                     errors={DUPLICATE_FIELD[kind]: DUPLICATE_MESSAGE[kind]}, status_code=409)
    except edits.InvalidEdit as exc:
        # A database check (e.g. a point in no district of the province): beside its field when known.
        target = exc.field if exc.field in {f.name for f in FIELDS[kind]} else None
        message = "nilai ditolak oleh basis data (rejected by the database)"
        if "no loaded district" in exc.message:
            target, message = "lat", "titik ini tidak berada di Kalimantan Tengah (point outside the province)"
        return _page(request, kind, record_id, record, {**typed, "_version": version},
                     errors={target: message} if target else {}, general=None if target else message, status_code=400)
    saved = _record(conn, kind, record_id, principal)
    if kind == "inspection":
        warnings = redaction.record_warnings(conn, saved["company_id"], saved)
        if warnings:  # saved as written; the writer learns what others will see masked
            return _page(request, kind, record_id, saved, shown(kind, saved), saved=True, warnings=warnings)
    return RedirectResponse(f"/companies/{saved['company_id']}?disimpan={kind}", status_code=303)


@router.get("/companies/{company_id}/edit", response_class=HTMLResponse)
def company_form(company_id: RecordId, request: Request, conn: Conn, principal: PageUser):
    return _show(request, conn, principal, "company", company_id)


@router.get("/workers/{worker_id}/edit", response_class=HTMLResponse)
def worker_form(worker_id: RecordId, request: Request, conn: Conn, principal: PageUser):
    return _show(request, conn, principal, "worker", worker_id)


@router.get("/inspections/{inspection_id}/edit", response_class=HTMLResponse)
def inspection_form(inspection_id: RecordId, request: Request, conn: Conn, principal: PageUser):
    return _show(request, conn, principal, "inspection", inspection_id)


async def _post(request: Request, conn, kind: str, record_id: int):
    try:
        principal, form = await form_user(request, conn)
    except FormRefused as refused:
        return refused.page
    return await blocking(_save, request, conn, principal, kind, record_id, form)


@router.post("/companies/{company_id}/edit", response_class=HTMLResponse)
async def company_save(company_id: RecordId, request: Request, conn: Conn):
    return await _post(request, conn, "company", company_id)


@router.post("/workers/{worker_id}/edit", response_class=HTMLResponse)
async def worker_save(worker_id: RecordId, request: Request, conn: Conn):
    return await _post(request, conn, "worker", worker_id)


@router.post("/inspections/{inspection_id}/edit", response_class=HTMLResponse)
async def inspection_save(inspection_id: RecordId, request: Request, conn: Conn):
    return await _post(request, conn, "inspection", inspection_id)
