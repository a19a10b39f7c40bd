"""geo.db.single_read: one statement outside a transaction, without touching the caller's transaction."""

from __future__ import annotations

import psycopg2
import pytest
from psycopg2.extensions import STATUS_IN_TRANSACTION, STATUS_READY

from geo.db import single_read


def test_outside_a_transaction_it_leaves_none_open(conn):
    conn.rollback()
    with single_read(conn) as cur:
        cur.execute("SELECT txid_current_if_assigned() IS NULL, now() = statement_timestamp()")
        assert cur.fetchone() == (True, True)  # autocommit: the statement was its own transaction
    assert conn.status == STATUS_READY and conn.autocommit is False
    with single_read(conn) as cur:
        cur.execute("SELECT version FROM data_versions WHERE name = 'companies'")
        assert cur.fetchone()[0] >= 1
    assert conn.status == STATUS_READY


def test_inside_a_transaction_it_neither_commits_nor_ends_it(conn, db_url):
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE single_read_probe (x int)")  # opens a transaction
    with single_read(conn) as cur:
        cur.execute("SELECT count(*) FROM single_read_probe")
        assert cur.fetchone() == (0,)
    assert conn.status == STATUS_IN_TRANSACTION
    conn.rollback()
    with conn.cursor() as cur, pytest.raises(psycopg2.errors.UndefinedTable):
        cur.execute("SELECT 1 FROM single_read_probe")  # rolled back: it was never committed
    conn.rollback()


def test_an_error_restores_the_connection_mode(conn):
    conn.rollback()
    with pytest.raises(psycopg2.errors.DivisionByZero), single_read(conn) as cur:
        cur.execute("SELECT 1 / 0")
    assert conn.autocommit is False and conn.status == STATUS_READY
