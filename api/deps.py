"""Dependencies shared by the routes: the database pool and a connection per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from api.blocking import blocking
from geo.db import Connection, Pool


def get_pool(request: Request) -> Pool:
    return request.app.state.pool


async def get_conn(request: Request) -> AsyncIterator[Connection]:
    """One pooled connection per request, shared by every dependency and the route (FastAPI
    caches a dependency within a request). The wait for it is on the event loop, first come first
    served and bounded (geo.db.Pool: 503 "server busy" past it), so a waiting request holds no
    thread; only opening a new connection goes to a thread. Giving it back does no I/O unless a
    transaction was left open (then a short ROLLBACK)."""
    pool = get_pool(request)
    conn = await pool.acquire_async(blocking)
    with pool.connection(conn) as held:
        yield held


Conn = Annotated[Connection, Depends(get_conn)]
