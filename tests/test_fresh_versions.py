"""The shared data-version read behind the response caches (api.fresh_versions), on a real database:
a caller never gets versions read before it asked, concurrent callers share reads, one caller's
cancellation leaves the others served, and a missing server is an error, not a hang."""

import asyncio

import psycopg2
import pytest

from api.fresh_versions import FreshVersions, versions_key
from geo.db import DatabaseUnavailable
from geo.db_async import AsyncReads
from tests.conftest import free_port


class SlowReads(AsyncReads):
    """Holds each result a moment after its query ran, so a test can act while a read is in flight."""

    def __init__(self, url: str, hold: float) -> None:
        super().__init__(url, 4, 5000)
        self.hold = hold
        self.queries = 0

    async def fetchall(self, sql, params=()):
        rows = await super().fetchall(sql, params)
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


def _run(reads: AsyncReads, scenario):
    async def main():
        try:
            return await scenario(FreshVersions(reads))
        finally:
            reads.close()

    return asyncio.run(main())


def test_a_caller_sees_a_write_committed_while_an_earlier_read_was_in_flight(fresh_db_url):
    reads = SlowReads(fresh_db_url, hold=0.3)

    async def scenario(versions):
        early = asyncio.create_task(versions.read())
        await asyncio.sleep(0.1)  # the early read has run its query and is held
        await asyncio.to_thread(_bump_companies, fresh_db_url)
        late = await versions.read()
        return await early, late

    early, late = _run(reads, scenario)
    assert late["companies"] == early["companies"] + 1
    assert reads.queries == 2


def test_concurrent_callers_share_reads(db_url):
    reads = SlowReads(db_url, hold=0.2)

    async def scenario(versions):
        return await asyncio.gather(*(versions.read() for _ in range(50)))

    results = _run(reads, scenario)
    # The first caller starts a read; the 49 who arrive while it runs share the next one.
    assert reads.queries == 2
    assert all(r == results[0] for r in results)
    assert versions_key(results[0], ("foreign_workers", "companies")) == (
        f"companies:{results[0]['companies']}.foreign_workers:{results[0]['foreign_workers']}")


def test_one_cancelled_caller_does_not_cancel_the_others(db_url):
    async def scenario(versions):
        first = asyncio.create_task(versions.read())
        second = asyncio.create_task(versions.read())
        others = [asyncio.create_task(versions.read()) for _ in range(3)]
        await asyncio.sleep(0.05)
        first.cancel()
        second.cancel()
        got = await asyncio.gather(*others)
        with pytest.raises(asyncio.CancelledError):
            await first
        return got, await versions.read()

    got, after = _run(SlowReads(db_url, hold=0.2), scenario)
    assert all("companies" in r for r in got) and "companies" in after


def test_no_server_is_an_error_for_every_caller_and_no_hang():
    async def scenario(versions):
        first = await asyncio.gather(*(versions.read() for _ in range(5)), return_exceptions=True)
        second = await asyncio.wait_for(asyncio.gather(versions.read(), return_exceptions=True), 20)
        return first + second

    errors = _run(AsyncReads(f"postgresql://pantau@127.0.0.1:{free_port()}/nothing", 4, 5000), scenario)
    assert len(errors) == 6 and all(isinstance(e, DatabaseUnavailable) for e in errors)
