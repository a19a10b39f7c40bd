"""Throwaway databases on the real PostGIS server the suite runs against."""

from __future__ import annotations

import threading
import time
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg2


def with_dbname(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", parts.query, parts.fragment))


def dbname_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or dict(parse_qsl(urlsplit(url).query)).get("dbname", "")


def _admin(server_url: str):
    conn = psycopg2.connect(with_dbname(server_url, "postgres"))
    conn.autocommit = True
    return conn


def create_database(server_url: str, template: str | None = None, prefix: str = "pantau_t") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = _admin(server_url)
    try:
        with conn.cursor() as cur:
            # Names are generated here, never user input.
            sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
            cur.execute(sql)
    finally:
        conn.close()
    return with_dbname(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    conn = _admin(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def kept_template(server_url: str, name: str, build, keep_unused_hours: float = 6) -> str:
    """A template database kept between sessions under `name` (which should change with whatever
    `build(url)` puts in it): built once under a temporary name and renamed when complete, so a
    session finds it whole or not at all; an advisory lock lets concurrent sessions (several people
    test on one cluster) build it once. Each session stamps it as used; others of the same family
    (`name` up to its last `_`) unused for `keep_unused_hours` are dropped."""
    family = name.rsplit("_", 1)[0]
    conn = _admin(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(hashtext(%s))", (family,))
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                url = create_database(server_url, prefix=f"{family}new")
                try:
                    build(url)
                    # Names are made by the tests, never user input.
                    cur.execute(f'ALTER DATABASE "{dbname_of(url)}" RENAME TO "{name}"')
                except BaseException:
                    drop_database(server_url, dbname_of(url))
                    raise
            cur.execute(f"COMMENT ON DATABASE \"{name}\" IS 'pantau test template, used {int(time.time())}'")
            cur.execute("""SELECT datname FROM pg_database
                            WHERE datname LIKE %s AND datname <> %s
                              AND coalesce(substring(shobj_description(oid, 'pg_database') FROM 'used (\\d+)$')::bigint, 0)
                                  < extract(epoch FROM now()) - %s""",
                        (family.replace("_", "\\_") + "\\_%", name, keep_unused_hours * 3600))
            for (old,) in cur.fetchall():
                cur.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
    finally:
        conn.close()  # ends the advisory lock too
    return name


def no_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode([]), ""))


def waits_for(first, second, statement: str, args=()) -> BaseException | None:
    """Run `statement` on connection `second` while `first` has a transaction open; assert that it
    waits for `first`, commit `first`, and return what the statement raised (None if it succeeded)."""
    outcome: dict[str, BaseException | None] = {}

    def run() -> None:
        try:
            with second.cursor() as cur:
                cur.execute(statement, args)
            outcome["error"] = None
        except psycopg2.Error as exc:
            outcome["error"] = exc

    waiter = threading.Thread(target=run)
    waiter.start()
    waiter.join(1.0)
    assert waiter.is_alive(), "the second statement should wait for the first transaction"
    first.commit()
    waiter.join(15)
    assert not waiter.is_alive() and "error" in outcome
    return outcome["error"]


def run_all(threads: list[threading.Thread], timeout: float) -> list[threading.Thread]:
    """Start `threads`, wait up to `timeout` seconds for each; → those still running (hung)."""
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return [t for t in threads if t.is_alive()]
