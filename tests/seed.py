"""Known monitoring data for the access, edit and hostile-input tests: two companies in Kotawaringin
Timur (62.02) and one in Palangka Raya (62.71), workers with recognisable names and passport/ITAS
numbers (so response bodies can be searched for them), inspections, and users of every role."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import httpx
import psycopg2

from tests.dbutil import create_database, dbname_of, drop_database
from tests.seed_foreign import SECRETS as FOREIGN_SECRETS
from tests.seed_foreign import fill_foreign

TOKEN_REUSE_S = 10 * 60  # well inside the default token lifetime (PANTAU_TOKEN_TTL_MINUTES)

# (nib, name, sector, lon, lat, expected regency)
COMPANIES = (
    ("6202000000001", "PT Sawit Sampit Lestari", "perkebunan_sawit", 112.95, -2.54, "62.02"),
    ("6202000000002", "PT Mentaya Olah Sawit", "industri_pengolahan", 112.96, -2.53, "62.02"),
    ("6271000000001", "PT Jasa Palangka Raya", "jasa", 113.92, -2.21, "62.71"),
)
# (company index, full_name, passport, nationality, sex, position, level, itas)
WORKERS = (
    (0, "ZHANG WEIXIANPRIVATE", "EZ9911001", "CN", "L", "Manajer kebun", "manajer", "ITASQ9911001"),
    (0, "AHMAD BINPRIVATE", "AMY881002", "MY", "L", "Asisten kepala", "profesional", "ITASQ8811002"),
    (1, "LI NAPRIVATE", "EL7711003", "CN", "P", "Insinyur proses", "profesional", "ITASQ7711003"),
    (2, "KIM JISOOPRIVATE", "MK6611004", "KR", "P", "Konsultan", "konsultan", "ITASQ6611004"),
)


@dataclass
class Seeded:
    url: str
    server_url: str
    company_ids: list[int] = field(default_factory=list)
    worker_ids: list[int] = field(default_factory=list)
    inspection_ids: list[int] = field(default_factory=list)
    server: object = None
    client: object = None  # an in-process client (conftest's `app_client`) instead of a server
    _headers: dict = field(default_factory=dict)  # (role, regencies, agency) -> (headers, when logged in)
    _users: dict = field(default_factory=dict)  # (role, regencies, agency) -> (username, password)

    @property
    def names(self) -> list[str]:
        return [w[1] for w in WORKERS]

    @property
    def secrets(self) -> list[str]:
        """Every personal value a viewer must never receive."""
        return [v for w in WORKERS for v in (w[1], w[2], w[7])] + list(FOREIGN_SECRETS)

    def ids_in(self, regency: str) -> list[int]:
        return [cid for cid, c in zip(self.company_ids, COMPANIES, strict=True) if c[5] == regency]

    def make_user(self, role: str, regencies: list[str] | None = None, agency: str = "kesbangpol") -> tuple[str, str]:
        from geo.auth.users import create_user

        username = f"{role}-{uuid.uuid4().hex[:8]}"
        password = f"pw-{uuid.uuid4().hex}"
        conn = psycopg2.connect(self.url)
        try:
            create_user(conn, username, password, role, agency, regencies)
        finally:
            conn.close()
        return username, password

    def headers(self, role: str = "admin", regencies: list[str] | None = None, agency: str = "kesbangpol") -> dict:
        key = (role, tuple(regencies or ()), agency)
        if key not in self._users:
            self._users[key] = self.make_user(role, regencies, agency)
        # Tokens expire (PANTAU_TOKEN_TTL_MINUTES): a long suite logs the same user in again, so a
        # test that reads the audit trail by username() finds what its requests did.
        if key not in self._headers or time.monotonic() - self._headers[key][1] > TOKEN_REUSE_S:
            username, password = self._users[key]
            form = {"username": username, "password": password}
            if self.client is not None:
                response = self.client.post("/api/auth/token", data=form)
            else:
                response = httpx.post(f"{self.server.base}/api/auth/token", data=form, timeout=30)
            response.raise_for_status()
            self._headers[key] = ({"Authorization": f"Bearer {response.json()['access_token']}"}, time.monotonic())
        return dict(self._headers[key][0])

    def username(self, role: str = "admin", regencies: list[str] | None = None, agency: str = "kesbangpol") -> str:
        self.headers(role, regencies, agency)
        return self._users[(role, tuple(regencies or ()), agency)][0]

    def query(self, sql: str, params=()) -> list[tuple]:
        conn = psycopg2.connect(self.url)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        finally:
            conn.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        drop_database(self.server_url, dbname_of(self.url))


def fill(url: str) -> tuple[list[int], list[int], list[int]]:
    """Insert the known records; returns (company ids, worker ids, inspection ids)."""
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            companies = []
            for nib, name, sector, lon, lat, regency in COMPANIES:
                cur.execute(
                    """INSERT INTO companies (nib, name, sector, geom, declared_regency, rptka_valid_until)
                       VALUES (%s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, current_date + 400)
                       RETURNING id, regency_code""",
                    (nib, name, sector, lon, lat, regency),
                )
                cid, computed = cur.fetchone()
                assert computed == regency, f"seed point for {name} lies in {computed}, not {regency}"
                companies.append(cid)
            workers = []
            for idx, full_name, passport, nat, sex, position, level, itas in WORKERS:
                lon, lat = COMPANIES[idx][3:5]
                cur.execute(
                    """INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, sex, position,
                                                    position_level, permit_valid_until, itas_number, itas_valid_until,
                                                    work_site)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, current_date + 200, %s, current_date + 60,
                               ST_SetSRID(ST_MakePoint(%s, %s), 4326)) RETURNING id""",
                    (companies[idx], full_name, passport, nat, sex, position, level, itas, lon, lat),
                )
                workers.append(cur.fetchone()[0])
            inspections = []
            for cid in companies:
                cur.execute(
                    """INSERT INTO inspections (company_id, inspected_on, team, finding, notes)
                       VALUES (%s, current_date - 30, ARRAY['imigrasi', 'kesbangpol'], 'none', 'pemeriksaan rutin')
                       RETURNING id""",
                    (cid,),
                )
                inspections.append(cur.fetchone()[0])
            fill_foreign(cur)
        return companies, workers, inspections
    finally:
        conn.close()


def seed(server_url: str, template_db: str, serve: bool = True) -> Seeded:
    """The known data in a database of its own; with `serve`, a LiveServer on it."""
    from tests.conftest import LiveServer

    url = create_database(server_url, template=template_db)
    seeded = Seeded(url, server_url)
    seeded.company_ids, seeded.worker_ids, seeded.inspection_ids = fill(url)
    if serve:
        seeded.server = LiveServer(url)
    return seeded
