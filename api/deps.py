"""Dependencies shared by the routes: a pooled connection per request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from psycopg2.extensions import TRANSACTION_STATUS_ACTIVE

from api.blocking import LENT, Lent
from api.disconnect import on_disconnect
from geo.db import UNAVAILABLE_ERRORS, Connection, DatabaseUnavailable, Pool, until_done


def get_pool(request: Request) -> Pool:
    return request.app.state.pool


@asynccontextmanager
async def lend(request: Request) -> AsyncIterator[Connection]:
    """The request's pooled connection for the block. The wait for it is on the event loop, first
    come first served and bounded (geo.db.Pool: 503 "server busy" past it), so a waiting request
    holds no thread.

    When the client goes away (api.disconnect), the request's task is cancelled: work inside
    `blocking` cancels its own statement. A statement run outside it, by a `def` route or dependency
    on FastAPI's threads, is cancelled here. The connection goes back once every cancel request sent
    for it has arrived, so that none can reach its next user's statement."""
    pool = get_pool(request)
    conn = await pool.acquire()
    lent = Lent(pool, conn)
    LENT.set(lent)
    cancels: list[asyncio.Future] = []

    def interrupt() -> None:
        if not pool.running(conn) and conn.info.transaction_status == TRANSACTION_STATUS_ACTIVE:
            cancels.append(pool.cancel(conn))

    try:
        with on_disconnect(request.scope, interrupt):
            yield conn
    except UNAVAILABLE_ERRORS as exc:
        # OperationalError also covers a cancelled query or a lock timeout on a healthy connection:
        # only a closed connection means the server is gone.
        if conn.closed:
            raise DatabaseUnavailable(str(exc).strip()) from exc
        raise
    finally:
        lent.conn = None
        for cancel in cancels:
            await until_done(cancel)
        pool.release(conn)


async def get_conn(request: Request) -> AsyncIterator[Connection]:
    """`lend` as a dependency: one connection per request, shared by every dependency and the route
    (FastAPI caches a dependency within a request). The hottest route (one feature by id) calls
    `lend` itself: FastAPI's solving of this dependency and of CurrentUser cost more Python than its
    query (bench/RESULTS-features.md)."""
    async with lend(request) as conn:
        yield conn


Conn = Annotated[Connection, Depends(get_conn)]
