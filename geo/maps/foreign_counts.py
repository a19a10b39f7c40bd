"""Foreign nationals present per region, for the maps: the one presence rule of the database
(foreign_nationals_present, migration 0100) grouped by region, purpose and permit type.

A stand-in until the statistics' own function (geo/stats/foreign.py) lands; the maps then call that
one instead, so maps, statistics and reports count the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from geo.db import Connection, transaction

LEVELS = ("regency", "district", "village")
NO_PURPOSE = "tidak_diketahui"  # lodging-only guests: no stay, hence neither purpose nor permit type (as geo.stats.foreign)


@dataclass
class RegionCount:
    code: str
    total: int = 0
    by_purpose: dict[str, int] = field(default_factory=dict)
    by_permit: dict[str, int] = field(default_factory=dict)


def present_by_region(conn: Connection, level: str, parent: str | None, regencies: tuple[str, ...] | None,
                      day: date, purposes: tuple[str, ...] = (), permits: tuple[str, ...] = ()) -> dict[str, RegionCount]:
    """{region code: counts} for every region of `level` under `parent` (None = all) within the
    user's `regencies` (None = all), regions without anyone included with 0."""
    if level not in LEVELS:
        raise ValueError(f"level {level!r}")
    column = f"p.{level}_code"  # from the allow-list above
    conds, params = ["b.level = %s"], [level]
    if parent is not None:
        conds.append("b.code LIKE %s")
        params.append(parent + ".%")
    if regencies is not None:
        conds.append("left(b.code, 5) = ANY(%s)")
        params.append(list(regencies))
    sql = f"""
WITH p AS (
    SELECT * FROM foreign_nationals_present(%s) p
     WHERE (cardinality(%s::text[]) = 0 OR p.purpose = ANY(%s::text[]))
       AND (cardinality(%s::text[]) = 0 OR p.permit_type = ANY(%s::text[]))
)
SELECT b.code, p.purpose, p.permit_type, count(p.foreign_national_id)
  FROM boundaries b LEFT JOIN p ON {column} = b.code
 WHERE {" AND ".join(conds)}
 GROUP BY b.code, p.purpose, p.permit_type
 ORDER BY b.code
"""  # noqa: S608 - identifiers from LEVELS, values bound
    with transaction(conn) as cur:
        cur.execute(sql, [day, list(purposes), list(purposes), list(permits), list(permits), *params])
        rows = cur.fetchall()
    out: dict[str, RegionCount] = {}
    for code, purpose, permit, n in rows:
        rc = out.setdefault(code, RegionCount(code))
        if not n:
            continue
        rc.total += n
        key = purpose or NO_PURPOSE
        rc.by_purpose[key] = rc.by_purpose.get(key, 0) + n
        key = permit or NO_PURPOSE
        rc.by_permit[key] = rc.by_permit.get(key, 0) + n
    return out
