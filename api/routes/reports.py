"""GET /api/reports: a meeting report (PDF, offline HTML or XLSX) as a download, audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import Conn
from api.errors import BadRequest
from api.filters import Filters
from api.security import CurrentUser
from geo.auth import audit
from geo.reports.build import FORMATS, ReportError, build_report
from geo.reports.content import Options
from geo.reports.period import PeriodError, Quarter

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("", summary="Report for rapat koordinasi: PDF atlas, offline HTML or XLSX annex (file download)",
            response_class=Response)
def get_report(
    principal: CurrentUser,
    flt: Filters,
    conn: Conn,
    period: Annotated[str, Query(description="quarter, e.g. 2026-Q3")],
    format: Annotated[str, Query(description="pdf | html | xlsx")] = "pdf",  # noqa: A002 - the API word
    regency: Annotated[str | None, Query(description="one regency (atlas per district), e.g. 62.02")] = None,
    suppress: Annotated[bool, Query(description="hide counts of persons below the threshold")] = True,
    threshold: Annotated[int, Query(ge=2, le=20, description="suppression threshold")] = 3,
    agency: Annotated[str, Query(description="issuing agency code for the cover")] = "kesbangpol",
    personal: Annotated[bool, Query(description="XLSX: named worker sheet (roles allowed to see personal data)")] = False,
) -> Response:
    try:
        quarter = Quarter.parse(period)
        if format not in FORMATS:
            raise ReportError(f"format: {format!r} is not one of {', '.join(FORMATS)}")
        if regency is not None:
            if flt.regency_code and flt.regency_code != regency:
                raise ReportError(f"regency: {regency!r} differs from regency_code {flt.regency_code!r}")
            flt = _with_regency(flt, regency, conn)
        if personal and (format != "xlsx" or not principal.can_see_personal):
            raise ReportError("personal: only in the XLSX and only for roles allowed to see personal data")
        if flt.regency_code and not principal.allows_regency(flt.regency_code):
            raise ReportError(f"regency: {flt.regency_code!r} is outside your regencies")
        opts = Options(quarter, flt, threshold=threshold if suppress else None, agency=agency, personal=personal)
        result = build_report(conn, opts, format)
    except (PeriodError, ReportError) as exc:
        raise BadRequest(str(exc)) from exc
    audit.record(conn, "report.export", **principal.audit_fields(), target=str(quarter),
                 detail={"format": format, "filter": flt.as_query(), "hash": result.hash,
                         "suppressed": opts.threshold, "personal": personal})
    return Response(result.body, media_type=result.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{result.filename}"',
                             "X-Content-Hash": result.hash})


def _with_regency(flt, regency: str, conn):
    from dataclasses import replace

    from geo.filters import FilterError

    try:
        out = replace(flt, regency_code=regency)
        out.validate_against(conn)
    except FilterError as exc:
        raise ReportError(str(exc).replace("regency_code", "regency")) from exc
    return out
