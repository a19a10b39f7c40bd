""""Perubahan sejak rakor terakhir": per region, the monitoring figures on the last meeting's day
against a later day (the report's reference day, or today), with the difference.

Figures as of a past day are recomputed from the data's own dates, with the rules the statistics
use (geo.stats), so on the same day they equal /api/stats of that day:

- `companies`: companies recorded by the day (created_at), in the region they lie in now;
- `foreign_workers`: workers recorded by the day and active then: status 'active', or departed /
  deported with their record last changed after the day (the status is not historised, so the
  last change stands for the departure, as in the quarterly series);
- `permits_expired`: those workers whose permit (the earlier of permit and ITAS) ended before the day;
- `rptka_expired`: those companies whose RPTKA ended before the day;
- `inspections_12m`: inspections dated in (day - 12 months, day];
- `foreign_nationals`: persons present on the day (foreign_nationals_present, the statistics' count).

A meeting recorded on its own day keeps that day's figures (migration 0108, `snapshot`); its change
table then starts from them where the report's filter allows (`usable`). Otherwise, what cannot be
recovered as of a past day (docs/meetings-pack.md): deleted companies and workers;
a company's earlier location (it counts where it lies now); a permit renewed since (only its
current end date is kept, so a worker expired then but renewed since counts as not expired then);
a worker whose status changed twice since the day. Counts of persons are suppressed like every
other count of persons in a report (geo.reports.suppress).
"""

from __future__ import annotations

import json
from datetime import date

from geo import clock
from geo.db import Connection, transaction
from geo.filters import MonitoringFilter
from geo.reports.suppress import is_hidden, protect_group
from geo.stats.common import TUNING, companies_sql, regions_sql
from geo.stats.foreign import foreign_counts

# (key, label) in the table's order; persons are suppressed, companies and inspections are not.
FIGURES = (
    ("companies", "Perusahaan"),
    ("foreign_workers", "TKA aktif"),
    ("foreign_nationals", "Orang asing hadir"),
    ("permits_expired", "Izin kerja kedaluwarsa"),
    ("rptka_expired", "RPTKA kedaluwarsa"),
    ("inspections_12m", "Pemeriksaan 12 bln"),
)
PERSON_FIGURES = ("foreign_workers", "foreign_nationals", "permits_expired")
LEVELS = ("regency", "district")


def figures_on(conn: Connection, flt: MonitoringFilter, days: list[date], level: str = "regency",
               parent: str | None = None) -> dict[date, dict[str, dict]]:
    """{day: {region code: {code, name, figure: count}}} for each day, every region of `level`
    under `parent` within the filter's scope (zeros included). One statement for the monitoring
    figures of all days; foreign nationals from the statistics, one call per day."""
    if level not in LEVELS:
        raise ValueError(f"level: {level!r}")
    parent = parent or clock.province()
    reg_where, reg_params = regions_sql(level, flt, parent)
    fc_sql, fc_params = companies_sql(level, flt, parent)
    nat_cond, nat_params = "TRUE", []
    if flt.nationality:
        nat_cond, nat_params = "w.nationality = ANY(%s)", [list(flt.nationality)]
    sql = f"""
WITH d AS (SELECT * FROM unnest(%s::date[]) WITH ORDINALITY AS d(day, k)),
regions AS (SELECT b.code, b.name FROM boundaries b WHERE {reg_where}),
fc AS MATERIALIZED ({fc_sql}),
co AS (
    SELECT fc.region, d.k, count(*) AS companies,
           count(*) FILTER (WHERE fc.rptka_valid_until < d.day) AS rptka_expired
      FROM fc JOIN companies c ON c.id = fc.id JOIN d ON c.created_at::date <= d.day
     GROUP BY 1, 2
),
wk AS (
    SELECT fc.region, d.k, count(*) AS foreign_workers,
           count(*) FILTER (WHERE LEAST(w.permit_valid_until, w.itas_valid_until) < d.day) AS permits_expired
      FROM fc JOIN foreign_workers w ON w.company_id = fc.id
      JOIN d ON w.created_at::date <= d.day AND (w.status = 'active' OR w.updated_at::date > d.day)
     WHERE {nat_cond}
     GROUP BY 1, 2
),
ins AS (
    SELECT fc.region, d.k, count(*) AS inspections_12m
      FROM fc JOIN inspections i ON i.company_id = fc.id
      JOIN d ON i.inspected_on > (d.day - interval '12 months')::date AND i.inspected_on <= d.day
     GROUP BY 1, 2
)
SELECT coalesce(json_agg(json_build_object(
           'k', d.k, 'code', r.code, 'name', r.name,
           'companies', coalesce(co.companies, 0), 'rptka_expired', coalesce(co.rptka_expired, 0),
           'foreign_workers', coalesce(wk.foreign_workers, 0), 'permits_expired', coalesce(wk.permits_expired, 0),
           'inspections_12m', coalesce(ins.inspections_12m, 0)) ORDER BY d.k, r.code), '[]'::json)::text
  FROM d CROSS JOIN regions r
  LEFT JOIN co ON co.region = r.code AND co.k = d.k
  LEFT JOIN wk ON wk.region = r.code AND wk.k = d.k
  LEFT JOIN ins ON ins.region = r.code AND ins.k = d.k
"""  # noqa: S608 - fragments are constants or built by the shared filter
    with transaction(conn) as cur:
        cur.execute(TUNING + sql, [list(days), *reg_params, *fc_params, *nat_params])
        rows = json.loads(cur.fetchone()[0])
    out: dict[date, dict[str, dict]] = {day: {} for day in days}
    for row in rows:
        day = days[row.pop("k") - 1]
        out[day][row["code"]] = row
    for day in dict.fromkeys(days):
        present = foreign_counts(conn, level, flt, parent=parent, today=day)
        for code, row in out[day].items():
            row["foreign_nationals"] = present[code]["foreign_nationals"] if code in present else 0
    return out


def snapshot(conn: Connection, meeting_id: int, held_on: date) -> dict[str, dict] | None:
    """The figures kept when the meeting was recorded on its own day (migration 0108): {district
    code: {figure: count}}, or None (recorded another day, or its date changed since)."""
    with transaction(conn) as cur:
        cur.execute("SELECT held_on, taken_at, figures FROM meeting_snapshots WHERE meeting_id = %s", (meeting_id,))
        row = cur.fetchone()
    if row is None or row[0] != held_on or row[1].astimezone(clock.zone()).date() != held_on:
        return None
    return row[2]


def usable(flt: MonitoringFilter) -> bool:
    """A snapshot holds every record: it answers for the user's scope and a regency, not for the
    user-chosen filters (sector, nationality, RPTKA status or dates, a district)."""
    return not (flt.sector or flt.nationality or flt.permit_status or flt.period_start or flt.period_end
                or flt.district_code)


def _from_snapshot(figures: dict[str, dict], rows: dict[str, dict], level: str) -> dict[str, dict]:
    """The snapshot's districts summed into `rows`' regions (a regency: its districts)."""
    out = {code: {"code": code, "name": row["name"], **dict.fromkeys((k for k, _ in FIGURES), 0)}
           for code, row in rows.items()}
    for district, counts in figures.items():
        code = district if level == "district" else district[:5]
        if code in out:
            for key, _ in FIGURES:
                out[code][key] += int(counts.get(key, 0))
    return out


def _diff(a, b):
    """now - then, or None when either side is hidden."""
    if is_hidden(a) or is_hidden(b) or not isinstance(a, int) or not isinstance(b, int):
        return None
    return b - a


def change_table(conn: Connection, flt: MonitoringFilter, then: date, now: date, *, level: str = "regency",
                 parent: str | None = None, threshold: int | None = None,
                 persons: tuple[str, ...] = PERSON_FIGURES, meeting_id: int | None = None) -> dict:
    """The section's content: `rows` [{code, name, then: {figure: n}, now: {...}, diff: {...}}],
    `total` (the same for all rows), `then`/`now` (the days), `figures` [(key, label)] and `snapshot`
    (whether the meeting's column is the snapshot kept when meeting `meeting_id` was recorded on its
    day, migration 0108, rather than recomputed from the data's dates).
    With a `threshold`, counts of persons of 1..threshold-1 read "<3" in each day's column (with
    the complementary cell of the column, so the total does not give them away) and their
    difference is None. `persons`: the figures suppressed (a report: every count of persons; a page
    for a role without personal access: the foreign nationals, as /api/stats hides them)."""
    kept = snapshot(conn, meeting_id, then) if meeting_id is not None and usable(flt) else None
    per_day = figures_on(conn, flt, [now] if kept is not None else [then, now], level, parent)
    at_now = per_day[now]
    # The meeting's own figures when kept as it was recorded that day, else recomputed.
    at_then = _from_snapshot(kept, at_now, level) if kept is not None else per_day[then]
    rows = [{"code": c, "name": at_now[c]["name"],
             "then": {k: at_then[c][k] for k, _ in FIGURES},
             "now": {k: at_now[c][k] for k, _ in FIGURES}} for c in sorted(at_now)]
    total = {"code": None, "name": "Jumlah",
             "then": {k: sum(r["then"][k] for r in rows) for k, _ in FIGURES},
             "now": {k: sum(r["now"][k] for r in rows) for k, _ in FIGURES}}
    if threshold:
        for side in ("then", "now"):
            for key in persons:
                shown = protect_group([r[side][key] for r in rows], threshold)
                for r, v in zip(rows, shown, strict=True):
                    r[side][key] = v
                total[side][key] = protect_group([total[side][key]], threshold)[0]
    for r in (*rows, total):
        r["diff"] = {k: _diff(r["then"][k], r["now"][k]) for k, _ in FIGURES}
    return {"then": then, "now": now, "level": level, "figures": list(FIGURES), "rows": rows, "total": total,
            "snapshot": kept is not None}
