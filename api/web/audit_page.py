"""/audit: the audit trail for admins, filtered by user, action (or its family), target, outcome and
date range, paged; the filtered rows exported as CSV or XLSX (formula-safe; the export itself audited).
The query is GET /api/audit's (geo/auth/audit_query.py)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import Conn
from api.web.common import PageUser, error_page, render
from geo import clock
from geo.auth import audit, audit_query, login_audit

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
EXPORT_MAX = 100_000
FAMILIES = (("auth.", "Masuk dan keluar"), ("user.", "Pengguna"), ("api_token.", "Token API"),
            ("personal.", "Data pribadi"), ("company.", "Perusahaan"), ("worker.", "Pekerja"),
            ("inspection.", "Pemeriksaan"), ("import.", "Impor"), ("export.", "Ekspor"), ("report.", "Laporan"),
            ("audit.", "Jejak audit"))
OUTCOMES = (("ok", "berhasil"), ("denied", "ditolak"), ("failed", "gagal"))
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class AuditForm:
    """The page's filters, as the form sends them (empty fields = no filter)."""

    def __init__(
        self,
        user: Annotated[str, Query(pattern=r"^[A-Za-z0-9._@-]{0,63}$")] = "",
        action: Annotated[str, Query(pattern=r"^[a-z_.]{0,60}$")] = "",
        target: Annotated[str, Query(max_length=200)] = "",
        outcome: Annotated[Literal["", "ok", "denied", "failed"], Query()] = "",
        since: Annotated[date | Literal[""], Query()] = "",
        until: Annotated[date | Literal[""], Query()] = "",
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> None:
        self.values = {"user": user, "action": action, "target": target.strip(), "outcome": outcome,
                       "since": since.isoformat() if since else "", "until": until.isoformat() if until else ""}
        self.page = page
        zone = clock.zone()
        # Days are the province's: 'until' includes its whole day.
        self.filter = audit_query.AuditFilter(
            user or None, action or None, target.strip() or None, outcome or None,
            datetime.combine(since, time(), zone) if since else None,
            datetime.combine(until + timedelta(days=1), time(), zone) if until else None)
        self.backwards = bool(since and until and since > until)

    def query(self, **changes) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in {**self.values, **changes}.items() if v})


def _admin_only(request: Request, principal) -> HTMLResponse | None:
    """Province-wide admins only: the trail names users, targets and addresses of every regency, which
    an admin of some regencies must not learn (records outside a scope are absent for it)."""
    if not principal.is_admin:
        return error_page(request, 403, "Akses ditolak", "Jejak audit hanya untuk admin (admins only).")
    if principal.regencies is not None:
        return error_page(request, 403, "Akses ditolak",
                          "Jejak audit hanya untuk admin tingkat provinsi (province-wide admins only).")
    return None


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, conn: Conn, principal: PageUser, form: Annotated[AuditForm, Depends()]):
    if (refused := _admin_only(request, principal)) is not None:
        return refused
    if form.backwards:
        return error_page(request, 400, "Filter tidak valid", "Tanggal awal sesudah tanggal akhir (since is after until).")
    login_audit.flush(conn, request.app.state.settings.auth.login_address_window_seconds)
    rows = audit_query.search(conn, form.filter, PAGE_SIZE + 1, (form.page - 1) * PAGE_SIZE)
    for row in rows:
        row["detail_text"] = json.dumps(row["detail"], ensure_ascii=False, sort_keys=True) if row["detail"] else ""
    return render(request, "audit.html", {
        "rows": rows[:PAGE_SIZE], "more": len(rows) > PAGE_SIZE, "form": form, "families": FAMILIES,
        "outcomes": OUTCOMES, "outcome_label": dict(OUTCOMES), "export_max": EXPORT_MAX})


@router.get("/audit/export.{fmt}")
def audit_export(fmt: Literal["csv", "xlsx"], request: Request, conn: Conn, principal: PageUser,
                 form: Annotated[AuditForm, Depends()]):
    if (refused := _admin_only(request, principal)) is not None:
        return refused
    if form.backwards:
        return error_page(request, 400, "Filter tidak valid", "Tanggal awal sesudah tanggal akhir (since is after until).")
    login_audit.flush(conn, request.app.state.settings.auth.login_address_window_seconds)
    rows = audit_query.search(conn, form.filter, EXPORT_MAX)
    body = audit_query.to_csv(rows) if fmt == "csv" else audit_query.to_xlsx(rows)
    # Recorded after the read, so the file never lists its own export.
    audit.record(conn, "audit.export", **principal.audit_fields(),
                 detail={"format": fmt, "rows": len(rows), "filter": form.filter.as_detail()})
    name = f"jejak-audit-{clock.today().isoformat()}.{fmt}"
    return Response(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
