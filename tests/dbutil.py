"""Throwaway databases on the real PostGIS server the suite runs against."""

from __future__ import annotations

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


def no_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode([]), ""))
