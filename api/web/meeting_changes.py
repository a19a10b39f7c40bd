"""/meetings/{id}/changes: the meeting pack's two views on the web (issue 19 item 3), for the time since a
meeting: the follow-up of its recommendations (and the unfinished ones of earlier meetings) and the
change table from its day to today, per regency, or per district of one regency (?regency=62.02).

The meeting answers 404 when the user does not see it (geo/meetings/store.py), as does a regency
outside the user's scope. Recommendations and figures are those of the user's regencies; free text
is masked and small counts of foreign nationals hidden for roles without personal access, as
everywhere else on the site.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import Conn
from api.web.common import PageUser, error_page, render
from geo import clock, formatting
from geo.db import single_read
from geo.filters import MonitoringFilter
from geo.labels import AGENCIES
from geo.meetings import changes, store
from geo.reports import followup
from geo.stats.protect import THRESHOLD

router = APIRouter(include_in_schema=False)

_REGENCY = re.compile(r"^\d{2}\.\d{2}$")
NOT_FOUND = ("Rapat tidak ditemukan", "Tidak ada rapat dengan id itu (meeting not found).")


def _regencies(conn, regencies: tuple[str, ...] | None) -> list[tuple[str, str]]:
    """The regencies of the province the user may choose (code, name), by name."""
    with single_read(conn) as cur:
        cur.execute("""SELECT code, name FROM boundaries WHERE level = 'regency' AND parent_code = %s
                         AND (%s::text[] IS NULL OR code = ANY(%s::text[])) ORDER BY name""",
                    (clock.province(), list(regencies) if regencies is not None else None,
                     list(regencies) if regencies is not None else None))
        return cur.fetchall()


@router.get("/meetings/{meeting_id}/changes", response_class=HTMLResponse)
def meeting_changes(meeting_id: Annotated[int, Path(ge=1, le=2**63 - 1)], request: Request, conn: Conn,
                    principal: PageUser,
                    regency: Annotated[str | None, Query(max_length=5)] = None) -> HTMLResponse:
    meeting = store.get_meeting(conn, principal, meeting_id)
    if meeting is None:  # absent or not the user's: the same answer
        return error_page(request, 404, *NOT_FOUND)
    choices = _regencies(conn, principal.regencies)
    regency = regency or None
    if regency is not None and (not _REGENCY.match(regency) or regency not in dict(choices)):
        return error_page(request, 404, "Wilayah tidak ditemukan",
                          "Kabupaten/kota itu tidak ada dalam cakupan akun Anda (regency not found).")
    today = clock.today()
    held_on = date.fromisoformat(meeting["date"])
    flt = MonitoringFilter(scope=principal.regencies, regency_code=regency, today=today)
    recs = followup.recommendations(conn, flt, {"id": meeting_id, "held_on": held_on}, max(today, held_on),
                                    sees_all=store.sees_all(principal), agency=principal.agency)
    level, parent = ("district", regency) if regency else ("regency", clock.province())
    table = None
    if held_on < today:
        # Roles without personal access: small counts of foreign nationals hidden, as in /api/stats.
        table = changes.change_table(conn, flt, held_on, today, level=level, parent=parent,
                                     threshold=None if principal.can_see_personal else THRESHOLD,
                                     persons=("foreign_nationals",), meeting_id=meeting_id)
    if not principal.can_see_personal:
        followup.mask(conn, recs, [code for code, _ in choices])
    names = followup.region_names(conn, {g for r in recs for g in r["regions"]})
    for r in recs:
        r["region_names"] = [names.get(g, g) for g in r["regions"]] or ["Seluruh provinsi"]
    return render(request, "meeting_changes.html", {
        "meeting": meeting, "held_on": held_on, "today": today, "recs": recs, "table": table,
        "regency": regency, "regency_choices": choices, "unit": "Kecamatan" if regency else "Kabupaten/kota",
        "agency_names": AGENCIES, "status_badge": STATUS_BADGE,
        "signed": followup.signed, "short_date": formatting.short_date, "changes_note": followup.changes_note(table),
        "overdue": sum(1 for r in recs if r["overdue"]),
    })


STATUS_BADGE = {"baru": "text-bg-secondary", "diproses": "text-bg-primary", "selesai": "text-bg-success",
                "tidak_dapat_dilaksanakan": "text-bg-dark"}
