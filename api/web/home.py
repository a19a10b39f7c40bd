"""Home page: summary figures, the province map and a sortable table of regencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.deps import Conn
from api.web.common import PageUser, error_page, render
from api.web.maps import PageFilter, map_context
from geo.filters import FilterError
from geo.settings import home_province
from geo.stats import region_stats, summary

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, conn: Conn, principal: PageUser, filters: Annotated[PageFilter, Depends()]):
    try:
        flt = filters.parse(conn, principal)
    except FilterError as exc:
        return error_page(request, 400, "Filter tidak valid", str(exc))
    ctx = map_context(conn, "province", None, flt, filters.measure)
    ctx.update(summary=summary(conn, flt), regencies=region_stats(conn, "regency", flt, parent=home_province()))
    return render(request, "home.html", ctx)
