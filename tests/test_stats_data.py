"""A small known dataset for the statistics and tile tests, and an independent computation of the
expected numbers: raw rows read back into Python, counted with dicts and shapely (not the SQL
under test). Companies sit at points well inside villages of 62.71, 62.02 and 62.10 (plus two in
62.05), so several regions have data and most have none."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import psycopg2
import pytest
import shapely.wkb

from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database

pytestmark = pytest.mark.slow  # a dataset and a server of its own

TODAY = date.today()
REGENCIES = ("62.71", "62.02", "62.10")
SECTORS = ("perkebunan_sawit", "pertambangan_batubara", "konstruksi", "energi", "jasa")
NATIONS = ("CN", "MY", "KR", "JP", "IN")
LEVELS = ("direktur", "komisaris", "manajer", "profesional", "konsultan")
FINDINGS = ("none", "expired_permit", "position_mismatch", "location_mismatch", "no_permit", "other")


def _some_day(rng: random.Random, lo: int, hi: int, none_share: float = 0.1) -> date | None:
    return None if rng.random() < none_share else TODAY + timedelta(days=rng.randint(lo, hi))


def populate(url: str, seed: int = 4) -> None:
    rng = random.Random(seed)
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        # Villages whose inner point is covered by their own district and by no other village.
        cur.execute(
            """SELECT v.code FROM boundaries v JOIN boundaries d ON d.code = v.parent_code
                WHERE v.level = 'village' AND left(v.code, 5) = ANY(%s)
                  AND ST_Covers(d.geom, ST_PointOnSurface(v.geom))
                  AND NOT EXISTS (SELECT 1 FROM boundaries o WHERE o.level = 'village' AND o.code <> v.code
                                  AND ST_Covers(o.geom, ST_PointOnSurface(v.geom)))
                ORDER BY v.code""",
            (list(REGENCIES) + ["62.05"],),
        )
        villages = [r[0] for r in cur.fetchall()]
        main = [v for v in villages if not v.startswith("62.05")]
        chosen = rng.sample(main, 30) + [v for v in villages if v.startswith("62.05")][:2]
        passport = 0
        for i in range(60):
            village = chosen[i % len(chosen)] if i < 45 else rng.choice(chosen[:30])
            cur.execute(
                """INSERT INTO companies (nib, name, sector, geom, rptka_valid_until)
                   SELECT %s, %s, %s, ST_PointOnSurface(geom), %s FROM boundaries WHERE code = %s
                   RETURNING id""",
                (f"{9100000000000 + i}", f"PT Uji Statistik {i:02d}", rng.choice(SECTORS),
                 _some_day(rng, -300, 500), village),
            )
            company_id = cur.fetchone()[0]
            for _ in range(rng.randint(0, 7)):
                passport += 1
                created = TODAY - timedelta(days=rng.randint(0, 800))
                status = "active" if rng.random() < 0.85 else rng.choice(("departed", "deported"))
                updated = min(TODAY, created + timedelta(days=rng.randint(0, 400)))
                cur.execute(
                    """INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, sex,
                           position, position_level, permit_valid_until, itas_valid_until, status,
                           created_at, updated_at)
                       VALUES (%s, %s, %s, %s, %s, 'Staf', %s, %s, %s, %s, %s::date + time '12:00', %s::date + time '12:00')""",
                    (company_id, f"Pekerja Rahasia {passport}", f"XP{passport:07d}", rng.choice(NATIONS),
                     rng.choice(("L", "L", "P", None)), rng.choice(LEVELS), _some_day(rng, -200, 400),
                     _some_day(rng, -200, 400), status, created, updated),
                )
            days = rng.sample(range(0, 800), rng.randint(0, 4))
            for d in days:
                cur.execute(
                    """INSERT INTO inspections (company_id, inspected_on, team, finding)
                       VALUES (%s, %s, ARRAY['imigrasi'], %s)""",
                    (company_id, TODAY - timedelta(days=d), rng.choice(FINDINGS)),
                )
    conn.close()


@dataclass
class Raw:
    companies: list[dict]
    workers: list[dict]
    inspections: list[dict]
    regions: dict[str, dict]  # code -> {level, parent_code, name}
    villages: dict[str, list] = field(default_factory=dict)  # district -> [(code, polygon)]


def read_raw(url: str) -> Raw:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT id, nib, sector, rptka_valid_until, regency_code, district_code, "
                    "ST_X(geom), ST_Y(geom) FROM companies")
        companies = [dict(zip(("id", "nib", "sector", "rptka", "regency", "district", "lon", "lat"), r, strict=True))
                     for r in cur.fetchall()]
        cur.execute("SELECT company_id, nationality, sex, position_level, permit_valid_until, itas_valid_until, "
                    "status, created_at::date, updated_at::date FROM foreign_workers")
        workers = [dict(zip(("company", "nat", "sex", "pos", "permit", "itas", "status", "created", "updated"),
                            r, strict=True)) for r in cur.fetchall()]
        cur.execute("SELECT company_id, inspected_on, finding FROM inspections")
        inspections = [dict(zip(("company", "on", "finding"), r, strict=True)) for r in cur.fetchall()]
        cur.execute("SELECT code, level, parent_code, name FROM boundaries")
        regions = {r[0]: {"level": r[1], "parent": r[2], "name": r[3]} for r in cur.fetchall()}
        cur.execute("SELECT parent_code, code, ST_AsBinary(geom) FROM boundaries WHERE level = 'village' "
                    "AND parent_code IN (SELECT district_code FROM companies) ORDER BY code")
        villages: dict[str, list] = defaultdict(list)
        for district, code, wkb in cur.fetchall():
            villages[district].append((code, shapely.wkb.loads(bytes(wkb))))
    conn.close()
    return Raw(companies, workers, inspections, regions, dict(villages))


def _rptka_status(d: date | None, today: date) -> str:
    if d is None:
        return "unknown"
    return "expired" if d < today else "expiring" if d <= today + timedelta(days=90) else "valid"


def _permit_end(w: dict) -> date | None:
    known = [d for d in (w["permit"], w["itas"]) if d is not None]
    return min(known) if known else None


def region_of(raw: Raw, c: dict, level: str) -> str | None:
    if level == "province":
        return c["regency"][:2]
    if level == "regency":
        return c["regency"]
    if level == "district":
        return c["district"]
    # The village of its district covering the point (first code), else that district's nearest one.
    point = shapely.Point(c["lon"], c["lat"])
    villages = raw.villages.get(c["district"], [])
    return min(((not poly.covers(point), poly.distance(point), code) for code, poly in villages),
               default=(None, None, None))[2]


def filtered(raw: Raw, today: date, sector=(), nationality=(), permit_status=None,
             regency_code=None, district_code=None, period_start=None, period_end=None, scope=None) -> list[dict]:
    out = []
    for c in raw.companies:
        if scope is not None and c["regency"] not in scope:
            continue
        if sector and c["sector"] not in sector:
            continue
        if regency_code and c["regency"] != regency_code:
            continue
        if district_code and c["district"] != district_code:
            continue
        if (period_start or period_end) and c["rptka"] is None:
            continue
        if (period_start and c["rptka"] < period_start) or (period_end and c["rptka"] > period_end):
            continue
        if permit_status and _rptka_status(c["rptka"], today) != permit_status:
            continue
        if nationality and not any(w["company"] == c["id"] and w["status"] == "active" and w["nat"] in nationality
                                   for w in raw.workers):
            continue
        out.append(c)
    return out


def expected_stats(raw: Raw, level: str, today: date, parent: str | None = None, scope=None, **flt) -> dict[str, dict]:
    codes = [code for code, r in raw.regions.items() if r["level"] == level
             and (parent is None or code.startswith(parent + "."))
             and (scope is None or level == "province" or code[:5] in scope)]
    rows = {code: {"code": code, "name": raw.regions[code]["name"], "parent_code": raw.regions[code]["parent"],
                   "companies": 0, "foreign_workers": 0, "by_nationality": Counter(), "by_sector": Counter(),
                   "by_position_level": Counter(), "by_sex": Counter(), "permits_expired": 0,
                   "permits_expiring_30d": 0, "permits_expiring_90d": 0, "rptka_expired": 0,
                   "rptka_expiring_90d": 0, "not_inspected_12m": 0, "inspections_12m": 0} for code in codes}
    nationality = flt.get("nationality", ())
    year_ago = date(today.year - 1, today.month, today.day) if not (today.month == 2 and today.day == 29) \
        else date(today.year - 1, 2, 28)
    for c in filtered(raw, today, scope=scope, **flt):
        row = rows.get(region_of(raw, c, level))
        if row is None:
            continue
        row["companies"] += 1
        row["by_sector"][c["sector"]] += 1
        status = _rptka_status(c["rptka"], today)
        row["rptka_expired"] += status == "expired"
        row["rptka_expiring_90d"] += status == "expiring"
        recent = [i for i in raw.inspections if i["company"] == c["id"] and year_ago < i["on"] <= today]
        row["inspections_12m"] += len(recent)
        row["not_inspected_12m"] += not recent
        for w in raw.workers:
            if w["company"] != c["id"] or w["status"] != "active" or (nationality and w["nat"] not in nationality):
                continue
            row["foreign_workers"] += 1
            row["by_nationality"][w["nat"]] += 1
            row["by_position_level"][w["pos"]] += 1
            row["by_sex"][w["sex"] or "unknown"] += 1
            end = _permit_end(w)
            if end is not None:
                row["permits_expired"] += end < today
                row["permits_expiring_30d"] += today <= end <= today + timedelta(days=30)
                row["permits_expiring_90d"] += today <= end <= today + timedelta(days=90)
    for row in rows.values():
        for key in ("by_nationality", "by_sector", "by_position_level", "by_sex"):
            row[key] = dict(row[key])
    return rows


def by_code(rows: list[dict]) -> dict[str, dict]:
    """Rows by region code without the foreign-national columns (tests/test_stats_foreign.py counts those)."""
    from geo.stats.foreign import FIELDS

    return {r["code"]: {k: v for k, v in r.items() if k not in FIELDS} for r in rows}


def quarter_bounds(q0: date) -> tuple[date, date]:
    months = q0.year * 12 + q0.month - 1 + 3
    return q0, date(months // 12, months % 12 + 1, 1) - timedelta(days=1)


def expected_series(raw: Raw, quarters: list[date], today: date, code: str | None = None) -> list[dict]:
    level = raw.regions[code]["level"] if code else "province"
    companies = [c for c in filtered(raw, today) if code is None or region_of(raw, c, level) == code]
    ids = {c["id"] for c in companies}
    out = []
    for q0 in quarters:
        _, q1 = quarter_bounds(q0)
        as_of = min(q1, today)  # the current quarter counts as of today
        active = sum(1 for w in raw.workers if w["company"] in ids and w["created"] <= as_of
                     and _permit_end(w) is not None and _permit_end(w) >= as_of
                     and (w["status"] == "active" or w["updated"] > as_of))
        ins = [i for i in raw.inspections if i["company"] in ids and q0 <= i["on"] <= q1]
        out.append({"quarter": f"{q0.year}-Q{(q0.month - 1) // 3 + 1}", "active_workers": active,
                    "inspections": len(ins), "findings": sum(1 for i in ins if i["finding"] != "none")})
    return out


# --- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stats_db(server_url, template_db):
    url = create_database(server_url, template=template_db)
    populate(url)
    yield url
    drop_database(server_url, dbname_of(url))


@pytest.fixture(scope="module")
def raw(stats_db) -> Raw:
    return read_raw(stats_db)


@pytest.fixture(scope="module")
def stats_server(stats_db):
    server = LiveServer(stats_db)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def login(stats_db, stats_server):
    """Bearer headers for a new user of a role and scope in the module's database."""
    import uuid

    import httpx

    from geo.auth.users import create_user

    def headers(role: str = "viewer", regencies: list[str] | None = None) -> dict:
        username, password = f"{role}-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
        conn = psycopg2.connect(stats_db)
        try:
            create_user(conn, username, password, role, "kesbangpol", regencies)
        finally:
            conn.close()
        r = httpx.post(f"{stats_server.base}/api/auth/token", data={"username": username, "password": password})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return headers


def test_dataset_spreads_over_regions(raw):
    assert len(raw.companies) == 60
    assert {c["regency"] for c in raw.companies} == {*REGENCIES, "62.05"}
    assert len({c["district"] for c in raw.companies}) >= 10
    assert len(raw.workers) > 100 and len(raw.inspections) > 40
