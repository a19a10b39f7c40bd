"""Data versions for the response caches, one read shared by many requests.

A cached response is right only if the versions in its key were read after its request arrived:
then every write committed before the request shows. Requests that arrive while a read is running
wait for the next read, which starts as soon as the running one ends, and everyone who arrived
before a read began shares it. Under load one round trip serves many requests. The read runs on the
event loop (geo.db_async), so a cache hit needs no thread-pool hop, and it does not use the blocking
pool, so requests that hold every pooled connection cannot starve it.
"""

from __future__ import annotations

import asyncio

from geo.db_async import AsyncReads

Versions = dict[str, int]


def versions_key(versions: Versions, tables: tuple[str, ...]) -> str:
    """E.g. 'companies:12.foreign_workers:40': the same text geo.tiles.data_version makes."""
    return ".".join(f"{name}:{versions[name]}" for name in sorted(tables) if name in versions)


class FreshVersions:
    def __init__(self, reads: AsyncReads) -> None:
        self._reads = reads
        self._running: asyncio.Future[Versions] | None = None
        self._next: asyncio.Future[Versions] | None = None
        self._rounds: asyncio.Task | None = None  # held here: the event loop keeps tasks only weakly

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
                self._running.set_result(dict(await self._reads.fetchall("SELECT name, version FROM data_versions")))
            except Exception as exc:  # noqa: BLE001 - handed to every waiter, who raise it
                self._running.set_exception(exc)
                self._running.exception()  # retrieved, even when every waiter has gone
            self._running, self._next = self._next, None
