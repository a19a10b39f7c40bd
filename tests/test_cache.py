"""The one cache of GET answers (api/cache.py): bounded in bytes, concurrent misses built once and
shared, a build outliving no request whose connection it may use, versions read fresh and shared
(on a real database), and the user's regencies in every key: a user of one regency never gets an
answer, or a 304, made for another."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import psycopg2
import pytest

from api.cache import LRU, FreshVersions, ResponseCache
from api.main import create_app
from geo.settings import CacheSettings, Settings
from tests.conftest import free_port
from tests.seed import fill


def test_the_lru_is_bounded_in_bytes():
    lru = LRU(1000)
    for i in range(10):
        lru.put(i, b"y" * 200)
    assert lru.get(0) is None and lru.get(9) is not None and lru.size <= 1000
    lru.put(9, b"z")  # replaced, not counted twice
    assert lru.get(9) == b"z" and lru.size == sum(len(lru.get(k) or b"") + 64 for k in range(10) if lru.get(k))
    lru.put("big", b"x" * 2000)  # larger than the whole cache: not kept, nothing evicted for it
    assert lru.get("big") is None and lru.get(9) == b"z"
    off = LRU(0)
    off.put("k", b"")
    assert off.get("k") is None


class Builder:
    def __init__(self, fail: bool = False):
        self.calls, self.running, self.cancelled, self.fail = 0, 0, 0, fail

    async def __call__(self) -> bytes:
        self.calls += 1
        self.running += 1
        try:
            await asyncio.sleep(0.1)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.running -= 1
        if self.fail:
            raise ValueError("bad page")
        return b"page"


def _cache(mb: int = 1) -> ResponseCache:
    async def no_versions(sql):
        return []

    return ResponseCache(CacheSettings(features_cache_mb=mb), no_versions)


KEY = ("features", None, "k")


def test_concurrent_misses_build_once_and_share():
    cache, build = _cache(), Builder()

    async def scenario():
        return await asyncio.gather(*(cache.body(KEY, build) for _ in range(20)))

    results = asyncio.run(scenario())
    assert build.calls == 1 and [hit for _, hit in results].count(False) == 1
    assert all(body == b"page" for body, _ in results) and cache.stores["features"].get(KEY) == b"page"


def test_the_first_requester_leaving_does_not_cancel_the_build_and_waits_for_it():
    cache, build = _cache(), Builder()

    async def scenario():
        first = asyncio.create_task(cache.body(KEY, build))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(cache.body(KEY, build))
        await asyncio.sleep(0.01)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        # Its build may have used its connection: the first requester ended only after the build.
        assert build.running == 0
        return await second

    assert asyncio.run(scenario()) == (b"page", True)
    assert build.calls == 1 and cache.stores["features"].get(KEY) == b"page"


def test_a_build_nobody_waits_for_any_more_stops():
    """(Its statement with it: the database pool cancels a statement whose task is cancelled.)"""
    cache, build = _cache(), Builder()

    async def scenario():
        first = asyncio.create_task(cache.body(KEY, build))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(cache.body(KEY, build))
        await asyncio.sleep(0.01)
        first.cancel()
        await asyncio.sleep(0.01)
        assert build.running == 1 and not first.done()  # the second still waits: the build goes on
        second.cancel()
        for task in (first, second):
            with pytest.raises(asyncio.CancelledError):
                await task
        assert build.running == 0 and build.cancelled == 1
        return await cache.body(KEY, build)  # the next request builds anew

    assert asyncio.run(scenario()) == (b"page", False) and build.calls == 2


def test_a_failed_build_reaches_every_waiter_and_is_not_kept():
    cache, build = _cache(), Builder(fail=True)

    async def scenario():
        return await asyncio.gather(*(cache.body(KEY, build) for _ in range(3)), return_exceptions=True)

    results = asyncio.run(scenario())
    assert build.calls == 1 and all(isinstance(r, ValueError) for r in results)
    assert cache.stores["features"].get(KEY) is None and cache._flights == {}


def test_with_the_cache_off_every_request_builds():
    cache, build = _cache(0), Builder()

    async def scenario():
        return await asyncio.gather(*(cache.body(KEY, build) for _ in range(5)))

    assert all(r == (b"page", False) for r in asyncio.run(scenario())) and build.calls == 5


# --- data versions, on a real database ----------------------------------------------------------
class Reads:
    """Reads from a real database (in a thread, one connection each), optionally holding each result
    a moment after its query ran, so a test can act while a read is in flight."""

    def __init__(self, url: str, hold: float = 0) -> None:
        self.url, self.hold, self.queries = url, hold, 0

    def _query(self, sql: str) -> list[tuple]:
        conn = psycopg2.connect(self.url, connect_timeout=5)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        finally:
            conn.close()

    async def fetchall(self, sql: str) -> list[tuple]:
        rows = await asyncio.to_thread(self._query, sql)
        self.queries += 1
        await asyncio.sleep(self.hold)
        return rows


def _bump_companies(url: str) -> None:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE companies SET name = name WHERE false")  # statement trigger: bumps the version
    finally:
        conn.close()


def _run(reads: Reads, scenario):
    return asyncio.run(scenario(FreshVersions(reads.fetchall)))


def test_a_caller_sees_a_write_committed_while_an_earlier_read_was_in_flight(fresh_db_url):
    reads = Reads(fresh_db_url, hold=0.3)

    async def scenario(versions):
        early = asyncio.create_task(versions.read())
        await asyncio.sleep(0.1)  # the early read has run its query and is held
        await asyncio.to_thread(_bump_companies, fresh_db_url)
        late = await versions.read()
        return await early, late

    early, late = _run(reads, scenario)
    assert late["companies"] == early["companies"] + 1 and reads.queries == 2


def test_concurrent_callers_share_reads(db_url):
    reads = Reads(db_url, hold=0.2)

    async def scenario(versions):
        return await asyncio.gather(*(versions.read() for _ in range(50)))

    results = _run(reads, scenario)
    # The first caller starts a read; the 49 who arrive while it runs share the next one.
    assert reads.queries == 2 and all(r == results[0] for r in results) and "companies" in results[0]


def test_one_cancelled_caller_does_not_cancel_the_others(db_url):
    async def scenario(versions):
        first, second = asyncio.create_task(versions.read()), asyncio.create_task(versions.read())
        others = [asyncio.create_task(versions.read()) for _ in range(3)]
        await asyncio.sleep(0.05)
        first.cancel()
        second.cancel()
        got = await asyncio.gather(*others)
        with pytest.raises(asyncio.CancelledError):
            await first
        return got, await versions.read()

    got, after = _run(Reads(db_url, hold=0.2), scenario)
    assert all("companies" in r for r in got) and "companies" in after


def test_no_server_is_an_error_for_every_caller_and_no_hang():
    async def scenario(versions):
        first = await asyncio.gather(*(versions.read() for _ in range(5)), return_exceptions=True)
        second = await asyncio.wait_for(asyncio.gather(versions.read(), return_exceptions=True), 20)
        return first + second

    errors = _run(Reads(f"postgresql://pantau@127.0.0.1:{free_port()}/nothing"), scenario)
    assert len(errors) == 6 and all(isinstance(e, psycopg2.OperationalError) for e in errors)


# --- the user's regencies in every key (issue #14), through the app ----------------------------
def _login(url: str, client_post, regencies: list[str]):
    from geo.auth.users import create_user

    username, password = f"viewer-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    conn = psycopg2.connect(url)
    try:
        create_user(conn, username, password, "viewer", "pemkab", regencies)
    finally:
        conn.close()
    return client_post("/api/auth/token", data={"username": username, "password": password})


PATHS = ("/api/collections/companies/items?limit=10", "/api/stats/regency", "/api/stats/summary",
         "/maps/data/companies.json", "/maps/data/regions.json?level=regency")


def test_a_user_of_one_regency_never_gets_an_answer_cached_for_another(fresh_db_url):
    fill(fresh_db_url)

    async def scenario():
        app = create_app(Settings(database={"url": fresh_db_url}))
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://pantau.test") as client:
            users = {}
            for regency in ("62.02", "62.71"):
                token = (await _login(fresh_db_url, client.post, [regency])).json()["access_token"]
                users[regency] = {"Authorization": f"Bearer {token}"}
            out = {}
            for path in PATHS:
                first = await client.get(path, headers=users["62.02"])
                again = await client.get(path, headers=users["62.02"])
                other = await client.get(path, headers=users["62.71"])
                # The other user sends the first user's ETag: it matches nothing of theirs.
                stale = await client.get(path, headers={**users["62.71"], "If-None-Match": first.headers["etag"]})
                out[path] = (first, again, other, stale)
            return out

    results = asyncio.run(scenario())
    for path, (first, again, other, stale) in results.items():
        assert first.status_code == again.status_code == other.status_code == stale.status_code == 200, path
        cache_header = next(h for h in again.headers if h.startswith("x-") and h.endswith("-cache"))
        assert again.headers[cache_header] == "hit" and again.content == first.content, path
        assert other.headers[cache_header] == "miss" and other.headers["etag"] != first.headers["etag"], path
        assert other.content != first.content and stale.content == other.content, path
    companies = results[PATHS[0]]
    assert "Sawit Sampit" in companies[0].text and "Sawit Sampit" not in companies[2].text
    assert "Jasa Palangka Raya" in companies[2].text and "Jasa Palangka Raya" not in companies[0].text
