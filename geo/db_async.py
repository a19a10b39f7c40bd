"""Single-statement reads on the event loop, through psycopg2's asynchronous connections.

From an async route, a read through the blocking pool (geo.db.Pool) hops to a thread and back:
~0.1 ms of CPU, and under load the thread and the event loop queue for the GIL. Measured on one
feature by id with one worker: ~900 requests/s through a thread, ~1,300 on the event loop.
Only single statements run here: psycopg2's async connections are always in autocommit, so there
are no transactions. Anything that writes or needs a transaction stays on the blocking pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import psycopg2
import psycopg2.extensions as ext

from geo import clock
from geo.db import UNAVAILABLE_ERRORS, Connection, Cursor, DatabaseUnavailable

CONNECT_TIMEOUT_S = 5.0


def _wake(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)


async def _ready(conn: Connection) -> None:
    """Drive the connection until its pending work (connecting, a query) is done."""
    loop = asyncio.get_running_loop()
    while True:
        state = conn.poll()  # raises the query's error, if any
        if state == ext.POLL_OK:
            return
        fd = conn.fileno()
        fut = loop.create_future()
        if state == ext.POLL_READ:
            loop.add_reader(fd, _wake, fut)
            try:
                await fut
            finally:
                loop.remove_reader(fd)
        else:
            loop.add_writer(fd, _wake, fut)
            try:
                await fut
            finally:
                loop.remove_writer(fd)


class AsyncReads:
    """A small pool of async connections for one event loop. Connections open on demand; after a
    server restart the stale idle ones are dropped and the read is retried once on a new one."""

    def __init__(self, url: str, maxconn: int, statement_timeout_ms: int, application_name: str = "pantau-api") -> None:
        self._url = url
        self._kwargs = {"application_name": application_name, "options": f"-c statement_timeout={statement_timeout_ms} {clock.session_options()}"}
        self._idle: list[Connection] = []
        self._slots = asyncio.Semaphore(maxconn)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        return await self._run(lambda cur: (sql, params), lambda cur: cur.fetchone())

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return await self._run(lambda cur: (sql, params), lambda cur: cur.fetchall())

    async def fetchone_built(self, statement: Callable[[Cursor], tuple[str, Sequence[Any]]]) -> tuple | None:
        """One row of the statement `statement(cursor)` builds with the cursor that runs it (for
        statements that quote values into text with cursor.mogrify)."""
        return await self._run(statement, lambda cur: cur.fetchone())

    async def _run(self, statement: Callable[[Cursor], tuple[str, Sequence[Any]]], fetch: Callable[[Cursor], Any]):
        async with self._slots:
            for attempt in (1, 2):
                reused = bool(self._idle)
                conn = self._idle.pop() if reused else await self._connect()
                try:
                    with conn.cursor() as cur:
                        cur.execute(*statement(cur))
                        await _ready(conn)
                        result = fetch(cur)
                except UNAVAILABLE_ERRORS as exc:
                    if not conn.closed:  # a timeout or cancelled statement on a healthy connection
                        self._give_back(conn)
                        raise
                    self.close()  # the server went away: every idle connection is stale too
                    if reused and attempt == 1:
                        continue  # a read is safe to repeat
                    raise DatabaseUnavailable(str(exc).strip()) from exc
                except BaseException:
                    self._give_back(conn)
                    raise
                self._idle.append(conn)
                return result
        raise AssertionError("unreachable")

    def _give_back(self, conn: Connection) -> None:
        if conn.closed:
            return
        if conn.isexecuting():
            # Cancelled while its statement runs (the client went away): the connection cannot
            # take another statement until that one ends, so it is closed instead.
            conn.close()
        else:
            self._idle.append(conn)

    async def _connect(self) -> Connection:
        try:
            conn = psycopg2.connect(self._url, async_=1, **self._kwargs)
        except UNAVAILABLE_ERRORS as exc:
            raise DatabaseUnavailable(str(exc).strip()) from exc
        try:
            await asyncio.wait_for(_ready(conn), CONNECT_TIMEOUT_S)
        except (TimeoutError, *UNAVAILABLE_ERRORS) as exc:
            conn.close()
            raise DatabaseUnavailable(str(exc).strip() or "connection timed out") from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
