"""Connections to PostGIS: the URL to use, single connections, transactions and a pool."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions
import psycopg2.extras
import psycopg2.pool

from geo.cluster import LocalCluster
from geo.settings import DatabaseSettings

Connection = psycopg2.extensions.connection


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
    return psycopg2.connect(url, application_name=application_name, **kwargs)


@contextmanager
def transaction(conn: Connection) -> Iterator[psycopg2.extensions.cursor]:
    """One transaction: commit when the block ends normally, roll back on any exception."""
    try:
        with conn.cursor() as cur:
            yield cur
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


@contextmanager
def connection(url: str) -> Iterator[Connection]:
    conn = connect(url)
    try:
        yield conn
    finally:
        conn.close()


class Pool:
    """A thread-safe psycopg2 pool; hands out connections for one request at a time."""

    def __init__(self, url: str, minconn: int, maxconn: int, statement_timeout_ms: int) -> None:
        self._pool = psycopg2.pool.ThreadedConnectionPool(
            minconn, maxconn, url, application_name="pantau-api",
            options=f"-c statement_timeout={statement_timeout_ms}",
        )

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        conn = self._pool.getconn()
        broken = False
        try:
            yield conn
            if not conn.autocommit:
                conn.rollback()  # reads leave no open transaction behind
        except psycopg2.OperationalError:
            broken = True
            raise
        finally:
            self._pool.putconn(conn, close=broken or conn.closed != 0)

    def close(self) -> None:
        self._pool.closeall()
