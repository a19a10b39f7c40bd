"""`pantau demo`: a deterministic, realistic synthetic dataset of companies employing foreign
workers in Kalimantan Tengah, and of the other foreign nationals, lodgings and monitoring activities
(profile.py: the recipe; generate.py and foreign.py: the tables; write.py and write_foreign.py: PostGIS),
and two past coordination meetings with their recommendations (meetings.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

from geo import clock
from geo.db import Connection, transaction
from geo.demo import profile
from geo.demo.foreign import Village, generate_foreign
from geo.demo.generate import District, Size, generate
from geo.demo.meetings import write_meetings
from geo.demo.write import write
from geo.demo.write_foreign import write_foreign

__all__ = ["DemoRefused", "DemoReport", "Size", "ensure_demo", "load_demo"]

_LOCK_KEY = 0x64656D6F  # 'demo': two `pantau up` at once load the demo only once

# Monitoring data the demo replaces, children first (foreign keys; a meeting's parts go with it).
_MONITORING_TABLES = ("meetings", "activity_company_targets", "monitoring_activities", "lodging_stays", "lodgings",
                      "foreign_national_stays", "worker_reports", "company_reports", "inspections",
                      "foreign_workers", "foreign_nationals", "companies", "import_batches")
# Records whose presence makes the demo refuse (without --replace): it never mixes with real data.
_EXISTING = """
SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM foreign_nationals),
       (SELECT count(*) FROM lodgings), (SELECT count(*) FROM monitoring_activities),
       (SELECT count(*) FROM meetings)
"""


class DemoRefused(RuntimeError):
    """The database already holds monitoring data and --replace was not given."""


@dataclass
class DemoReport:
    counts: dict[str, int] = field(default_factory=dict)
    seed: int = profile.DEFAULT_SEED
    today: date | None = None
    replaced: int = 0  # companies deleted first
    seconds: float = 0.0


def _districts(cur) -> tuple[list[District], dict[str, str]]:
    cur.execute("SELECT code, parent_code, name, area_km2 FROM boundaries WHERE level = 'district' ORDER BY code")
    districts = [District(*row) for row in cur.fetchall()]
    cur.execute("SELECT code, name FROM boundaries WHERE level = 'regency' ORDER BY code")
    return districts, dict(cur.fetchall())


# Villages, each with the profiled town of its regency whose centre lies within the radius (the nearest).
_VILLAGES = """
WITH town AS (
    SELECT t.name, t.regency, ST_SetSRID(ST_MakePoint(t.x, t.y), 4326) AS pt
      FROM unnest(%(names)s::text[], %(regencies)s::text[], %(xs)s::float8[], %(ys)s::float8[]) AS t(name, regency, x, y)
), near AS (
    SELECT DISTINCT ON (v.code) v.code, t.name
      FROM town t JOIN boundaries v ON v.level = 'village' AND left(v.code, 5) = t.regency
                                   AND ST_DWithin(v.geom, t.pt, 0.1)
     WHERE ST_DWithin(v.geom::geography, t.pt::geography, %(radius)s)
     ORDER BY v.code, ST_Distance(v.geom, t.pt), t.name
)
SELECT v.code, v.parent_code, v.area_km2, n.name
  FROM boundaries v LEFT JOIN near n USING (code)
 WHERE v.level = 'village' ORDER BY v.code
"""


def _villages(cur) -> list[Village]:
    towns = profile.TOWNS
    cur.execute(_VILLAGES, {"names": list(towns), "regencies": [t[0] for t in towns.values()],
                            "xs": [t[1] for t in towns.values()], "ys": [t[2] for t in towns.values()],
                            "radius": profile.TOWN_RADIUS_M})
    return [Village(*row) for row in cur.fetchall()]


def load_demo(conn: Connection, size: Size | None = None, seed: int = profile.DEFAULT_SEED,
              today: date | None = None, replace: bool = False, only_if_empty: bool = False) -> DemoReport | None:
    """Load the demo in one transaction. Refuses (DemoRefused) when companies exist unless
    `replace` (existing monitoring data is deleted first, in the same transaction);
    with `only_if_empty` returns None instead of refusing."""
    size = size or Size()
    today = today or clock.today()
    started = time.monotonic()
    with transaction(conn) as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        cur.execute(_EXISTING)
        found = cur.fetchone()
        existing = found[0]
        if any(found) and only_if_empty:
            return None
        if any(found) and not replace:
            raise DemoRefused(f"basis data sudah berisi {found[0]} perusahaan, {found[1]} orang asing, "
                              f"{found[2]} penginapan, {found[3]} kegiatan pemantauan dan {found[4]} rakor; "
                              "gunakan --replace untuk menghapus semua data pemantauan lalu memuat demo")
        if replace:
            for table in _MONITORING_TABLES:  # fixed allow-list, not input
                cur.execute(f"DELETE FROM {table}")  # noqa: S608
        districts, regency_names = _districts(cur)
        if not districts:
            raise RuntimeError("no district boundaries loaded: run `pantau boundaries load` first")
        data = generate(size, seed, today, districts, regency_names)
        counts = write(cur, data, seed, today)
        foreign = generate_foreign(size, seed, today, data, _villages(cur))
        counts |= {k: v + counts.get(k, 0) for k, v in write_foreign(
            cur, foreign, data.companies["nib"].to_numpy(), data.workers["passport_number"].to_numpy(),
            seed, today).items()}
        counts |= write_meetings(cur, today)
    return DemoReport(counts, seed, today, existing if replace else 0, time.monotonic() - started)


def ensure_demo(conn: Connection) -> DemoReport | None:
    """Load the default demo only into a database without companies (first start)."""
    return load_demo(conn, only_if_empty=True)
