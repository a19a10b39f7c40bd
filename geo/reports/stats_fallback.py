"""Minimal stand-ins for geo.stats (region_stats, quarterly_series), used only while geo/stats.py
is not in the repository. Same signatures and row keys as the shared contract; delete this module
once geo.stats lands (geo/reports/data.py imports geo.stats first)."""

from __future__ import annotations

from datetime import date, timedelta

from geo.db import Connection, transaction
from geo.filters import MonitoringFilter

_LEVEL_COLUMN = {"regency": "regency_code", "district": "district_code"}  # allow-list


def region_stats(conn: Connection, level: str, flt: MonitoringFilter, parent: str | None = None,
                 today: date | None = None) -> list[dict]:
    if level not in _LEVEL_COLUMN:
        raise ValueError(f"level: {level!r} is not one of {', '.join(_LEVEL_COLUMN)}")
    col = _LEVEL_COLUMN[level]
    today = today or flt.today or date.today()
    cwhere, cparams = flt.company_where("c", "wx")
    wwhere, wparams = flt.worker_where("w")
    # Region conditions mirror the filter's region and scope so zero rows appear only for regions
    # the asker may see.
    rconds, rparams = ["b.level = %s"], [level]
    if parent:
        rconds.append("b.parent_code = %s")
        rparams.append(parent)
    if flt.scope is not None:
        rconds.append("left(b.code, 5) = ANY(%s)")
        rparams.append(list(flt.scope))
    if flt.regency_code:
        rconds.append("left(b.code, 5) = %s")
        rparams.append(flt.regency_code)
    if flt.district_code and level == "district":
        rconds.append("b.code = %s")
        rparams.append(flt.district_code)
    sql = f"""
    WITH p AS (SELECT %s::date AS t, %s::date AS y, %s::date AS t30, %s::date AS t90),
    c AS (
        SELECT c.id, c.{col} AS region, c.sector, c.rptka_valid_until FROM companies c WHERE {cwhere}
    ), w AS (
        SELECT c.region, c.sector, w.nationality, coalesce(w.sex, '?') AS sex, w.position_level,
               w.permit_valid_until
          FROM c JOIN foreign_workers w ON w.company_id = c.id WHERE {wwhere}
    ), i AS (
        SELECT c.region, c.id AS company_id, i.inspected_on
          FROM c JOIN inspections i ON i.company_id = c.id
         WHERE i.inspected_on > (SELECT y FROM p) AND i.inspected_on <= (SELECT t FROM p)
    ), cs AS (
        SELECT region, count(*) AS companies,
               count(*) FILTER (WHERE rptka_valid_until < (SELECT t FROM p)) AS rptka_expired,
               count(*) FILTER (WHERE rptka_valid_until >= (SELECT t FROM p) AND rptka_valid_until <= (SELECT t90 FROM p)) AS rptka_expiring_90d,
               count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM i WHERE i.company_id = c.id)) AS not_inspected_12m
          FROM c GROUP BY region
    ), ws AS (
        SELECT region, count(*) AS foreign_workers,
               count(*) FILTER (WHERE permit_valid_until < (SELECT t FROM p)) AS permits_expired,
               count(*) FILTER (WHERE permit_valid_until >= (SELECT t FROM p) AND permit_valid_until <= (SELECT t30 FROM p)) AS permits_expiring_30d,
               count(*) FILTER (WHERE permit_valid_until >= (SELECT t FROM p) AND permit_valid_until <= (SELECT t90 FROM p)) AS permits_expiring_90d
          FROM w GROUP BY region
    ), nat AS (SELECT region, jsonb_object_agg(k, n) AS j FROM (SELECT region, nationality k, count(*) n FROM w GROUP BY 1, 2) x GROUP BY region
    ), sec AS (SELECT region, jsonb_object_agg(k, n) AS j FROM (SELECT region, sector k, count(*) n FROM w GROUP BY 1, 2) x GROUP BY region
    ), lvl AS (SELECT region, jsonb_object_agg(k, n) AS j FROM (SELECT region, position_level k, count(*) n FROM w GROUP BY 1, 2) x GROUP BY region
    ), sx AS (SELECT region, jsonb_object_agg(k, n) AS j FROM (SELECT region, sex k, count(*) n FROM w GROUP BY 1, 2) x GROUP BY region
    ), ins AS (SELECT region, count(*) AS n FROM i GROUP BY region)
    SELECT b.code, b.name, b.parent_code,
           coalesce(cs.companies, 0), coalesce(ws.foreign_workers, 0),
           coalesce(nat.j, '{{}}'), coalesce(sec.j, '{{}}'), coalesce(lvl.j, '{{}}'), coalesce(sx.j, '{{}}'),
           coalesce(ws.permits_expired, 0), coalesce(ws.permits_expiring_30d, 0), coalesce(ws.permits_expiring_90d, 0),
           coalesce(cs.rptka_expired, 0), coalesce(cs.rptka_expiring_90d, 0),
           coalesce(cs.not_inspected_12m, 0), coalesce(ins.n, 0)
      FROM boundaries b
      LEFT JOIN cs ON cs.region = b.code LEFT JOIN ws ON ws.region = b.code
      LEFT JOIN nat ON nat.region = b.code LEFT JOIN sec ON sec.region = b.code
      LEFT JOIN lvl ON lvl.region = b.code LEFT JOIN sx ON sx.region = b.code
      LEFT JOIN ins ON ins.region = b.code
     WHERE {' AND '.join(rconds)}
     ORDER BY b.code"""  # noqa: S608 - col from an allow-list, conditions are fixed text
    dates = [today, today - timedelta(days=365), today + timedelta(days=30), today + timedelta(days=90)]
    with transaction(conn) as cur:
        cur.execute(sql, dates + cparams + wparams + rparams)
        rows = cur.fetchall()
    keys = ("code", "name", "parent_code", "companies", "foreign_workers", "by_nationality", "by_sector",
            "by_position_level", "by_sex", "permits_expired", "permits_expiring_30d", "permits_expiring_90d",
            "rptka_expired", "rptka_expiring_90d", "not_inspected_12m", "inspections_12m")
    return [dict(zip(keys, r, strict=True)) for r in rows]

