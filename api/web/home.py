"""Home page: summary figures, the province map and a sortable table of regencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.deps import Conn
from api.response_cache import cached_json
from api.web.common import PageUser, error_page, render
from api.web.maps import PageFilter, map_context
from geo.filters import FilterError
from geo.settings import home_province
from geo.stats import region_stats, summary
from geo.stats.cache import STATS_TABLES, stats_cache_mb

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, conn: Conn, principal: PageUser, filters: Annotated[PageFilter, Depends()]):
    try:
        flt = filters.parse(conn, principal)
    except FilterError as exc:
        return error_page(request, 400, "Filter tidak valid", str(exc))
    ctx = map_context(conn, "province", None, flt, filters.measure)
    # The figures of /api/stats, cached the same way (100,000 companies: ~1 s to compute, then ~0).
    figures = cached_json(request, conn, cache="stats", size_mb=stats_cache_mb(), key=("home", flt), tables=STATS_TABLES,
                          produce=lambda today: {"summary": summary(conn, flt, today=today),
                                                 "regencies": region_stats(conn, "regency", flt, parent=home_province(),
                                                                           today=today)})
    ctx.update(figures)
    return render(request, "home.html", ctx)
