"""Known foreign nationals for the seeded database (issue 17): stays of several purposes and permit
types in Palangka Raya (62.71) and Kotawaringin Timur (62.02), lodgings with guests, monitoring
activities. Names, passports, permit numbers and addresses carry PRIVATE/PRIVAT markers so response
bodies can be searched for them. Who is present today (foreign_nationals_present(current_date)):
62.71: OLIVIA (stay), JOHN (stay; also a lodging guest), TAN (lodging only), KIM JISOO (worker) = 4;
62.02: ANNA (stay), WANG (stay), ZHANG (worker; also a lodging guest), AHMAD, LI (workers) = 5."""

from __future__ import annotations

# The first village (by code) of each district named here.
VILLAGE_OF = {"62.71": "62.71.01", "62.02": "62.02.06"}

# (passport, nationality, full name, sex, birth date, permit type, permit number, valid from offset,
#  valid until offset (days from today; None = open), purpose, sponsor NIB, sponsor name, address,
#  regency, reported point offset from the village's label point (degrees) or None)
PERSONS = (
    ("FN5500101", "AU", "OLIVIA PRIVATEWALKER", "P", "1990-03-02", "itas", "ITASF5500101", -100, 265, "studi",
     None, "Universitas Palangka Raya", "Jl. PRIVATJALAN Satu No. 1", "62.71", None),
    ("FN5500102", "US", "JOHN PRIVATESMITH", "L", "1975-07-14", "itap", "ITAPF5500102", -900, None, "keagamaan",
     None, "Yayasan Gereja Kalimantan", "Jl. PRIVATJALAN Dua No. 2", "62.71", (0.0011, 0.0007)),
    ("FN5500103", "NL", "ANNA PRIVATEDEVRIES", "P", "1988-11-30", "visa_kunjungan", "VKF5500103", -20, 40, "penelitian",
     None, "BRIN", "Jl. PRIVATJALAN Tiga No. 3", "62.02", None),
    ("FN5500104", "CN", "WANG PRIVATEFANG", "P", "1992-01-09", "itas", "ITASF5500104", -200, 165, "keluarga",
     "6202000000001", None, "Mess PRIVATJALAN Empat", "62.02", None),
    # Expired five days ago: not present.
    ("FN5500105", "JP", "SATO PRIVATEKEN", "L", "1980-05-05", "voa", "VOAF5500105", -35, -5, "wisata",
     None, None, "Jl. PRIVATJALAN Lima No. 5", "62.71", None),
)
# (name, regency, guests: (passport, nationality, full name, check-in offset, check-out offset or None))
LODGINGS = (
    ("Hotel Kahayan Seed", "62.71", (
        ("FN5500102", "US", "JOHN PRIVATESMITH", -3, 2),
        ("FN5500106", "SG", "TAN PRIVATEGUEST", -2, None),
        ("FN5500107", "MY", "LIM PRIVATEOLD", -60, -55),
    )),
    ("Losmen Mentaya Seed", "62.02", (
        ("EZ9911001", "CN", "ZHANG WEIXIANPRIVATE", -1, 1),
    )),
)
# (held on offset, kind, district, agencies, target NIBs, targets, findings, follow-up, reporting agency)
ACTIVITIES = (
    (-20, "rapat", "62.71.01", ["imigrasi", "kesbangpol"], ["6271000000001"], "PT Jasa Palangka Raya; OLIVIA PRIVATEWALKER",
     "dua orang asing belum lapor alamat", "surat teguran", "kesbangpol"),
    (-100, "operasi_gabungan", "62.02.06", ["imigrasi", "polda", "pemkab"], ["6202000000001"], "PT Sawit Sampit Lestari",
     "satu TKA tanpa ITAS", "dilaporkan ke Imigrasi", "imigrasi"),
)

SECRETS = tuple(
    [v for p in PERSONS for v in (p[0], p[2], p[6], p[12])]
    + [v for _, _, guests in LODGINGS for g in guests for v in (g[0], g[2])]
)


def fill_foreign(cur) -> None:
    """Insert the known foreign nationals, lodgings and activities (the companies exist already)."""
    village = {}
    for regency, district in VILLAGE_OF.items():
        cur.execute("SELECT code FROM boundaries WHERE level = 'village' AND parent_code = %s ORDER BY code LIMIT 1",
                    (district,))
        village[regency] = cur.fetchone()[0]
    person = {}
    for (passport, nat, name, sex, born, permit, number, since, until, purpose, nib, sponsor, address, regency,
         offset) in PERSONS:
        cur.execute("""INSERT INTO foreign_nationals (passport_number, nationality, full_name, sex, birth_date)
                       VALUES (%s, %s, %s, %s, %s) RETURNING id""", (passport, nat, name, sex, born))
        person[(passport, nat)] = pid = cur.fetchone()[0]
        dx, dy = offset or (None, None)
        cur.execute(
            """INSERT INTO foreign_national_stays
                   (foreign_national_id, permit_type, permit_number, valid_from, valid_until, purpose,
                    sponsor_company_id, sponsor_name, address, village_code, geom, agency, reported_on)
               SELECT %s, %s, %s, current_date + %s::int, current_date + %s::int, %s,
                      (SELECT id FROM companies WHERE nib = %s), %s, %s, b.code,
                      CASE WHEN %s::float8 IS NULL THEN NULL
                           ELSE ST_Translate(b.label_point, %s::float8, %s::float8) END,
                      'imigrasi', current_date - 1
                 FROM boundaries b WHERE b.code = %s""",
            (pid, permit, number, since, until, purpose, nib, sponsor, address, dx, dx, dy, village[regency]),
        )
    for name, regency, guests in LODGINGS:
        cur.execute("INSERT INTO lodgings (name, address, village_code) VALUES (%s, %s, %s) RETURNING id",
                    (name, f"Jl. {name}", village[regency]))
        lid = cur.fetchone()[0]
        for passport, nat, full_name, check_in, check_out in guests:
            if (passport, nat) not in person:
                cur.execute("""INSERT INTO foreign_nationals (passport_number, nationality, full_name)
                               VALUES (%s, %s, %s)
                               ON CONFLICT (passport_number, nationality) DO UPDATE SET full_name = foreign_nationals.full_name
                               RETURNING id""", (passport, nat, full_name))
                person[(passport, nat)] = cur.fetchone()[0]
            cur.execute("""INSERT INTO lodging_stays (lodging_id, foreign_national_id, check_in, check_out, agency)
                           VALUES (%s, %s, current_date + %s::int, current_date + %s::int, 'polda')""",
                        (lid, person[(passport, nat)], check_in, check_out))
    for held, kind, district, agencies, nibs, targets, findings, follow_up, agency in ACTIVITIES:
        cur.execute("""INSERT INTO monitoring_activities (held_on, kind, district_code, agencies, targets, findings,
                                                          follow_up, agency)
                       VALUES (current_date + %s::int, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                    (held, kind, district, agencies, targets, findings, follow_up, agency))
        aid = cur.fetchone()[0]
        cur.execute("""INSERT INTO activity_company_targets (activity_id, company_id)
                       SELECT %s, id FROM companies WHERE nib = ANY(%s)""", (aid, nibs))
