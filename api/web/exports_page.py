"""/exports: choose what to download (kind, format, the map filters, personal data for the roles
allowed it) and download it through the export API (GET /api/exports/{kind}: scoped, role-checked and
audited there). The page offers a viewer neither personal data nor the foreign nationals' list; the
download route refuses them too, and the API refuses them again."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import Conn
from api.security import Principal
from api.web.common import PageUser, error_page, render
from geo import clock, exports_foreign, labels
from geo.exports import FORMATS, KINDS
from geo.filters import FilterError, from_params

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    "companies": "Perusahaan", "workers": "Tenaga kerja asing (TKA)", "inspections": "Pemeriksaan lapangan",
    "lodgings": "Penginapan (jumlah tamu)", "activities": "Kegiatan pemantauan",
    "foreign_nationals": "Orang asing yang berada di wilayah (data pribadi)",
}
FORMAT_LABELS = {"csv": "CSV", "xlsx": "XLSX (Excel)", "geojson": "GeoJSON", "gpkg": "GeoPackage (GPKG)",
                 "kml": "KML (Google Earth)"}
# Kinds whose rows carry personal data that the "personal" choice adds (the API's `personal`).
PERSONAL_CHOICE_KINDS = ("workers", "inspections", "activities")


def filters_off(kind: str) -> list[str]:
    """The filters a kind cannot apply (as exports_foreign.unsupported refuses them), for the page to grey out."""
    if kind not in exports_foreign.KINDS:
        return []
    return ["sector", "permit_status"] + ([] if kind in exports_foreign.NATIONALITY_KINDS else ["nationality"])


def kinds_for(principal: Principal) -> list[str]:
    return [k for k in KINDS if k not in exports_foreign.PERSONAL_KINDS or principal.can_see_personal]


def _places(conn, principal: Principal) -> tuple[list, dict]:
    """The regencies of the user's scope and their districts (for the two selects)."""
    scope = list(principal.regencies) if principal.regencies is not None else None
    with conn.cursor() as cur:
        cur.execute("SELECT code, name FROM boundaries WHERE level = 'regency' AND parent_code = %s "
                    "AND (%s::text[] IS NULL OR code = ANY(%s::text[])) ORDER BY code", (clock.province(), scope, scope))
        regencies = cur.fetchall()
        cur.execute("SELECT parent_code, code, name FROM boundaries WHERE level = 'district' "
                    "AND parent_code = ANY(%s) ORDER BY code", ([c for c, _ in regencies],))
        districts: dict[str, list] = {}
        for parent, code, name in cur.fetchall():
            districts.setdefault(parent, []).append((code, name))
    conn.rollback()
    return regencies, districts


def _page(request: Request, conn, principal: Principal, values: dict, error: str | None = None,
          status_code: int = 200) -> HTMLResponse:
    regencies, districts = _places(conn, principal)
    start, _, end = (values.get("datetime") or "").partition("/")
    return render(request, "exports.html", {
        "kinds": {k: KIND_LABELS[k] for k in kinds_for(principal)}, "formats": FORMAT_LABELS,
        "regencies": regencies, "districts": districts, "sectors": labels.SECTORS,
        "personal_allowed": principal.can_see_personal, "personal_kinds": PERSONAL_CHOICE_KINDS,
        "filters_off": {k: " ".join(filters_off(k)) for k in KINDS},
        "values": values, "start": start.strip(".") if start != ".." else "", "end": end if end != ".." else "",
        "error": error,
    }, status_code=status_code)


@router.get("/exports", response_class=HTMLResponse)
def exports_page(request: Request, conn: Conn, principal: PageUser):
    return _page(request, conn, principal, {"kind": "companies", "format": "csv"})


@router.get("/exports/download")
def exports_download(
    request: Request, conn: Conn, principal: PageUser,
    kind: Annotated[str, Query(max_length=30)] = "companies",
    format: Annotated[str, Query(max_length=10)] = "csv",  # noqa: A002 - the API's parameter name
    sector: Annotated[str | None, Query(max_length=500)] = None,
    nationality: Annotated[str | None, Query(max_length=500)] = None,
    permit_status: Annotated[str | None, Query(max_length=20)] = None,
    regency_code: Annotated[str | None, Query(max_length=5)] = None,
    district_code: Annotated[str | None, Query(max_length=8)] = None,
    datetime: Annotated[str | None, Query(max_length=30)] = None,
    personal: Annotated[str | None, Query(max_length=5)] = None,
):
    """Checks the choice as the API would, then sends the browser to the API's download."""
    values = {"kind": kind, "format": format, "sector": sector, "nationality": nationality,
              "permit_status": permit_status, "regency_code": regency_code, "district_code": district_code,
              "datetime": datetime, "personal": personal}
    wants_personal = personal == "true" or kind in exports_foreign.PERSONAL_KINDS
    if wants_personal and not principal.can_see_personal:
        return error_page(request, 403, "Akses ditolak", "Peran Anda tidak boleh mengunduh data pribadi "
                                                         "(role may not export personal data).")
    if kind not in KINDS or format not in FORMATS:
        return _page(request, conn, principal, values, "Pilih jenis data dan format dari daftar.", 400)
    try:
        flt = from_params(sector, nationality, permit_status, regency_code, district_code, datetime)
        flt.validate_against(conn)
    except FilterError as exc:
        return _page(request, conn, principal, values, f"Filter tidak valid: {exc}", 400)
    if kind in exports_foreign.KINDS and (bad := exports_foreign.unsupported(kind, flt)):
        what = {"sector": "sektor", "permit_status": "status RPTKA", "nationality": "kewarganegaraan",
                "datetime": "rentang tanggal (hanya satu tanggal)"}.get(bad, bad)
        return _page(request, conn, principal, values,
                     f"Filter {what} tidak berlaku untuk {KIND_LABELS[kind].lower()} "
                     f"({bad} does not apply to {kind}).", 400)
    query = {**flt.as_query(), "format": format}
    if principal.can_see_personal and kind in PERSONAL_CHOICE_KINDS:
        query["personal"] = "true" if personal == "true" else "false"
    return RedirectResponse(f"/api/exports/{kind}?{urlencode(query)}", status_code=status.HTTP_303_SEE_OTHER)
