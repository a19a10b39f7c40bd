"""Where agencies disagree: per company (worker counts, differing reported fields) and per regency.

Built from `company_reports`/`worker_reports`, which keep each agency's last report side by side
(Imigrasi lists 27 workers at a company, Disnakertrans 12: both stay visible). No personal data
leaves here: worker reports are only counted.
"""

from __future__ import annotations

from geo.db import Connection

_COMPANIES = """
WITH worker_counts AS (
    SELECT company_nib AS nib, agency, count(*) AS n FROM worker_reports GROUP BY 1, 2
), counts AS (
    SELECT nib, jsonb_object_agg(agency, n ORDER BY agency) AS by_agency, min(n) <> max(n) AS differ
      FROM worker_counts GROUP BY nib
), field_values AS (
    SELECT cr.company_id, kv.key, jsonb_object_agg(cr.agency, kv.value ORDER BY cr.agency) AS by_agency
      FROM company_reports cr CROSS JOIN LATERAL jsonb_each(cr.reported_values) kv
     GROUP BY cr.company_id, kv.key
    HAVING count(DISTINCT kv.value) > 1
), fields AS (
    SELECT company_id, jsonb_object_agg(key, by_agency ORDER BY key) AS differences FROM field_values GROUP BY 1
)
SELECT c.id, c.nib, c.name, c.regency_code, c.district_code,
       ARRAY(SELECT DISTINCT a FROM (SELECT agency FROM company_reports WHERE company_id = c.id
                                     UNION SELECT agency FROM worker_counts WHERE nib = c.nib) s(a) ORDER BY a),
       coalesce(counts.by_agency, '{}'::jsonb), coalesce(counts.differ, false),
       coalesce(fields.differences, '{}'::jsonb)
  FROM companies c
  LEFT JOIN counts ON counts.nib = c.nib
  LEFT JOIN fields ON fields.company_id = c.id
 WHERE (counts.differ OR fields.differences IS NOT NULL)
   AND (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
   AND (%(regency)s::text IS NULL OR c.regency_code = %(regency)s)
 ORDER BY c.regency_code, c.nib
"""

_REGION_COUNTS = """
SELECT c.regency_code, wr.agency, count(*)
  FROM worker_reports wr JOIN companies c ON c.nib = wr.company_nib
 WHERE (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
 GROUP BY 1, 2
"""


def _params(regencies: tuple[str, ...] | None, regency: str | None) -> dict:
    return {"scope": list(regencies) if regencies is not None else None, "regency": regency}


def company_discrepancies(conn: Connection, regencies: tuple[str, ...] | None = None,
                          regency: str | None = None) -> list[dict]:
    """Companies on which at least two agencies' reports differ, with what differs."""
    with conn.cursor() as cur:
        cur.execute(_COMPANIES, _params(regencies, regency))
        rows = cur.fetchall()
    conn.rollback()
    return [
        {"company_id": cid, "nib": nib, "name": name, "regency_code": reg, "district_code": dist,
         "agencies": list(agencies), "worker_counts": counts, "worker_counts_differ": differ,
         "field_differences": fields}
        for cid, nib, name, reg, dist, agencies, counts, differ, fields in rows
    ]


def region_discrepancies(conn: Connection, regencies: tuple[str, ...] | None = None) -> list[dict]:
    """Per regency: workers reported by each agency and the companies on which agencies disagree."""
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
                      "companies_with_discrepancies": 0, "companies_with_worker_count_difference": 0}
               for code, name in names}
    for code, agency, n in counts:
        if code in regions:
            regions[code]["workers_by_agency"][agency] = n
    for company in companies:
        region = regions.get(company["regency_code"])
        if region:
            region["companies_with_discrepancies"] += 1
            region["companies_with_worker_count_difference"] += int(company["worker_counts_differ"])
    for region in regions.values():
        values = list(region["workers_by_agency"].values())
        region["worker_count_spread"] = (max(values) - min(values)) if len(values) > 1 else 0
    return [r for r in regions.values() if r["workers_by_agency"] or r["companies_with_discrepancies"]]
