"""Totals for the home page: one statement, over the aggregates (geo.stats.aggregates) when they can
answer, else over the filtered companies."""

from __future__ import annotations

import json
from datetime import date

from geo.db import Connection, transaction
from geo.filters import MonitoringFilter
from geo.stats import aggregates
from geo.stats.common import TUNING, effective, workers_sql

# The finding categories of inspections (the CHECK list in 0003_monitoring.sql), zero-filled.
FINDINGS = ("none", "expired_permit", "position_mismatch", "location_mismatch", "no_permit", "other")


def summary(conn: Connection, flt: MonitoringFilter, today: date | None = None, *, source: str = "auto") -> dict:
    """Totals within the filter and scope: `companies`, `foreign_workers` (active), `by_nationality`,
    `permits_expired` / `permits_expiring_30d` / `permits_expiring_90d` (as in `region_stats`),
    `rptka_expired` / `rptka_expiring_90d`, `not_inspected_12m`, and for the calendar quarter
    containing `today`: `quarter` ("2026-Q4"), `inspections_quarter` (all inspections dated in
    the quarter up to `today`) and `findings_quarter` ({finding: count}, every category, 'none' included).
    `source`: as in geo.stats.regions.region_stats_json."""
    flt, day = effective(flt, today)
    out = None
    if source != "tables" and aggregates.covers("province", flt):
        sql, params = aggregates.summary_sql(flt, day)
        text = aggregates.read(conn, sql, params, day, TUNING)
        out = json.loads(text) if text is not None else None
    if out is None and source == "aggregates":
        raise LookupError(f"the aggregates do not answer the summary with {flt} on {day}")
    if out is None:
        out = _from_tables(conn, flt, day)
    out["today"] = day.isoformat()
    out["findings_quarter"] = {k: out["findings_quarter"].get(k, 0) for k in FINDINGS}
    return out


def _from_tables(conn: Connection, flt: MonitoringFilter, day: date) -> dict:
    where, c_params = flt.company_where("c", "w")
    fw_sql, w_params = workers_sql(flt)
    sql = f"""
WITH p AS (SELECT %s::date AS today, date_trunc('quarter', %s::date)::date AS q0),
fc AS MATERIALIZED (SELECT c.id, NULL::text AS region, c.rptka_valid_until FROM companies c WHERE {where}),
fw AS MATERIALIZED ({fw_sql}),
nat AS (SELECT nationality, sum(n)::int8 AS n FROM fw GROUP BY 1),
iq AS (
    SELECT i.finding FROM fc JOIN inspections i ON i.company_id = fc.id, p
     WHERE i.inspected_on >= p.q0 AND i.inspected_on <= p.today
)
SELECT json_build_object(
    'quarter', to_char(p.q0, 'YYYY-"Q"Q'),
    'companies', (SELECT count(*) FROM fc),
    'foreign_workers', (SELECT coalesce(sum(n), 0)::int8 FROM fw),
    'by_nationality', (SELECT coalesce(json_object_agg(nationality, n ORDER BY n DESC, nationality), '{{}}') FROM nat),
    'permits_expired', (SELECT coalesce(sum(n), 0)::int8 FROM fw WHERE bucket = 'expired'),
    'permits_expiring_30d', (SELECT coalesce(sum(n), 0)::int8 FROM fw WHERE bucket = 'd30'),
    'permits_expiring_90d', (SELECT coalesce(sum(n), 0)::int8 FROM fw WHERE bucket IN ('d30', 'd90')),
    'rptka_expired', (SELECT count(*) FROM fc WHERE permit_status(rptka_valid_until, p.today) = 'expired'),
    'rptka_expiring_90d', (SELECT count(*) FROM fc WHERE permit_status(rptka_valid_until, p.today) = 'expiring'),
    'not_inspected_12m', (SELECT count(*) FROM fc WHERE NOT EXISTS (
        SELECT 1 FROM inspections i WHERE i.company_id = fc.id
           AND i.inspected_on > (p.today - interval '12 months')::date AND i.inspected_on <= p.today)),
    'inspections_quarter', (SELECT count(*) FROM iq),
    'findings_quarter', (SELECT coalesce(json_object_agg(finding, n), '{{}}') FROM (
        SELECT finding, count(*) AS n FROM iq GROUP BY 1) f)
) FROM p
"""  # noqa: S608
    with transaction(conn) as cur:
        cur.execute(TUNING + sql, [day, day, *c_params, *w_params])
        return cur.fetchone()[0]
