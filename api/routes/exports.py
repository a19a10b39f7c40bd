"""GET /api/exports/{kind}: filtered downloads (CSV, XLSX, GeoJSON, GPKG, KML), scoped to the user."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import Conn
from api.filters import Filters
from api.security import CurrentUser
from geo import clock, exports_foreign
from geo.auth import audit
from geo.exports import FORMATS, export_bytes

router = APIRouter(prefix="/exports", tags=["exports"])


@router.get("/{kind}", summary="Download companies, workers, inspections, lodgings, monitoring activities or "
                               "foreign nationals (personal roles only) with the monitoring filters")
async def export(
    principal: CurrentUser,
    conn: Conn,
    flt: Filters,
    kind: Literal["companies", "workers", "inspections", "lodgings", "activities", "foreign_nationals"],
    format: Annotated[Literal["csv", "xlsx", "geojson", "gpkg", "kml"], Query()] = "csv",  # noqa: A002
    personal: Annotated[bool | None, Query(description="workers: names, passport and ITAS numbers; inspections: "
                                                         "notes and follow-up unmasked (default: when your role "
                                                         "may see them)")] = None,
) -> Response:
    if personal and not principal.can_see_personal:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "peran Anda tidak boleh melihat data pribadi "
                                                        "(role may not see personal data)")
    if kind in exports_foreign.PERSONAL_KINDS and not principal.can_see_personal:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "peran Anda tidak boleh melihat data pribadi "
                                                        "(role may not see personal data)")
    if kind in exports_foreign.KINDS and (bad := exports_foreign.unsupported(kind, flt)):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{bad}: tidak berlaku untuk {kind} (does not apply to "
                                                         f"{kind}; datetime: one date for lodgings and foreign_nationals)")
    # Inspection and activity free text may name persons (geo.redaction, geo.activity_text): masked
    # unless personal data is allowed; foreign_nationals is personal as a whole.
    with_personal = (kind in ("workers", "inspections", "activities", "foreign_nationals")
                     and principal.can_see_personal and (personal is not False or kind == "foreign_nationals"))
    as_of = clock.as_of()  # 'data per' in the file and its name, in the province's time
    # Lodgings' guest counts of 1-2 are left empty for roles without personal access, as in the API.
    exact = with_personal or (kind == "lodgings" and principal.can_see_personal)
    body, count = await run_in_threadpool(export_bytes, conn, kind, flt, format, personal=exact, as_of=as_of)
    # Every export is recorded; one carrying names/passport/ITAS numbers as personal.export.
    audit.record(conn, "personal.export" if with_personal else f"export.{kind}", **principal.audit_fields(),
                 target=f"export:{kind}", detail={"rows": count, "format": format, "filters": flt.as_query()})
    ext, media = FORMATS[format]
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="pantau-{kind}-{as_of:%Y%m%d-%H%M}.{ext}"',
        "X-Row-Count": str(count)})
