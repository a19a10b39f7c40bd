"""The data version a cached result depends on: the versions of the tables it reads (migration
0040 bumps a table's version on every statement that writes it)."""

from __future__ import annotations

from geo.db import Connection, single_read

SQL = "SELECT string_agg(name || ':' || version, '.' ORDER BY name) FROM data_versions WHERE name = ANY(%s)"


def data_version(conn: Connection, tables: tuple[str, ...]) -> str:
    """E.g. 'companies:12.foreign_workers:40' — one tiny indexed read (one round trip) per request."""
    with single_read(conn) as cur:
        cur.execute(SQL, (list(tables),))
        return cur.fetchone()[0] or ""
