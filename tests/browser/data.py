"""A small known dataset for the map and page tests, inserted with plain SQL.

Companies sit on ST_PointOnSurface of real districts (the trigger computes their regency and
district). Dates are relative to today so permit statuses do not drift. Expected numbers in the
tests are computed from COMPANIES here, independently of the code under test.
"""

from __future__ import annotations

from datetime import date, timedelta

import psycopg2

# (name, sector, regency, nth district of that regency, RPTKA valid for N days (None = unknown),
#  workers [(nationality, count)], inspections N days ago)
COMPANIES = (
    ("PT Sawit Kahayan Lestari", "perkebunan_sawit", "62.71", 0, 400, [("MY", 3), ("CN", 1)], [30]),
    ("PT Batu Hitam Palangka", "pertambangan_batubara", "62.71", 1, 45, [("CN", 2)], [500]),
    ("PT Energi Tangkiling", "energi", "62.71", 1, -10, [("KR", 1)], []),
    ("PT Mentaya Agro", "perkebunan_sawit", "62.02", 0, 700, [("MY", 5)], [10, 200]),
    ("PT Sampit Coal", "pertambangan_batubara", "62.02", 2, 20, [("CN", 4), ("IN", 1)], []),
    ("PT Sawit Seranau", "perkebunan_sawit", "62.02", 3, None, [("MY", 2)], [100]),
    ("PT Kurun Power", "energi", "62.10", 0, 300, [("CN", 6)], [60]),
    ("PT Rungan Sawit", "perkebunan_sawit", "62.10", 1, 90, [("MY", 1), ("ID", 0)], []),
    ("PT Murung Batubara", "pertambangan_batubara", "62.12", 0, -100, [("CN", 3)], [400]),
)


def permit(days: int | None, today: date) -> str | None:
    if days is None:
        return "unknown"
    return "expired" if days < 0 else "expiring" if days <= 90 else "valid"


def fill(url: str, today: date | None = None) -> dict[str, int]:
    """Insert COMPANIES with workers and inspections; returns {company name: id}."""
    today = today or date.today()
    ids: dict[str, int] = {}
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            passport = 0
            for i, (name, sector, regency, nth, days, workers, inspections) in enumerate(COMPANIES):
                cur.execute(
                    """INSERT INTO companies (nib, name, sector, geom, rptka_valid_until)
                       SELECT %s, %s, %s, ST_PointOnSurface(geom), %s FROM boundaries
                        WHERE level = 'district' AND parent_code = %s ORDER BY code OFFSET %s LIMIT 1
                       RETURNING id""",
                    (f"{9100000000000 + i}", name, sector,
                     None if days is None else today + timedelta(days=days), regency, nth),
                )
                cid = cur.fetchone()[0]
                ids[name] = cid
                for nat, count in workers:
                    for _ in range(count):
                        passport += 1
                        cur.execute(
                            """INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality,
                                   position, position_level, permit_valid_until)
                               VALUES (%s, %s, %s, %s, 'Manajer kebun', 'manajer', %s)""",
                            (cid, f"Worker Name {passport}", f"PX{passport:07d}", nat, today + timedelta(days=200)),
                        )
                for ago in inspections:
                    cur.execute(
                        "INSERT INTO inspections (company_id, inspected_on, team, finding) VALUES (%s, %s, %s, 'none')",
                        (cid, today - timedelta(days=ago), ["imigrasi", "kesbangpol"]),
                    )
    finally:
        conn.close()
    return ids


def count(sector: str | None = None, regency: str | None = None) -> int:
    return sum(1 for c in COMPANIES if (sector is None or c[1] == sector) and (regency is None or c[2] == regency))
