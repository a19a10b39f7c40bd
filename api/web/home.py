"""Home page: summary figures, the province map and a sortable table of regencies."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.blocking import blocking
from api.cache import cached_body
from api.deps import Conn
from api.web.common import PageUser, error_page, render
from api.web.maps import PageFilter, map_context
from geo import clock
from geo.attention import attention_items
from geo.filters import FilterError
from geo.stats import region_stats, summary

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, conn: Conn, principal: PageUser, filters: Annotated[PageFilter, Depends()]):
    try:
        flt = await blocking(filters.parse, conn, principal)
    except FilterError as exc:
        return error_page(request, 400, "Filter tidak valid", str(exc))
    ctx = await blocking(map_context, conn, "province", None, flt, filters.measure, request.app.state.settings.maps)

    def figures(today: date) -> bytes:
        return json.dumps({"summary": summary(conn, flt, today=today),
                           "regencies": region_stats(conn, "regency", flt, parent=clock.province(), today=today)},
                          default=str).encode()

    # The figures of /api/stats, cached the same way (slow to compute at 100,000 companies: bench/RESULTS-stats-tiles.md).
    ctx.update(json.loads(await cached_body(request, "stats", ("home", flt), scope=flt.scope, produce=figures)))
    # "Perlu perhatian": the user's own (scope, role, agency), never from the shared cache.
    ctx["attention_today"] = clock.today()
    ctx["attention"] = await blocking(attention_items, conn, principal, ctx["attention_today"])
    return render(request, "home.html", ctx)
