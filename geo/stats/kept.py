"""Kept counts brought up to date before a read, for every set of them: the statistics' aggregates
(geo.stats.aggregates: stats_refresh), the foreign nationals' presence counts and the guests' and
activities' windows (geo.stats.foreign: fn_present_refresh, fn_window_refresh). Each refresh function takes (day, batch) and returns how many rows it counted."""

from __future__ import annotations

import logging
from datetime import date

import psycopg2.errors

from geo import clock
from geo.db import Connection, transaction

log = logging.getLogger(__name__)

REFRESH_FUNCTIONS = ("stats_refresh", "fn_present_refresh", "fn_window_refresh")
# What stops a refresh that a read tries on its way (the counts then come from the tables): another
# refresh holding the lock longer than the wait, the statement timeout, a read-only replica.
NOT_RUN = (psycopg2.errors.QueryCanceled, psycopg2.errors.LockNotAvailable, psycopg2.errors.ReadOnlySqlTransaction)


def refresh(conn: Connection, function: str, day: date, batch: int | None = None,
            lock_wait: str | None = None) -> int:
    """Run `function` for `day` (at most `batch` queued entries; None: all) in a transaction of its
    own; waits at most `lock_wait` for another refresh."""
    if function not in REFRESH_FUNCTIONS:
        raise ValueError(f"function: {function!r}")
    with transaction(conn) as cur:
        if lock_wait:
            cur.execute("SET LOCAL lock_timeout = %s", (lock_wait,))
        # The rules cast times to dates (a worker record's start): in the province's zone, whatever
        # session refreshes (the app's already is; a script's or a test's may be the server's UTC).
        cur.execute("SELECT set_config('TimeZone', %s, true)", (clock.zone().key,))
        cur.execute(f"SELECT {function}(%s, %s)", (day, batch))  # noqa: S608 - allow-listed above
        return cur.fetchone()[0]


def try_refresh(conn: Connection, function: str, day: date, batch: int, lock_wait: str) -> int | None:
    """`refresh`, or None (logged) when it could not run (NOT_RUN)."""
    try:
        return refresh(conn, function, day, batch, lock_wait)
    except NOT_RUN as exc:
        log.warning("%s not run: %s", function, type(exc).__name__)
        return None
