"""Where agencies disagree: per company (worker counts, differing reported fields) and per regency.

Built from `company_reports`/`worker_reports`, which keep each agency's last report side by side
(Imigrasi lists 27 workers at a company, Disnakertrans 12: both stay visible). No personal data
leaves here: worker reports are only counted.

Each differing field of a company (its worker count `jumlah_tka`, or a reported field) and a region's
worker count is one discrepancy, open until a resolution note (geo.discrepancy_resolutions) records
which figure holds, and open again when the figures change after it.
"""

from __future__ import annotations

from geo import discrepancy_resolutions as notes
from geo.db import Connection

# Read from the facts migration 0109 keeps current (worker_report_counts, company_report_differences):
# aggregating every report per request took minutes at province scale (bench/RESULTS-attention.md).
_COMPANIES = """
SELECT c.id, c.nib, c.name, c.regency_code, c.district_code,
       coalesce((SELECT array_agg(DISTINCT a ORDER BY a)
                   FROM (SELECT agency FROM company_reports WHERE company_id = c.id
                         UNION ALL SELECT jsonb_object_keys(w.by_agency)) x(a)), '{}'),
       coalesce(w.by_agency, '{}'::jsonb), coalesce(w.differ, false),
       coalesce(f.differences, '{}'::jsonb)
  FROM companies c
  LEFT JOIN worker_report_counts w ON w.company_nib = c.nib
  LEFT JOIN company_report_differences f ON f.company_id = c.id
 WHERE c.id = ANY(ARRAY(  -- the few companies with a difference, each found by its key
           SELECT c2.id FROM worker_report_counts w2 JOIN companies c2 ON c2.nib = w2.company_nib WHERE w2.differ
            UNION SELECT company_id FROM company_report_differences))
   AND (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
   AND (%(regency)s::text IS NULL OR c.regency_code = %(regency)s)
   AND (%(company)s::bigint IS NULL OR c.id = %(company)s)
 ORDER BY c.regency_code, c.nib
"""

_REGION_COUNTS = """
SELECT c.regency_code, kv.key, sum(kv.value::bigint)::bigint
  FROM worker_report_counts w JOIN companies c ON c.nib = w.company_nib
 CROSS JOIN LATERAL jsonb_each_text(w.by_agency) kv
 WHERE (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
 GROUP BY 1, 2
"""


def _params(regencies: tuple[str, ...] | None, regency: str | None, company: int | None = None) -> dict:
    return {"scope": list(regencies) if regencies is not None else None, "regency": regency, "company": company}


def _company_items(d: dict) -> list[tuple[str, dict]]:
    items = [(notes.WORKER_COUNT, d["worker_counts"])] if d["worker_counts_differ"] else []
    return items + list(d["field_differences"].items())


def _attach(conn: Connection, kind: str, targets: list[dict], key: str, items, personal: bool) -> None:
    """Each target gains `items` (field, figures, open, resolution, history) and `open`."""
    found = notes.history(conn, kind, [t[key] for t in targets])
    conn.rollback()
    entries = [r for rs in found.values() for r in rs]
    masked = notes.mask_notes(conn, entries) if entries and not personal else {}

    def shown(res: notes.Resolution) -> dict:
        out = res.as_dict()
        out["note"] = masked.get(res.id, res.note)
        return out

    for target in targets:
        target["items"] = []
        for field, figures in items(target):
            st = notes.status(figures, found.get((str(target[key]), field), []))
            target["items"].append({"field": field, "figures": figures, "open": st["open"],
                                    "resolution": shown(st["resolution"]) if st["resolution"] else None,
                                    "history": [shown(r) for r in st["history"]]})
        target["open"] = any(item["open"] for item in target["items"])


def _keep(target: dict, agency: str | None, state: str | None) -> bool:
    """?agency: the agency's own figure is among the differing ones; ?status: open | resolved."""
    items = target["items"]
    if agency:
        items = [i for i in items if agency in i["figures"]]
    if state == "open":
        items = [i for i in items if i["open"]]
    elif state == "resolved":
        items = [i for i in items if not i["open"]]
    return bool(items)


def company_discrepancies(conn: Connection, regencies: tuple[str, ...] | None = None,
                          regency: str | None = None, *, agency: str | None = None, state: str | None = None,
                          company_id: int | None = None, personal: bool = False) -> list[dict]:
    """Companies on which at least two agencies' reports differ, with what differs, each differing
    field as an item that is open or resolved. Resolution notes are masked unless `personal`."""
    with conn.cursor() as cur:
        cur.execute(_COMPANIES, _params(regencies, regency, company_id))
        rows = cur.fetchall()
    conn.rollback()
    found = [
        {"company_id": cid, "nib": nib, "name": name, "regency_code": reg, "district_code": dist,
         "agencies": list(agencies), "worker_counts": counts, "worker_counts_differ": differ,
         "field_differences": fields}
        for cid, nib, name, reg, dist, agencies, counts, differ, fields in rows
    ]
    _attach(conn, "company", found, "company_id", _company_items, personal)
    return [d for d in found if _keep(d, agency, state)]


def _region_items(region: dict) -> list[tuple[str, dict]]:
    return [(notes.WORKER_COUNT, region["workers_by_agency"])] if region["worker_count_spread"] else []


def region_discrepancies(conn: Connection, regencies: tuple[str, ...] | None = None, *, agency: str | None = None,
                         state: str | None = None, personal: bool = False,
                         companies: list[dict] | None = None) -> list[dict]:
    """Per regency: workers reported by each agency and the companies on which agencies disagree;
    the worker count, where agencies differ, is an item that is open or resolved as a company's.
    `companies`: company_discrepancies(conn, regencies) already read (unfiltered), to read them once."""
    regions = _regions(conn, regencies, companies)
    _attach(conn, "region", regions, "regency_code", _region_items, personal)
    if agency or state:
        regions = [r for r in regions if _keep(r, agency, state)]
    return regions


def open_discrepancy_count(conn: Connection, principal) -> int:
    """Open discrepancies in the principal's scope: each differing field of a company or region
    without a resolution note for its current figures counts once."""
    companies = company_discrepancies(conn, principal.regencies)
    regions = region_discrepancies(conn, principal.regencies, companies=companies)
    return sum(1 for t in (*companies, *regions) for i in t["items"] if i["open"])


def resolve(conn: Connection, principal, kind: str, key: str, *, field: str, chosen_agency: str | None = None,
            chosen_value: str | None = None, note: str | None = None, seen: str | None = None) -> int | None:
    """Record which figure holds for one discrepancy in the principal's scope: the note's id, or None
    when there is no such target or field in the scope (the caller answers 404, as if absent)."""
    if kind == "company":
        if not key.isdigit() or int(key) > 2**63 - 1:
            return None
        found = company_discrepancies(conn, principal.regencies, company_id=int(key))
        lock = ("SELECT 1 FROM companies WHERE id = %s FOR UPDATE", (int(key),))
    else:
        found = [r for r in region_discrepancies(conn, principal.regencies) if r["regency_code"] == key]
        lock = ("SELECT pg_advisory_xact_lock(hashtext('discrepancy_resolutions:' || %s))", (key,))
    item = next((i for t in found for i in t["items"] if i["field"] == field), None)
    if item is None:
        return None
    regency = found[0]["regency_code"]
    return notes.record(conn, principal, kind=kind, key=key, regency_code=regency, field=field,
                        figures=item["figures"], seen=seen, chosen_agency=chosen_agency, chosen_value=chosen_value,
                        note=note, lock_sql=lock[0], lock_params=lock[1])


def _regions(conn: Connection, regencies: tuple[str, ...] | None, companies: list[dict] | None) -> list[dict]:
    if companies is None:
        companies = company_discrepancies(conn, regencies)
    with conn.cursor() as cur:
        cur.execute(_REGION_COUNTS, _params(regencies, None))
        counts = cur.fetchall()
        cur.execute("SELECT code, name FROM boundaries WHERE level = 'regency' "
                    "AND (%(scope)s::text[] IS NULL OR code = ANY(%(scope)s::text[])) ORDER BY code",
                    _params(regencies, None))
        names = cur.fetchall()
    conn.rollback()
    regions = {code: {"regency_code": code, "name": name, "workers_by_agency": {}, "worker_count_spread": 0,
                      "companies_with_discrepancies": 0, "companies_with_worker_count_difference": 0,
                      "companies_with_open_discrepancies": 0}
               for code, name in names}
    for code, agency, n in counts:
        if code in regions:
            regions[code]["workers_by_agency"][agency] = n
    for company in companies:
        region = regions.get(company["regency_code"])
        if region:
            region["companies_with_discrepancies"] += 1
            region["companies_with_worker_count_difference"] += int(company["worker_counts_differ"])
            region["companies_with_open_discrepancies"] += int(company["open"])
    for region in regions.values():
        values = list(region["workers_by_agency"].values())
        region["worker_count_spread"] = (max(values) - min(values)) if len(values) > 1 else 0
    return [r for r in regions.values() if r["workers_by_agency"] or r["companies_with_discrepancies"]]
