"""Concurrent misses of one cached response on the event loop (api.response_cache._compute_once):
built once and shared, not cancelled by a requester who leaves, failures not cached, and with the
cache off every request builds its own (so cache-off benchmarks measure real work)."""

import asyncio
from types import SimpleNamespace

import pytest

from api.response_cache import _compute_once
from geo.tiles import ResultCache


def _request():
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace()))


class Builder:
    def __init__(self, fail: bool = False):
        self.calls = 0
        self.fail = fail

    async def __call__(self) -> bytes:
        self.calls += 1
        await asyncio.sleep(0.1)
        if self.fail:
            raise ValueError("bad page")
        return b"page"


def test_concurrent_misses_build_once_and_share():
    store, build, request = ResultCache(1 << 20), Builder(), _request()

    async def scenario():
        return await asyncio.gather(*(_compute_once(request, "features", store, ("k",), build) for _ in range(20)))

    results = asyncio.run(scenario())
    assert build.calls == 1
    assert [shared for _, shared in results].count(False) == 1
    assert all(body == b"page" for body, _ in results)
    assert store.get(("k",)) == b"page"


def test_the_first_requester_leaving_does_not_cancel_the_build():
    store, build, request = ResultCache(1 << 20), Builder(), _request()

    async def scenario():
        first = asyncio.create_task(_compute_once(request, "features", store, ("k",), build))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(_compute_once(request, "features", store, ("k",), build))
        await asyncio.sleep(0.01)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        return await second

    assert asyncio.run(scenario()) == (b"page", True)
    assert build.calls == 1 and store.get(("k",)) == b"page"


def test_a_failed_build_reaches_every_waiter_and_is_not_cached():
    store, build, request = ResultCache(1 << 20), Builder(fail=True), _request()

    async def scenario():
        return await asyncio.gather(*(_compute_once(request, "features", store, ("k",), build) for _ in range(3)),
                                    return_exceptions=True)

    results = asyncio.run(scenario())
    assert build.calls == 1 and all(isinstance(r, ValueError) for r in results)
    assert store.get(("k",)) is None
    assert request.app.state.response_flights["features"] == {}


def test_with_the_cache_off_every_request_builds():
    store, build, request = ResultCache(0), Builder(), _request()

    async def scenario():
        return await asyncio.gather(*(_compute_once(request, "features", store, ("k",), build) for _ in range(5)))

    assert all(r == (b"page", False) for r in asyncio.run(scenario()))
    assert build.calls == 5
