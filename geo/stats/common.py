"""SQL building blocks shared by the statistics: filtered companies placed in regions, their
active workers, and the date arithmetic every count uses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from geo import clock
from geo.db import Connection, transaction
from geo.filters import FilterError, MonitoringFilter

LEVELS = ("province", "regency", "district", "village")

# Prefixed to the statistics statements (same round trip): JIT compilation costs more than it
# saves here, and the grouping of all workers should hash in memory (with less work_mem the planner
# sorts every worker row instead, much slower; actual use stays well below it). Figures:
# bench/RESULTS-stats-tiles.md.
TUNING = "SET LOCAL jit = off; SET LOCAL work_mem = '128MB'; "

# How a company (alias c) is placed in a region of each level. Constants, never request values.
# A company's village is the one kept in its row (migration 0100, village_of): the village of its
# district that covers the point, else that district's nearest village; the foreign nationals'
# statistics place the workers' sites the same way.
REGION_OF_COMPANY = {
    "province": "left(c.regency_code, 2)",
    "regency": "c.regency_code",
    "district": "c.district_code",
    "village": "c.village_code",
}


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise FilterError(f"level: {level!r} is not one of {', '.join(LEVELS)}")
    return level


def effective(flt: MonitoringFilter, today: date | None) -> tuple[MonitoringFilter, date]:
    """The day the counts are taken on, also used by the filter's permit_status condition."""
    day = today or flt.today or clock.today()
    return replace(flt, today=day), day


def region_level(conn: Connection, code: str, param: str) -> str:
    with transaction(conn) as cur:
        cur.execute("SELECT level FROM boundaries WHERE code = %s", (code,))
        row = cur.fetchone()
    if row is None:
        raise FilterError(f"{param}: unknown region {code!r}")
    return row[0]


def regions_sql(level: str, flt: MonitoringFilter, parent: str | None) -> tuple[str, list]:
    """The regions of a level (under `parent` when given), minus those outside the user's scope:
    a scoped user does not see other regencies at all, not even as zeros."""
    conds = ["b.level = %s"]
    params: list = [level]
    if parent is not None:
        conds.append("b.code LIKE %s")
        params.append(parent + ".%")
    if flt.scope is not None and level != "province":
        conds.append("left(b.code, 5) = ANY(%s)")
        params.append(list(flt.scope))
    return " AND ".join(conds), params


def companies_sql(level: str, flt: MonitoringFilter, parent: str | None) -> tuple[str, list]:
    """SELECT of the filtered companies with their region code at `level` (column `region`), under
    `parent` when given. A company's village: its stored `village_code` (REGION_OF_COMPANY)."""
    where, params = flt.company_where("c", "w")
    if parent is not None:
        # Pre-filter on the stored (indexed) code of the parent's level, which its length says.
        column = {2: "left(c.regency_code, 2)", 5: "c.regency_code", 8: "c.district_code"}.get(len(parent))
        if column is None:
            where += " AND (c.district_code = %s OR c.district_code LIKE %s)"
            params += [parent, parent + ".%"]
        else:
            where += f" AND {column} = %s"
            params.append(parent)
    sql = (
        f"SELECT c.id, {REGION_OF_COMPANY[level]} AS region, c.sector, c.rptka_valid_until "  # noqa: S608
        f"FROM companies c WHERE {where}"
    )
    return sql, params


def workers_sql(flt: MonitoringFilter) -> tuple[str, list]:
    """Active workers (of the chosen nationalities) of the companies in CTE `fc` (and CTE `p` with
    `today`), counted (`n`) per region, nationality, sex, position level and permit bucket —
    one pass over the workers; later aggregates sum `n` over these few thousand groups.

    A worker's permit ends on the earlier of permit_valid_until and itas_valid_until (NULLs
    ignored); bucket: expired (before today), d30 (today..today+30), d90 (today+31..today+90),
    later, or unknown (neither date known)."""
    where, params = flt.worker_where("w")
    sql = f"""
SELECT region, nationality, sex, position_level,
       CASE WHEN permit_until IS NULL THEN 'unknown'
            WHEN permit_until < today THEN 'expired'
            WHEN permit_until <= today + 30 THEN 'd30'
            WHEN permit_until <= today + 90 THEN 'd90'
            ELSE 'later' END AS bucket,
       count(*)::int8 AS n
  FROM (SELECT fc.region, w.nationality, coalesce(w.sex, 'unknown') AS sex, w.position_level,
               LEAST(w.permit_valid_until, w.itas_valid_until) AS permit_until, p.today
          FROM fc JOIN foreign_workers w ON w.company_id = fc.id, p
         WHERE {where}) x
 GROUP BY 1, 2, 3, 4, 5"""  # noqa: S608
    return sql, params
