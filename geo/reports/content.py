"""Assemble a report's content: gather the data, apply suppression, add the meta and the hash."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from geo import clock, redaction
from geo.db import Connection
from geo.reports import data as gather
from geo.reports import discrepancy_table, followup, foreign
from geo.reports.hashing import content_hash
from geo.reports.period import Quarter
from geo.reports.suppress import protect_group, protect_mapping, protect_one

# Columns that count persons: suppressed. Company counts are not personal data.
PERSON_COLUMNS = ("foreign_workers", "permits_expired", "permits_expiring_30d", "permits_expiring_90d")


@dataclass(frozen=True)
class Options:
    period: Quarter
    flt: object  # MonitoringFilter, already scoped to the asking user
    threshold: int | None = 3  # None = no suppression
    agency: str = "kesbangpol"
    personal: bool = False  # include named worker rows and unmasked free text (caller checked the role)
    issued: object = None  # date on the cover; default the day of `now`
    now: datetime | None = None  # the moment the figures are read ('data per'); default geo.clock.as_of()
    # The meeting pack follows the meetings this agency sees (geo.meetings.store's rule); None = every one.
    meetings_of: str | None = None


def _protect_columns(rows: list[dict], key_of_group, threshold: int | None) -> None:
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(key_of_group(row), []).append(row)
    for members in groups.values():
        for col in PERSON_COLUMNS:
            if col in members[0]:
                published = protect_group([m[col] for m in members], threshold)
                for m, value in zip(members, published, strict=True):
                    m[col] = value


PERSON_BREAKDOWNS = ("by_nationality", "by_position_level", "by_sex")  # by_sector counts companies


def _protect_regions(rows: list[dict], threshold: int | None, by_parent: bool) -> list[dict]:
    for row in rows:
        for key in PERSON_BREAKDOWNS:
            row[key] = protect_mapping(row[key], threshold)
    _protect_columns(rows, (lambda r: r["parent_code"]) if by_parent else (lambda r: ""), threshold)
    return rows


def _totals(raw_regencies: list[dict]) -> dict:
    out = {col: sum(r[col] for r in raw_regencies) for col in gather.REGION_COUNTS}
    for key in gather.BREAKDOWNS:
        merged: dict[str, int] = {}
        for r in raw_regencies:
            for k, v in r[key].items():
                merged[k] = merged.get(k, 0) + v
        out[key] = dict(sorted(merged.items()))
    out["regencies_with_workers"] = sum(1 for r in raw_regencies if r["foreign_workers"] > 0)
    return out


def assemble(conn: Connection, opts: Options) -> dict:
    # One moment for the whole report: its "data per" and, in the province's time zone, the day
    # permit states are counted on (the day the home page and /api/stats use at that moment).
    as_of = opts.now or clock.as_of()
    today = gather.reference_day(opts.period, as_of)
    flt = replace(opts.flt, today=today)
    scope = gather.Scope(flt, opts.period, today, as_of)
    t = opts.threshold

    regencies = gather.regions(conn, scope, "regency")
    districts = gather.regions(conn, scope, "district")
    sums = _totals(regencies)
    names = {r["code"]: r["name"] for r in regencies}
    api = gather.totals(conn, scope)  # the figures of /api/stats/summary
    companies = gather.companies(conn, scope)
    quarterly = gather.quarterly(conn, scope)
    inspections = gather.inspections(conn, scope)
    if not opts.personal:  # follow-up text may name workers: masked for every other audience
        redaction.mask_rows(conn, inspections, fields=("follow_up",))

    summary = {k: (protect_one(api[k], t) if k in PERSON_COLUMNS else api[k])
               for k in gather.REGION_COUNTS if k in api}
    summary["inspections_12m"] = sums["inspections_12m"]
    summary["regencies_with_workers"] = sums["regencies_with_workers"]
    summary["inspections_period"] = len(inspections)
    summary["findings_period"] = sum(1 for i in inspections if i["finding"] != "none")
    summary["by_nationality"] = protect_mapping({k: int(v) for k, v in api["by_nationality"].items()}, t)
    summary["by_sector"] = sums["by_sector"]
    for key in ("by_position_level", "by_sex"):
        summary[key] = protect_mapping(sums[key], t)
    summary["nationalities"] = len(api["by_nationality"])

    _protect_columns(companies, lambda c: c["district_code"], t)
    for q in quarterly:
        q["active_workers"] = protect_one(q["active_workers"], t)

    content = {
        "meta": {
            "period": str(opts.period), "period_label": opts.period.label,
            "period_start": opts.period.start, "period_end": opts.period.end,
            "reference_day": today, "data_as_of": as_of, "last_change": gather.data_timestamp(conn),
            "window": opts.period.until(today).label,
            "issued": opts.issued or as_of.date(),
            "agency": opts.agency, "agency_name": gather.agency_name(conn, opts.agency),
            "filter": flt.as_query(), "scope": list(flt.scope) if flt.scope is not None else None,
            "regency": flt.regency_code, "threshold": t, "personal": opts.personal,
            # names of what the report covers, for its title and "cakupan" (codes are not for readers)
            "region_name": names.get(flt.regency_code) if flt.regency_code else None,
            "scope_names": [names.get(code, code) for code in flt.scope] if flt.scope is not None else None,
            "boundaries": gather.boundary_version(conn),
        },
        "summary": summary,
        "regencies": _protect_regions(regencies, t, by_parent=False),
        "districts": _protect_regions(districts, t, by_parent=True),
        "sector_labels": gather.sector_labels(conn),
        "companies": companies,
        "quarterly": quarterly,
        "inspections": inspections,
        # Foreign nationals in general (issue 17): present at the reference day, lodging guests and
        # monitoring activities of the period, per regency (per district in a one-regency report).
        "foreign": foreign.assemble(
            conn, flt, [{"code": r["code"], "name": r["name"]} for r in
                        ([d for d in districts if d["parent_code"] == flt.regency_code] if flt.regency_code else regencies)],
            opts.period.start, today, t, opts.personal, "district" if flt.regency_code else "regency"),
    }
    # The meeting pack's opening sections (issue 19): follow-up of the last meeting, changes since it.
    content["pack"] = followup.assemble(conn, flt, today, t, opts.personal, opts.meetings_of)
    if opts.personal:
        content["workers"] = gather.workers(conn, scope)
    comparison = gather.comparison(conn, scope)
    for side in ("current", "previous"):
        comparison[side]["active_workers"] = protect_one(comparison[side]["active_workers"], t)
    content["comparison"] = comparison
    # Where agencies disagree: open on the reference day, and the resolutions of the period (#18).
    content["discrepancies"] = discrepancy_table.assemble(conn, flt.scope, flt.regency_code, opts.period.start,
                                                          today, opts.personal)
    # The hash covers the data, the options and the reference day, not the minute it was made:
    # the same data on the same day gives the same hash.
    content["meta"]["hash"] = content_hash({**content, "meta": {k: v for k, v in content["meta"].items()
                                                                 if k != "data_as_of"}})
    return content
