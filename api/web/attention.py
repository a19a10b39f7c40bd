"""The "Perlu perhatian" pages: /attention (the whole list, as on the home page) and
/attention/{kind} (the records of one item, in the user's scope, each linking to its company,
meeting or discrepancy). Worker names only for roles allowed personal data, and their reading audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.blocking import blocking
from api.deps import Conn
from api.routes.records import audit_personal_read
from api.web.common import PageUser, error_page, render
from geo import attention, clock
from geo.db import Connection, transaction
from geo.meetings.store import STATUS_LABELS

router = APIRouter(include_in_schema=False)


def _regency_names(conn: Connection) -> dict[str, str]:
    with transaction(conn) as cur:
        cur.execute("SELECT code, name FROM boundaries WHERE level = 'regency'")
        return dict(cur.fetchall())


@router.get("/attention", response_class=HTMLResponse)
async def attention_page(request: Request, conn: Conn, principal: PageUser):
    today = clock.today()
    items = await blocking(attention.attention_items, conn, principal, today)
    return render(request, "attention.html", {"attention": items, "today": today})


@router.get("/attention/{kind}", response_class=HTMLResponse)
async def attention_kind_page(
    kind: str, request: Request, conn: Conn, principal: PageUser,
    regency_code: Annotated[str | None, Query(pattern=r"^\d{2}\.\d{2}$")] = None,
):
    k = attention.BY_CODE.get(kind)
    available = await blocking(attention.available, conn)
    # A regency outside the user's scope answers as an unknown list would: 404, revealing nothing.
    if k is None or k not in available or (regency_code is not None and not principal.allows_regency(regency_code)):
        return error_page(request, 404, "Daftar tidak ditemukan", "Tidak ada daftar seperti itu (not found).")
    today = clock.today()
    personal = principal.can_see_personal and k.subject == "workers"

    def load(conn: Connection) -> tuple[int, list[dict], dict[str, str]] | None:
        names = _regency_names(conn)
        if regency_code is not None and regency_code not in names:
            return None
        total = attention.counts(conn, principal, today, regency_code, (k,)).get(k.code, 0)
        rows = attention.rows(conn, principal, k.code, today, regency=regency_code, personal=personal)
        if personal and rows:
            audit_personal_read(conn, principal, f"attention:{k.code}", len(rows))
        return total, rows, names

    loaded = await blocking(load, conn)
    if loaded is None:
        return error_page(request, 404, "Daftar tidak ditemukan", "Tidak ada daftar seperti itu (not found).")
    total, rows, names = loaded
    for row in rows:
        row["link"] = attention.record_link(k, row)
    return render(request, "attention_kind.html", {
        "kind": k, "total": total, "rows": rows, "regency_names": names, "regency_code": regency_code,
        # The filter offers the province's regencies within the user's scope (also with national boundaries).
        "regency_choices": sorted((code, name) for code, name in names.items()
                                  if code.startswith(clock.province() + ".") and principal.allows_regency(code)),
        "personal": personal, "today": today, "page_max": attention.PAGE_MAX, "rec_status": STATUS_LABELS,
    })
