"""Statistics per region of one level: one SQL statement, one row per region (zeros included)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from geo.db import Connection, transaction
from geo.filters import FilterError, MonitoringFilter
from geo.stats import aggregates
from geo.stats import foreign as foreign_counts
from geo.stats.common import (
    LEVELS,
    TUNING,
    check_level,
    companies_sql,
    effective,
    region_level,
    regions_sql,
    workers_sql,
)
from geo.stats.foreign import ForeignFilter, with_counts

__all__ = ["LEVELS", "region_stats", "region_stats_geojson", "region_stats_json"]

# Simplification per level for choropleths (degrees; 0.001 is about 110 m): enough detail for the
# zoom each level is shown at, and a payload a browser draws at once.
SIMPLIFY = {"province": 0.005, "regency": 0.002, "district": 0.001, "village": 0.0002}

_JSON_MAP = "coalesce(json_object_agg({key}, n ORDER BY n DESC, {key}), '{{}}'::json)"


def _by(dimension: str, source: str, count: str) -> str:
    """Per region: {value: count} of one dimension of CTE `source`, largest first."""
    agg = _JSON_MAP.format(key=dimension)
    return (
        f"SELECT region, {agg} AS j FROM (SELECT region, {dimension}, {count} AS n "  # noqa: S608
        f"FROM {source} GROUP BY 1, 2) s GROUP BY region"
    )


def _checked(conn: Connection, level: str, flt: MonitoringFilter, parent: str | None,
             today: date | None) -> tuple[MonitoringFilter, date]:
    check_level(level)
    if parent is not None:
        parent_level = region_level(conn, parent, "parent")
        if LEVELS.index(parent_level) >= LEVELS.index(level):
            raise FilterError(f"parent: {parent!r} is a {parent_level}, not above level {level!r}")
    if level == "village" and parent is None:
        raise FilterError("parent: required for level 'village' (a district or regency code)")
    return effective(flt, today)


def _tables_sql(level: str, flt: MonitoringFilter, parent: str | None, day: date, reg_where: str,
                reg_params: list) -> tuple[str, list]:
    """The rows counted from the tables: every filtered company and its active workers."""
    fc_sql, fc_params = companies_sql(level, flt, parent)
    fw_sql, fw_params = workers_sql(flt)
    # Identifiers and fragments above are constants or built by the shared filter.
    sql = f"""
WITH p AS (SELECT %s::date AS today),
regions AS (SELECT b.code, b.name, b.parent_code FROM boundaries b WHERE {reg_where}),
fc AS MATERIALIZED ({fc_sql}),
fw AS MATERIALIZED ({fw_sql}),
co AS (
    SELECT region, count(*) AS companies,
           count(*) FILTER (WHERE permit_status(rptka_valid_until, p.today) = 'expired') AS rptka_expired,
           count(*) FILTER (WHERE permit_status(rptka_valid_until, p.today) = 'expiring') AS rptka_expiring_90d
      FROM fc, p GROUP BY region
),
wk AS (
    SELECT region, sum(n)::int8 AS foreign_workers,
           sum(n) FILTER (WHERE bucket = 'expired')::int8 AS permits_expired,
           sum(n) FILTER (WHERE bucket = 'd30')::int8 AS permits_expiring_30d,
           sum(n) FILTER (WHERE bucket IN ('d30', 'd90'))::int8 AS permits_expiring_90d
      FROM fw GROUP BY region
),
insp AS (
    SELECT fc.region, count(*) AS inspections_12m, count(DISTINCT i.company_id) AS inspected
      FROM fc JOIN inspections i ON i.company_id = fc.id, p
     WHERE i.inspected_on > (p.today - interval '12 months')::date AND i.inspected_on <= p.today
     GROUP BY fc.region
),
nat AS ({_by("nationality", "fw", "sum(n)::int8")}),
sec AS ({_by("sector", "fc", "count(*)")}),
pos AS ({_by("position_level", "fw", "sum(n)::int8")}),
sx AS ({_by("sex", "fw", "sum(n)::int8")})
SELECT r.code, r.name, r.parent_code,
       coalesce(co.companies, 0) AS companies,
       coalesce(wk.foreign_workers, 0) AS foreign_workers,
       coalesce(nat.j, '{{}}'::json) AS by_nationality,
       coalesce(sec.j, '{{}}'::json) AS by_sector,
       coalesce(pos.j, '{{}}'::json) AS by_position_level,
       coalesce(sx.j, '{{}}'::json) AS by_sex,
       coalesce(wk.permits_expired, 0) AS permits_expired,
       coalesce(wk.permits_expiring_30d, 0) AS permits_expiring_30d,
       coalesce(wk.permits_expiring_90d, 0) AS permits_expiring_90d,
       coalesce(co.rptka_expired, 0) AS rptka_expired,
       coalesce(co.rptka_expiring_90d, 0) AS rptka_expiring_90d,
       coalesce(co.companies, 0) - coalesce(insp.inspected, 0) AS not_inspected_12m,
       coalesce(insp.inspections_12m, 0) AS inspections_12m
  FROM regions r
  LEFT JOIN co ON co.region = r.code
  LEFT JOIN wk ON wk.region = r.code
  LEFT JOIN insp ON insp.region = r.code
  LEFT JOIN nat ON nat.region = r.code
  LEFT JOIN sec ON sec.region = r.code
  LEFT JOIN pos ON pos.region = r.code
  LEFT JOIN sx ON sx.region = r.code
"""  # noqa: S608
    return sql, [day, *reg_params, *fc_params, *fw_params]


def _fetch_text(conn: Connection, sql: str, params: list) -> str:
    with transaction(conn) as cur:
        cur.execute(TUNING + sql, params)
        return cur.fetchone()[0]


SOURCES = ("auto", "aggregates", "tables")


def _rows_text(conn: Connection, level: str, flt: MonitoringFilter, parent: str | None, today: date | None,
               wrap: Callable[[str], str], head: list, source: str,
               foreign: ForeignFilter | None) -> tuple[str, date]:
    """`wrap(rows statement)` run with `head` + the rows' parameters, and the day counted on.
    source 'auto': from the aggregates when they can answer (geo.stats.aggregates), else from the
    tables; 'aggregates': only from them (LookupError when they cannot); 'tables': only from the tables.
    The foreign-national columns (geo.stats.foreign) are added unless `foreign` is None: from their
    kept counts when current (migration 0110), by the presence rule otherwise and with 'tables'."""
    if source not in SOURCES:
        raise ValueError(f"source: {source!r}")
    flt, day = _checked(conn, level, flt, parent, today)
    reg_where, reg_params = regions_sql(level, flt, parent)

    def rows(sql: str, params: list) -> tuple[str, list]:
        if foreign is None:
            return sql, params
        sql, f_params = with_counts(sql, level, flt, foreign, parent, day, kept=source != "tables")
        return sql, [*params, *f_params]

    if foreign is not None and source != "tables":
        foreign_counts.prepare(conn, day)

    if source != "tables" and aggregates.covers(level, flt):
        sql, params = rows(*aggregates.rows_sql(level, reg_where, reg_params, flt, parent))
        text = aggregates.read(conn, wrap(sql), [*head, *params], day, TUNING)
        if text is not None:
            return text, day
    if source == "aggregates":
        raise LookupError(f"the aggregates do not answer level {level!r} with {flt} on {day}")
    sql, params = rows(*_tables_sql(level, flt, parent, day, reg_where, reg_params))
    return _fetch_text(conn, wrap(sql), [*head, *params]), day


def _json_rows(sql: str) -> str:
    return f"SELECT coalesce(json_agg(s ORDER BY s.code), '[]'::json)::text FROM ({sql}) s"  # noqa: S608


def region_stats_json(
    conn: Connection, level: str, flt: MonitoringFilter, parent: str | None = None, today: date | None = None,
    *, source: str = "auto", foreign: ForeignFilter | None = None,
) -> tuple[str, date]:
    """The rows of `region_stats` as a JSON array text (built by PostgreSQL), and the day used.
    `source`: where the counts come from (see _rows_text; the same numbers either way)."""
    return _rows_text(conn, level, flt, parent, today, _json_rows, [], source, foreign)


def region_stats(
    conn: Connection, level: str, flt: MonitoringFilter, parent: str | None = None, today: date | None = None,
    *, source: str = "auto", foreign: ForeignFilter | None = None,
) -> list[dict]:
    """Monitoring counts for every region of `level` (province | regency | district | village).

    - `parent`: only regions under this code (districts of 62.02; villages of 62.02.01 or of a
      whole regency). Required for villages. Must be a region of a higher level.
    - One row per region, zeros included; regions outside a scoped filter (`flt.scope`) are absent
      (the province row of a scoped filter counts only the regencies in scope).
    - The user-chosen `regency_code` / `district_code` filters restrict the companies counted, not
      the rows (other regions show zeros); use `parent` to restrict the rows.
    - Companies are those `flt.company_where()` selects (the shared filter, whatever their status).
      They are placed by their computed regency/district/village codes. A company's village is the
      one kept in its row (`companies.village_code`, migration 0100): the village of its district
      covering the point, else that district's nearest village, so a point in a gap between village
      polygons counts in the nearest village (as the foreign nationals it employs do); before,
      such a company counted in no village.
    - Workers: the active workers of those companies (of the filtered nationalities).
    - A worker's permit ends on the earlier of `permit_valid_until` and `itas_valid_until` (the
      known one when only one is; workers with neither count in no permit column):
      `permits_expired` ends before `today`; `permits_expiring_30d` / `_90d` ends between `today`
      and `today + 30` / `+ 90` days inclusive (the 90-day count includes the 30-day one).
    - `rptka_expired` / `rptka_expiring_90d`: companies whose RPTKA is expired / expiring as
      `permit_status()` defines it (before today / within 90 days).
    - `inspections_12m`: inspections dated in (today - 12 months, today]; `not_inspected_12m`:
      companies with none in that window.
    - `by_nationality` {ISO2: workers}, `by_position_level` and `by_sex` ({L, P, unknown}: workers),
      `by_sector` {sector code: companies}; largest first.
    - Foreign nationals (issue 17), only when `foreign` is given (geo.stats.foreign.ALL: no purpose
      or permit filter; they cost more than the workers' counts, so callers that do not show them
      leave them out): `foreign_nationals` present on
      `today`, `foreign_nationals_by_purpose` / `_by_permit` / `_by_nationality`,
      `lodging_guests_30d`, `activities_12m` (None for villages), filtered by `foreign` (purpose,
      permit type) and as geo.stats.foreign says the shared filter applies to them (nationality
      and the regions yes, the company filters no).
    `today` defaults to `flt.today`, then the current date: every count of the row is taken on it.
    `source`: see region_stats_json.
    """
    text, _ = region_stats_json(conn, level, flt, parent, today, source=source, foreign=foreign)
    return json.loads(text)


def region_stats_geojson(
    conn: Connection, level: str, flt: MonitoringFilter, parent: str | None = None, today: date | None = None,
    *, foreign: ForeignFilter | None = None,
) -> str:
    """`region_stats` as a GeoJSON FeatureCollection text for choropleths: each region's polygon,
    simplified for its level (SIMPLIFY, topology-preserving per polygon, 5 decimals), with the
    stats, `name` and `label_point` ([lon, lat] inside the region, for labels) as properties."""
    def wrap(sql: str) -> str:
        return f"""
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
           json_build_object(
               'type', 'Feature', 'id', s.code,
               'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(b.geom, %s), 5)::json,
               'properties', to_jsonb(s) || jsonb_build_object(
                   'label_point', json_build_array(round(ST_X(b.label_point)::numeric, 5),
                                                   round(ST_Y(b.label_point)::numeric, 5))))
           ORDER BY s.code), '[]'::json))::text
  FROM ({sql}) s JOIN boundaries b ON b.code = s.code
"""  # noqa: S608

    return _rows_text(conn, level, flt, parent, today, wrap, [SIMPLIFY[level]], "auto", foreign)[0]
