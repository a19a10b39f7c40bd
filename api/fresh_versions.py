"""Data versions for the response caches, one read shared by many requests.

A cached response is right only if the versions in its key were read after its request arrived:
then every write committed before the request shows. Requests that arrive while a read is running
wait for the next read, which starts as soon as the running one ends, and everyone who arrived
before a read began shares it. Under load one round trip serves many requests, and a cache hit needs
no thread-pool hop and no pooled connection (the reads use a connection of their own, so requests
that hold every pooled connection cannot starve them).
"""

from __future__ import annotations

import asyncio

from api.blocking import blocking
from geo.db import UNAVAILABLE_ERRORS, Connection, DatabaseUnavailable, Pool, single_read

Versions = dict[str, int]


def versions_key(versions: Versions, tables: tuple[str, ...]) -> str:
    """E.g. 'companies:12.foreign_workers:40': the same text geo.tiles.data_version makes."""
    return ".".join(f"{name}:{versions[name]}" for name in sorted(tables) if name in versions)


class FreshVersions:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._conn: Connection | None = None  # used by one read at a time, in a pool thread
        self._running: asyncio.Future[Versions] | None = None
        self._next: asyncio.Future[Versions] | None = None
        self._rounds: asyncio.Task | None = None

    async def read(self) -> Versions:
        """Every table's version, read by a query that began after this call."""
        if self._running is None:
            self._running = asyncio.get_running_loop().create_future()
            self._rounds = asyncio.get_running_loop().create_task(self._read_rounds())
            waiting = self._running
        else:
            if self._next is None:
                self._next = asyncio.get_running_loop().create_future()
            waiting = self._next
        # Shielded: one caller's cancellation (client gone) must not cancel the others' read.
        return await asyncio.shield(waiting)

    async def _read_rounds(self) -> None:
        while self._running is not None:
            try:
                self._running.set_result(await blocking(self._query))
            except Exception as exc:  # noqa: BLE001 - handed to every waiter, who raise it
                self._running.set_exception(exc)
                self._running.exception()  # retrieved, even when every waiter has gone
            self._running, self._next = self._next, None

    def _query(self) -> Versions:
        # One retry on a fresh connection: after a database restart the kept one is dead.
        for attempt in (1, 2):
            if self._conn is None or self._conn.closed:
                self._conn = self._pool.open_dedicated()
            try:
                with single_read(self._conn) as cur:
                    cur.execute("SELECT name, version FROM data_versions")
                    return dict(cur.fetchall())
            except UNAVAILABLE_ERRORS as exc:
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise DatabaseUnavailable(str(exc).strip()) from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
