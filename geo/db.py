"""Connections to PostGIS: the URL to use, single connections, transactions, and the pool that holds
one worker's connection budget."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from geo import clock
from geo.cluster import LocalCluster
from geo.db_slots import FairSlots, SlotsBusy
from geo.settings import DatabaseSettings

Connection = psycopg2.extensions.connection
Cursor = psycopg2.extensions.cursor
T = TypeVar("T")

# Errors meaning "the server is gone or restarting", as opposed to a bad query.
UNAVAILABLE_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached right now; the API answers 503 and retries on later requests."""


class PoolBusy(DatabaseUnavailable):
    """Every connection is lent and the wait for one ran out (or too many already wait): the server is
    overloaded, the database is fine. The API answers 503 "server busy" with Retry-After (its own
    handler); code that only knows DatabaseUnavailable (health checks) still treats it as "no
    database for now"."""

    retry_after = 2


def resolve_url(settings: DatabaseSettings) -> str:
    """DATABASE_URL when set, else the embedded cluster's socket URL."""
    if settings.url:
        return settings.url
    return LocalCluster(settings.home).url


def ensure_server(settings: DatabaseSettings) -> str:
    """Start the embedded cluster when Pantau owns it; return the URL to connect to."""
    if settings.url:
        return settings.url
    cluster = LocalCluster(settings.home)
    cluster.start()
    return cluster.url


def connect(url: str, *, application_name: str = "pantau", **kwargs) -> Connection:
    # The session counts dates in the province's zone (geo.clock), whatever the server's TimeZone.
    kwargs["options"] = " ".join(filter(None, (kwargs.get("options"), clock.session_options())))
    return psycopg2.connect(url, application_name=application_name, **kwargs)


@contextmanager
def transaction(conn: Connection) -> Iterator[psycopg2.extensions.cursor]:
    """One transaction: commit when the block ends normally, roll back on any exception."""
    try:
        with conn.cursor() as cur:
            yield cur
        conn.commit()
    except BaseException:
        if not conn.closed:
            conn.rollback()
        raise


@contextmanager
def single_read(conn: Connection) -> Iterator[psycopg2.extensions.cursor]:
    """A cursor for one read-only statement: outside any transaction when none is open (one round
    trip instead of BEGIN, SELECT, COMMIT — it matters on the hottest request paths), inside the
    caller's transaction otherwise."""
    own = conn.status == psycopg2.extensions.STATUS_READY and not conn.autocommit
    if own:
        conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        if own and not conn.closed:  # a dropped connection must surface as itself (→ 503)
            conn.autocommit = False


@contextmanager
def connection(url: str) -> Iterator[Connection]:
    conn = connect(url)
    try:
        yield conn
    finally:
        conn.close()


class Pool:
    """One worker's connection budget: `size` connections lent to requests, one more of the pool's
    own for reads that many requests share (`fetchall`), and a thread per connection for the blocking
    work done with them (`run`).

    Who wants a connection waits in one first-come-first-served queue (geo.db_slots), a request on
    the event loop, a thread in its thread, for at most `wait_seconds` and behind at most
    `max_waiting` others; beyond either, PoolBusy (the API answers 503 "server busy"). Connections
    open lazily, so the API starts while the database is down, and in a thread: libpq resolves host
    names synchronously, which must never stall the event loop. When one turns out to be broken,
    every idle one is dropped too: after a restart they are all dead.
    """

    def __init__(self, url: str, size: int, statement_timeout_ms: int, wait_seconds: float = 5,
                 max_waiting: int = 1024) -> None:
        self._url = url
        self._kwargs = {
            "application_name": "pantau-api",
            "options": f"-c statement_timeout={statement_timeout_ms} {clock.session_options()}",
            "connect_timeout": 5,
        }
        self._idle: deque[Connection] = deque()
        self._lock = threading.Lock()
        self._slots = FairSlots(size, wait_seconds, max_waiting)
        self._threads = ThreadPoolExecutor(size + 1, thread_name_prefix="pantau-db")
        self._running: Counter[Connection] = Counter()  # connections inside `run` (event loop only)
        self._own: Connection | None = None
        self._own_turn = asyncio.Lock()

    def _open(self) -> Connection:
        try:
            return psycopg2.connect(self._url, **self._kwargs)
        except UNAVAILABLE_ERRORS as exc:
            raise DatabaseUnavailable(str(exc).strip()) from exc

    def _open_for_slot(self) -> Connection:
        """An idle connection or a new one, for a slot already taken (given back if opening fails)."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        try:
            return self._open()
        except BaseException:
            self._slots.give()
            raise

    async def acquire(self) -> Connection:
        """A connection, waiting in the queue on the event loop. Give it back with `release`."""
        try:
            await self._slots.take()
        except SlotsBusy as exc:
            raise PoolBusy(str(exc)) from exc
        with self._lock:
            if self._idle:
                return self._idle.pop()
        opening = self._threads.submit(self._open_for_slot)
        try:
            return await asyncio.wrap_future(opening)
        except asyncio.CancelledError:
            # Gone while connecting: the connection (or its slot) goes back once the opening ends.
            opening.add_done_callback(self._opened_for_nobody)
            raise

    def _opened_for_nobody(self, opening: Future) -> None:
        if opening.cancelled():  # never started: nothing opened, the slot is still taken
            self._slots.give()
        elif opening.exception() is None:
            self.release(opening.result())

    def acquire_blocking(self) -> Connection:
        """A connection for a thread, waiting in the same queue; give it back with `release`."""
        try:
            self._slots.take_blocking()
        except SlotsBusy as exc:
            raise PoolBusy(str(exc)) from exc
        return self._open_for_slot()

    def release(self, conn: Connection) -> None:
        """Back to the pool, after the rollback of a transaction left open; a broken connection is
        dropped with every idle one. Its statement must have ended (see `run`)."""
        try:
            if not conn.closed and conn.status != psycopg2.extensions.STATUS_READY:
                conn.rollback()  # reads leave no open transaction behind
        except UNAVAILABLE_ERRORS:
            conn.close()
        try:
            if conn.closed:
                self._drain()
            else:
                with self._lock:
                    self._idle.append(conn)
        finally:
            self._slots.give()

    @contextmanager
    def connection(self, acquired: Connection | None = None) -> Iterator[Connection]:
        """A connection for the block (`acquired`: one taken by acquire), given back at its end; an
        error of a connection that is now closed means the server is gone: DatabaseUnavailable."""
        conn = acquired if acquired is not None else self.acquire_blocking()
        try:
            yield conn
        except UNAVAILABLE_ERRORS as exc:
            # OperationalError also covers a cancelled query or a lock timeout on a healthy
            # connection: only a closed connection means the server is gone.
            if conn.closed:
                raise DatabaseUnavailable(str(exc).strip()) from exc
            raise
        finally:
            self.release(conn)

    async def run(self, conn: Connection | None, fn: Callable[..., T], *args) -> T:
        """`fn(*args)`, blocking work with `conn`, on one of the pool's threads. Cancelled (the client
        went away), it cancels the statement running on `conn` and returns once `fn` has ended, so
        that the connection is idle when it goes back to the pool."""
        work = self._threads.submit(fn, *args)
        if conn is not None:
            self._running[conn] += 1
        try:
            return await asyncio.wrap_future(work)
        except asyncio.CancelledError:
            # Running: stop its statement, and the next one should `fn` catch the cancel and go on
            # (statistics fall back to another query); then wait for it to end.
            done = asyncio.wrap_future(work)
            while not done.done():
                if conn is not None:
                    await until_done(self.cancel(conn))
                with suppress(asyncio.CancelledError):
                    await asyncio.wait((done,), timeout=0.1)
            if not done.cancelled():
                done.exception()  # retrieved: its own error no longer matters
            raise
        finally:
            if conn is not None:
                self._running[conn] -= 1
                if not self._running[conn]:
                    del self._running[conn]

    def running(self, conn: Connection) -> bool:
        """Whether `conn` is doing work through `run` (which cancels it with its task)."""
        return conn in self._running

    @staticmethod
    def cancel(conn: Connection) -> asyncio.Future:
        """Ask the server to cancel the statement `conn` runs, if any (libpq's cancel request: safe
        from any thread, but it connects to the server, so never from the event loop)."""
        return asyncio.get_running_loop().run_in_executor(None, _cancel, conn)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """The rows of one read on the pool's own connection, for a read many requests share (the
        data versions of api/cache.py): it never queues behind the requests, which may hold every
        other connection while they wait for it."""
        async with self._own_turn:
            return await self.run(self._own, self._read_own, sql, params)

    def _read_own(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        for attempt in (1, 2):
            reused = self._own is not None
            if not reused:
                self._own = self._open()
            try:
                return fetchall(self._own, sql, params)
            except UNAVAILABLE_ERRORS as exc:
                if not self._own.closed:  # a timeout or cancelled statement on a healthy connection
                    raise
                self._own = None
                if not reused or attempt == 2:  # a stale connection (server restarted) is retried once
                    raise DatabaseUnavailable(str(exc).strip()) from exc
        raise AssertionError("unreachable")

    def _drain(self) -> None:
        with self._lock:
            stale, self._idle = list(self._idle), deque()
        for conn in stale:
            conn.close()

    def close(self) -> None:
        self._drain()
        if self._own is not None:
            self._own.close()
        self._threads.shutdown(wait=False)


def fetchone(conn: Connection, sql: str, params: Sequence[Any] = ()) -> tuple | None:
    """One row of one read-only statement (geo.db.single_read: no transaction of its own)."""
    with single_read(conn) as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def fetchall(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    with single_read(conn) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _cancel(conn: Connection) -> None:
    with suppress(psycopg2.Error):  # closed meanwhile: nothing left to cancel
        conn.cancel()


async def until_done(future: Awaitable) -> None:
    """Until `future` is done, whatever it ends with, however often the caller is cancelled again."""
    future = asyncio.ensure_future(future)
    while not future.done():
        with suppress(asyncio.CancelledError):
            await asyncio.wait((future,))
    if not future.cancelled():
        future.exception()  # retrieved: its own error no longer matters
