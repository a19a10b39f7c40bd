"""What a company sheet shows, read once: the company, its workers aggregated (counts of persons
suppressed like the reports' unless the sheet is made with personal data), the named workers only
with personal data, and its inspections with the follow-up masked without personal data."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from geo import records, redaction
from geo.db import Connection
from geo.reports import data as gather
from geo.reports.hashing import content_hash
from geo.reports.suppress import protect_mapping, protect_one

PERMIT_KEYS = ("valid", "expiring", "expired", "unknown")


@dataclass(frozen=True)
class SheetOptions:
    company_id: int
    regencies: tuple[str, ...] | None  # the asking user's scope (None = the whole province)
    personal: bool = False  # named workers and unmasked follow-up (the caller checked the role)
    threshold: int | None = 3  # None = no suppression


def gather_sheet(conn: Connection, opts: SheetOptions) -> dict | None:
    """The sheet's content, or None when the company is absent or outside the scope."""
    company = records.company_detail(conn, opts.company_id, opts.regencies)
    if company is None:
        return None
    workers = records.company_workers(conn, opts.company_id, opts.personal)
    active = [w for w in workers if w["status"] == "active"]
    t = None if opts.personal else opts.threshold  # a named list would give the counts away anyway
    permits = Counter(w["permit_status"] or "unknown" for w in active)
    aggregates = {
        "active": protect_one(len(active), t),
        "by_nationality": protect_mapping(dict(Counter(w["nationality"] for w in active)), t),
        "by_position_level": protect_mapping(dict(Counter(w["position_level"] or "" for w in active)), t),
        "by_sex": protect_mapping(dict(Counter(w["sex"] or "" for w in active)), t),
        "by_permit": protect_mapping({k: permits.get(k, 0) for k in PERMIT_KEYS}, t),
        "inactive": protect_one(len(workers) - len(active), t),
    }
    inspections = records.company_inspections(conn, opts.company_id, include_personal=True)
    for row in inspections:
        row.pop("notes", None)  # the sheet, like the reports, carries no notes
    if not opts.personal:  # follow-up may name workers: masked, as on the company page for viewers
        redaction.mask_rows(conn, inspections, fields=("follow_up",))
    keys = ("id", "nib", "name", "sector", "sector_label", "kbli", "address", "status", "regency_code", "regency_name", "district_code", "district_name", "location_mismatch",
            "rptka_valid_until", "permit_status")
    content = {
        "meta": {"data_as_of": gather.data_timestamp(conn), "personal": opts.personal, "threshold": t},
        "company": {**{k: company.get(k) for k in keys}, **company["location"]},
        "workers": aggregates,
        "inspections": [{k: row[k] for k in ("inspected_on", "team", "finding", "follow_up", "status")}
                        for row in inspections],
    }
    if opts.personal:
        content["named"] = [{k: w.get(k) for k in ("full_name", "passport_number", "itas_number", "nationality",
                                                   "position", "position_level", "permit_valid_until",
                                                   "itas_valid_until", "status")} for w in workers]
    content["meta"]["hash"] = content_hash(content)
    return content
