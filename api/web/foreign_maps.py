"""The foreign nationals' map pages (issue 17 item 5): /maps/foreign/province, /maps/foreign/regency/{code},
/maps/foreign/district/{code}, the theme beside the workers' maps (api/web/maps.py)."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import Conn
from api.errors import BadRequest
from api.web.common import PageUser, error_page, render
from api.web.foreign_mapdata import parse_codes
from geo import clock, formatting
from geo.maps import foreign
from geo.maps.build import render_parts
from geo.maps.foreign_build import ForeignPage, build_foreign_map
from geo.maps.regions import (
    CHILD_LEVEL,
    LEVEL_LABEL,
    ancestors,
    boundaries_geojson,
    get_region,
    province,
)

router = APIRouter(include_in_schema=False)

CHILD_URL = {"province": "/maps/foreign/regency/{code}", "regency": "/maps/foreign/district/{code}", "district": None}
WORKERS_URL = {"province": "/maps/province", "regency": "/maps/regency/{code}", "district": "/maps/district/{code}"}


def _page(request: Request, conn: Conn, principal, level: str, code: str | None, purpose: str | None,
          permit_type: str | None) -> HTMLResponse:
    try:
        purposes, permits = parse_codes(conn, purpose, permit_type)
    except BadRequest as exc:
        return error_page(request, 400, "Filter tidak valid", exc.message)
    if code is not None:
        region = get_region(conn, code)
        if region is None or region.level != level:
            return error_page(request, 404, "Wilayah tidak ditemukan",
                              f"Tidak ada {LEVEL_LABEL[level].lower()} dengan kode {code!r}.")
        if not principal.allows_regency(code):
            return error_page(request, 403, "Di luar wilayah Anda", f"Akun Anda tidak mencakup wilayah {code!r}.")
    child = CHILD_LEVEL[level]
    region = get_region(conn, code) if code else province(conn)
    parent = code or (region.code if region else None)
    flt = {k: ",".join(v) for k, v in (("purpose", purposes), ("permit_type", permits)) if v}
    query = urlencode(flt)
    personal = principal.can_see_personal
    scoped = {"region": code} if code else {}
    page = ForeignPage(
        level=level, region_level=child, child_url=CHILD_URL[level], query=query,
        stats_url="/maps/data/foreign/regions.json?" + urlencode({"level": child, **({"parent": parent} if parent else {}),
                                                                  **flt}),
        lodgings_url="/maps/data/foreign/lodgings.json?" + urlencode(scoped),
        activities_url="/maps/data/foreign/activities.json?" + urlencode(scoped),
        # A residence is personal data: the layer and its URL exist only for roles allowed it.
        residences_url=("/maps/data/foreign/residences.json?" + urlencode({**scoped, **flt})) if personal else None,
        bbox=region.bbox,
    )
    fc = json.loads(boundaries_geojson(conn, child, parent, principal.regencies))
    names = foreign.lookups(conn)
    ctx = {
        "map": render_parts(build_foreign_map(fc, page, request.app.state.settings.maps)),
        "region": region, "level": level, "child_label": LEVEL_LABEL[child], "region_count": len(fc["features"]),
        "crumbs": ancestors(conn, code) if code else [region], "query": query, "personal": personal,
        "purposes": names["purposes"], "permits": names["permits"],
        "purpose": purposes[0] if len(purposes) == 1 else "", "permit_type": permits[0] if len(permits) == 1 else "",
        "filters_text": foreign.describe(names, purposes, permits), "day": formatting.long_date(clock.today()),
        "workers_url": WORKERS_URL[level].format(code=code),
    }
    return render(request, "foreign_map.html", ctx)


Purpose = Annotated[str | None, Query()]
Permit = Annotated[str | None, Query()]


@router.get("/maps/foreign/province", response_class=HTMLResponse)
def foreign_province_map(request: Request, conn: Conn, principal: PageUser, purpose: Purpose = None,
                         permit_type: Permit = None):
    return _page(request, conn, principal, "province", None, purpose, permit_type)


@router.get("/maps/foreign/regency/{code}", response_class=HTMLResponse)
def foreign_regency_map(code: str, request: Request, conn: Conn, principal: PageUser, purpose: Purpose = None,
                        permit_type: Permit = None):
    return _page(request, conn, principal, "regency", code, purpose, permit_type)


@router.get("/maps/foreign/district/{code}", response_class=HTMLResponse)
def foreign_district_map(code: str, request: Request, conn: Conn, principal: PageUser, purpose: Purpose = None,
                         permit_type: Permit = None):
    return _page(request, conn, principal, "district", code, purpose, permit_type)
