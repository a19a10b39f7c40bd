"""Recording a new inspection from the field (a form that works on a phone: the point from the
browser's geolocation, the company's point or a click on the map; photos), and downloading an
inspection's photos within the user's regencies.

Editors and admins record; every role within the regencies may download a photo (only the copy
without metadata is stored: geo/photos.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.blocking import blocking
from api.deps import Conn
from api.edit_models import Point
from api.security import Principal
from api.web.common import PageUser, error_page, render
from api.web.edits_forms import INSPECTION_FIELDS, FormRefused, form_user, parse, typed_values
from geo import clock, field_inspections, photos, records, redaction
from geo.edits import DuplicateRecord, InvalidEdit, RecordNotFound

router = APIRouter(include_in_schema=False)

RecordId = Annotated[int, Path(ge=1, le=2**63 - 1)]
NOT_FOUND = ("Perusahaan tidak ditemukan", "Tidak ada perusahaan dengan id {id}.")


# The site's policy forbids geolocation (api/middleware.py); this form alone may ask for it, for
# itself (the middleware keeps a page's own header).
PERMISSIONS = "camera=(), microphone=(), geolocation=(self), payment=(), usb=(), interest-cohort=()"


def _page(request: Request, company: dict, values: dict, errors: dict | None = None, general: str | None = None,
          status_code: int = 200) -> HTMLResponse:
    page = render(request, "inspection_new.html", {
        "company": company, "fields": INSPECTION_FIELDS, "values": values, "errors": errors or {},
        "general": general, "max_photo_mb": request.app.state.settings.auth.max_photo_mb,
        "max_photos": photos.MAX_PHOTOS, "max_upload_mb": request.app.state.settings.auth.max_upload_mb, "tiles_url": request.app.state.settings.maps.basemap_tiles_url,
        "tiles_attribution": request.app.state.settings.maps.basemap_attribution,
    }, status_code=status_code)
    page.headers["Permissions-Policy"] = PERMISSIONS
    return page


def _allowed(request: Request, conn, principal: Principal, company_id: int):
    """(company, None) or (None, the refusal page): writers only, the company within their regencies."""
    if not principal.can_write:
        return None, error_page(request, 403, "Tidak diizinkan", "Peran Anda tidak boleh mengubah data (role may not write).")
    company = records.company_detail(conn, company_id, principal.regencies)
    if company is None:
        return None, error_page(request, 404, NOT_FOUND[0], NOT_FOUND[1].format(id=company_id))
    return company, None


@router.get("/companies/{company_id}/inspections/new", response_class=HTMLResponse)
def new_inspection_form(company_id: RecordId, request: Request, conn: Conn, principal: PageUser):
    company, refused = _allowed(request, conn, principal, company_id)
    if refused:
        return refused
    values = {"inspected_on": clock.today().isoformat(), "team": [principal.agency], "finding": "none",
              "notes": "", "follow_up": "", "status": "open",
              "lat": f"{company['location']['lat']:.6f}", "lon": f"{company['location']['lon']:.6f}"}
    return _page(request, company, values)


def _point(typed: dict, errors: dict) -> dict | None:
    lon, lat = (typed.get("lon") or "").strip(), (typed.get("lat") or "").strip()
    if not lon and not lat:
        return None
    try:
        return Point.model_validate({"lon": lon, "lat": lat}).model_dump()
    except ValidationError as exc:
        for error in exc.errors():
            errors.setdefault(str(error["loc"][0]), "koordinat tidak valid (invalid coordinate)")
        return None


async def _photos(form, max_bytes: int, errors: dict) -> list[photos.Photo]:
    files = [f for f in form.getlist("photos") if hasattr(f, "read") and f.filename]
    if len(files) > photos.MAX_PHOTOS:
        errors["photos"] = f"paling banyak {photos.MAX_PHOTOS} foto (too many photos)"
        return []
    cleaned, problems = [], []
    for number, upload in enumerate(files, start=1):
        data = await upload.read(max_bytes + 1)
        try:
            cleaned.append(await blocking(photos.clean, data, max_bytes))
        except photos.PhotoError as exc:  # the file's name is not repeated: it may name a person
            problems.append(f"foto ke-{number}: {exc}")
    if problems:
        errors["photos"] = "; ".join(problems)
    return cleaned


def _save(request: Request, conn, principal: Principal, company_id: int, typed: dict, point, cleaned, errors):
    company, refused = _allowed(request, conn, principal, company_id)
    if refused:
        return refused
    changes, field_errors = parse("inspection", typed)
    errors = {**field_errors, **errors}
    if errors:
        return _page(request, company, typed, errors, status_code=400)
    values = {k: changes.get(k) for k in ("inspected_on", "team", "finding", "notes", "follow_up", "status")}
    values["status"] = values["status"] or "open"
    try:
        inspection_id = field_inspections.create(conn, company_id, values, point, cleaned,
                                                 regencies=principal.regencies, actor=principal.audit_fields())
    except RecordNotFound:
        return error_page(request, 404, NOT_FOUND[0], NOT_FOUND[1].format(id=company_id))
    except DuplicateRecord:
        return _page(request, company, typed, {"inspected_on": "tim ini sudah tercatat memeriksa perusahaan ini pada "
                                                               "tanggal itu (duplicate inspection)"}, status_code=409)
    except InvalidEdit:
        return _page(request, company, typed, general="data ditolak oleh basis data (rejected by the database)",
                     status_code=400)
    if redaction.record_warnings(conn, company_id, values):  # saved as written; the writer learns it is masked
        return RedirectResponse(f"/inspections/{inspection_id}/edit?tercatat=1", status_code=303)
    return RedirectResponse(f"/companies/{company_id}?disimpan=inspection", status_code=303)


@router.post("/companies/{company_id}/inspections/new", response_class=HTMLResponse)
async def new_inspection(company_id: RecordId, request: Request, conn: Conn):
    try:
        principal, form = await form_user(request, conn)
    except FormRefused as refused:
        return refused.page
    typed = {**typed_values("inspection", form), "lat": str(form.get("lat") or ""), "lon": str(form.get("lon") or "")}
    errors: dict[str, str] = {}
    point = _point(typed, errors)
    cleaned = []
    if principal.can_write:  # nobody else's files are even read
        cleaned = await _photos(form, request.app.state.settings.auth.max_photo_mb * 1024 * 1024, errors)
    return await blocking(_save, request, conn, principal, company_id, typed, point, cleaned, errors)


@router.get("/inspections/{inspection_id}/photos/{photo_id}")
def inspection_photo(inspection_id: RecordId, photo_id: RecordId, request: Request, conn: Conn, principal: PageUser):
    found = photos.fetch(conn, inspection_id, photo_id, principal.regencies)
    if found is None:  # absent or outside the user's regencies: the same answer
        return error_page(request, 404, "Foto tidak ditemukan", f"Tidak ada foto dengan id {photo_id}.")
    media_type, content = found
    name = f"pemeriksaan-{inspection_id}-foto-{photo_id}.{photos.extension(media_type)}"
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store"})
