"""Counts per calendar quarter: active workers at each quarter's end, inspections and findings."""

from __future__ import annotations

import re
from datetime import date

from geo.db import Connection, transaction
from geo.filters import FilterError, MonitoringFilter
from geo.stats.common import (
    TUNING,
    check_level,
    companies_sql,
    effective,
    region_level,
    regions_sql,
)
from geo.stats.foreign import SERIES_JOINS, ForeignFilter, series_ctes, series_fields

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
MAX_QUARTERS = 80


def parse_quarter(value: str | date | None, param: str) -> date | None:
    """'2025-Q3' (or a date) → the first day of that quarter."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return date(value.year, 3 * ((value.month - 1) // 3) + 1, 1)
    match = _QUARTER.match(value.strip().upper())
    if not match:
        raise FilterError(f"{param}: {value!r} is not a quarter (YYYY-Qn, e.g. 2025-Q1)")
    return date(int(match[1]), 3 * (int(match[2]) - 1) + 1, 1)


def _shift(q0: date, quarters: int) -> date:
    months = q0.year * 12 + q0.month - 1 + 3 * quarters
    return date(months // 12, months % 12 + 1, 1)


def quarterly_series(
    conn: Connection,
    flt: MonitoringFilter,
    level: str | None = None,
    start: str | date | None = None,
    end: str | date | None = None,
    *,
    code: str | None = None,
    today: date | None = None,
    foreign: ForeignFilter | None = None,
) -> list[dict]:
    """One row per quarter (and per region), oldest first:
    `quarter` ("2025-Q1"), `start`, `end` (dates), `code`, `name`, and
    - `active_workers`: workers of the filtered companies (of the filtered nationalities) whose
      record existed at the quarter's end (created_at <= end; for the current quarter: today)
      and whose permit was valid then
      (the earlier of permit_valid_until and itas_valid_until >= end; unknown = not counted).
      Departed/deported workers count while their record was last changed after that end
      (status is not historised, so the last change stands for the departure);
    - `inspections`: inspections of those companies dated in the quarter (the current one: up to
      today);
    - `findings`: those of them with a finding other than 'none';
    - when `foreign` is given (geo.stats.foreign.ALL: no purpose/permit filter; filtered by it, the
      nationality and the regions):
      `foreign_nationals` present at the quarter's end (the current quarter: today) with
      `foreign_nationals_by_purpose` / `_by_permit`; `lodging_guests`: distinct persons with a
      lodging stay overlapping the quarter (up to today); `activities`: monitoring activities held
      in it (up to today; None for a village).
    Regions: `code` alone → that region; `level` alone → every region of the level within the
    scope (not villages); neither → the province. `start`/`end` are quarters ('2025-Q1') or
    dates; default the 8 quarters up to the one containing `today`.
    """
    flt, day = effective(flt, today)
    if code is not None:
        code_level = region_level(conn, code, "code")
        if level is not None and check_level(level) != code_level:
            raise FilterError(f"code: {code!r} is a {code_level}, not a {level}")
        level = code_level
    elif level is None:
        level = "province"
    elif check_level(level) == "village":
        raise FilterError("code: required for level 'village' (one village code)")
    q_end = parse_quarter(end, "end") or parse_quarter(day, "today")
    q_start = parse_quarter(start, "start") or _shift(q_end, -7)
    if q_start > q_end:
        raise FilterError(f"start: {start!r} is after end {end or q_end.isoformat()!r}")
    if _shift(q_start, MAX_QUARTERS) <= q_end:
        raise FilterError(f"start: {start!r} is more than {MAX_QUARTERS} quarters before the end")

    reg_where, reg_params = regions_sql(level, flt, None)
    if code is not None:
        reg_where += " AND b.code = %s"
        reg_params.append(code)
    # Pre-filter companies by the stored codes of the region (a village's: its district's).
    prefilter = {"province": None, "village": (code or "")[:8]}.get(level, code)
    fc_sql, fc_params = companies_sql(level, flt, prefilter)
    nat_cond, nat_params = "TRUE", []
    if flt.nationality:
        nat_cond, nat_params = "w.nationality = ANY(%s)", [list(flt.nationality)]
    f_ctes, f_fields, f_joins, f_params = "", "", "", []
    if foreign is not None:
        f_ctes, f_params = series_ctes(level, flt, foreign, prefilter, day)
        f_ctes, f_fields, f_joins = f",{f_ctes}", f", {series_fields(level)}", SERIES_JOINS
    sql = f"""
WITH q AS (
    SELECT gs::date AS q0, (gs + interval '3 months' - interval '1 day')::date AS q1
      FROM generate_series(%s::date, %s::date, interval '3 months') gs
),
regions AS (SELECT b.code, b.name FROM boundaries b WHERE {reg_where}),
fc AS MATERIALIZED ({fc_sql}),
aw AS (
    SELECT fc.region, q.q0, count(*) AS n
      FROM fc JOIN foreign_workers w ON w.company_id = fc.id
      -- The current quarter is counted as of today, not its future end.
      JOIN q ON w.created_at::date <= LEAST(q.q1, %s::date)
            AND LEAST(w.permit_valid_until, w.itas_valid_until) >= LEAST(q.q1, %s::date)
            AND (w.status = 'active' OR w.updated_at::date > LEAST(q.q1, %s::date))
     WHERE {nat_cond}
     GROUP BY 1, 2
),
ins AS (
    SELECT fc.region, q.q0, count(*) AS n, count(*) FILTER (WHERE i.finding <> 'none') AS findings
      FROM fc JOIN inspections i ON i.company_id = fc.id
      JOIN q ON i.inspected_on BETWEEN q.q0 AND LEAST(q.q1, %s::date)
     GROUP BY 1, 2
){f_ctes}
SELECT coalesce(json_agg(json_build_object(
           'quarter', to_char(q.q0, 'YYYY-"Q"Q'), 'start', q.q0, 'end', q.q1,
           'code', r.code, 'name', r.name,
           'active_workers', coalesce(aw.n, 0),
           'inspections', coalesce(ins.n, 0),
           'findings', coalesce(ins.findings, 0){f_fields}) ORDER BY q.q0, r.code), '[]'::json)
  FROM q CROSS JOIN regions r
  LEFT JOIN aw ON aw.region = r.code AND aw.q0 = q.q0
  LEFT JOIN ins ON ins.region = r.code AND ins.q0 = q.q0{f_joins}
"""  # noqa: S608
    with transaction(conn) as cur:
        cur.execute(TUNING + sql, [q_start, q_end, *reg_params, *fc_params, day, day, day, *nat_params, day,
                                   *f_params])
        return cur.fetchone()[0]


def window_totals(conn: Connection, flt: MonitoringFilter, windows: list[tuple[date, date]]) -> list[dict]:
    """For each (start, end) window, in the order given: `active_workers` at `end` (counted as
    quarterly_series counts a quarter's end), `inspections` and `findings` dated start..end, of the
    filtered companies in scope. For comparing a running quarter with the same days of the last."""
    fc_sql, fc_params = companies_sql("province", flt, None)
    nat_cond, nat_params = "TRUE", []
    if flt.nationality:
        nat_cond, nat_params = "w.nationality = ANY(%s)", [list(flt.nationality)]
    sql = f"""
WITH q AS (SELECT * FROM unnest(%s::date[], %s::date[]) WITH ORDINALITY AS q(q0, q1, k)),
fc AS MATERIALIZED ({fc_sql}),
aw AS (
    SELECT q.k, count(*) AS n
      FROM fc JOIN foreign_workers w ON w.company_id = fc.id
      JOIN q ON w.created_at::date <= q.q1 AND LEAST(w.permit_valid_until, w.itas_valid_until) >= q.q1
            AND (w.status = 'active' OR w.updated_at::date > q.q1)
     WHERE {nat_cond}
     GROUP BY 1
),
ins AS (
    SELECT q.k, count(*) AS n, count(*) FILTER (WHERE i.finding <> 'none') AS findings
      FROM fc JOIN inspections i ON i.company_id = fc.id
      JOIN q ON i.inspected_on BETWEEN q.q0 AND q.q1
     GROUP BY 1
)
SELECT coalesce(json_agg(json_build_object(
           'start', q.q0, 'end', q.q1, 'active_workers', coalesce(aw.n, 0),
           'inspections', coalesce(ins.n, 0), 'findings', coalesce(ins.findings, 0)) ORDER BY q.k), '[]'::json)
  FROM q LEFT JOIN aw ON aw.k = q.k LEFT JOIN ins ON ins.k = q.k
"""  # noqa: S608
    starts, ends = [w[0] for w in windows], [w[1] for w in windows]
    with transaction(conn) as cur:
        cur.execute(TUNING + sql, [starts, ends, *fc_params, *nat_params])
        return cur.fetchone()[0]
