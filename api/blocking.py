"""Blocking work (psycopg2 queries) from async routes, on a plain thread pool.

Cheaper per call than Starlette's run_in_threadpool (anyio: cancel scopes, capacity limiter), which
FastAPI uses for every `def` route: under load that difference was ~15% of a request on the hot
feature routes (py-spy, 2026-11-29). A cancelled request (client gone) still waits for the work to
finish, because that work may be using the request's pooled connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# What comes here holds a pooled connection (requests wait for one on the event loop, in geo.db.Pool's
# queue, never in a thread), so at most PANTAU_POOL_MAX of these threads are busy at once and a
# connection holder never waits for a thread. 40 = anyio's default limiter.
_executor = ThreadPoolExecutor(max_workers=40, thread_name_prefix="pantau-blocking")


async def blocking(fn: Callable[..., T], *args) -> T:
    work = _executor.submit(fn, *args)
    try:
        return await asyncio.wrap_future(work)
    except asyncio.CancelledError:
        # Not started: it never will. Running: wait for it, however often we are cancelled again.
        while not work.done():
            try:
                await asyncio.shield(asyncio.wrap_future(work))
            except asyncio.CancelledError:
                continue
            except Exception:  # noqa: BLE001 - its own error no longer matters, the cancellation does
                break
        raise
