"""Blocking work of a request (psycopg2 queries, rendering) on the database pool's threads.

`blocking(fn, *args)` runs `fn(*args)` through geo.db.Pool.run with the request's connection
(api.deps.Conn): when the request is cancelled (its client went away), the statement running on that
connection is cancelled on the server and the request ends once `fn` has, so the connection goes
back to the pool idle. A plain thread pool, not Starlette's run_in_threadpool (anyio: cancel scopes,
a capacity limiter), which FastAPI uses for every `def` route: it costs more per call.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from geo.db import Connection, Pool

T = TypeVar("T")


@dataclass(slots=True)
class Lent:
    """The request's pool and connection; `conn` is None once the connection went back (a task the
    request started may outlive it, with a copy of its context)."""

    pool: Pool
    conn: Connection | None


LENT: ContextVar[Lent] = ContextVar("pantau_lent_connection")


async def blocking(fn: Callable[..., T], *args) -> T:
    lent = LENT.get()
    return await lent.pool.run(lent.conn, fn, *args)
