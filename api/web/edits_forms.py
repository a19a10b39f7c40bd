"""The edit forms' fields, turning a submitted form into the API's validated edit values (the same
pydantic models as PATCH /api/...: api/edit_models.py) with one Indonesian message per field, and
the signed-in user of a form POST (CSRF from the form's field). Not a router."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

from api.edit_models import REQUIRED, CompanyPatch, InspectionPatch, WorkerPatch
from api.security import Principal, check_csrf
from api.web.common import error_page, page_user
from geo import labels
from geo.edits import MASK


@dataclass(frozen=True)
class Field:
    name: str  # the model's field; "lon"/"lat" are the two halves of the point field
    label: str
    widget: str = "text"  # text | textarea | date | number | select | checks
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""
    personal: bool = False  # masked in the audit trail (and so in a conflict's report)
    attrs: dict[str, str] = field(default_factory=dict)


def _pairs(table: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(table.items())


COMPANY_FIELDS = (
    Field("name", "Nama perusahaan", attrs={"maxlength": "200"}),
    Field("nib", "NIB", hint="13 angka", attrs={"inputmode": "numeric", "maxlength": "13"}),
    Field("sector", "Sektor", "select", _pairs(labels.SECTORS)),
    Field("kbli", "KBLI", hint="5 angka", attrs={"inputmode": "numeric", "maxlength": "5"}),
    Field("address", "Alamat", "textarea", attrs={"maxlength": "500"}),
    Field("lat", "Lintang (lat)", "number", hint="contoh -2.54", attrs={"step": "any"}),
    Field("lon", "Bujur (lon)", "number", hint="contoh 112.95", attrs={"step": "any"}),
    Field("declared_regency", "Kabupaten/kota yang dilaporkan", hint="kode, contoh 62.02"),
    Field("declared_district", "Kecamatan yang dilaporkan", hint="kode, contoh 62.02.01"),
    Field("rptka_valid_until", "RPTKA berlaku s.d.", "date"),
    Field("status", "Status", "select", _pairs(labels.COMPANY_STATUS)),
)
WORKER_FIELDS = (
    Field("full_name", "Nama lengkap", personal=True, attrs={"maxlength": "200"}),
    Field("passport_number", "Nomor paspor", hint="huruf besar dan angka, 5-20", personal=True),
    Field("nationality", "Kewarganegaraan", hint="kode ISO 2 huruf, contoh CN", attrs={"maxlength": "2"}),
    Field("sex", "Jenis kelamin", "select", (("", "Tidak tercatat"), ("L", "Laki-laki"), ("P", "Perempuan"))),
    Field("position", "Jabatan", attrs={"maxlength": "200"}),
    Field("position_level", "Tingkat jabatan", "select", _pairs(labels.POSITION_LEVELS)),
    Field("rptka_number", "Nomor RPTKA", attrs={"maxlength": "100"}),
    Field("permit_valid_until", "Izin kerja berlaku s.d.", "date"),
    Field("itas_number", "Nomor ITAS", personal=True),
    Field("itas_valid_until", "ITAS berlaku s.d.", "date"),
    Field("lat", "Lintang lokasi kerja (lat)", "number", attrs={"step": "any"}),
    Field("lon", "Bujur lokasi kerja (lon)", "number", attrs={"step": "any"}),
    Field("status", "Status", "select", _pairs(labels.WORKER_STATUS)),
)
INSPECTION_FIELDS = (
    Field("inspected_on", "Tanggal pemeriksaan", "date"),
    Field("team", "Tim (instansi)", "checks", _pairs(labels.AGENCIES)),
    Field("finding", "Temuan", "select", _pairs(labels.FINDINGS)),
    Field("notes", "Catatan", "textarea", personal=True, attrs={"maxlength": "4000"}),
    Field("follow_up", "Tindak lanjut", "textarea", personal=True, attrs={"maxlength": "4000"}),
    Field("status", "Status", "select", _pairs(labels.INSPECTION_STATUS)),
)
FIELDS = {"company": COMPANY_FIELDS, "worker": WORKER_FIELDS, "inspection": INSPECTION_FIELDS}
MODELS: dict[str, type[BaseModel]] = {"company": CompanyPatch, "worker": WorkerPatch, "inspection": InspectionPatch}
POINT = {"company": "location", "worker": "work_site"}
LABELS = {kind: {f.name: f.label for f in fields} for kind, fields in FIELDS.items()}
LABELS["company"]["location"] = "Lokasi"
LABELS["worker"]["work_site"] = "Lokasi kerja"
LABELS["worker"]["company_id"] = "Perusahaan"
LABELS["inspection"]["company_id"] = "Perusahaan"


def _message(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("missing", "string_too_short"):
        return "wajib diisi (required)"
    if kind == "string_too_long":
        return f"terlalu panjang, paling banyak {ctx.get('max_length')} karakter (too long)"
    if kind == "string_pattern_mismatch":
        return "format tidak sesuai (invalid format)"
    if kind.startswith("date"):
        return "tanggal tidak valid (invalid date)"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return "di luar rentang yang diizinkan (out of range)"
    if kind in ("float_parsing", "int_parsing", "finite_number"):
        return "harus berupa angka (must be a number)"
    if kind == "literal_error":
        return "pilihan tidak dikenal (unknown choice)"
    if kind in ("too_short", "too_long") and error["loc"][:1] == ("team",):
        return "pilih 1 sampai 10 instansi (choose 1 to 10 agencies)"
    return "nilai tidak valid (invalid value)"


def typed_values(kind: str, form) -> dict[str, Any]:
    """What the user typed, as strings (lists for check boxes), to show again."""
    out: dict[str, Any] = {}
    for f in FIELDS[kind]:
        out[f.name] = form.getlist(f.name) if f.widget == "checks" else str(form.get(f.name) or "")
    return out


def parse(kind: str, typed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(changes for geo.edits.update_record, {form field: message}). Every field of the form is
    sent: an emptied optional field clears it, an emptied required one is an error beside it."""
    raw: dict[str, Any] = {}
    for f in FIELDS[kind]:
        if f.name in ("lon", "lat"):
            continue
        value = typed.get(f.name)
        if f.widget == "checks":
            raw[f.name] = [v for v in (value or []) if v] or None
        else:
            raw[f.name] = value.strip() if isinstance(value, str) and value.strip() else None
    errors: dict[str, str] = {}
    if kind in POINT:
        lon, lat = (typed.get("lon") or "").strip(), (typed.get("lat") or "").strip()
        raw[POINT[kind]] = {"lon": lon, "lat": lat} if (lon or lat) else None
        for name, value in (("lon", lon), ("lat", lat)):
            if not value and POINT[kind] in REQUIRED[kind]:
                errors[name] = "wajib diisi (required)"
    for name, value in raw.items():
        if value is None and name in REQUIRED[kind] and name != POINT.get(kind):
            errors[name] = "pilih paling sedikit satu (choose at least one)" if name == "team" else "wajib diisi (required)"
    try:
        model = MODELS[kind].model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            name = loc[1] if loc and loc[0] == POINT.get(kind) and len(loc) > 1 else (loc[0] if loc else "")
            errors.setdefault(str(name), _message(error))
        return {}, errors
    if errors:
        return {}, errors
    changes = {k: getattr(model, k) for k in raw if k in type(model).model_fields}
    return {k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in changes.items()}, {}


def shown(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """A stored record as the form's values (strings)."""
    values: dict[str, Any] = {}
    for f in FIELDS[kind]:
        if f.name in ("lon", "lat"):
            point = record.get(POINT[kind]) or {}
            # Every digit stored: a save that leaves the point alone must not move it by rounding.
            values[f.name] = "" if point.get(f.name) is None else repr(float(point[f.name]))
        elif f.widget == "checks":
            values[f.name] = list(record.get(f.name) or [])
        else:
            value = record.get(f.name)
            values[f.name] = "" if value is None else str(value)
    return values


def audit_value(value: Any) -> str:
    """A before/after value of the audit trail as text (masked values stay masked)."""
    if value is None or value == "":
        return "(kosong)"
    if value == MASK:
        return "*** (data pribadi)"
    if isinstance(value, dict) and "lon" in value:
        return f"{value.get('lat')}, {value.get('lon')}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


class FormRefused(Exception):
    """A form POST refused before anyone is looked up; `page` is the answer."""

    def __init__(self, page) -> None:
        super().__init__("form refused")
        self.page = page


async def form_user(request: Request, conn) -> tuple[Principal, Any]:
    """(the signed-in user, the form) of a form POST. The session cookie authenticates it, so the
    form must carry the CSRF cookie's token (double submit, as the logout form); checked here before
    the user is looked up, then the lookup runs as for a page (no second CSRF check by header)."""
    from api.blocking import blocking

    form = await request.form()
    try:
        check_csrf(request, str(form.get("csrf_token") or ""))
    except HTTPException as exc:
        raise FormRefused(error_page(request, 403, "Sesi formulir kedaluwarsa",
                                     "Muat ulang halaman lalu kirim lagi (CSRF token missing or wrong).")) from exc
    request.scope.setdefault("state", {})  # shared with the copy below: render() reads the principal
    as_read = Request({**request.scope, "method": "GET"}, request.receive)
    principal = await blocking(page_user, as_read, conn)
    return principal, form
