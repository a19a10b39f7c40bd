"""Single reads on the event loop (geo.db_async) against a real PostgreSQL: parameters bind, errors
surface and leave the connection usable, a cancelled read does not poison the pool, a dropped
connection is replaced, the pool never opens more than its limit, and no server is a clear error."""

import asyncio
import time

import psycopg2
import pytest

from geo.db import DatabaseUnavailable
from geo.db_async import AsyncReads
from tests.conftest import free_port


def _run(reads: AsyncReads, scenario):
    async def main():
        try:
            return await scenario(reads)
        finally:
            reads.close()

    return asyncio.run(main())


async def _pid(reads: AsyncReads) -> int:
    return (await reads.fetchone("SELECT pg_backend_pid()"))[0]


def test_parameters_bind_and_rows_come_back(db_url):
    async def scenario(reads):
        one = await reads.fetchone("SELECT %s::int + 1, %s::text", [41, "Palangka Raya"])
        many = await reads.fetchall("SELECT code FROM boundaries WHERE level = %s AND code = ANY(%s) ORDER BY code",
                                    ["regency", ["62.71", "62.01", "99.99"]])
        none = await reads.fetchone("SELECT 1 WHERE false")
        return one, many, none

    one, many, none = _run(AsyncReads(db_url, 2, 5000), scenario)
    assert one == (42, "Palangka Raya")
    assert many == [("62.01",), ("62.71",)]
    assert none is None


@pytest.mark.parametrize(("sql", "timeout_ms", "error"), [
    ("SELECT * FROM no_such_table", 5000, psycopg2.errors.UndefinedTable),
    ("SELECT pg_sleep(2)", 200, psycopg2.errors.QueryCanceled),  # the statement timeout applies
])
def test_a_failed_statement_raises_its_error_and_the_connection_is_reused(db_url, sql, timeout_ms, error):
    async def scenario(reads):
        before = await _pid(reads)
        with pytest.raises(error):
            await reads.fetchone(sql)
        return before, await _pid(reads)

    before, after = _run(AsyncReads(db_url, 1, timeout_ms), scenario)
    assert before == after


def test_a_read_cancelled_mid_statement_closes_its_connection_and_the_next_read_is_prompt(db_url):
    async def scenario(reads):
        before = await _pid(reads)
        slow = asyncio.create_task(reads.fetchone("SELECT pg_sleep(3)"))
        await asyncio.sleep(0.2)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        started = time.monotonic()
        after = await _pid(reads)
        return before, after, time.monotonic() - started

    before, after, took = _run(AsyncReads(db_url, 1, 10000), scenario)
    assert after != before  # the busy connection was not handed out again
    assert took < 2


def test_a_dropped_connection_is_replaced_without_failing_the_read(db_url):
    async def scenario(reads):
        before = await _pid(reads)
        killer = psycopg2.connect(db_url)
        try:
            with killer, killer.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(%s)", (before,))
        finally:
            killer.close()
        return before, await _pid(reads)

    before, after = _run(AsyncReads(db_url, 2, 5000), scenario)
    assert after != before


def test_never_more_connections_than_the_limit(db_url):
    async def scenario(reads):
        started = time.monotonic()
        pids = await asyncio.gather(*(reads.fetchone("SELECT pg_backend_pid() FROM pg_sleep(0.2)") for _ in range(6)))
        return {p[0] for p in pids}, time.monotonic() - started

    pids, took = _run(AsyncReads(db_url, 2, 5000), scenario)
    assert len(pids) == 2
    assert took >= 0.55  # three rounds of two


def test_no_server_is_database_unavailable():
    async def scenario(reads):
        with pytest.raises(DatabaseUnavailable):
            await asyncio.wait_for(reads.fetchone("SELECT 1"), 20)

    _run(AsyncReads(f"postgresql://pantau@127.0.0.1:{free_port()}/nothing", 2, 5000), scenario)
