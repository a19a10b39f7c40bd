"""Benchmark of the foreign-national columns of the statistics (#16 item 7, migration 0110): the same
region_stats calls (workers from the aggregates) with the foreign columns counted by the presence
rule on each call (as before 0110) and summed from the kept counts, alternating call by call in the
same run; the refresh after writes and on a new day; what the queue triggers cost the writers; the
lodging guests' and activities' parts alone.

    .venv/bin/python bench/stats_foreign_bench.py --db NAME [--rounds 5] [--writes]

NAME: a database of the embedded cluster holding the bench data with foreign nationals besides
the workers (bench/sqlfill.py fill + fill_foreign), e.g. a copy made with `createdb -T`. In-process,
no HTTP, no cache; prints Markdown tables. Writes are made in transactions that are rolled back.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo import clock  # noqa: E402
from geo.db import connect  # noqa: E402
from geo.filters import MonitoringFilter  # noqa: E402
from geo.stats import foreign, regions  # noqa: E402
from geo.stats.foreign import ForeignFilter  # noqa: E402
from tests.dbutil import with_dbname  # noqa: E402

SERVER = "postgresql://pantau@/postgres?host={run}&port=5432"

# (level, parent, kind, filter, purpose/permit filter)
CASES = [
    *((level, None, kind, flt, ff) for level in ("province", "regency", "district") for kind, flt, ff in (
        ("none", MonitoringFilter(), ForeignFilter()),
        ("nationality", MonitoringFilter(nationality=("CN",)), ForeignFilter()),
        ("nationality (two)", MonitoringFilter(nationality=("MY", "KR")), ForeignFilter()),
        ("purpose", MonitoringFilter(), ForeignFilter(purpose=("bekerja",))),
        ("purpose (two)", MonitoringFilter(), ForeignFilter(purpose=("wisata", "keluarga"))),
        ("permit type", MonitoringFilter(), ForeignFilter(permit_type=("itas",))),
        ("regency_code", MonitoringFilter(regency_code="62.02"), ForeignFilter()),
        ("scoped user (2 regencies)", MonitoringFilter(scope=("62.02", "62.71")), ForeignFilter()),
    )),
    ("district", "62.02", "parent", MonitoringFilter(), ForeignFilter()),
    ("village", "62.71.01", "villages of a district", MonitoringFilter(), ForeignFilter()),
    ("village", "62.02", "villages of a regency", MonitoringFilter(), ForeignFilter()),
    ("village", "62.02", "villages of a regency + purpose", MonitoringFilter(), ForeignFilter(purpose=("bekerja",))),
]


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def reads(conn, rounds: int) -> None:
    original = regions.with_counts

    def rule(*a, **k):
        return original(*a, **{**k, "kept": False})

    day = clock.today()
    foreign.prepare(conn, day)
    times: dict[tuple, dict[str, list[float]]] = {}
    for r in range(rounds):
        for level, parent, kind, flt, ff in CASES:
            got = times.setdefault((level, kind), {"rule": [], "kept": []})
            for how in (("rule", "kept") if r % 2 else ("kept", "rule")):
                regions.with_counts = rule if how == "rule" else original
                try:
                    got[how].append(timed(partial(regions.region_stats_json, conn, level, flt, parent, day,
                                                  foreign=ff)))
                finally:
                    regions.with_counts = original
    print("| level | filter | calls | before: rule per call, p50 | after: kept counts, p50 | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    per_level: dict[str, dict[str, list[float]]] = {}
    for (level, kind), got in times.items():
        a, b = statistics.median(got["rule"]), statistics.median(got["kept"])
        print(f"| {level} | {kind} | {len(got['kept'])} | {a:,.0f} ms | {b:,.0f} ms | {a / b:.0f}x |")
        lv = per_level.setdefault(level, {"rule": [], "kept": []})
        lv["rule"] += got["rule"]
        lv["kept"] += got["kept"]
    for level, got in per_level.items():
        a, b = statistics.median(got["rule"]), statistics.median(got["kept"])
        print(f"| **{level}** | **all** | {len(got['kept'])} | **{a:,.0f} ms** | **{b:,.0f} ms** | {a / b:.0f}x |")


def parts(conn) -> None:
    """The lodging guests' and activities' statements alone (district level, no filter): counted from
    the tables, and read from their kept counts (migration 0119, counted first)."""
    day = clock.today()
    flt, ff = MonitoringFilter(), ForeignFilter()
    foreign.refresh(conn, day)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM lodging_stays WHERE check_in > %s::date - 365", (day,))
        stays_year = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM monitoring_activities WHERE held_on > %s::date - 365", (day,))
        acts_year = cur.fetchone()[0]
        for name, build in (("lodging guests (30 days)", partial(foreign.guests_sql, "district", flt, ff, None, day)),
                            ("activities (12 months)", partial(foreign.activities_count_sql, "district", flt, None,
                                                               day))):
            for how, kept in (("tables", False), ("kept", True)):
                sql, params = build(kept=kept)
                q = f"SELECT count(*) FROM ({sql}) x"  # noqa: S608
                ts = []
                for _ in range(7):
                    ts.append(timed(lambda q=q, params=params: cur.execute(q, params)))
                    cur.fetchone()
                print(f"| {name}, {how} | {statistics.median(ts):.1f} ms |")
    conn.rollback()
    print(f"\n(lodging stays checked in over the last year: {stays_year:,}; activities: {acts_year:,})")


TRIGGERS = {
    "foreign_workers": ("foreign_workers_present_ins",),
    "foreign_national_stays": ("foreign_national_stays_present_ins",),
}
WRITES = {
    "10,000 workers (new persons)": ("foreign_workers", """
        INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, sex, position, position_level,
                                     permit_valid_until, itas_valid_until)
        SELECT c.id, 'Bench ' || g, 'B' || lpad(g::text, 9, '0'), 'CN', 'L', 'Teknisi', 'profesional',
               current_date + 100 + g % 300, current_date + 90 + g % 300
          FROM generate_series(1, 10000) g JOIN companies c ON c.id = (SELECT min(id) FROM companies) + g % 5000"""),
    "20,000 stays": ("foreign_national_stays", """
        INSERT INTO foreign_national_stays (foreign_national_id, permit_type, valid_from, valid_until, purpose,
                                            village_code, agency, reported_on)
        SELECT p.id, 'itas', current_date - 10, current_date + 200, 'keluarga', 'VILLAGE', 'imigrasi', current_date
          FROM foreign_nationals p WHERE NOT EXISTS (SELECT 1 FROM foreign_national_stays s
                                                      WHERE s.foreign_national_id = p.id AND s.permit_type = 'itas'
                                                        AND s.valid_from = current_date - 10)
         ORDER BY p.id LIMIT 20000"""),
}


def writes(conn, rounds: int) -> None:
    """Each write with and without its queue trigger (alternating), then the refresh it leaves."""
    day = clock.today()
    with conn.cursor() as cur:
        cur.execute("SELECT code FROM boundaries WHERE level = 'village' AND code LIKE '62.71.%' ORDER BY code LIMIT 1")
        village = cur.fetchone()[0]
    conn.rollback()
    print("| write | round | without the trigger | with it | refresh afterwards (persons) |")
    print("|---|---:|---:|---:|---:|")
    for name, (table, sql) in WRITES.items():
        sql = sql.replace("'VILLAGE'", f"'{village}'")
        for r in range(rounds):
            got = {}
            for with_trigger in ((False, True) if r % 2 == 0 else (True, False)):
                with conn.cursor() as cur:
                    cur.execute("SET LOCAL jit = off")
                    if not with_trigger:
                        for trigger in TRIGGERS[table]:
                            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
                    got[with_trigger] = timed(partial(cur.execute, sql))
                    if with_trigger:
                        started = time.perf_counter()
                        cur.execute("SELECT fn_present_refresh(%s)", (day,))
                        n = cur.fetchone()[0]
                        refresh_ms = (time.perf_counter() - started) * 1000
                conn.rollback()
            print(f"| {name} | {r + 1} | {got[False]:,.0f} ms | {got[True]:,.0f} ms | {refresh_ms:,.0f} ms ({n:,}) |")


def day_change(conn) -> None:
    day = clock.today()
    print("| counted on -> read on | persons queued and counted | time |")
    print("|---|---:|---:|")
    for ahead in (1, 7, 30):
        with conn.cursor() as cur:
            started = time.perf_counter()
            cur.execute("SELECT fn_present_refresh(%s::date + %s, NULL)", (day, ahead))
            n = cur.fetchone()[0]
            ms = (time.perf_counter() - started) * 1000
        conn.rollback()
        print(f"| today -> today + {ahead} | {n:,} | {ms:,.0f} ms |")
    with conn.cursor() as cur:
        cur.execute("UPDATE fn_present_day SET day = NULL")
        started = time.perf_counter()
        cur.execute("SELECT fn_present_refresh(%s)", (day,))
        n = cur.fetchone()[0]
        ms = (time.perf_counter() - started) * 1000
    conn.rollback()
    print(f"| nothing -> today (the migration's backfill) | {n:,} | {ms:,.0f} ms |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--writes", action="store_true", help="also the writers' cost and the refreshes")
    args = ap.parse_args()
    url = with_dbname(SERVER.format(run=ROOT / ".pantau" / "run"), args.db)
    conn = connect(url)
    print(f"load average before: {os.getloadavg()}")
    with conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM foreign_workers), "
                    "(SELECT count(*) FROM foreign_nationals), (SELECT count(*) FROM foreign_national_stays), "
                    "(SELECT count(*) FROM lodging_stays), (SELECT count(*) FROM monitoring_activities), "
                    "(SELECT count(*) FROM fn_present), (SELECT count(*) FROM fn_present_counts)")
        print("companies, workers, persons, stays, lodging stays, activities, present, kept count rows:",
              cur.fetchone())
    conn.rollback()
    reads(conn, args.rounds)
    print()
    parts(conn)
    if args.writes:
        print()
        writes(conn, 2)
        print()
        day_change(conn)
    print(f"\nload average after: {os.getloadavg()}")
    conn.close()


if __name__ == "__main__":
    main()
