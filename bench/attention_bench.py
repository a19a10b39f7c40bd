"""Time the agency-discrepancy reads and the attention list on the bench database
(`pantau_bench_features`, bench/features_prepare.py; migrated to the head first). Prints a Markdown
table for bench/RESULTS-attention.md. Run: .venv/bin/python -m bench.attention_bench"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date

import psycopg2

from geo import attention, discrepancies
from geo.db import ensure_server
from geo.migrate import migrate
from geo.settings import Settings
from tests.dbutil import with_dbname

NAME = "pantau_bench_features"
RUNS = 5


@dataclass(frozen=True)
class Asker:
    role: str
    agency: str
    regencies: tuple[str, ...] | None

    @property
    def can_see_personal(self) -> bool:
        return self.role != "viewer"


def timed(fn) -> tuple[float, object]:
    times, out = [], None
    for _ in range(RUNS):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    url = with_dbname(ensure_server(Settings().database), NAME)
    conn = psycopg2.connect(url)
    migrate(conn)
    conn.commit()
    today = date.today()
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    print("| what | scope | median of 5 | result |")
    print("|---|---|---|---|")
    for label, scope in (("province", None), ("one regency (62.71)", ("62.71",))):
        asker = Asker("analyst", "kesbangpol", scope)
        t, found = timed(lambda scope=scope: discrepancies.company_discrepancies(conn, scope))
        print(f"| company_discrepancies (whole list) | {label} | {t * 1000:.0f} ms | {len(found)} companies |")
        t, found = timed(lambda scope=scope: discrepancies.company_discrepancies(conn, scope)[:50])
        print(f"| first page (50) of /api/discrepancies/companies | {label} | {t * 1000:.0f} ms | {len(found)} |")
        t, n = timed(lambda asker=asker: discrepancies.open_discrepancy_count(conn, asker))
        print(f"| open_discrepancy_count | {label} | {t * 1000:.0f} ms | {n} open |")
        t, items = timed(lambda asker=asker: attention.attention_items(conn, asker, today))
        print(f"| attention_items (home page panel) | {label} | {t * 1000:.0f} ms | {len(items)} items |")
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
