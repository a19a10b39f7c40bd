"""The one cache of whole GET answers: feature pages, statistics, the maps' numbers and company
points, vector tiles and the home page's figures.

A body is kept in process, per kind, in a byte-bounded LRU (Settings.cache; 0 = off), under a key of
the request's own parts, the user's regencies (users share the cache: a user of one regency must
never get a body made for another), the province's day (statuses depend on it) and the versions of
the tables it reads, which every write bumps (migration 0040), so a committed edit or import shows on
the next request. The ETag is made from the same key: If-None-Match answers 304 without building.

Versions: one read of data_versions serves every request that arrived before it began, and a request
waits for a read that begins after it arrived, so it sees every write committed before it; a hit
needs no thread. Builds: concurrent misses of one key build it once, in a task that goes on while
anyone waits for it and stops when nobody does. All of it runs on the event loop: no locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from datetime import date

from fastapi import Request
from fastapi.responses import Response

from api.blocking import blocking
from geo import clock
from geo.settings import CacheSettings

Versions = dict[str, int]
REVALIDATE = "private, no-cache"  # browsers ask each time; an unchanged answer is a 304
_VARY = "Authorization, Cookie, Accept"
_ENTRY = 64  # bytes counted per entry besides its body: an empty tile still takes room


class LRU:
    """Bodies by key; beyond max_bytes the least recently used go first. 0 keeps nothing."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes, self.size = max_bytes, 0
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()

    def get(self, key: Hashable) -> bytes | None:
        body = self._items.get(key)
        if body is not None:
            self._items.move_to_end(key)
        return body

    def put(self, key: Hashable, body: bytes) -> None:
        if len(body) + _ENTRY > self.max_bytes:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.size -= len(old) + _ENTRY
        self._items[key] = body
        self.size += len(body) + _ENTRY
        while self.size > self.max_bytes:
            self.size -= len(self._items.popitem(last=False)[1]) + _ENTRY


class FreshVersions:
    """Every table's data version, read by a query that began after the caller asked; callers who
    arrive while a read runs share the next one, which starts as soon as it ends."""

    def __init__(self, fetchall: Callable[[str], Awaitable[list]]) -> None:
        self._fetchall = fetchall
        self._running: asyncio.Future[Versions] | None = None
        self._next: asyncio.Future[Versions] | None = None
        self._rounds: asyncio.Task | None = None  # held: the event loop keeps tasks only weakly

    async def read(self) -> Versions:
        loop = asyncio.get_running_loop()
        if self._running is None:
            waiting = self._running = loop.create_future()
            self._rounds = loop.create_task(self._read_rounds())
        else:
            waiting = self._next = self._next or loop.create_future()
        return await asyncio.shield(waiting)  # one caller leaving must not cancel the others' read

    async def _read_rounds(self) -> None:
        while self._running is not None:
            try:
                self._running.set_result(dict(await self._fetchall("SELECT name, version FROM data_versions")))
            except Exception as exc:  # noqa: BLE001 - handed to every waiter, who raise it
                self._running.set_exception(exc)
                self._running.exception()  # retrieved, even when every waiter has gone
            self._running, self._next = self._next, None


class ResponseCache:
    """One per app (create_app): the stores of each kind, the versions, the builds under way."""

    def __init__(self, settings: CacheSettings, fetchall: Callable[[str], Awaitable[list]]) -> None:
        sizes = {"features": settings.features_cache_mb, "stats": settings.stats_cache_mb,
                 "points": 4 * settings.stats_cache_mb, "tile": settings.tiles_cache_mb}
        self.stores = {kind: LRU(mb * 1024 * 1024) for kind, mb in sizes.items()}
        self.versions = FreshVersions(fetchall)
        self._flights: dict[tuple, _Flight] = {}

    async def body(self, key: tuple, build: Callable[[], Awaitable[bytes]]) -> tuple[bytes, bool]:
        """(body, hit) for a full key (its kind first)."""
        store = self.stores[key[0]]
        body = store.get(key)
        if body is not None:
            return body, True
        if store.max_bytes == 0:
            return await build(), False
        flight = self._flights.get(key)
        mine = flight is None
        if flight is None:
            flight = self._flights[key] = _Flight(asyncio.get_running_loop().create_task(build()))
            flight.task.add_done_callback(lambda _: self._landed(store, key, flight))
        return await self._share(key, flight, mine), not mine

    def _landed(self, store: LRU, key: tuple, flight: _Flight) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.task.cancelled() and flight.task.exception() is None:  # a failure is not kept
            store.put(key, flight.task.result())

    async def _share(self, key: tuple, flight: _Flight, mine: bool) -> bytes:
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task)
        except asyncio.CancelledError:  # this request's client went away
            flight.waiters -= 1
            if not flight.waiters:  # nobody waits for it any more: it stops (and its statement)
                if self._flights.get(key) is flight:
                    del self._flights[key]  # the next request builds anew
                flight.task.cancel()
            # The build may use this request's connection, which goes back to the pool as the request
            # ends: the request ends after the build.
            while mine and not flight.task.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait((flight.task,))
            raise


class _Flight:
    """A build under way, and how many requests wait for it."""

    def __init__(self, task: asyncio.Task[bytes]) -> None:
        self.task, self.waiters = task, 0


async def _full_key(request: Request, kind: str, key: tuple, scope: tuple[str, ...] | None,
                    tables: tuple[str, ...] | None) -> tuple[date, tuple]:
    today = clock.today()
    versions = await request.app.state.cache.versions.read()
    return today, (kind, scope, *key, today, *sorted(v for v in versions.items() if tables is None or v[0] in tables))


async def cached(request: Request, kind: str, key: tuple, *, scope: tuple[str, ...] | None,
                 produce: Callable[[date], bytes], tables: tuple[str, ...] | None = None,
                 media_type: str = "application/json", headers: dict[str, str] | None = None,
                 cache_control: str = REVALIDATE) -> Response:
    """The answer of a cached GET. On a miss the body is built by `produce(today)` on the database
    pool's threads, with the request's connection. `key` holds everything the body depends on
    besides the user's regencies (`scope`), the day and the data of `tables` (default: every
    table). An empty body answers 204 No Content."""
    today, full_key = await _full_key(request, kind, key, scope, tables)
    etag = '"' + hashlib.sha256(repr(full_key).encode()).hexdigest()[:32] + '"'
    head = {"ETag": etag, "Cache-Control": cache_control, "Vary": _VARY}
    tags = [t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")]
    if etag in tags or "*" in tags:
        return Response(status_code=304, headers=head)
    body, hit = await request.app.state.cache.body(full_key, lambda: blocking(produce, today))
    head[f"X-{kind.capitalize()}-Cache"] = "hit" if hit else "miss"
    if not body:
        return Response(status_code=204, headers=head)
    return Response(body, media_type=media_type, headers={**head, **(headers or {})})


async def cached_body(request: Request, kind: str, key: tuple, *, scope: tuple[str, ...] | None,
                      produce: Callable[[date], bytes], tables: tuple[str, ...] | None = None) -> bytes:
    """A cached body for a page to use (not an answer of its own), keyed the same way."""
    today, full_key = await _full_key(request, kind, key, scope, tables)
    return (await request.app.state.cache.body(full_key, lambda: blocking(produce, today)))[0]
