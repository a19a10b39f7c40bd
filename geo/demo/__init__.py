"""`pantau demo`: a deterministic, realistic synthetic dataset of companies employing foreign
workers in Kalimantan Tengah (profile.py: the recipe; generate.py: the tables; write.py: PostGIS)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

from geo import clock
from geo.db import Connection, transaction
from geo.demo import profile
from geo.demo.generate import District, Size, generate
from geo.demo.write import write

__all__ = ["DemoRefused", "DemoReport", "Size", "ensure_demo", "load_demo"]

_LOCK_KEY = 0x64656D6F  # 'demo': two `pantau up` at once load the demo only once

# Monitoring data the demo replaces, children first (foreign keys).
_MONITORING_TABLES = ("worker_reports", "company_reports", "inspections", "foreign_workers",
                      "companies", "import_batches")


class DemoRefused(RuntimeError):
    """The database already holds companies and --replace was not given."""


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
        cur.execute("SELECT count(*) FROM companies")
        existing = cur.fetchone()[0]
        if existing and only_if_empty:
            return None
        if existing and not replace:
            raise DemoRefused(f"basis data sudah berisi {existing} perusahaan; "
                              "gunakan --replace untuk menghapus semua data pemantauan lalu memuat demo")
        if replace:
            for table in _MONITORING_TABLES:  # fixed allow-list, not input
                cur.execute(f"DELETE FROM {table}")  # noqa: S608
        districts, regency_names = _districts(cur)
        if not districts:
            raise RuntimeError("no district boundaries loaded: run `pantau boundaries load` first")
        data = generate(size, seed, today, districts, regency_names)
        counts = write(cur, data, seed, today)
    return DemoReport(counts, seed, today, existing if replace else 0, time.monotonic() - started)


def ensure_demo(conn: Connection) -> DemoReport | None:
    """Load the default demo only into a database without companies (first start)."""
    return load_demo(conn, only_if_empty=True)
