"""Whole responses cached in process, keyed by the request and the data versions every write bumps
(migration 0040), so an edit or import shows on the next request. Each response carries an ETag
made from the same key; If-None-Match → 304 without building anything."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from datetime import date

from fastapi import Request
from fastapi.responses import Response

from api.blocking import blocking
from api.fresh_versions import versions_key
from geo import clock
from geo.db import Connection
from geo.tiles import ResultCache, data_version, etag_matches, etag_of

_init_lock = threading.Lock()
_CACHE_HEADERS = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie, Accept"}


def _cache(request: Request, name: str, size_mb: int) -> ResultCache:
    state = request.app.state
    with _init_lock:
        if not hasattr(state, "response_caches"):
            state.response_caches = {}
        cache = state.response_caches.get(name)
        if cache is None:
            cache = state.response_caches[name] = ResultCache(size_mb * 1024 * 1024)
    return cache


def _full_key(conn: Connection, cache: str, key: tuple, tables: tuple[str, ...]) -> tuple[date, tuple]:
    """The day (statuses depend on it) and the cache key: request part, day, data versions."""
    today = clock.today()
    return today, (cache, *key, today, data_version(conn, tables))


def cached_json(
    request: Request,
    conn: Connection,
    *,
    cache: str,
    size_mb: int,
    key: tuple,
    tables: tuple[str, ...],
    produce: Callable[[date], object],
) -> object:
    """A value for a page (not a response): JSON-encoded in the same kind of cache, same keys."""
    today, full_key = _full_key(conn, cache, key, tables)
    body, _ = _cache(request, cache, size_mb).get_or_compute(
        full_key, lambda: json.dumps(produce(today), default=str).encode())
    return json.loads(body)


async def cached_response(
    request: Request,
    *,
    cache: str,
    size_mb: int,
    key: tuple,
    tables: tuple[str, ...],
    media_type: str,
    produce: Callable[[date], bytes] | None = None,
    produce_async: Callable[[date], Awaitable[bytes]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """On a miss the body is built by `produce(today)` in a thread, or by `produce_async(today)` on
    the event loop (for a single read through geo.db_async). `key` must hold everything the body
    depends on besides the data and the day (the user's regencies included), since users share the
    cache. The versions come from the shared fresh read (api.fresh_versions), so a hit is served on
    the event loop with no thread hop."""
    today = clock.today()
    versions = await request.app.state.versions.read()
    full_key = (cache, *key, today, versions_key(versions, tables))
    etag = etag_of(full_key)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return _not_modified(etag)
    store = _cache(request, cache, size_mb)
    body = store.get(full_key)
    hit = body is not None
    if body is None and produce_async is not None:
        body, hit = await _compute_once(request, cache, store, full_key, lambda: produce_async(today))
    elif body is None:
        body, hit = await blocking(store.get_or_compute, full_key, lambda: produce(today))
    return _response(cache, etag, body, hit, media_type, headers)


async def _compute_once(request: Request, cache: str, store: ResultCache, key: tuple,
                        make: Callable[[], Awaitable[bytes]]) -> tuple[bytes, bool]:
    """(body, shared). Concurrent misses of one key build it once, as ResultCache.get_or_compute
    does for threads. The build runs as a task of its own, so a requester who goes away does not
    cancel it for the others. With the cache off every request builds its own."""
    if store.max_bytes == 0:
        return await make(), False
    flights = _flights(request, cache)
    flight = flights.get(key)
    if flight is not None:
        return await asyncio.shield(flight), True

    def landed(task: asyncio.Task) -> None:
        flights.pop(key, None)
        if not task.cancelled() and task.exception() is None:  # also marks a failure as seen
            store.put(key, task.result())

    flight = flights[key] = asyncio.get_running_loop().create_task(make())
    flight.add_done_callback(landed)
    return await asyncio.shield(flight), False


def _flights(request: Request, cache: str) -> dict[tuple, asyncio.Task]:
    """Builds in progress per cache (this process's event loop only touches it: no lock)."""
    state = request.app.state
    if not hasattr(state, "response_flights"):
        state.response_flights = {}
    return state.response_flights.setdefault(cache, {})


def _not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag, **_CACHE_HEADERS})


def _response(cache: str, etag: str, body: bytes, hit: bool, media_type: str, headers: dict[str, str] | None) -> Response:
    return Response(body, media_type=media_type, headers={
        "ETag": etag, **_CACHE_HEADERS, f"X-{cache.capitalize()}-Cache": "hit" if hit else "miss", **(headers or {})})
