"""/discrepancies: each agency's figures side by side where they differ, per company and per regency,
within the user's scope (every role, as GET /api/discrepancies), and the resolution notes: which
figure holds, by whom, when, why (admins, editors and Kesbangpol's analysts: geo.discrepancy_resolutions)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import Conn
from api.security import Principal
from api.web.common import PageUser, error_page, render
from api.web.forms import FormUser
from geo import clock, labels
from geo import discrepancy_resolutions as notes
from geo.discrepancies import company_discrepancies, region_discrepancies, resolve

router = APIRouter(include_in_schema=False)

FIELD_LABELS = {
    notes.WORKER_COUNT: "Jumlah TKA", "nama_perusahaan": "Nama perusahaan", "sektor": "Sektor", "kbli": "KBLI",
    "alamat": "Alamat", "kabupaten_kota": "Kabupaten/kota", "kecamatan": "Kecamatan", "latitude": "Lintang",
    "longitude": "Bujur", "rptka_berlaku_hingga": "RPTKA berlaku hingga",
}
STATUS_LABELS = {"": "Semua", "open": "Terbuka", "resolved": "Sudah diselesaikan"}




def _when(moment: str) -> str:
    return clock.stamp(datetime.fromisoformat(moment).astimezone(clock.zone()))


def _regencies(conn, principal: Principal) -> list[tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute("SELECT code, name FROM boundaries WHERE level = 'regency' AND parent_code = %s "
                    "AND (%s::text[] IS NULL OR code = ANY(%s::text[])) ORDER BY code",
                    (clock.province(), list(principal.regencies) if principal.regencies is not None else None,
                     list(principal.regencies) if principal.regencies is not None else None))
        rows = cur.fetchall()
    conn.rollback()
    return rows


def _page(request: Request, conn, principal: Principal, agency: str | None, state: str | None,
          regency: str | None, *, form_error: dict | None = None, status_code: int = 200) -> HTMLResponse:
    agency = agency if agency in labels.AGENCIES else None
    state = state if state in ("open", "resolved") else None
    regencies = _regencies(conn, principal)
    regency = regency if regency in {code for code, _ in regencies} else None
    personal = principal.can_see_personal
    companies = company_discrepancies(conn, principal.regencies, regency, agency=agency, state=state,
                                      personal=personal)
    regions = region_discrepancies(conn, principal.regencies, agency=agency, state=state, personal=personal)
    if regency:
        regions = [r for r in regions if r["regency_code"] == regency]
    open_count = sum(1 for t in (*companies, *regions) for i in t["items"] if i["open"])
    back = urlencode({k: v for k, v in (("agency", agency), ("status", state), ("regency_code", regency)) if v})
    return render(request, "discrepancies.html", {
        "companies": companies, "regions": regions, "agency": agency, "state": state, "regency": regency,
        "regencies": regencies, "agencies": labels.AGENCIES, "field_labels": FIELD_LABELS,
        "status_labels": STATUS_LABELS, "may_resolve": notes.may_resolve(principal), "back": back,
        "token": notes.figures_token, "when": _when, "form_error": form_error,
        "done": request.query_params.get("done"), "warned": request.query_params.get("warn") == "1",
        "regency_names": dict(regencies), "open_count": open_count, "note_max": notes.NOTE_MAX, "value_max": notes.VALUE_MAX,
    }, status_code=status_code)


@router.get("/discrepancies", response_class=HTMLResponse)
def discrepancies_page(request: Request, conn: Conn, principal: PageUser,
                       agency: Annotated[str | None, Query(max_length=20)] = None,
                       state: Annotated[str | None, Query(alias="status", max_length=10)] = None,
                       regency_code: Annotated[str | None, Query(max_length=5)] = None):
    return _page(request, conn, principal, agency, state, regency_code)


def _post(request: Request, conn, principal: Principal, kind: str, key: str, field: str, choice: str,
          chosen_value: str, note: str, figures: str, back: str) -> HTMLResponse | RedirectResponse:
    if not notes.may_resolve(principal):
        return error_page(request, 403, "Akses ditolak", "Peran Anda tidak boleh mencatat penyelesaian selisih "
                                                         "(role may not resolve discrepancies).")
    chosen_agency = choice.removeprefix("agency:") if choice.startswith("agency:") else None
    try:
        rid = resolve(conn, principal, kind, key, field=field, chosen_agency=chosen_agency,
                      chosen_value=chosen_value if choice == "value" else None, note=note, seen=figures)
    except notes.ResolutionError as exc:
        conn.rollback()
        filters = dict(part.split("=", 1) for part in back.split("&") if "=" in part)
        return _page(request, conn, principal, filters.get("agency"), filters.get("status"),
                     filters.get("regency_code"), status_code=409 if exc.conflict else 400,
                     form_error={"key": f"{kind}:{key}:{field}", "message": str(exc), "note": note,
                                 "choice": choice, "chosen_value": chosen_value})
    if rid is None:  # absent, outside the user's scope, or no longer differing: the same answer
        return error_page(request, 404, "Selisih tidak ditemukan", "Tidak ada selisih data seperti itu.")
    company_id = int(key) if kind == "company" else None
    warn = notes.note_warnings(conn, company_id, note)
    conn.rollback()
    query = "&".join(p for p in (back, f"done={rid}", "warn=1" if warn else "") if p)
    anchor = f"d-{kind}-{key.replace('.', '-')}"
    return RedirectResponse(f"/discrepancies?{query}#{anchor}", status_code=status.HTTP_303_SEE_OTHER)


def _back(value: str) -> str:
    """Only the page's own filters go back into the redirect."""
    keep = []
    for part in value.split("&"):
        name, _, v = part.partition("=")
        if name in ("agency", "status", "regency_code") and v.replace(".", "").replace("_", "").isalnum():
            keep.append(f"{name}={v}")
    return "&".join(keep)



@router.post("/discrepancies/companies/{company_id}/resolve", response_class=HTMLResponse)
def resolve_company_form(request: Request, conn: Conn, principal: FormUser,
                         company_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
                         field: Annotated[str, Form(max_length=40)] = "", choice: Annotated[str, Form(max_length=40)] = "",
                         chosen_value: Annotated[str, Form(max_length=notes.VALUE_MAX)] = "",
                         note: Annotated[str, Form(max_length=notes.NOTE_MAX)] = "",
                         figures: Annotated[str, Form(max_length=20_000)] = "",
                         back: Annotated[str, Form(max_length=200)] = ""):
    return _post(request, conn, principal, "company", str(company_id), field, choice, chosen_value, note, figures,
                 _back(back))


@router.post("/discrepancies/regions/{regency_code}/resolve", response_class=HTMLResponse)
def resolve_region_form(request: Request, conn: Conn, principal: FormUser,
                        regency_code: Annotated[str, Path(pattern=r"^\d{2}\.\d{2}$")],
                        field: Annotated[str, Form(max_length=40)] = "", choice: Annotated[str, Form(max_length=40)] = "",
                        chosen_value: Annotated[str, Form(max_length=notes.VALUE_MAX)] = "",
                        note: Annotated[str, Form(max_length=notes.NOTE_MAX)] = "",
                        figures: Annotated[str, Form(max_length=20_000)] = "",
                        back: Annotated[str, Form(max_length=200)] = ""):
    return _post(request, conn, principal, "region", regency_code, field, choice, chosen_value, note, figures,
                 _back(back))

