"""Statistics per region summed from the aggregates of migrations 0090 and 0111 instead of every
active worker grouped on each request.

- Province, regency and district level, every filter but an RPTKA date range: the sums keyed by
  district, sector, RPTKA status and nationality (stats_company_counts, stats_worker_counts), a few
  thousand rows.
- Villages: the per-company rows, one per company (stats_company) and one per company and
  nationality (stats_company_workers), which also keep the company's place (its stored village
  included), sector, RPTKA status and end date (0111): the same filters on the same columns, no join
  to the companies.
- RPTKA date ranges (`datetime=`): the same sums per month of the end date (stats_company_months,
  stats_worker_months, 0111) for the months the range covers whole, and the per-company rows for
  the days at its ends (all of it for a range within a month, and for villages).

A read uses them only when, in its own snapshot, they are current and counted on its day
(`stats_ready`); otherwise it first brings them up to date (`stats_refresh`: the companies written
since, and a move to the province's today), or answers from the tables (days other than that: a
report of a past quarter). Same numbers either way: tests/test_stats_aggregates.py compares the two.
"""

from __future__ import annotations

from datetime import date, timedelta

from geo import clock
from geo.db import Connection, transaction
from geo.filters import MonitoringFilter
from geo.stats import kept

# Region of a counted row (alias k) at each level; villages only in the per-company rows. Constants,
# never request values.
REGION = {"province": "left(k.regency_code, 2)", "regency": "k.regency_code", "district": "k.district_code",
          "village": "k.village_code"}
# The values foreign_workers' CHECK constraints allow (0003), counted in fixed columns (0090).
POSITION_LEVELS = ("direktur", "komisaris", "manajer", "profesional", "konsultan")
SEXES = {"L": "sex_l", "P": "sex_p", "unknown": "sex_unknown"}
COUNTED = [*SEXES.values(), *(f"level_{p}" for p in POSITION_LEVELS)]
PERMITS = ["permits_expired", "permits_30d", "permits_31_90d"]


def covers(level: str, flt: MonitoringFilter) -> bool:
    """Every level and filter (on the counted day or the province's today: see `read`)."""
    return level in REGION


def per_company(level: str, flt: MonitoringFilter) -> bool:
    """Whether the per-company rows answer (villages, an RPTKA date range) rather than the sums."""
    return level == "village" or flt.period_start is not None or flt.period_end is not None


def _split(flt: MonitoringFilter) -> tuple[str, list, str, list]:
    """An RPTKA date range as (the months it covers whole: a condition on `k.month`) and (the days
    outside them: a condition on the per-company rows' `k.rptka_valid_until`), with parameters."""
    start, end = flt.period_start, flt.period_end
    first = None if start is None else start if start.day == 1 else _next_month(start)  # first whole month
    stop = None if end is None else _month_of(end + timedelta(days=1))  # first month after the whole ones
    if first is not None and stop is not None and first >= stop:  # within a month or two: no whole month
        return "FALSE", [], "k.rptka_valid_until >= %s AND k.rptka_valid_until <= %s", [start, end]
    months, m_params, days, d_params = [], [], [], []
    if first is not None:
        months.append("k.month >= %s")
        m_params.append(first)
        if start < first:
            days.append("(k.rptka_valid_until >= %s AND k.rptka_valid_until < %s)")
            d_params += [start, first]
    if stop is not None:
        months.append("k.month < %s")
        m_params.append(stop)
        if end >= stop:
            days.append("(k.rptka_valid_until >= %s AND k.rptka_valid_until <= %s)")
            d_params += [stop, end]
    return " AND ".join(months), m_params, " OR ".join(days) or "FALSE", d_params


def _month_of(d: date) -> date:
    return d.replace(day=1)


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def _where(flt: MonitoringFilter, parent: str | None, nationality: str, period: bool = True) -> tuple[str, list]:
    """Conditions on a counted row (alias k) for the filter: the same companies as
    MonitoringFilter.company_where selects (permit_status on the counted day). The RPTKA date range
    only on the per-company rows, which keep the date (`period`)."""
    conds: list[str] = []
    params: list = []
    if flt.scope is not None:
        conds.append("k.regency_code = ANY(%s)")
        params.append(list(flt.scope))
    if flt.sector:
        conds.append("k.sector = ANY(%s)")
        params.append(list(flt.sector))
    if flt.regency_code:
        conds.append("k.regency_code = %s")
        params.append(flt.regency_code)
    if flt.district_code:
        conds.append("k.district_code = %s")
        params.append(flt.district_code)
    if flt.permit_status:
        conds.append("k.rptka_status = %s")
        params.append(flt.permit_status)
    if period and flt.period_start is not None:
        conds.append("k.rptka_valid_until >= %s")
        params.append(flt.period_start)
    if period and flt.period_end is not None:
        conds.append("k.rptka_valid_until <= %s")
        params.append(flt.period_end)
    if flt.nationality:
        conds.append(nationality)
        params.append(list(flt.nationality))
    if parent is not None:
        # The indexed code of the parent's level, which its length says (codes nest: 62.02.01 is in 62.02).
        column = {2: "left(k.regency_code, 2)", 5: "k.regency_code", 8: "k.district_code"}.get(len(parent))
        if column is None:
            conds.append("(k.district_code = %s OR k.district_code LIKE %s)")
            params += [parent, parent + ".%"]
        else:
            conds.append(f"{column} = %s")
            params.append(parent)
    return " AND ".join(conds) or "TRUE", params


def _sums(a: str, columns: list[str]) -> str:
    return ", ".join(f"sum({a}.{c})::int8 AS {c}" for c in columns)


def _select(region: str, columns: str, table: str, where: str) -> str:
    # Fragments are constants or built from allow-listed names; values are bound parameters.
    return f"SELECT {region} AS region, {columns} FROM {table} k WHERE {where}"  # noqa: S608


def _sources(level: str, flt: MonitoringFilter, parent: str | None) -> tuple[str, list]:
    """CTEs `cs` (companies per region and sector) and `wn` (workers per region and nationality) for
    the filter: from the sums, the per-company rows (villages), or for a date range the month sums
    and the per-company rows of the days at its ends."""
    region = REGION[level]
    workers = ["workers", *PERMITS, *COUNTED]
    ranged = level != "village" and per_company(level, flt)
    c_where, c_params = _where(flt, parent, "k.nationalities && %s::text[]", period=not ranged)
    w_where, w_params = _where(flt, parent, "k.nationality = ANY(%s)", period=not ranged)
    # One row per company (per company and nationality): counted as one company.
    one = "1 AS companies, (k.inspections_12m > 0)::int AS inspected_12m, k.inspections_12m"
    kept = "k.companies, k.inspected_12m, k.inspections_12m"
    w_cols = ", ".join(f"k.{c}" for c in ["nationality", *workers])
    if level == "village":
        c_rows = _select(region, f"k.sector, k.rptka_status, {one}", "stats_company", c_where)
        w_rows = _select(region, w_cols, "stats_company_workers", w_where)
        params = [*c_params, *w_params]
    elif ranged:
        months, m_params, days, d_params = _split(flt)
        c_rows = (_select(region, f"k.sector, k.rptka_status, {kept}", "stats_company_months", f"{c_where} AND {months}")
                  + " UNION ALL "
                  + _select(region, f"k.sector, k.rptka_status, {one}", "stats_company", f"{c_where} AND ({days})"))
        w_rows = (_select(region, w_cols, "stats_worker_months", f"{w_where} AND {months}") + " UNION ALL "
                  + _select(region, w_cols, "stats_company_workers", f"{w_where} AND ({days})"))
        params = [*c_params, *m_params, *c_params, *d_params, *w_params, *m_params, *w_params, *d_params]
    else:
        c_rows = _select(region, f"k.sector, k.rptka_status, {kept}", "stats_company_counts", c_where)
        w_rows = _select(region, w_cols, "stats_worker_counts", w_where)
        params = [*c_params, *w_params]
    # Fragments are constants or built above from allow-listed names; values are bound parameters.
    sql = f"""cs AS (SELECT k.region, k.sector, sum(k.companies)::int8 AS companies,
              sum(k.companies) FILTER (WHERE k.rptka_status = 'expired')::int8 AS rptka_expired,
              sum(k.companies) FILTER (WHERE k.rptka_status = 'expiring')::int8 AS rptka_expiring_90d,
              sum(k.inspected_12m)::int8 AS inspected, sum(k.inspections_12m)::int8 AS inspections_12m
         FROM ({c_rows}) k GROUP BY 1, 2),
wn AS (SELECT k.region, k.nationality, {_sums("k", workers)} FROM ({w_rows}) k GROUP BY 1, 2)"""  # noqa: S608
    return sql, params


def rows_sql(level: str, regions_where: str, regions_params: list, flt: MonitoringFilter,
             parent: str | None) -> tuple[str, list]:
    """The rows of geo.stats.regions' statement (same columns, same order) from the aggregates:
    each table read once, grouped by region and sector (companies) or nationality (workers)."""
    sources, s_params = _sources(level, flt, parent)
    # {key: workers} of the non-zero sex and position-level columns of a region, largest first.
    pairs = {"sx": ", ".join(f"('{k}', wk.{c})" for k, c in SEXES.items()),
             "pos": ", ".join(f"('{p}', wk.level_{p})" for p in POSITION_LEVELS)}
    # Fragments are constants or built above from allow-listed names; values are bound parameters.
    sql = f"""
WITH regions AS (SELECT b.code, b.name, b.parent_code FROM boundaries b WHERE {regions_where}),
{sources},
co AS (SELECT region, sum(companies)::int8 AS companies, sum(rptka_expired)::int8 AS rptka_expired,
              sum(rptka_expiring_90d)::int8 AS rptka_expiring_90d, sum(inspected)::int8 AS inspected,
              sum(inspections_12m)::int8 AS inspections_12m,
              json_object_agg(sector, companies ORDER BY companies DESC, sector) AS by_sector
         FROM cs GROUP BY region),
wk AS (SELECT region, sum(workers)::int8 AS foreign_workers, sum(permits_expired)::int8 AS permits_expired,
              sum(permits_30d)::int8 AS permits_expiring_30d,
              sum(permits_30d + permits_31_90d)::int8 AS permits_expiring_90d,
              {", ".join(f"sum({c})::int8 AS {c}" for c in COUNTED)},
              json_object_agg(nationality, workers ORDER BY workers DESC, nationality) AS by_nationality
         FROM wn GROUP BY region),
kv AS (SELECT wk.region, x.dim, json_object_agg(x.k, x.n ORDER BY x.n DESC, x.k) AS j
         FROM wk CROSS JOIN LATERAL (SELECT 'sx' AS dim, v.* FROM (VALUES {pairs["sx"]}) AS v(k, n)
                                     UNION ALL
                                     SELECT 'pos', v.* FROM (VALUES {pairs["pos"]}) AS v(k, n)) x
        WHERE x.n > 0 GROUP BY 1, 2)
SELECT r.code, r.name, r.parent_code,
       coalesce(co.companies, 0) AS companies,
       coalesce(wk.foreign_workers, 0) AS foreign_workers,
       coalesce(wk.by_nationality, '{{}}'::json) AS by_nationality,
       coalesce(co.by_sector, '{{}}'::json) AS by_sector,
       coalesce(pos.j, '{{}}'::json) AS by_position_level,
       coalesce(sx.j, '{{}}'::json) AS by_sex,
       coalesce(wk.permits_expired, 0) AS permits_expired,
       coalesce(wk.permits_expiring_30d, 0) AS permits_expiring_30d,
       coalesce(wk.permits_expiring_90d, 0) AS permits_expiring_90d,
       coalesce(co.rptka_expired, 0) AS rptka_expired,
       coalesce(co.rptka_expiring_90d, 0) AS rptka_expiring_90d,
       coalesce(co.companies, 0) - coalesce(co.inspected, 0) AS not_inspected_12m,
       coalesce(co.inspections_12m, 0) AS inspections_12m
  FROM regions r
  LEFT JOIN co ON co.region = r.code
  LEFT JOIN wk ON wk.region = r.code
  LEFT JOIN kv pos ON pos.region = r.code AND pos.dim = 'pos'
  LEFT JOIN kv sx ON sx.region = r.code AND sx.dim = 'sx'
"""  # noqa: S608
    return sql, [*regions_params, *s_params]


def summary_sql(flt: MonitoringFilter, day: date) -> tuple[str, list]:
    """geo.stats.summary's JSON (text) from the aggregates, and the inspections of the quarter up to
    `day` of the counted companies the filter selects (stats_company: the same keys)."""
    sources, s_params = _sources("province", flt, None)
    c_where, c_params = _where(flt, None, "k.nationalities && %s::text[]")
    # Every inspection is of a company: without a condition on them, the inspections alone.
    counted = "inspections i" if c_where == "TRUE" else "stats_company k JOIN inspections i ON i.company_id = k.company_id"
    # Fragments are constants or built above from allow-listed names; values are bound parameters.
    sql = f"""
WITH p AS (SELECT %s::date AS today, date_trunc('quarter', %s::date)::date AS q0),
{sources},
co AS (SELECT coalesce(sum(companies), 0)::int8 AS companies,
              coalesce(sum(rptka_expired), 0)::int8 AS rptka_expired,
              coalesce(sum(rptka_expiring_90d), 0)::int8 AS rptka_expiring_90d,
              coalesce(sum(companies) - sum(inspected), 0)::int8 AS not_inspected_12m
         FROM cs),
wt AS (SELECT nationality, sum(workers)::int8 AS n, sum(permits_expired)::int8 AS expired,
              sum(permits_30d)::int8 AS d30, sum(permits_31_90d)::int8 AS d90
         FROM wn GROUP BY 1),
iq AS (SELECT i.finding, count(*)::int8 AS n FROM {counted}, p
        WHERE {c_where} AND i.inspected_on >= p.q0 AND i.inspected_on <= p.today GROUP BY 1)
SELECT json_build_object(
    'quarter', to_char(p.q0, 'YYYY-"Q"Q'),
    'companies', co.companies,
    'foreign_workers', (SELECT coalesce(sum(n), 0)::int8 FROM wt),
    'by_nationality', (SELECT coalesce(json_object_agg(nationality, n ORDER BY n DESC, nationality), '{{}}')
                         FROM wt WHERE n > 0),
    'permits_expired', (SELECT coalesce(sum(expired), 0)::int8 FROM wt),
    'permits_expiring_30d', (SELECT coalesce(sum(d30), 0)::int8 FROM wt),
    'permits_expiring_90d', (SELECT coalesce(sum(d30 + d90), 0)::int8 FROM wt),
    'rptka_expired', co.rptka_expired,
    'rptka_expiring_90d', co.rptka_expiring_90d,
    'not_inspected_12m', co.not_inspected_12m,
    'inspections_quarter', (SELECT coalesce(sum(n), 0)::int8 FROM iq),
    'findings_quarter', (SELECT coalesce(json_object_agg(finding, n), '{{}}') FROM iq)
)::text FROM p, co
"""  # noqa: S608
    return sql, [day, day, *s_params, *c_params]


# Queued companies one read may count before it answers (a few seconds of work on a busy machine);
# when more remain (a load of many companies, or a move over many days), it answers from the tables
# and the next reads count on. And how long it waits for another read's count.
REFRESH_BATCH = 10_000
REFRESH_LOCK_WAIT = "5s"


def refresh(conn: Connection, day: date, batch: int | None = None, lock_wait: str | None = None) -> int:
    """Count what was written since the last refresh (at most `batch` companies; None: all) on
    `day`; how many companies were counted."""
    return kept.refresh(conn, "stats_refresh", day, batch, lock_wait)


def read(conn: Connection, statement: str, params: list, day: date, tuning: str = "") -> str | None:
    """`statement` (one text value, built on rows_sql) when the aggregates can answer for `day` in
    its snapshot, after a refresh if needed; None when they cannot: counted on another day than
    `day`, which is not the province's today either (a report of a past quarter), more queued than
    one read counts, or a refresh that could not run (another one for longer than the lock wait,
    the statement timeout, a read-only replica)."""
    guarded = f"SELECT CASE WHEN stats_ready(%s) THEN ({statement}) END, (SELECT day FROM stats_day)"  # noqa: S608
    for _ in range(2):  # a write committed between a refresh and the read queues again
        with transaction(conn) as cur:
            cur.execute(tuning + guarded, [day, *params])
            text, counted_on = cur.fetchone()
        if text is not None or day not in (counted_on, clock.today()):
            return text
        counted = kept.try_refresh(conn, "stats_refresh", day, REFRESH_BATCH, REFRESH_LOCK_WAIT)
        if counted is None or counted >= REFRESH_BATCH:
            return None  # not run, or more may remain: the next reads count on
    with transaction(conn) as cur:
        cur.execute(tuning + guarded, [day, *params])
        return cur.fetchone()[0]
