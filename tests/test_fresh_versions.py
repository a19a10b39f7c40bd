"""The shared data-version read behind the response caches (api.fresh_versions), on a real database:
a caller never gets versions read before it asked, concurrent callers share reads, one caller's
cancellation leaves the others served, and a dropped or missing server is an error, not a hang."""

import asyncio
import time

import psycopg2
import pytest

from api.fresh_versions import FreshVersions, versions_key
from geo.db import DatabaseUnavailable, Pool


class SlowReads(FreshVersions):
    """Holds each read's result a moment after the query ran, so a test can act while it is in flight."""

    def __init__(self, pool: Pool, hold: float = 0.3) -> None:
        super().__init__(pool)
        self.hold = hold
        self.queries = 0

    def _query(self):
        versions = super()._query()
        self.queries += 1
        time.sleep(self.hold)
        return versions


def _bump_companies(url: str) -> None:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE companies SET name = name WHERE false")  # statement trigger: bumps the version
    finally:
        conn.close()


def _pool(url: str) -> Pool:
    return Pool(url, 1, 4, 5000)


def test_a_caller_sees_a_write_committed_while_an_earlier_read_was_in_flight(fresh_db_url):
    reader = SlowReads(_pool(fresh_db_url))

    async def scenario():
        early = asyncio.create_task(reader.read())
        await asyncio.sleep(0.1)  # the early read has run its query and is held
        await asyncio.to_thread(_bump_companies, fresh_db_url)
        late = await reader.read()
        return await early, late

    try:
        early, late = asyncio.run(scenario())
    finally:
        reader.close()
    assert late["companies"] == early["companies"] + 1
    assert reader.queries == 2


def test_concurrent_callers_share_reads(db_url):
    reader = SlowReads(_pool(db_url), hold=0.2)

    async def scenario():
        return await asyncio.gather(*(reader.read() for _ in range(50)))

    try:
        results = asyncio.run(scenario())
    finally:
        reader.close()
    # The first caller starts a read; the 49 who arrive while it runs share the next one.
    assert reader.queries == 2
    assert all(r == results[0] for r in results)
    assert versions_key(results[0], ("foreign_workers", "companies")) == (
        f"companies:{results[0]['companies']}.foreign_workers:{results[0]['foreign_workers']}")


def test_one_cancelled_caller_does_not_cancel_the_others(db_url):
    reader = SlowReads(_pool(db_url), hold=0.2)

    async def scenario():
        first = asyncio.create_task(reader.read())
        second = asyncio.create_task(reader.read())
        others = [asyncio.create_task(reader.read()) for _ in range(3)]
        await asyncio.sleep(0.05)
        first.cancel()
        second.cancel()
        got = await asyncio.gather(*others)
        with pytest.raises(asyncio.CancelledError):
            await first
        return got, await reader.read()

    try:
        got, after = asyncio.run(scenario())
    finally:
        reader.close()
    assert all("companies" in r for r in got) and "companies" in after


def test_a_dropped_connection_is_replaced_on_the_next_read(db_url):
    reader = FreshVersions(_pool(db_url))

    async def read_twice():
        before = await reader.read()
        pid = reader._conn.get_backend_pid()
        killer = psycopg2.connect(db_url)
        try:
            with killer, killer.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
        finally:
            killer.close()
        return before, await reader.read(), pid

    try:
        before, after, old_pid = asyncio.run(read_twice())
        assert after == before
        assert reader._conn.get_backend_pid() != old_pid
    finally:
        reader.close()


def test_no_server_is_an_error_for_every_caller_and_no_hang(free_port_url):
    reader = FreshVersions(_pool(free_port_url))

    async def scenario():
        first = await asyncio.gather(*(reader.read() for _ in range(5)), return_exceptions=True)
        second = await asyncio.wait_for(asyncio.gather(reader.read(), return_exceptions=True), 20)
        return first + second

    errors = asyncio.run(scenario())
    assert len(errors) == 6 and all(isinstance(e, DatabaseUnavailable) for e in errors)


@pytest.fixture
def free_port_url():
    from tests.conftest import free_port

    return f"postgresql://pantau@127.0.0.1:{free_port()}/nothing"
