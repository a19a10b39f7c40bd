"""The data version a cached result depends on: the versions of the tables it reads (migration
0040 bumps a table's version on every statement that writes it)."""

from __future__ import annotations

from psycopg2.extensions import STATUS_READY

from geo.db import Connection

SQL = "SELECT string_agg(name || ':' || version, '.' ORDER BY name) FROM data_versions WHERE name = ANY(%s)"


def data_version(conn: Connection, tables: tuple[str, ...]) -> str:
    """E.g. 'companies:12.foreign_workers:40' — one tiny indexed read per request, asked outside a
    transaction when none is open (one round trip instead of BEGIN, SELECT, COMMIT)."""
    own = conn.status == STATUS_READY and not conn.autocommit
    if own:
        conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(SQL, (list(tables),))
            return cur.fetchone()[0] or ""
    finally:
        if own and not conn.closed:  # a dropped connection must surface as itself (→ 503)
            conn.autocommit = False
