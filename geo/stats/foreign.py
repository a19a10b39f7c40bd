"""Foreign nationals (orang asing) counted per region: who is present on a day (the one presence
rule, SQL function foreign_nationals_present of migration 0100), by purpose, permit type and
nationality; the distinct guests lodgings reported in the 30 days up to the day; the monitoring
activities held in the 12 months up to it. Counts only: no personal data leaves these functions.

How the shared monitoring filter (geo.filters.MonitoringFilter) applies here:
- the user's scope, `regency_code` and `district_code`: where a person is placed (the residence of
  their stay, a worker's work site or company, the lodging), the lodging, the activity's district;
- `nationality`: the person's nationality (foreign nationals and lodging guests; not activities);
- the company filters `sector`, `permit_status` (RPTKA) and `datetime` (RPTKA dates) do not apply:
  a foreign national is not a company (workers keep their own, company-filtered counts).
ForeignFilter adds `purpose` and `permit_type`, which filter the present foreign nationals only
(not lodging guests or activities). Lodging-only guests have neither purpose nor permit type: they
count under UNKNOWN ("tidak_diketahui") in both breakdowns, so each breakdown sums to the total,
and `purpose=tidak_diketahui` / `permit_type=tidak_diketahui` select them.

The present persons are summed from counts kept current as data changes (migration 0110:
fn_present_counts per district, fn_present_village_counts per village, one row per place,
nationality, purpose and permit type): writers queue the persons they touch, `prepare` counts the
queued ones again by the rule before a read, and the read takes the kept counts only when in its own
snapshot nothing is queued and they are counted on its day, else the rule from the tables (one
statement, two branches guarded by a one-time filter). The lodging guests of the last 30 days and
the activities of the last 12 months are kept the same way for one day, counted again whole when
something changed (migration 0119: fn_guest_counts per level, fn_activity_counts per district).
Other days (the quarterly series) are counted from the tables on each request.
docs/foreign-nationals-api.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from geo import clock
from geo.db import Connection, transaction
from geo.filters import FilterError, MonitoringFilter, parse_csv_param
from geo.stats import kept
from geo.stats.common import LEVELS, TUNING, check_level, effective, region_level, regions_sql

# The controlled lists of migration 0100 (stay_purposes, permit_types); tests/test_stats_foreign.py
# checks them against the tables.
PURPOSES = ("bekerja", "keluarga", "studi", "penelitian", "keagamaan", "sosial", "jurnalistik", "investasi",
            "lansia", "wisata", "lainnya")
PERMIT_TYPES = ("itas", "itap", "visa_kunjungan", "voa", "bebas_visa", "diplomatik")
UNKNOWN = "tidak_diketahui"  # lodging-only guests: no stay, so no purpose and no permit type
GUEST_WINDOW_DAYS = 30  # lodging_guests_30d: stays overlapping the 30 days up to the day


# Queued persons one read may count before it answers (a stays import of this many takes about a
# second: bench/RESULTS-stats-tiles.md); when more remain it answers from the tables and the next
# reads count on. And how long it waits for another read's count.
REFRESH_BATCH = 20_000
REFRESH_LOCK_WAIT = "2s"

# The columns a region row gains, in this order.
FIELDS = ("foreign_nationals", "foreign_nationals_by_purpose", "foreign_nationals_by_permit",
          "foreign_nationals_by_nationality", "lodging_guests_30d", "activities_12m")

# Where a placed row (alias a: a present person, a lodging or an activity) lies at each level.
# Constants, never request values. Activities are held in a district, in no village.
_REGION = {
    "province": "left({a}.regency_code, 2)",
    "regency": "{a}.regency_code",
    "district": "{a}.district_code",
    "village": "{a}.village_code",
}


@dataclass(frozen=True)
class ForeignFilter:
    """The filters of the foreign-national counts beyond MonitoringFilter's."""

    purpose: tuple[str, ...] = ()
    permit_type: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for param, values, known in (("purpose", self.purpose, PURPOSES),
                                     ("permit_type", self.permit_type, PERMIT_TYPES)):
            for value in values:
                if value not in (*known, UNKNOWN):
                    raise FilterError(f"{param}: {value[:40]!r} tidak dikenal (unknown; one of "
                                      f"{', '.join((*known, UNKNOWN))})")

    def as_query(self) -> dict[str, str]:
        out = {}
        if self.purpose:
            out["purpose"] = ",".join(self.purpose)
        if self.permit_type:
            out["permit_type"] = ",".join(self.permit_type)
        return out


ALL = ForeignFilter()  # no purpose or permit-type filter: the default of the counting functions


def foreign_filter(purpose: str | None = None, permit_type: str | None = None) -> ForeignFilter:
    """From query-string values (comma-separated lists allowed, case-insensitive)."""
    return ForeignFilter(purpose=tuple(v.lower() for v in parse_csv_param(purpose)),
                         permit_type=tuple(v.lower() for v in parse_csv_param(permit_type)))


def _placed(a: str, flt: MonitoringFilter, parent: str | None) -> tuple[list[str], list]:
    """Conditions on a placed row (alias a): scope, the regency/district filters, under `parent`."""
    conds, params = flt.place_conditions(a)
    if parent is not None:
        column = {2: f"left({a}.regency_code, 2)", 5: f"{a}.regency_code"}.get(len(parent), f"{a}.district_code")
        conds.append(f"{column} = %s")
        params.append(parent)
    return conds, params


def where(conds: list[str]) -> str:
    return " AND ".join(conds) or "TRUE"


def _json_by(dim: str) -> str:
    return (f"SELECT region, json_object_agg(key, n ORDER BY n DESC, key) AS j "  # noqa: S608
            f"FROM fp WHERE dim = '{dim}' GROUP BY region")


def _conditions(level: str, flt: MonitoringFilter, foreign: ForeignFilter,
                parent: str | None) -> tuple[list[str], list, list[str], list, list[str], list]:
    """WHERE conditions and parameters of the present persons (alias p, with their foreign_nationals
    row n), the lodging stays (lodgings l, guests n) and the activities (a)."""
    check_level(level)
    p_conds, p_params = _placed("p", flt, parent)
    if flt.nationality:
        p_conds.append("n.nationality = ANY(%s)")
        p_params.append(list(flt.nationality))
    for column, values in (("purpose", foreign.purpose), ("permit_type", foreign.permit_type)):
        if values:
            p_conds.append(f"coalesce(p.{column}, '{UNKNOWN}') = ANY(%s)")
            p_params.append(list(values))
    l_conds, l_params = _placed("l", flt, parent)
    if flt.nationality:
        l_conds.append("ls.nationality = ANY(%s)")  # the person's, kept on the stay (migration 0117)
        l_params.append(list(flt.nationality))
    a_conds, a_params = _placed("a", flt, parent if level != "village" else None)
    if level == "village":
        a_conds.append("FALSE")
    return p_conds, p_params, l_conds, l_params, a_conds, a_params


def _kept_conditions(flt: MonitoringFilter, foreign: ForeignFilter, parent: str | None) -> tuple[list[str], list]:
    """The conditions of _conditions' present persons on a row of the kept counts (alias k)."""
    conds, params = _placed("k", flt, parent)
    if flt.nationality:
        conds.append("k.nationality = ANY(%s)")
        params.append(list(flt.nationality))
    for column, values in (("purpose", foreign.purpose), ("permit_type", foreign.permit_type)):
        if values:
            conds.append(f"k.{column} = ANY(%s)")
            params.append(list(values))
    return conds, params


def _marginals(rows: str) -> str:
    """Per region of `rows` (region, nationality, purpose, permit_type, n) in one pass: the total
    (dim 'total') and the persons by nationality, purpose and permit type (dim, key)."""
    return f"""
    SELECT region,
           CASE GROUPING(nationality, purpose, permit_type) WHEN 7 THEN 'total' WHEN 3 THEN 'nationality'
                WHEN 5 THEN 'purpose' ELSE 'permit_type' END AS dim,
           coalesce(nationality, purpose, permit_type) AS key, sum(n)::int8 AS n
      FROM ({rows}) x
     GROUP BY GROUPING SETS ((region), (region, nationality), (region, purpose), (region, permit_type))"""  # noqa: S608


def present_sql(level: str, flt: MonitoringFilter, foreign: ForeignFilter, parent: str | None, day: date,
                kept: bool = True) -> tuple[str, list]:
    """SELECT of the present persons per region: columns region, dim ('total', 'nationality',
    'purpose', 'permit_type'), key (NULL for the total), n. `kept`: summed from fn_present_counts
    (fn_present_village_counts for villages; migration 0110) when they are counted on `day` and
    nothing is queued in this statement's snapshot, else counted by the rule from the tables; the
    two branches are guarded by fn_present_ready(day), a one-time filter, so only one of them
    runs. Not `kept`: by the rule."""
    p_conds, p_params, *_ = _conditions(level, flt, foreign, parent)
    # Fragments are constants or built above from allow-listed names; values are bound parameters.
    tables = _marginals(f"""
        SELECT {_REGION[level].format(a="p")} AS region, n.nationality,
               coalesce(p.purpose, '{UNKNOWN}') AS purpose, coalesce(p.permit_type, '{UNKNOWN}') AS permit_type,
               1 AS n
          FROM foreign_nationals_present(%s) p
          JOIN foreign_nationals n ON n.id = p.foreign_national_id
         WHERE {"NOT fn_present_ready(%s) AND " if kept else ""}{where(p_conds)}""")  # noqa: S608
    if not kept:
        return tables, [day, *p_params]
    k_conds, k_params = _kept_conditions(flt, foreign, parent)
    table = "fn_present_village_counts" if level == "village" else "fn_present_counts"
    counted = _marginals(f"""
        SELECT {_REGION[level].format(a="k")} AS region, k.nationality, k.purpose, k.permit_type, k.n
          FROM {table} k
         WHERE fn_present_ready(%s) AND {where(k_conds)}""")  # noqa: S608
    return f"{tables}\n    UNION ALL{counted}", [day, day, *p_params, day, *k_params]


def counts_sql(level: str, flt: MonitoringFilter, foreign: ForeignFilter, parent: str | None,
               day: date, kept: bool = True) -> tuple[str, list]:
    """SELECT of the counts per region code (column `region`, then FIELDS) of the regions with any;
    regions without are absent (callers LEFT JOIN their regions: with_counts). `kept`: see
    present_sql."""
    check_level(level)
    present, present_params = present_sql(level, flt, foreign, parent, day, kept)
    guests, g_params = guests_sql(level, flt, foreign, parent, day, kept)
    activities_sql, a_params = activities_count_sql(level, flt, parent, day, kept)
    activities = "coalesce(ac.n, 0)::int8"
    if level == "village":
        activities = "NULL::int8"

    # Fragments are constants or built above from allow-listed names; values are bound parameters.
    sql = f"""
WITH fp AS MATERIALIZED ({present}),
fn AS (SELECT region, n FROM fp WHERE dim = 'total'),
fpu AS ({_json_by("purpose")}),
fpe AS ({_json_by("permit_type")}),
fna AS ({_json_by("nationality")}),
lg AS ({guests}),
ac AS ({activities_sql}),
regions AS (SELECT region FROM fn UNION SELECT region FROM lg UNION SELECT region FROM ac)
SELECT r.region,
       coalesce(fn.n, 0)::int8 AS foreign_nationals,
       coalesce(fpu.j, '{{}}'::json) AS foreign_nationals_by_purpose,
       coalesce(fpe.j, '{{}}'::json) AS foreign_nationals_by_permit,
       coalesce(fna.j, '{{}}'::json) AS foreign_nationals_by_nationality,
       coalesce(lg.n, 0)::int8 AS lodging_guests_30d,
       {activities} AS activities_12m
  FROM regions r
  LEFT JOIN fn ON fn.region = r.region
  LEFT JOIN fpu ON fpu.region = r.region
  LEFT JOIN fpe ON fpe.region = r.region
  LEFT JOIN fna ON fna.region = r.region
  LEFT JOIN lg ON lg.region = r.region
  LEFT JOIN ac ON ac.region = r.region
 WHERE r.region IS NOT NULL
"""  # noqa: S608
    return sql, [*present_params, *g_params, *a_params]


def guest_count_level(level: str, flt: MonitoringFilter, parent: str | None) -> str | None:
    """The level of fn_guest_counts (migration 0119) whose rows answer the distinct guests per region
    of `level` under these place filters, or None when only the tables can. Its rows carry their own
    and their parents' codes, so a filter finer than `level` (a district, at the province) reads the
    finer level; that is exact only when the filter names one region there (distinct guests of two
    regencies do not add up), so a scope of several regencies above the regency level reads the tables."""
    scope = flt.scope
    regency = flt.regency_code or (parent if parent and len(parent) == 5 else None) or (
        scope[0] if scope is not None and len(scope) == 1 else None)
    district = flt.district_code or (parent if parent and len(parent) > 5 else None)
    need = "district" if district else "regency" if regency or scope is not None else "province"
    at = max(level, need, key=LEVELS.index)
    if at != level and not (district or regency):
        return None
    return at


def guests_sql(level: str, flt: MonitoringFilter, foreign: ForeignFilter, parent: str | None, day: date,
               kept: bool = True) -> tuple[str, list]:
    """SELECT (region, n) of the distinct lodging guests of the GUEST_WINDOW_DAYS up to `day`.
    `kept`: from fn_guest_counts when they are counted on `day` and nothing is queued in this
    snapshot (fn_window_ready, a one-time filter as in present_sql), else from the tables."""
    _, _, l_conds, l_params, _, _ = _conditions(level, flt, foreign, parent)
    # Fragments are constants or built from allow-listed names; values are bound parameters.
    at = guest_count_level(level, flt, parent) if kept else None
    tables = f"""
    SELECT {_REGION[level].format(a="l")} AS region, count(DISTINCT ls.foreign_national_id)::int8 AS n
      FROM lodging_stays ls
      JOIN lodgings l ON l.id = ls.lodging_id
     WHERE {"NOT fn_window_ready(%s) AND " if at else ""}ls.check_in <= %s
       AND ls.counted_until > %s::date - {GUEST_WINDOW_DAYS} AND {where(l_conds)}
     GROUP BY 1"""  # noqa: S608
    if not at:
        return tables, [day, day, *l_params]
    k_conds, k_params = _placed("k", flt, parent)
    if flt.nationality:
        k_conds.append("k.nationality = ANY(%s)")
        k_params.append(list(flt.nationality))
    region = "k.region" if at == level else _REGION[level].format(a="k")
    counted = f"""
    SELECT {region} AS region, sum(k.n)::int8 AS n
      FROM fn_guest_counts k
     WHERE fn_window_ready(%s) AND k.level = '{at}' AND {where(k_conds)}
     GROUP BY 1"""  # noqa: S608
    return f"{tables}\n    UNION ALL{counted}", [day, day, day, *l_params, day, *k_params]


def activities_count_sql(level: str, flt: MonitoringFilter, parent: str | None, day: date,
                         kept: bool = True) -> tuple[str, list]:
    """SELECT (region, n) of the monitoring activities of the 12 months up to `day`, in their
    district (none at the village level). `kept`: from fn_activity_counts (per district, migration
    0119) when current, as guests_sql."""
    if level == "village":
        return "SELECT NULL::text AS region, NULL::int8 AS n WHERE FALSE", []
    a_conds, a_params = _placed("a", flt, parent)
    tables = f"""
    SELECT {_REGION[level].format(a="a")} AS region, count(*)::int8 AS n
      FROM monitoring_activities a
     WHERE {"NOT fn_window_ready(%s) AND " if kept else ""}a.held_on > (%s::date - interval '12 months')::date
       AND a.held_on <= %s AND {where(a_conds)}
     GROUP BY 1"""  # noqa: S608
    if not kept:
        return tables, [day, day, *a_params]
    k_conds, k_params = _placed("k", flt, parent)
    counted = f"""
    SELECT {_REGION[level].format(a="k")} AS region, sum(k.n)::int8 AS n
      FROM fn_activity_counts k
     WHERE fn_window_ready(%s) AND {where(k_conds)}
     GROUP BY 1"""  # noqa: S608
    return f"{tables}\n    UNION ALL{counted}", [day, day, day, *a_params, day, *k_params]


def refresh(conn: Connection, day: date, batch: int | None = None, lock_wait: str | None = None) -> int:
    """Count the persons queued since the last refresh (at most `batch`; None: all) on `day`, after
    moving the counts to it; how many persons were counted (migration 0110, fn_present_refresh). The
    guests' and activities' windows are counted on `day` too (migration 0119, fn_window_refresh)."""
    counted = kept.refresh(conn, "fn_present_refresh", day, batch, lock_wait)
    kept.refresh(conn, "fn_window_refresh", day, batch, lock_wait)
    return counted


def prepare(conn: Connection, day: date) -> None:
    """Bring the kept counts (presence: migration 0110; the guests' and activities' windows: 0119) up
    to date before a read on `day` when they are not (best effort: a read that still finds them
    behind counts from the tables, same numbers). Only for the province's today or the day they are
    counted on: a past day is always read from the tables."""
    with transaction(conn) as cur:
        cur.execute("SELECT fn_present_ready(%s), (SELECT day FROM fn_present_day), "
                    "fn_window_ready(%s), (SELECT day FROM fn_window_day)", (day, day))
        present_ready, present_on, window_ready, window_on = cur.fetchone()
    if not present_ready and day in (present_on, clock.today()):
        kept.try_refresh(conn, "fn_present_refresh", day, REFRESH_BATCH, REFRESH_LOCK_WAIT)
    if not window_ready and day in (window_on, clock.today()):
        kept.try_refresh(conn, "fn_window_refresh", day, REFRESH_BATCH, REFRESH_LOCK_WAIT)


def joined_columns(f: str = "f", level: str = "district") -> str:
    """The FIELDS of counts_sql joined as alias `f`, zeros for regions without any."""
    activities = "NULL::int8" if level == "village" else f"coalesce({f}.activities_12m, 0)::int8"
    return (f"coalesce({f}.foreign_nationals, 0)::int8 AS foreign_nationals, "
            f"coalesce({f}.foreign_nationals_by_purpose, '{{}}'::json) AS foreign_nationals_by_purpose, "
            f"coalesce({f}.foreign_nationals_by_permit, '{{}}'::json) AS foreign_nationals_by_permit, "
            f"coalesce({f}.foreign_nationals_by_nationality, '{{}}'::json) AS foreign_nationals_by_nationality, "
            f"coalesce({f}.lodging_guests_30d, 0)::int8 AS lodging_guests_30d, "
            f"{activities} AS activities_12m")


def with_counts(rows_sql: str, level: str, flt: MonitoringFilter, foreign: ForeignFilter, parent: str | None,
                day: date, kept: bool = True) -> tuple[str, list]:
    """`rows_sql` (rows with a `code` column) with FIELDS added; its parameters come first."""
    sql, params = counts_sql(level, flt, foreign, parent, day, kept)
    wrapped = (f"SELECT s.*, {joined_columns('f', level)} FROM ({rows_sql}) s "  # noqa: S608
               f"LEFT JOIN ({sql}) f ON f.region = s.code")
    return wrapped, params


def foreign_region_stats(conn: Connection, level: str, flt: MonitoringFilter,
                         foreign: ForeignFilter | None = None, parent: str | None = None,
                         today: date | None = None) -> list[dict]:
    """The foreign-national counts of every region of `level` (under `parent`; within `flt.scope`:
    other regions are absent), zeros included, ordered by code: `code`, `name`, `parent_code` and
    - `foreign_nationals`: persons present on `today` (foreign_nationals_present), placed where
      that rule places them, of the filtered nationalities, purposes and permit types;
    - `foreign_nationals_by_purpose` / `_by_permit` / `_by_nationality`: {code: persons}, largest
      first, non-zero only; lodging-only guests under UNKNOWN; each sums to `foreign_nationals`;
    - `lodging_guests_30d`: distinct persons (of the filtered nationalities) with a lodging stay
      overlapping the 30 days up to `today` (no check-out: 30 days from check-in), at the lodging;
      a person in lodgings of two regions counts in each;
    - `activities_12m`: monitoring activities held in (today - 12 months, today], in their
      district; None at the village level (an activity has no village).
    The same as the columns region_stats adds to its rows. `today` defaults to `flt.today`, then
    the province's today. Villages need a `parent` (a district or regency), as in region_stats.
    """
    check_level(level)
    foreign = foreign or ForeignFilter()
    if parent is not None:
        parent_level = region_level(conn, parent, "parent")
        if LEVELS.index(parent_level) >= LEVELS.index(level):
            raise FilterError(f"parent: {parent!r} is a {parent_level}, not above level {level!r}")
    elif level == "village":
        raise FilterError("parent: required for level 'village' (a district or regency code)")
    flt, day = effective(flt, today)
    prepare(conn, day)
    reg_where, reg_params = regions_sql(level, flt, parent)
    rows = f"SELECT b.code, b.name, b.parent_code FROM boundaries b WHERE {reg_where}"  # noqa: S608
    sql, params = with_counts(rows, level, flt, foreign, parent, day)
    text_sql = f"SELECT coalesce(json_agg(x ORDER BY x.code), '[]'::json)::text FROM ({sql}) x"  # noqa: S608
    with transaction(conn) as cur:
        cur.execute(TUNING + text_sql, [*reg_params, *params])
        return json.loads(cur.fetchone()[0])


def foreign_counts(conn: Connection, level: str, flt: MonitoringFilter, foreign: ForeignFilter | None = None,
                   parent: str | None = None, today: date | None = None) -> dict[str, dict]:
    """foreign_region_stats as {region code: row}."""
    return {row["code"]: row for row in foreign_region_stats(conn, level, flt, foreign, parent, today)}


def series_ctes(level: str, flt: MonitoringFilter, foreign: ForeignFilter, parent: str | None,
                day: date) -> tuple[str, list]:
    """CTEs (to follow others in a WITH; CTE `q` holds the quarters q0..q1) counting per region and
    quarter: `fq` present foreign nationals at the quarter's end (the current quarter: `day`) with
    `fqpu` / `fqpe` their {purpose / permit type: persons}; `gq` distinct lodging guests with a stay
    overlapping the quarter (up to `day`); `aq` activities held in it (up to `day`; none at the
    village level). Filters as counts_sql."""
    check_level(level)
    p_conds, p_params, l_conds, l_params, a_conds, a_params = _conditions(level, flt, foreign, parent)

    def by(key: str) -> str:
        return (f"SELECT region, q0, json_object_agg({key}, n ORDER BY n DESC, {key}) AS j "  # noqa: S608
                f"FROM (SELECT region, q0, {key}, count(*) AS n FROM fqp GROUP BY 1, 2, 3) s GROUP BY 1, 2")

    # Fragments are constants or built above from allow-listed names; values are bound parameters.
    sql = f"""
fqd AS (SELECT %s::date AS day),
fqp AS MATERIALIZED (
    SELECT {_REGION[level].format(a="p")} AS region, q.q0,
           coalesce(p.purpose, '{UNKNOWN}') AS purpose, coalesce(p.permit_type, '{UNKNOWN}') AS permit_type
      FROM q CROSS JOIN fqd CROSS JOIN LATERAL foreign_nationals_present(LEAST(q.q1, fqd.day)) p
      JOIN foreign_nationals n ON n.id = p.foreign_national_id
     WHERE {where(p_conds)}
),
fq AS (SELECT region, q0, count(*)::int8 AS n FROM fqp GROUP BY 1, 2),
fqpu AS ({by("purpose")}),
fqpe AS ({by("permit_type")}),
gq AS (
    SELECT {_REGION[level].format(a="l")} AS region, q.q0, count(DISTINCT ls.foreign_national_id)::int8 AS n
      FROM q CROSS JOIN fqd
      JOIN lodging_stays ls ON ls.check_in <= LEAST(q.q1, fqd.day) AND ls.counted_until >= q.q0
      JOIN lodgings l ON l.id = ls.lodging_id
     WHERE {where(l_conds)}
     GROUP BY 1, 2
),
aq AS (
    SELECT {_REGION["district" if level == "village" else level].format(a="a")} AS region, q.q0, count(*)::int8 AS n
      FROM q CROSS JOIN fqd
      JOIN monitoring_activities a ON a.held_on BETWEEN q.q0 AND LEAST(q.q1, fqd.day)
     WHERE {where(a_conds)}
     GROUP BY 1, 2
)"""  # noqa: S608
    return sql, [day, *p_params, *l_params, *a_params]


def series_fields(level: str) -> str:
    """The json_build_object arguments of series_ctes' counts of region `r` and quarter `q`
    (joined as fq, fqpu, fqpe, gq, aq)."""
    activities = "NULL::int8" if level == "village" else "coalesce(aq.n, 0)"
    return ("'foreign_nationals', coalesce(fq.n, 0), "
            "'foreign_nationals_by_purpose', coalesce(fqpu.j, '{}'::json), "
            "'foreign_nationals_by_permit', coalesce(fqpe.j, '{}'::json), "
            f"'lodging_guests', coalesce(gq.n, 0), 'activities', {activities}")


SERIES_JOINS = """
  LEFT JOIN fq ON fq.region = r.code AND fq.q0 = q.q0
  LEFT JOIN fqpu ON fqpu.region = r.code AND fqpu.q0 = q.q0
  LEFT JOIN fqpe ON fqpe.region = r.code AND fqpe.q0 = q.q0
  LEFT JOIN gq ON gq.region = r.code AND gq.q0 = q.q0
  LEFT JOIN aq ON aq.region = r.code AND aq.q0 = q.q0"""
