"""A small known dataset for the features and query tests, and the fixtures that serve it.

Companies are placed with ST_GeneratePoints(district, n, seed): deterministic and inside the
district. Expected results in the tests are computed independently (shapely/pyproj/geopandas) from
what is read back, never written down by hand.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import geopandas as gpd
import psycopg2
import pytest

from geo.auth.secrets import signing_keys
from geo.auth.tokens import issue_access_token
from geo.auth.users import create_user
from tests.conftest import SETTINGS, LiveServer
from tests.dbutil import create_database, dbname_of, drop_database

pytestmark = pytest.mark.slow  # a dataset and a server of its own

# (regency, how many of its districts, companies per district)
LAYOUT = (("62.71", 5, 6), ("62.02", 3, 4), ("62.03", 2, 3), ("62.10", 2, 3))
SECTORS = ("perkebunan_sawit", "pertambangan_batubara", "konstruksi", "energi", "jasa")
NATIONALITIES = ("CN", "MY", "KR", "JP", "IN")


def fill(url: str, today: date | None = None) -> None:
    today = today or date.today()
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            n = 0
            for regency, n_districts, per in LAYOUT:
                cur.execute("SELECT code FROM boundaries WHERE level = 'district' AND parent_code = %s "
                            "ORDER BY code LIMIT %s", (regency, n_districts))
                for (district,) in cur.fetchall():
                    cur.execute(
                        "SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, %s, 42))).geom AS g "
                        "FROM boundaries WHERE code = %s) p", (per, district))
                    for lon, lat in cur.fetchall():
                        n += 1
                        valid = [None, today - timedelta(days=30 + n), today + timedelta(days=20 + n),
                                 today + timedelta(days=400 + n)][n % 4]
                        cur.execute(
                            "INSERT INTO companies (nib, name, sector, kbli, address, geom, rptka_valid_until, "
                            "declared_district) VALUES (%s, %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), "
                            "%s, %s)",
                            (f"{9100000000000 + n}", f"PT {['Sawit', 'Batu', 'Karya', 'Energi', 'Jasa'][n % 5]} "
                             f"Kalimantan {n:03d}", SECTORS[n % 5], f"{10000 + n}", f"Jl. Contoh No. {n}",
                             lon, lat, valid, district if n % 7 else "62.71.01"))
            cur.execute("SELECT id FROM companies ORDER BY id")
            ids = [r[0] for r in cur.fetchall()]
            w = 0
            for i, cid in enumerate(ids):
                for j in range(i % 4):
                    w += 1
                    cur.execute(
                        "INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, "
                        "position, position_level, itas_number, status) VALUES (%s, %s, %s, %s, 'Insinyur', "
                        "'profesional', %s, %s)",
                        (cid, f"Nama Rahasia {w}", f"P{w:07d}", NATIONALITIES[(i + j) % 5], f"ITAS{w:06d}",
                         "departed" if w % 9 == 0 else "active"))
                for k in range(i % 3):
                    cur.execute(
                        "INSERT INTO inspections (company_id, inspected_on, team, finding, notes) "
                        "VALUES (%s, %s, %s, %s, 'Catatan rahasia')",
                        (cid, today - timedelta(days=40 * (k + 1) + i), ["imigrasi", "kesbangpol"],
                         ["none", "expired_permit", "other"][k % 3]))
    finally:
        conn.close()


def companies_frame(url: str) -> gpd.GeoDataFrame:
    conn = psycopg2.connect(url)
    try:
        return gpd.read_postgis("SELECT id, nib, name, sector, regency_code, district_code, rptka_valid_until, "
                                "geom FROM companies ORDER BY id", conn, geom_col="geom")
    finally:
        conn.close()


def boundaries_frame(url: str, level: str) -> gpd.GeoDataFrame:
    conn = psycopg2.connect(url)
    try:
        return gpd.read_postgis("SELECT code, geom FROM boundaries WHERE level = %(l)s", conn,
                                geom_col="geom", params={"l": level})
    finally:
        conn.close()


class Site:
    """A server on the filled database, with tokens for any role and scope."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.server = LiveServer(url)
        self.base = self.server.base
        self._tokens: dict = {}

    def token(self, role: str = "admin", regencies: list[str] | None = None) -> str:
        key = (role, tuple(regencies or ()))
        if key not in self._tokens:
            name = f"{role}-{uuid.uuid4().hex[:8]}"
            conn = psycopg2.connect(self.url)
            try:
                create_user(conn, name, uuid.uuid4().hex, role, "kesbangpol", regencies)
            finally:
                conn.close()
            self._tokens[key] = issue_access_token(name, signing_keys(SETTINGS)[0], 60)
        return self._tokens[key]

    def headers(self, role: str = "admin", regencies: list[str] | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token(role, regencies)}"}


@pytest.fixture(scope="module")
def site(server_url, template_db):
    url = create_database(server_url, template=template_db, prefix="pantau_feat")
    fill(url)
    s = Site(url)
    yield s
    s.server.stop()
    drop_database(server_url, dbname_of(url))


def test_dataset_is_spread_over_regions(site):
    frame = companies_frame(site.url)
    assert len(frame) == sum(d * p for _, d, p in LAYOUT)
    assert {r for r, _, _ in LAYOUT} <= set(frame.regency_code)
