"""Home page: summary figures, the province map and a sortable table of regencies."""

from __future__ import annotations

import json
import threading
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from psycopg2.errors import QueryCanceled

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

# The home page never waits long for "Perlu perhatian": past this its queries are cancelled and the
# panel says so, linking to /attention (each of its statements is bounded by it too).
ATTENTION_BUDGET_S = 2.0


def attention_within_budget(conn, principal, today: date, budget_s: float = ATTENTION_BUDGET_S):
    """The panel's items, or None when computing them took longer than `budget_s`."""
    lock, finished = threading.Lock(), [False]

    def cancel() -> None:
        with lock:  # never after the panel is done: the connection goes on to other work
            if not finished[0]:
                conn.cancel()

    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("SELECT set_config('statement_timeout', %s, false)", (str(int(budget_s * 1000)),))
    conn.commit()
    timer = threading.Timer(budget_s, cancel)
    timer.start()
    try:
        return attention_items(conn, principal, today)
    except QueryCanceled:
        return None
    finally:
        with lock:
            finished[0] = True
        timer.cancel()
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute("RESET statement_timeout")  # the pool's own limit
        conn.commit()


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
    items = await blocking(attention_within_budget, conn, principal, ctx["attention_today"])
    ctx["attention"], ctx["attention_unavailable"] = items or [], items is None
    return render(request, "home.html", ctx)
