"""A small known dataset for the report tests, and tests of the report data layer against figures
computed independently here in Python."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg2
import pytest

REF_DAY = date.today()
PERIOD = f"{REF_DAY.year}-Q{(REF_DAY.month - 1) // 3 + 1}"
NATIONALITIES = ("CN", "MY", "KR", "JP", "IN")
SECTORS = ("perkebunan_sawit", "pertambangan_batubara", "energi", "jasa", "konstruksi")
WORKERS_PER_COMPANY = (4, 1, 7, 2, 5, 0, 3)
RPTKA_OFFSETS = (-40, 20, 200, 60, -5, 400)
PERMIT_OFFSETS = (-10, 15, 50, 120, 300)
FINDINGS = ("none", "expired_permit", "position_mismatch", "no_permit")
EMPTY_REGENCY = "62.08"  # Sukamara: no companies, must appear with zeros


def fill_known(url: str) -> dict:
    """Insert the dataset; return what was inserted (for independent expected values)."""
    conn = psycopg2.connect(url)
    made = {"companies": [], "workers": [], "inspections": []}
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute("""SELECT code, parent_code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
                         FROM boundaries WHERE level = 'district' ORDER BY code""")
        districts = cur.fetchall()
        by_regency: dict[str, list] = {}
        for d in districts:
            by_regency.setdefault(d[1], []).append(d)
        k = 0
        for ri, regency in enumerate(sorted(by_regency)):
            if regency == EMPTY_REGENCY:
                continue
            for j, (_dcode, _, lon, lat) in enumerate(by_regency[regency][:3]):
                for n in range(1 + (ri + j) % 3):
                    nib = f"{9100000000000 + k}"
                    sector = SECTORS[k % len(SECTORS)]
                    rptka = REF_DAY + timedelta(days=RPTKA_OFFSETS[k % len(RPTKA_OFFSETS)])
                    created = REF_DAY - timedelta(days=30 + (k * 23) % 600)
                    cur.execute(
                        """INSERT INTO companies (nib, name, sector, geom, rptka_valid_until, created_at)
                           VALUES (%s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s)
                           RETURNING id, regency_code, district_code""",
                        (nib, f"PT Uji {k:03d} {n}", sector, lon, lat, rptka, created))
                    cid, rc, dc = cur.fetchone()
                    made["companies"].append({"id": cid, "regency": rc, "district": dc, "sector": sector,
                                              "rptka": rptka, "created": created})
                    for m in range(WORKERS_PER_COMPANY[k % len(WORKERS_PER_COMPANY)]):
                        nat = NATIONALITIES[(k + m) % len(NATIONALITIES)]
                        permit = REF_DAY + timedelta(days=PERMIT_OFFSETS[(k + m) % len(PERMIT_OFFSETS)])
                        cur.execute(
                            """INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, sex,
                                   position, position_level, permit_valid_until, itas_number, itas_valid_until,
                                   created_at)
                               VALUES (%s, %s, %s, %s, %s, 'Insinyur', 'profesional', %s, %s, %s, %s)""",
                            (cid, f"Pekerja Rahasia {k}-{m}", f"X{k:04d}{m:03d}", nat, "L" if m % 3 else "P",
                             permit, f"ITAS{k:04d}{m:02d}", permit, created))
                        made["workers"].append({"company": cid, "regency": rc, "district": dc,
                                                "nationality": nat, "permit": permit, "created": created})
                    if k % 2 == 0:
                        finding = FINDINGS[(k // 2) % len(FINDINGS)]
                        day = REF_DAY - timedelta(days=k % 50)
                        cur.execute(
                            """INSERT INTO inspections (company_id, inspected_on, team, finding, follow_up)
                               VALUES (%s, %s, %s, %s, %s)""",
                            (cid, day, ["imigrasi", "kesbangpol"], finding,
                             "" if finding == "none" else "Pembinaan dan surat peringatan"))
                        made["inspections"].append({"company": cid, "regency": rc, "on": day, "finding": finding})
                    k += 1
    conn.commit()
    conn.close()
    return made


@pytest.fixture(scope="module")
def known_db(server_url, template_db):
    from tests.dbutil import create_database, dbname_of, drop_database

    url = create_database(server_url, template=template_db)
    made = fill_known(url)
    yield url, made
    drop_database(server_url, dbname_of(url))
