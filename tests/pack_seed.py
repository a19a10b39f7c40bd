"""Known meetings and recommendations on the seeded monitoring data (tests/seed.py), in a database
of their own, for the meeting pack's tests (tests/test_pack_*.py)."""

from __future__ import annotations

from datetime import timedelta

import psycopg2

from geo import clock
from geo.reports.period import Quarter
from tests.dbutil import create_database
from tests.seed import fill

TODAY = clock.today()
PERIOD = Quarter.containing(TODAY)
LAST = TODAY - timedelta(days=40)  # the last meeting
EARLIER = TODAY - timedelta(days=200)
SECRET_NOTE = "Sudah ditegur; ZHANG WEIXIANPRIVATE paspor EZ9911001 akan dipulangkan"
# (meeting, text, agency, regions, due in days from today, status, note)
RECS = (
    ("earlier", "Tertibkan izin TKA PT Jasa Palangka Raya", "imigrasi", ["62.71"], -100, "diproses", "Surat dikirim"),
    ("earlier", "Sosialisasi RPTKA di Sampit", "disnakertrans", ["62.02"], -120, "selesai", ""),
    ("last", "Periksa ulang TKA perkebunan sawit Sampit", "disnakertrans", ["62.02"], -5, "baru", SECRET_NOTE),
    ("last", "Pendataan orang asing di Palangka Raya", "imigrasi", ["62.71"], 20, "selesai", "Selesai didata"),
    ("last", "Rapat evaluasi tim PORA provinsi", "kesbangpol", [], 30, "diproses", ""),
)
SHOWN = (0, 2, 3, 4)  # the earlier meeting's finished one is not followed up any more


def make(server_url: str, template_db: str) -> tuple[str, dict]:
    """A database with the seed, the meetings and RECS; returns (url, {'companies', 'workers', 'recs', 'meetings'})."""
    url = create_database(server_url, template=template_db)
    companies, workers, _ = fill(url)
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        # Before the last meeting: one company and one worker in each seeded regency.
        cur.execute("UPDATE companies SET created_at = now() - interval '100 days' WHERE id = ANY(%s)",
                    ([companies[0], companies[2]],))
        cur.execute("UPDATE foreign_workers SET created_at = now() - interval '100 days' WHERE id = ANY(%s)",
                    ([workers[0], workers[3]],))
        cur.execute("""INSERT INTO inspections (company_id, inspected_on, team, finding)
                       VALUES (%s, %s, ARRAY['imigrasi'], 'none')""", (companies[0], LAST - timedelta(days=10)))
        ids, recs = {}, []
        for key, day in (("earlier", EARLIER), ("last", LAST)):
            cur.execute("""INSERT INTO meetings (held_on, place, period, agencies, created_by)
                           VALUES (%s, 'Aula Kesbangpol Palangka Raya', %s, '{kesbangpol,imigrasi}', 'test')
                           RETURNING id""", (day, str(Quarter.containing(day))))
            ids[key] = cur.fetchone()[0]
        for meeting, text, agency, regions, due, status, note in RECS:
            cur.execute("""INSERT INTO recommendations (meeting_id, text, agency, due_date, status, regions, created_by)
                           VALUES (%s, %s, %s, %s, %s, %s, 'test') RETURNING id""",
                        (ids[meeting], text, agency, TODAY + timedelta(days=due), status, regions))
            rec = cur.fetchone()[0]
            recs.append(rec)
            cur.execute("""INSERT INTO recommendation_notes (recommendation_id, username, agency, status_to, note, version)
                           VALUES (%s, 'test', %s, %s, %s, 2)""", (rec, agency, status, note))
    conn.close()
    return url, {"companies": companies, "workers": workers, "recs": recs, "meetings": ids}
