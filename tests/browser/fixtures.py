"""Shared by the page and browser tests: a database with the known dataset, users, a server."""

from __future__ import annotations

import psycopg2
import pytest

from geo.auth.users import create_user
from tests.browser.data import fill
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database

PASSWORD = "kata-sandi-uji-12345"
USERS = {  # username: (role, regencies)
    "admin-peta": ("admin", None),
    "viewer-peta": ("viewer", None),
    "analis-kotim": ("analyst", ["62.02"]),
}


@pytest.fixture(scope="module")
def maps_db(server_url, template_db):
    url = create_database(server_url, template=template_db)
    ids = fill(url)
    conn = psycopg2.connect(url)
    try:
        for name, (role, regencies) in USERS.items():
            create_user(conn, name, PASSWORD, role, "kesbangpol", regencies)
    finally:
        conn.close()
    yield url, ids
    drop_database(server_url, dbname_of(url))


@pytest.fixture(scope="module")
def maps_server(maps_db):
    server = LiveServer(maps_db[0], {"PANTAU_LOGIN_ATTEMPTS_PER_MINUTE": "100"})
    yield server
    server.stop()


def district_count(url: str, regency: str) -> int:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM boundaries WHERE level = 'district' AND parent_code = %s", (regency,))
            return cur.fetchone()[0]
    finally:
        conn.close()
