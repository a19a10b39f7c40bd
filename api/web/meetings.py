"""Pages of the meeting cycle: /meetings (list, "Rapat baru"), /meetings/{id} (details, minutes,
recommendations, "Tambah rekomendasi") and /meetings/{id}/recommendations/{rid} (details, the update
form with evidence, the whole history).

The same rules and writes as the API (geo/meetings/store.py); forms carry the CSRF cookie's token
(double submit) and the version they showed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import UploadFile

from api.blocking import blocking
from api.deps import Conn
from api.security import Principal, check_csrf
from api.web.common import PageUser, current_quarter, error_page, page_user, render
from geo import clock, formatting, labels
from geo.db import single_read
from geo.meetings import files, store

router = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
_PERIOD = re.compile(r"^\d{4}-Q[1-4]$")
_REGION = re.compile(r"^\d{2}\.\d{2}(\.\d{2})?$")
STATUS_BADGE = {"baru": "text-bg-secondary", "diproses": "text-bg-primary", "selesai": "text-bg-success",
                "tidak_dapat_dilaksanakan": "text-bg-dark"}


async def _form_user(request: Request, conn) -> tuple[Principal, Any]:
    """(user, form) of a form POST: the CSRF token of the form checked before anything else."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    request.scope.setdefault("state", {})  # shared with the copy below: render() reads the principal
    as_read = Request({**request.scope, "method": "GET"}, request.receive)
    principal = await blocking(page_user, as_read, conn)
    return principal, form


def _regencies(conn, p: Principal) -> list[tuple[str, str]]:
    with single_read(conn) as cur:
        cur.execute("""SELECT code, name FROM boundaries WHERE level = 'regency' AND parent_code = %s
                         AND (%s::text[] IS NULL OR code = ANY(%s::text[])) ORDER BY name""",
                    (clock.province(), list(p.regencies) if p.regencies else None,
                     list(p.regencies) if p.regencies else None))
        return cur.fetchall()


def _purposes(conn) -> list[tuple[str, str]]:
    with single_read(conn) as cur:
        cur.execute("SELECT code, label FROM stay_purposes ORDER BY label")
        return cur.fetchall()


def _region_names(conn, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    with single_read(conn) as cur:
        cur.execute("SELECT code, name FROM boundaries WHERE code = ANY(%s)", (sorted(codes),))
        return dict(cur.fetchall())


def _common(conn) -> dict[str, Any]:
    return {"agency_choices": store.agencies(conn), "status_labels": store.STATUS_LABELS,
            "status_badge": STATUS_BADGE, "accept": files.ACCEPT,
            "stamp": lambda iso: clock.stamp(dt.datetime.fromisoformat(iso)), "short": labels.AGENCIES,
            "size_label": _size_label}


def _size_label(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{formatting.number(round(size / 1024))} KB"
    return f"{formatting.number(round(size / 1024 / 1024, 1))} MB"


def _agency_names(conn) -> dict[str, str]:
    return dict(store.agencies(conn))


# ---- /meetings -------------------------------------------------------------------------------

def _list_page(request, conn, p: Principal, values: dict | None = None, errors: dict | None = None,
               status_code: int = 200):
    meetings = store.list_meetings(conn, p, clock.today())
    values = values or {"date": clock.today().isoformat(), "period": current_quarter(), "place": "",
                        "agencies": [], "minutes": ""}
    return render(request, "meetings.html", {
        "meetings": meetings, "can_create": store.can_manage(p), "values": values, "errors": errors or {},
        "agency_names": _agency_names(conn), **_common(conn)}, status_code=status_code)


@router.get("/meetings", response_class=HTMLResponse)
def meetings_page(request: Request, conn: Conn, principal: PageUser):
    return _list_page(request, conn, principal)


def _create_meeting(request, conn, p: Principal, values: dict, upload: files.Upload | None, errors: dict):
    if not store.can_manage(p):
        return error_page(request, 403, "Tidak diizinkan", "Hanya Kesbangpol yang membuat rapat.")
    held_on = None
    try:
        held_on = dt.date.fromisoformat(values["date"])
    except ValueError:
        errors["date"] = "tanggal tidak sah (invalid date)"
    if not _PERIOD.match(values["period"]):
        errors["period"] = "periode seperti 2026-Q4 (period like 2026-Q4)"
    if not values["place"].strip():
        errors["place"] = "tempat wajib diisi (place required)"
    if len(values["place"]) > 300:
        errors["place"] = "paling banyak 300 karakter (too long)"
    if errors:
        return _list_page(request, conn, p, values, errors, 400)
    try:
        meeting_id = store.create_meeting(conn, p, held_on=held_on, place=values["place"], period=values["period"],
                                          agencies=values["agencies"], minutes=values["minutes"])
        if upload is not None:
            store.set_minutes_file(conn, p, meeting_id, upload)
    except store.MeetingError as exc:
        return _list_page(request, conn, p, values, {exc.field or "general": exc.message}, 400)
    return RedirectResponse(f"/meetings/{meeting_id}?disimpan=rapat", status_code=303)


async def _upload(form, name: str, limit: int, errors: dict) -> files.Upload | None:
    item = form.get(name)
    if not isinstance(item, UploadFile) or not (item.filename or item.size):
        return None
    content = await item.read(limit + 1)
    try:
        return files.check(item.filename, content, limit)
    except files.FileRefused as exc:
        errors[name] = exc.message
        return None


async def _uploads(form, name: str, limit: int, errors: dict) -> tuple[files.Upload, ...]:
    items = [i for i in form.getlist(name) if isinstance(i, UploadFile) and (i.filename or i.size)]
    if len(items) > files.MAX_EVIDENCE_FILES:
        errors[name] = f"paling banyak {files.MAX_EVIDENCE_FILES} berkas (too many files)"
        return ()
    out = []
    for item in items:
        content = await item.read(limit + 1)
        try:
            out.append(files.check(item.filename, content, limit))
        except files.FileRefused as exc:
            errors[name] = f"{files.clean_name(item.filename)}: {exc.message}"
    return tuple(out)


@router.post("/meetings", response_class=HTMLResponse)
async def create_meeting(request: Request, conn: Conn):
    principal, form = await _form_user(request, conn)
    values = {"date": str(form.get("date") or ""), "place": str(form.get("place") or ""),
              "period": str(form.get("period") or ""), "minutes": str(form.get("minutes") or "")[:100_000],
              "agencies": [str(a) for a in form.getlist("agencies")][:20]}
    errors: dict[str, str] = {}
    upload = await _upload(form, "minutes_file", files.MAX_MINUTES_BYTES, errors) if store.can_manage(principal) else None
    return await blocking(_create_meeting, request, conn, principal, values, upload, errors)


# ---- /meetings/{id} --------------------------------------------------------------------------

def _meeting_page(request, conn, p: Principal, meeting_id: int, values: dict | None = None,
                  errors: dict | None = None, status_code: int = 200):
    meeting = store.get_meeting(conn, p, meeting_id)
    if meeting is None:
        return error_page(request, 404, "Rapat tidak ditemukan", f"Tidak ada rapat dengan id {meeting_id}.")
    recs = store.list_recommendations(conn, p, meeting_id, clock.today()) or []
    codes = {r for rec in recs for r in rec["regions"]}
    return render(request, "meeting.html", {
        "meeting": meeting, "recs": recs, "can_create": store.can_manage(p), "can_download": store.can_download(p),
        "can_reports": store.can_read_reports(p),
        "region_names": _region_names(conn, codes), "agency_names": _agency_names(conn),
        "regency_choices": _regencies(conn, p) if store.can_manage(p) else [],
        "values": values or {"text": "", "agency": "", "due_date": "", "regions": [], "districts": "",
                             "companies": [], "group_label": "", "group_regency": "", "group_purpose": "",
                             "group_nationality": ""},
        "purpose_choices": _purposes(conn) if store.can_manage(p) else [],
        "errors": errors or {}, **_common(conn)}, status_code=status_code)


@router.get("/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting_page(meeting_id: Id, request: Request, conn: Conn, principal: PageUser):
    return _meeting_page(request, conn, principal, meeting_id)


def _company_choices(conn, p: Principal, ids: list[int]) -> list[dict]:
    """The picked companies the user may see (names for the form when it is shown again)."""
    if not ids:
        return []
    with single_read(conn) as cur:
        cur.execute("""SELECT id, name FROM companies WHERE id = ANY(%s)
                         AND (%s::text[] IS NULL OR regency_code = ANY(%s::text[])) ORDER BY name""",
                    (ids, list(p.regencies) if p.regencies else None, list(p.regencies) if p.regencies else None))
        return [{"id": i, "name": n} for i, n in cur.fetchall()]


def _create_recommendation(request, conn, p: Principal, meeting_id: int, form_values: dict):
    values = {**form_values, "companies": _company_choices(conn, p, form_values["company_ids"])}
    errors: dict[str, str] = {}
    due = None
    try:
        due = dt.date.fromisoformat(values["due_date"])
    except ValueError:
        errors["due_date"] = "tanggal tidak sah (invalid date)"
    if not values["text"].strip():
        errors["text"] = "isi rekomendasi wajib diisi (text required)"
    if not values["agency"]:
        errors["agency"] = "pilih instansi penanggung jawab (agency required)"
    districts = [d.strip() for d in values["districts"].replace(";", ",").split(",") if d.strip()]
    regions = values["regions"] + districts
    if any(not _REGION.match(r) for r in regions):
        errors["regions"] = "kode wilayah seperti 62.02 atau 62.02.01 (region codes like 62.02.01)"
    groups = []
    if values["group_label"].strip():
        group = {"label": values["group_label"].strip(), "regency": values["group_regency"] or None,
                 "purpose": values["group_purpose"] or None, "nationality": values["group_nationality"] or None}
        if (group["regency"] and not re.match(r"^\d{2}\.\d{2}$", group["regency"])) or \
                (group["nationality"] and not re.match(r"^[A-Z]{2}$", group["nationality"])) or \
                (group["purpose"] and not re.match(r"^[a-z_]{1,40}$", group["purpose"])):
            errors["groups"] = "pilihan kelompok tidak sah (invalid group)"
        groups.append(group)
    elif values["group_regency"] or values["group_purpose"] or values["group_nationality"]:
        errors["groups"] = "beri nama kelompok (group name required)"
    if errors:
        return _meeting_page(request, conn, p, meeting_id, values, errors, 400)
    try:
        rec_id = store.create_recommendation(conn, p, meeting_id, text=values["text"], agency=values["agency"],
                                             due_date=due, regions=regions, company_ids=values["company_ids"],
                                             groups=groups)
    except store.NotAllowed as exc:
        return error_page(request, 403, "Tidak diizinkan", exc.message)
    except store.MeetingError as exc:
        return _meeting_page(request, conn, p, meeting_id, values, {exc.field or "general": exc.message}, 400)
    if rec_id is None:
        return error_page(request, 404, "Rapat tidak ditemukan", f"Tidak ada rapat dengan id {meeting_id}.")
    return RedirectResponse(f"/meetings/{meeting_id}?disimpan=rekomendasi#rec-{rec_id}", status_code=303)


def _ids(raw: list) -> list[int]:
    out = []
    for item in raw[:500]:
        for part in str(item).replace(";", ",").split(","):
            if part.strip().isdigit() and len(part.strip()) < 19:
                out.append(int(part.strip()))
    return list(dict.fromkeys(out))


@router.post("/meetings/{meeting_id}/recommendations", response_class=HTMLResponse)
async def create_recommendation(meeting_id: Id, request: Request, conn: Conn):
    principal, form = await _form_user(request, conn)
    values = {"text": str(form.get("text") or "")[:5000], "agency": str(form.get("agency") or ""),
              "due_date": str(form.get("due_date") or ""), "regions": [str(r) for r in form.getlist("regions")][:100],
              "districts": str(form.get("districts") or "")[:1000], "company_ids": _ids(form.getlist("company_ids")),
              **{k: str(form.get(k) or "")[:300] for k in ("group_label", "group_regency", "group_purpose",
                                                            "group_nationality")}}
    return await blocking(_create_recommendation, request, conn, principal, meeting_id, values)


def _save_minutes(request, conn, p: Principal, meeting_id: int, upload, errors):
    if errors or upload is None:
        return _meeting_page(request, conn, p, meeting_id, errors=errors or {"minutes_file": "pilih berkas (no file)"},
                             status_code=400)
    try:
        if not store.set_minutes_file(conn, p, meeting_id, upload):
            return error_page(request, 404, "Rapat tidak ditemukan", f"Tidak ada rapat dengan id {meeting_id}.")
    except store.NotAllowed as exc:
        return error_page(request, 403, "Tidak diizinkan", exc.message)
    return RedirectResponse(f"/meetings/{meeting_id}?disimpan=notulen", status_code=303)


@router.post("/meetings/{meeting_id}/minutes-file", response_class=HTMLResponse)
async def upload_minutes(meeting_id: Id, request: Request, conn: Conn):
    principal, form = await _form_user(request, conn)
    errors: dict[str, str] = {}
    upload = await _upload(form, "minutes_file", files.MAX_MINUTES_BYTES, errors) if store.can_manage(principal) else None
    if not store.can_manage(principal):
        return error_page(request, 403, "Tidak diizinkan", "Hanya Kesbangpol yang mengunggah notulen.")
    return await blocking(_save_minutes, request, conn, principal, meeting_id, upload, errors)


# ---- /meetings/{id}/recommendations/{rid} ----------------------------------------------------

def _rec_page(request, conn, p: Principal, meeting_id: int, rec_id: int, values: dict | None = None,
              errors: dict | None = None, status_code: int = 200):
    rec = store.get_recommendation(conn, p, rec_id, clock.today())
    if rec is None or rec["meeting_id"] != meeting_id:
        return error_page(request, 404, "Rekomendasi tidak ditemukan", f"Tidak ada rekomendasi dengan id {rec_id}.")
    meeting = store.get_meeting(conn, p, meeting_id)
    return render(request, "meeting_recommendation.html", {
        "meeting": meeting, "rec": rec, "region_names": _region_names(conn, set(rec["regions"])),
        "agency_names": _agency_names(conn), "can_download": store.can_download(p),
        "values": values or {"status": rec["status"], "note": "", "version": rec["version"]},
        "errors": errors or {}, **_common(conn)}, status_code=status_code)


@router.get("/meetings/{meeting_id}/recommendations/{rec_id}", response_class=HTMLResponse)
def recommendation_page(meeting_id: Id, rec_id: Id, request: Request, conn: Conn, principal: PageUser):
    return _rec_page(request, conn, principal, meeting_id, rec_id)


def _update(request, conn, p: Principal, meeting_id: int, rec_id: int, values: dict, uploads, errors: dict):
    rec = store.get_recommendation(conn, p, rec_id, clock.today())
    if rec is None or rec["meeting_id"] != meeting_id:
        return error_page(request, 404, "Rekomendasi tidak ditemukan", f"Tidak ada rekomendasi dengan id {rec_id}.")
    try:
        version = int(values["version"])
    except ValueError:
        errors["general"] = "versi tidak ada (version missing): muat ulang halaman"
        version = 0
    if errors:
        return _rec_page(request, conn, p, meeting_id, rec_id, values, errors, 400)
    try:
        store.update_recommendation(conn, p, rec_id, store.Update(values["status"] or None, values["note"], uploads),
                                    version)
    except store.NotAllowed as exc:
        store.refused(conn, p, rec_id, "not_responsible_agency")
        return _rec_page(request, conn, p, meeting_id, rec_id, values, {"general": exc.message}, 403)
    except store.StaleVersion:
        return _rec_page(request, conn, p, meeting_id, rec_id, values, {"general": (
            "Rekomendasi ini sudah diperbarui orang lain sejak Anda membukanya (changed meanwhile). Lihat riwayat "
            "di bawah, lalu kirim lagi; catatan Anda masih di formulir, berkas bukti perlu dipilih lagi.")}, 409)
    except store.MeetingError as exc:
        return _rec_page(request, conn, p, meeting_id, rec_id, values, {exc.field or "general": exc.message}, 400)
    return RedirectResponse(f"/meetings/{meeting_id}/recommendations/{rec_id}?disimpan={quote('1')}",
                            status_code=303)


@router.post("/meetings/{meeting_id}/recommendations/{rec_id}", response_class=HTMLResponse)
async def update_recommendation(meeting_id: Id, rec_id: Id, request: Request, conn: Conn):
    principal, form = await _form_user(request, conn)
    values = {"status": str(form.get("status") or ""), "note": str(form.get("note") or "")[:5000],
              "version": str(form.get("version") or "")}
    errors: dict[str, str] = {}
    uploads: tuple = ()
    if principal.role in ("admin", "editor"):  # nobody else's files are even read
        uploads = await _uploads(form, "evidence", files.MAX_EVIDENCE_BYTES, errors)
    return await blocking(_update, request, conn, principal, meeting_id, rec_id, values, uploads, errors)
