"""Everything a report shows, read once from PostGIS into plain sorted JSON-safe structures.

Region figures come from geo.stats (the same functions behind /api/stats), so the PDF shows the
figures the API gives. Lists (companies, permits, inspections) are read here with the shared
filter. Counts of persons are then passed through suppression (geo.reports.suppress).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from geo import clock
from geo.db import Connection, transaction
from geo.filters import MonitoringFilter
from geo.reports import labels
from geo.reports.period import Quarter
from geo.stats import quarterly_series, region_stats, summary, window_totals

TREND_QUARTERS = 8
REGION_COUNTS = ("companies", "foreign_workers", "permits_expired", "permits_expiring_30d",
                 "permits_expiring_90d", "rptka_expired", "rptka_expiring_90d", "not_inspected_12m",
                 "inspections_12m")
BREAKDOWNS = ("by_nationality", "by_sector", "by_position_level", "by_sex")


@dataclass(frozen=True)
class Scope:
    """What a report covers: the filter (already scoped to the user), the period, the reference day."""

    flt: MonitoringFilter
    period: Quarter
    today: date  # permit states are computed on this day
    data_as_of: datetime  # the moment the figures are read ('data per'), in the province's time


def data_timestamp(conn: Connection) -> datetime:
    """The latest change to monitoring data (else the boundary load), in the province's time."""
    with transaction(conn) as cur:
        cur.execute("""SELECT coalesce(greatest((SELECT max(updated_at) FROM companies),
                                                (SELECT max(updated_at) FROM foreign_workers),
                                                (SELECT max(updated_at) FROM inspections)),
                                       (SELECT max(finished_at) FROM boundary_loads))""")
        ts = cur.fetchone()[0]
    return (ts or datetime(2000, 1, 1, tzinfo=UTC)).astimezone(clock.zone()).replace(microsecond=0)


def reference_day(period: Quarter, as_of: datetime) -> date:
    """End of the quarter, or the day of `as_of` (the province's today) when the quarter is not over."""
    return min(period.end, as_of.date())


def _plain(row) -> dict:
    row = dict(row) if not hasattr(row, "__dataclass_fields__") else row.__dict__.copy()
    out = {k: row[k] for k in ("code", "name", "parent_code", *REGION_COUNTS)}
    for key in BREAKDOWNS:
        out[key] = {str(k): int(v) for k, v in sorted((row.get(key) or {}).items())}
    return out


def regions(conn: Connection, scope: Scope, level: str) -> list[dict]:
    """Rows of /api/stats/{level}; a one-regency report keeps only that regency and its districts."""
    regency = scope.flt.regency_code
    # Within the report's province (the national boundaries may be loaded too).
    parent = regency if level == "district" and regency else (clock.province() if level != "province" else None)
    rows = region_stats(conn, level, scope.flt, parent=parent, today=scope.today)
    rows = [r for r in rows if level != "regency" or regency is None or r["code"] == regency]
    return sorted((_plain(r) for r in rows), key=lambda r: r["code"])


def totals(conn: Connection, scope: Scope) -> dict:
    """The figures of /api/stats/summary on the report's reference day."""
    return summary(conn, scope.flt, today=scope.today)


def sector_labels(conn: Connection) -> dict[str, str]:
    with transaction(conn) as cur:
        cur.execute("SELECT code, label FROM sectors ORDER BY code")
        return dict(cur.fetchall())


def companies(conn: Connection, scope: Scope) -> list[dict]:
    where, params = scope.flt.company_where("c", "wx")
    wwhere, wparams = scope.flt.worker_where("w")
    # Grouped joins, not a LATERAL subquery per company: one hash join over the workers and one over
    # the inspections, several times faster at 100,000 companies (bench/RESULTS-reports.md).
    sql = f"""
    SELECT c.id, c.nib, c.name, c.sector, s.label, c.regency_code, c.district_code,
           round(ST_X(c.geom)::numeric, 6)::float8, round(ST_Y(c.geom)::numeric, 6)::float8,
           c.status, c.rptka_valid_until, permit_status(c.rptka_valid_until, %s),
           coalesce(w.n, 0), coalesce(w.expired, 0), coalesce(w.expiring, 0), i.last
      FROM companies c JOIN sectors s ON s.code = c.sector
      LEFT JOIN (
          SELECT w.company_id, count(*) AS n,
                 count(*) FILTER (WHERE w.permit_valid_until < %s) AS expired,
                 count(*) FILTER (WHERE w.permit_valid_until BETWEEN %s AND %s) AS expiring
            FROM foreign_workers w WHERE {wwhere} GROUP BY w.company_id) w ON w.company_id = c.id
      LEFT JOIN (SELECT company_id, max(inspected_on) AS last FROM inspections WHERE inspected_on <= %s
                  GROUP BY company_id) i ON i.company_id = c.id
     WHERE {where}
     ORDER BY c.regency_code, c.district_code, c.name, c.id"""  # noqa: S608 - fixed fragments
    t = scope.today
    with transaction(conn) as cur:
        cur.execute(sql, [t, t, t, t + timedelta(days=90), *wparams, t, *params])
        rows = cur.fetchall()
    keys = ("id", "nib", "name", "sector", "sector_label", "regency_code", "district_code", "lon", "lat",
            "status", "rptka_valid_until", "rptka_status", "foreign_workers", "permits_expired",
            "permits_expiring_90d", "last_inspected")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def comparison(conn: Connection, scope: Scope) -> dict:
    """The reporting quarter (up to the reference day while it runs) against the same number of days
    of the previous quarter: active workers at each window's last day, inspections and findings."""
    current = scope.period.until(scope.today)
    previous = current.previous()
    rows = window_totals(conn, scope.flt, [(w.start, w.end) for w in (current, previous)])
    keys = ("active_workers", "inspections", "findings")
    return {"partial": current.partial, "days": current.days,
            "current": {"label": current.label, "short_label": current.short_label, "start": current.start,
                        "end": current.end, **{k: rows[0][k] for k in keys}},
            "previous": {"label": previous.label, "short_label": previous.short_label, "start": previous.start,
                         "end": previous.end, **{k: rows[1][k] for k in keys}}}


def inspections(conn: Connection, scope: Scope) -> list[dict]:
    """Inspections in the reporting quarter of the filtered companies (no free-text notes: they may
    name persons)."""
    where, params = scope.flt.company_where("c", "wx")
    sql = f"""
    SELECT i.id, i.inspected_on, c.id, c.name, c.regency_code, c.district_code,
           array_to_string(i.team, ', '), i.finding, coalesce(i.follow_up, ''), i.status
      FROM inspections i JOIN companies c ON c.id = i.company_id
     WHERE i.inspected_on BETWEEN %s AND %s AND {where}
     ORDER BY i.inspected_on, c.name, i.id"""  # noqa: S608 - fixed fragments
    with transaction(conn) as cur:
        cur.execute(sql, [scope.period.start, scope.today, *params])
        rows = cur.fetchall()
    keys = ("id", "inspected_on", "company_id", "company", "regency_code", "district_code", "team",
            "finding", "follow_up", "status")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def quarterly(conn: Connection, scope: Scope) -> list[dict]:
    """The quarterly series of /api/stats/timeseries up to the report's quarter."""
    first = scope.period.back(TREND_QUARTERS)[0]
    rows = quarterly_series(conn, scope.flt, None, str(first), str(scope.period), today=scope.today)
    keys = ("quarter", "active_workers", "inspections", "findings")
    running = scope.period.until(scope.today)  # a running quarter is labelled "2026-Q4 s.d. 5 Des"
    return [{**{k: r[k] for k in keys}, "label": running.short_label if r["quarter"] == str(scope.period) else r["quarter"]}
            for r in rows]


def workers(conn: Connection, scope: Scope) -> list[dict]:
    """Named worker rows: only ever called for principals allowed to see personal data."""
    where, params = scope.flt.company_where("c", "wx")
    wwhere, wparams = scope.flt.worker_where("w")
    sql = f"""
    SELECT w.id, w.full_name, w.passport_number, w.nationality, coalesce(w.sex, ''), w.position,
           w.position_level, c.name, c.regency_code, c.district_code, w.permit_valid_until,
           coalesce(w.itas_number, ''), w.itas_valid_until
      FROM companies c JOIN foreign_workers w ON w.company_id = c.id
     WHERE {where} AND {wwhere}
     ORDER BY c.regency_code, c.name, w.full_name, w.id"""  # noqa: S608 - fixed fragments
    with transaction(conn) as cur:
        cur.execute(sql, [*params, *wparams])
        rows = cur.fetchall()
    keys = ("id", "full_name", "passport_number", "nationality", "sex", "position", "position_level",
            "company", "regency_code", "district_code", "permit_valid_until", "itas_number",
            "itas_valid_until")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def boundary_version(conn: Connection) -> dict:
    """Which boundary files the maps were drawn from (their checksums), for the hash and source note."""
    with transaction(conn) as cur:
        cur.execute("SELECT id, layer_set, layers FROM boundary_loads ORDER BY id DESC LIMIT 1")
        row = cur.fetchone()
    if row is None:
        return {}
    layers = sorted((layer.get("level", ""), layer.get("sha256", "")) for layer in row[2])
    return {"layer_set": row[1], "layers": [{"level": lv, "sha256": sha} for lv, sha in layers]}


def agency_name(conn: Connection, code: str) -> str | None:
    if code in labels.ISSUERS:
        return labels.ISSUERS[code]
    with transaction(conn) as cur:
        cur.execute("SELECT name FROM agencies WHERE code = %s", (code,))
        row = cur.fetchone()
    return row[0] if row else None
