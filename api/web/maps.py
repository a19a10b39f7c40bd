"""Map pages: /maps/province, /maps/regency/{code}, /maps/district/{code}."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import Conn
from api.web.common import PageUser, current_quarter, error_page, render
from geo import formatting, labels
from geo.db import Connection
from geo.filters import FilterError, MonitoringFilter, from_params
from geo.maps.build import DEFAULT_MEASURE, MEASURES, MapPage, build_map, render_parts
from geo.maps.regions import (
    CHILD_LEVEL,
    LEVEL_LABEL,
    ancestors,
    boundaries_geojson,
    context_geojson,
    get_region,
    province,
)
from geo.settings import MapSettings

router = APIRouter(include_in_schema=False)

CHILD_URL = {"province": "/maps/regency/{code}", "regency": "/maps/district/{code}", "district": None}
PERMIT_TEXT = {k: v.lower() for k, v in labels.PERMIT_STATUS.items()}


class PageFilter:
    """The page's filter parameters (the API's names), parsed by the shared filter."""

    def __init__(
        self,
        sector: Annotated[str | None, Query()] = None,
        nationality: Annotated[str | None, Query()] = None,
        permit_status: Annotated[str | None, Query()] = None,
        datetime: Annotated[str | None, Query()] = None,
        measure: Annotated[str, Query()] = DEFAULT_MEASURE,
    ) -> None:
        self.raw = {"sector": sector, "nationality": nationality, "permit_status": permit_status, "datetime": datetime}
        self.measure = measure

    def parse(self, conn: Connection, principal) -> MonitoringFilter:
        if self.measure not in MEASURES:
            raise FilterError(f"measure: {self.measure!r} is not one of {', '.join(MEASURES)}")
        flt = from_params(**self.raw)
        flt.validate_against(conn)
        return flt.scoped(principal.regencies)


def describe(flt: MonitoringFilter, sectors: dict[str, str]) -> str | None:
    parts = []
    if flt.sector:
        parts.append("sektor " + ", ".join(sectors.get(s, s) for s in flt.sector))
    if flt.nationality:
        parts.append("kewarganegaraan " + ", ".join(labels.nationality(n) for n in flt.nationality))
    if flt.permit_status:
        parts.append("RPTKA " + PERMIT_TEXT[flt.permit_status])
    if flt.period_start or flt.period_end:
        parts.append(f"RPTKA berakhir {formatting.long_date(flt.period_start, '…')} s.d. {formatting.long_date(flt.period_end, '…')}")
    return "; ".join(parts) or None


def sector_labels(conn: Connection) -> dict[str, str]:
    with conn.cursor() as cur:
        cur.execute("SELECT code, label FROM sectors ORDER BY label")
        rows = cur.fetchall()
    conn.commit()
    return dict(rows)


def map_context(conn: Connection, level: str, code: str | None, flt: MonitoringFilter, measure: str,
                maps: MapSettings) -> dict:
    """Everything a map needs for the region `code` (None = province) at page level `level`.

    No statistics here: the outlines come from the (cached) boundaries, and the page fetches the
    numbers (/maps/data/regions.json) and the companies (/maps/data/companies.json) at run time,
    in parallel, so the HTML is sent at once whatever the number of companies."""
    child = CHILD_LEVEL[level]
    user_query = flt.as_query()
    query = urlencode({**user_query, **({"measure": measure} if measure != DEFAULT_MEASURE else {})})
    region = get_region(conn, code) if code else province(conn)
    parent = code or (region.code if region else None)  # the province page: its own regencies only
    point_flt = {"regency": {"regency_code": code}, "district": {"district_code": code}}.get(level, {})
    points_url = "/maps/data/companies.json?" + urlencode({**user_query, **point_flt})
    stats_url = "/maps/data/regions.json?" + urlencode(
        {"level": child, **({"parent": parent} if parent else {}), "measure": measure, **user_query})
    fc = json.loads(boundaries_geojson(conn, child, parent, flt.scope))
    sectors = sector_labels(conn)
    page = MapPage(level=level, region_level=child, measure=measure, child_url=CHILD_URL[level], query=query,
                   points_url=points_url, stats_url=stats_url, filters_text=describe(flt, sectors), bbox=region.bbox,
                   context=json.loads(context_geojson(conn, flt.scope)))
    parts = render_parts(build_map(fc, page, maps))
    return {"map": parts, "region": region, "level": level, "level_label": LEVEL_LABEL, "child_label": LEVEL_LABEL[child],
            "region_count": len(fc["features"]), "measure": measure, "measures": MEASURES, "sectors": sectors,
            "flt": flt, "query": query, "quarter": current_quarter()}


def _page(request: Request, conn: Conn, principal, filters: PageFilter, level: str, code: str | None) -> HTMLResponse:
    try:
        flt = filters.parse(conn, principal)
    except FilterError as exc:
        return error_page(request, 400, "Filter tidak valid", str(exc))
    if code is not None:
        region = get_region(conn, code)
        if region is None or region.level != level:
            return error_page(request, 404, "Wilayah tidak ditemukan",
                              f"Tidak ada {LEVEL_LABEL[level].lower()} dengan kode {code!r}.")
        if not principal.allows_regency(code):
            return error_page(request, 403, "Di luar wilayah Anda",
                              f"Akun Anda tidak mencakup wilayah {code!r}.")
    ctx = map_context(conn, level, code, flt, filters.measure, request.app.state.settings.maps)
    ctx["crumbs"] = ancestors(conn, code) if code else [ctx["region"]]
    return render(request, "map.html", ctx)


@router.get("/maps/province", response_class=HTMLResponse)
def province_map(request: Request, conn: Conn, principal: PageUser, filters: Annotated[PageFilter, Depends()]):
    return _page(request, conn, principal, filters, "province", None)


@router.get("/maps/regency/{code}", response_class=HTMLResponse)
def regency_map(code: str, request: Request, conn: Conn, principal: PageUser, filters: Annotated[PageFilter, Depends()]):
    return _page(request, conn, principal, filters, "regency", code)


@router.get("/maps/district/{code}", response_class=HTMLResponse)
def district_map(code: str, request: Request, conn: Conn, principal: PageUser, filters: Annotated[PageFilter, Depends()]):
    return _page(request, conn, principal, filters, "district", code)
