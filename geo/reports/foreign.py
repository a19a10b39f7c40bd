"""The reports' "Orang asing" section (issue 17): foreign nationals present at the period's end by
purpose, permit type and nationality per regency, lodging guests in the period, and the period's
monitoring activities. Counts only; persons are counted by foreign_nationals_present(d), the one
presence rule. Suppression and masking are applied here, so the renderers only lay it out.

Persons present come from the statistics (geo.stats.foreign, the figures of /api/stats on the
reference day). Lodging guests are counted over the report's period here (the statistics count
30 days), with the same rule for an open check-out. The region filter (the user's scope, the
regency and district) and the nationality filter apply; the company filters (sector, RPTKA status
and dates) do not: they select companies, and most foreign nationals have none (texts.foreign_note
says so in every report).
"""

from __future__ import annotations

from datetime import date

from geo import activity_text, clock
from geo.db import Connection, transaction
from geo.filters import MonitoringFilter
from geo.labels import nationality as nationality_name
from geo.reports.suppress import protect_group, protect_mapping, protect_one
from geo.stats.foreign import PERMIT_TYPES, PURPOSES, UNKNOWN, foreign_region_stats

UNRECORDED = UNKNOWN  # lodging-only guests: no purpose or permit type recorded
UNRECORDED_LABEL = "Tamu penginapan (izin tidak tercatat)"
UNRECORDED_SHORT = "Hanya tamu penginapan"  # the same in a narrow column of the PDF
OTHERS = "lainnya_negara"  # the pooled nationalities of the PDF's table
TOP_NATIONALITIES = 8  # columns of the PDF's nationality table; the XLSX and HTML have every one
LEVEL_COLUMN = {"regency": "regency_code", "district": "district_code"}  # the breakdown of the tables
PERSON_MAPPINGS = ("by_purpose", "by_permit", "by_nationality", "by_nationality_top")


def _where(flt: MonitoringFilter, alias: str, nationality: str | None = None) -> tuple[str, list]:
    """Region (scope, regency, district) and nationality conditions on `alias` (regency_code and
    district_code columns) and `nationality` (a person's nationality column)."""
    conds, params = [], []
    if flt.scope is not None:
        conds.append(f"{alias}.regency_code = ANY(%s)")
        params.append(list(flt.scope))
    if flt.regency_code:
        conds.append(f"{alias}.regency_code = %s")
        params.append(flt.regency_code)
    if flt.district_code:
        conds.append(f"{alias}.district_code = %s")
        params.append(flt.district_code)
    if nationality and flt.nationality:
        conds.append(f"{nationality} = ANY(%s)")
        params.append(list(flt.nationality))
    return " AND ".join(conds) or "TRUE", params


def lodging_guests(conn: Connection, flt: MonitoringFilter, start: date, end: date,
                   level: str = "regency") -> dict[str | None, tuple[int, int]]:
    """{regency or district (None = all): (guests, establishments)} of the lodging stays overlapping
    start..end (no check-out: 30 days, as in the presence rule). A guest is a person, counted once
    per region and once in the total."""
    unit = LEVEL_COLUMN[level]
    where, params = _where(flt, "l", "p.nationality")
    sql = f"""SELECT l.{unit}, count(DISTINCT ls.foreign_national_id), count(DISTINCT l.id)
                FROM lodging_stays ls JOIN lodgings l ON l.id = ls.lodging_id
                JOIN foreign_nationals p ON p.id = ls.foreign_national_id
               WHERE ls.check_in <= %s AND ls.counted_until >= %s AND {where}
               GROUP BY GROUPING SETS ((l.{unit}), ())"""  # noqa: S608 - fixed fragments
    with transaction(conn) as cur:
        cur.execute(sql, [end, start, *params])
        return {r: (int(g), int(e)) for r, g, e in cur.fetchall()}


def activities(conn: Connection, flt: MonitoringFilter, start: date, end: date) -> list[dict]:
    """The monitoring activities held from start to end, oldest first, with their district's name and
    the names of the companies they targeted."""
    where, params = _where(flt, "a")
    sql = f"""SELECT a.id, a.held_on, a.kind, a.district_code, b.name, a.regency_code, a.agencies,
                     coalesce(a.targets, ''), coalesce(a.findings, ''), coalesce(a.follow_up, ''),
                     coalesce((SELECT array_agg(c.name ORDER BY c.name) FROM activity_company_targets t
                                 JOIN companies c ON c.id = t.company_id WHERE t.activity_id = a.id), '{{}}')
                FROM monitoring_activities a JOIN boundaries b ON b.code = a.district_code
               WHERE a.held_on BETWEEN %s AND %s AND {where}
               ORDER BY a.held_on, a.district_code, a.kind, a.id"""  # noqa: S608 - fixed fragments
    with transaction(conn) as cur:
        cur.execute(sql, [start, end, *params])
        rows = cur.fetchall()
    keys = ("id", "held_on", "kind", "district_code", "district", "regency_code", "agencies", "targets",
            "findings", "follow_up", "companies")
    return [dict(zip(keys, r, strict=True)) for r in rows]


# --- assembling the section ---------------------------------------------------------------------
def _add(into: dict[str, int], key: str, n: int) -> None:
    into[key] = into.get(key, 0) + n


def _pooled(counts: dict[str, int], top: list[str]) -> dict[str, int]:
    out = {k: counts.get(k, 0) for k in top}
    rest = sum(v for k, v in counts.items() if k not in top)
    if rest or len(counts) > len(top):
        out[OTHERS] = rest
    return out


def assemble(conn: Connection, flt: MonitoringFilter, units: list[dict], start: date, day: date,
             threshold: int | None, personal: bool, level: str = "regency") -> dict:
    """The section's content: `units` are the report's regions ({code, name}): its regencies, or the
    districts of a one-regency report (level 'district'); `day` its reference day, start..day its
    period so far."""
    regencies = units
    with transaction(conn) as cur:  # in the order of the issue and the statistics, "Lainnya" last
        cur.execute("SELECT code, label FROM stay_purposes ORDER BY array_position(%s, code), code", (list(PURPOSES),))
        purposes = dict(cur.fetchall())
        cur.execute("SELECT code, label FROM permit_types ORDER BY array_position(%s, code), code", (list(PERMIT_TYPES),))
        permits = dict(cur.fetchall())
        cur.execute("SELECT code, label FROM activity_kinds ORDER BY code")
        kinds = dict(cur.fetchall())
    purposes[UNRECORDED] = permits[UNRECORDED] = UNRECORDED_LABEL

    rows = {r["code"]: {"code": r["code"], "name": r["name"], "total": 0, "by_purpose": dict.fromkeys(purposes, 0),
                        "by_permit": dict.fromkeys(permits, 0), "by_nationality": {}} for r in regencies}
    total = {"total": 0, "by_purpose": dict.fromkeys(purposes, 0), "by_permit": dict.fromkeys(permits, 0),
             "by_nationality": {}}
    # The statistics' counts (those of /api/stats/regency on the day): each person in one regency.
    parent = flt.regency_code if level == "district" else clock.province()
    for stat in foreign_region_stats(conn, level, flt, parent=parent, today=day):
        if stat["code"] not in rows:  # a region the report leaves out
            continue
        for target in (rows[stat["code"]], total):
            target["total"] += stat["foreign_nationals"]
            for key, column in (("by_purpose", "foreign_nationals_by_purpose"),
                                ("by_permit", "foreign_nationals_by_permit"),
                                ("by_nationality", "foreign_nationals_by_nationality")):
                for code, n in stat[column].items():
                    _add(target[key], code, n)
    top = sorted(total["by_nationality"], key=lambda k: (-total["by_nationality"][k], k))[:TOP_NATIONALITIES]
    for target in (*rows.values(), total):
        target["by_nationality"] = dict(sorted(target["by_nationality"].items()))
        target["by_nationality_top"] = _pooled(target["by_nationality"], top)
    workers = total["by_purpose"].get("bekerja", 0)

    # Suppression: each row's categories add up to its total; the regencies add up to the province.
    present = list(rows.values())
    for r in (*present, total):
        for key in PERSON_MAPPINGS:
            r[key] = protect_mapping(r[key], threshold)
    for r, v in zip(present, protect_group([r["total"] for r in present], threshold), strict=True):
        r["total"] = v
    total["total"] = protect_one(total["total"], threshold)

    guests = lodging_guests(conn, flt, start, day, level)
    lodging = [{"code": r["code"], "name": r["name"], "guests": guests.get(r["code"], (0, 0))[0],
                "establishments": guests.get(r["code"], (0, 0))[1]} for r in regencies]
    for r, v in zip(lodging, protect_group([r["guests"] for r in lodging], threshold), strict=True):
        r["guests"] = v  # establishments are businesses, not persons: never hidden
    lodging_total = {"guests": protect_one(guests.get(None, (0, 0))[0], threshold),
                     "establishments": guests.get(None, (0, 0))[1]}

    acts = activities(conn, flt, start, day)
    if not personal:  # the same masking as the activities' collection and exports
        activity_text.mask_rows(conn, acts, [a["id"] for a in acts])
    per_kind = {r["code"]: {"code": r["code"], "name": r["name"], **dict.fromkeys(kinds, 0)} for r in regencies}
    for a in acts:
        if a[LEVEL_COLUMN[level]] in per_kind:
            per_kind[a[LEVEL_COLUMN[level]]][a["kind"]] += 1

    return {
        "reference_day": day, "start": start, "level": level,
        "purposes": purposes, "permit_types": permits, "activity_kinds": kinds,
        "nationalities": {k: nationality_name(k) for k in total["by_nationality"]},
        "top_nationalities": top,
        "present": present, "present_total": total, "workers": protect_one(workers, threshold),
        "lodging": lodging, "lodging_total": lodging_total,
        "activities": acts, "activities_by_kind": list(per_kind.values()),
        "activities_total": {k: sum(1 for a in acts if a["kind"] == k) for k in kinds},
    }
