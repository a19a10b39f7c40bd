"""Company points for the run-time marker layer, as compact arrays built by PostgreSQL.

As [id, lon, lat, status, inspected] arrays the points are a fraction of GeoJSON with properties, and a
browser parses and clusters even 100,000 of them quickly (bench/RESULTS-maps.md). Popups fetch a
company's details from the record API when clicked.
"""

from __future__ import annotations

from datetime import date

from geo import clock
from geo.db import Connection, transaction
from geo.filters import MonitoringFilter

# Index in the array → permit status of the company's RPTKA (the JS legend uses the same order).
STATUS_CODES = ("valid", "expiring", "expired", "unknown")


def company_points_json(conn: Connection, flt: MonitoringFilter, today: date | None = None) -> str:
    """{"count": n, "status": [...], "points": [[id, lon, lat, status index, inspected in 12 months 0/1]]}
    of the companies the (scoped) filter selects, as JSON text."""
    day = today or flt.today or clock.today()
    where, params = flt.company_where("c", "w")
    sql = f"""
WITH recent AS (  -- companies inspected in the last 12 months: one hash join, not 100k sub-queries
    SELECT DISTINCT company_id FROM inspections
     WHERE inspected_on > (%s::date - interval '12 months')::date AND inspected_on <= %s
)
SELECT json_build_object(
    'count', count(*),
    'status', %s::text[],
    'points', coalesce(json_agg(json_build_array(
        c.id, round(ST_X(c.geom)::numeric, 5), round(ST_Y(c.geom)::numeric, 5),
        array_position(%s::text[], permit_status(c.rptka_valid_until, %s)) - 1,
        (r.company_id IS NOT NULL)::int
    ) ORDER BY c.id), '[]'::json))::text
  FROM companies c LEFT JOIN recent r ON r.company_id = c.id
 WHERE {where}
"""  # noqa: S608 - the WHERE comes from the shared filter (bound parameters only)
    statuses = list(STATUS_CODES)
    with transaction(conn) as cur:
        cur.execute(sql, [day, day, statuses, statuses, day, *params])
        return cur.fetchone()[0]
