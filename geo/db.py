"""Connections to PostGIS: the URL to use, single connections, transactions and a pool."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from geo import clock
from geo.cluster import LocalCluster
from geo.db_slots import FairSlots, SlotsBusy
from geo.settings import DatabaseSettings

Connection = psycopg2.extensions.connection
Cursor = psycopg2.extensions.cursor

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
    """A thread-safe connection pool that survives database restarts and queues fairly under load.

    At most `maxconn` connections are lent at once. Who wants one waits in one first-come-first-served
    queue (geo.db_slots), async callers on the event loop, for at most `wait_seconds`, and with at most
    `max_waiting` others ahead; beyond either, PoolBusy (the API answers 503 with Retry-After).
    Connections open lazily, so the API starts even while the database is down. When a connection
    turns out to be broken, every idle connection is dropped too: after a restart they are all dead,
    and the next request should get a fresh one instead of failing once per stale connection.
    """

    def __init__(self, url: str, minconn: int, maxconn: int, statement_timeout_ms: int, wait_seconds: float = 5,
                 max_waiting: int = 1024) -> None:
        self._url = url
        self._kwargs = {
            "application_name": "pantau-api",
            "options": f"-c statement_timeout={statement_timeout_ms} {clock.session_options()}",
            "connect_timeout": 5,
        }
        self._idle: deque[Connection] = deque()
        self._lock = threading.Lock()
        self._slots = FairSlots(maxconn, wait_seconds, max_waiting)
        self._minconn = minconn  # kept for the settings' sake; connections open on demand

    def _idle_or_none(self) -> Connection | None:
        with self._lock:
            return self._idle.pop() if self._idle else None

    def _open(self) -> Connection:
        """A new connection for a slot already taken (the slot is given back if it fails)."""
        try:
            return psycopg2.connect(self._url, **self._kwargs)
        except UNAVAILABLE_ERRORS as exc:
            self._slots.give()
            raise DatabaseUnavailable(str(exc).strip()) from exc
        except BaseException:
            self._slots.give()
            raise

    async def acquire_async(self, run_blocking: Callable[[Callable[[], Connection]], Awaitable[Connection]]) -> Connection:
        """A connection, waiting in the queue on the event loop; a new one is opened through
        `run_blocking` (a thread). Give it back through `connection(conn)`."""
        try:
            await self._slots.take()
        except SlotsBusy as exc:
            raise PoolBusy(str(exc)) from exc
        conn = self._idle_or_none()
        if conn is not None:
            return conn
        opening = asyncio.ensure_future(run_blocking(self._open))
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            # Cancelled while connecting: the connection (and its slot) go back once it is open.
            opening.add_done_callback(self._give_back_opened)
            raise

    def _give_back_opened(self, opening: asyncio.Future) -> None:
        if not opening.cancelled() and opening.exception() is None:
            self._release(opening.result(), broken=False)

    def acquire(self) -> Connection:
        """A connection, waiting in the same queue in this thread; give it back through
        `connection(conn)`."""
        try:
            self._slots.take_blocking()
        except SlotsBusy as exc:
            raise PoolBusy(str(exc)) from exc
        conn = self._idle_or_none()
        return conn if conn is not None else self._open()

    def _release(self, conn: Connection, broken: bool) -> None:
        try:
            if broken or conn.closed:
                conn.close()
                self._drain()
            else:
                with self._lock:
                    self._idle.append(conn)
        finally:
            self._slots.give()

    def _drain(self) -> None:
        with self._lock:
            stale, self._idle = list(self._idle), deque()
        for conn in stale:
            conn.close()

    @contextmanager
    def connection(self, acquired: Connection | None = None) -> Iterator[Connection]:
        """A connection for the block (`acquired`: one taken by acquire/acquire_async), returned to
        the pool at the end: rolled back, or dropped with every idle one when it is broken."""
        conn = acquired if acquired is not None else self.acquire()
        broken = False
        try:
            yield conn
            if not conn.closed and not conn.autocommit:
                conn.rollback()  # reads leave no open transaction behind
        except UNAVAILABLE_ERRORS as exc:
            # OperationalError also covers a cancelled query or a lock timeout on a healthy
            # connection: only a closed connection means the server is gone.
            if not conn.closed:
                conn.rollback()
                raise
            broken = True
            raise DatabaseUnavailable(str(exc).strip()) from exc
        except BaseException:
            if not conn.closed:
                try:
                    conn.rollback()
                except UNAVAILABLE_ERRORS:
                    broken = True
            raise
        finally:
            self._release(conn, broken)

    def close(self) -> None:
        self._drain()
