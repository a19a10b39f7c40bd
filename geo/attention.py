"""What needs attention ("Perlu perhatian"): for a user's regencies and agency, the permits running
out, the workers still active on an expired permit, the companies not inspected for a year, the
inspection findings nobody followed up, the agencies' open discrepancies and the overdue meeting
recommendations. Used by the home page, GET /api/attention, the /attention pages and the e-mail digest.

Each kind is one SQL row source; its count and its list come from the same statement, so the home
page's number is the length of the list its link opens. The definitions are the statistics' own
(geo/stats/common.py, geo/stats/regions.py), so the list agrees with the maps and the reports:
- a worker counts while `status = 'active'`; the worker's permit ends on the earlier of
  `permit_valid_until` and `itas_valid_until` (the known one when only one is); "within 30/90 days"
  is today..today+30/90 inclusive (the 90-day list includes the 30-day one), "expired" before today;
- a company's RPTKA is `companies.rptka_valid_until`, "within 90 days" what permit_status() calls
  'expiring'; companies count whatever their status, as in the statistics;
- "not inspected in 12 months": no inspection dated in (today - 12 months, today], never inspected included;
- "finding without follow-up": an inspection with a finding other than 'none', not closed, and no
  follow-up text.

The three worker counts come from the statistics' kept per-company counts (geo.stats.aggregates:
the same definitions, counted on the province's today) when they are current, so the home page does
not read every active worker; otherwise, and for the lists, from the tables.

Items carry no personal data for anyone (worker records name the position, nationality and company,
never the person); viewers get counts only. The /attention/{kind} page adds names for roles allowed them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Protocol

from geo import discrepancies
from geo.db import Connection, transaction
from geo.meetings import store as meetings
from geo.stats import aggregates

RECORDS_MAX = 5  # an item lists its records when there are at most this many
PAGE_MAX = 1000  # rows an /attention/{kind} page lists


class Asker(Protocol):
    """Who asks (api.security.Principal has these)."""

    role: str
    agency: str
    regencies: tuple[str, ...] | None

    @property
    def can_see_personal(self) -> bool: ...


@dataclass(frozen=True)
class AttentionRecord:
    id: int
    name: str  # never a person's name
    date: date | None
    link: str


@dataclass(frozen=True)
class AttentionItem:
    kind: str
    label: str  # Bahasa Indonesia
    count: int
    link: str  # the page listing the records
    severity: str  # high | medium | low
    unit: str  # what is counted, Bahasa Indonesia ("pekerja", "perusahaan", ...)
    records: tuple[AttentionRecord, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["records"] = [{**r, "date": r["date"].isoformat() if r["date"] else None} for r in out["records"]]
        return out


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    unit: str
    severity: str
    subject: str  # workers | companies | inspections | discrepancies | recommendations
    condition: str = ""  # on the subject's row source (see _SOURCES)


KINDS: tuple[Kind, ...] = (
    Kind("permits_expired_active", "TKA masih aktif dengan izin kedaluwarsa", "pekerja", "high", "workers",
         "x.day < %(today)s"),
    Kind("permits_expiring_30d", "Izin kerja/ITAS TKA berakhir dalam 30 hari", "pekerja", "high", "workers",
         "x.day BETWEEN %(today)s AND %(today)s + 30"),
    Kind("permits_expiring_90d", "Izin kerja/ITAS TKA berakhir dalam 90 hari", "pekerja", "medium", "workers",
         "x.day BETWEEN %(today)s AND %(today)s + 90"),
    Kind("rptka_expiring_30d", "RPTKA perusahaan berakhir dalam 30 hari", "perusahaan", "high", "companies",
         "x.day BETWEEN %(today)s AND %(today)s + 30"),
    Kind("rptka_expiring_90d", "RPTKA perusahaan berakhir dalam 90 hari", "perusahaan", "medium", "companies",
         "permit_status(x.day, %(today)s) = 'expiring'"),
    Kind("not_inspected_12m", "Perusahaan belum diperiksa dalam 12 bulan", "perusahaan", "medium", "not_inspected"),
    Kind("findings_without_follow_up", "Temuan pemeriksaan tanpa tindak lanjut", "pemeriksaan", "high", "findings"),
    Kind("open_discrepancies", "Perbedaan data antarinstansi yang belum diselesaikan", "perusahaan", "medium",
         "discrepancies"),
    Kind("overdue_recommendations", "Rekomendasi rakor melewati tenggat", "rekomendasi", "high", "recommendations"),
)
BY_CODE = {k.code: k for k in KINDS}

_COMPANY_SCOPE = ("(%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[])) "
                  "AND (%(regency)s::text IS NULL OR c.regency_code = %(regency)s)")

# Each subject's rows: id, company_id, company_name, regency_code, day (the date that matters) and
# what the list shows. Placeholders: {scope} (above), {personal} (extra columns for roles allowed them).
_SOURCES = {
    "workers": f"""
SELECT w.id, c.id AS company_id, c.name AS company_name, c.regency_code,
       LEAST(w.permit_valid_until, w.itas_valid_until) AS day,
       w.nationality, w.position, w.permit_valid_until, w.itas_valid_until{{personal}}
  FROM foreign_workers w JOIN companies c ON c.id = w.company_id
 WHERE w.status = 'active' AND {_COMPANY_SCOPE}""",  # noqa: S608 - constants
    "companies": f"""
SELECT c.id, c.id AS company_id, c.name AS company_name, c.regency_code, c.rptka_valid_until AS day, c.sector
  FROM companies c WHERE {_COMPANY_SCOPE}""",  # noqa: S608 - constants
    "not_inspected": f"""
SELECT c.id, c.id AS company_id, c.name AS company_name, c.regency_code,
       (SELECT max(i.inspected_on) FROM inspections i
         WHERE i.company_id = c.id AND i.inspected_on <= %(today)s) AS day, c.sector
  FROM companies c
 WHERE {_COMPANY_SCOPE}
   AND NOT EXISTS (SELECT 1 FROM inspections i WHERE i.company_id = c.id
                      AND i.inspected_on > (%(today)s - interval '12 months')::date AND i.inspected_on <= %(today)s)""",  # noqa: S608 - constants
    "findings": f"""
SELECT i.id, c.id AS company_id, c.name AS company_name, c.regency_code, i.inspected_on AS day,
       i.finding, i.status, i.team
  FROM inspections i JOIN companies c ON c.id = i.company_id
 WHERE {_COMPANY_SCOPE}
   AND i.finding <> 'none' AND i.status <> 'closed' AND coalesce(btrim(i.follow_up), '') = ''
   AND i.inspected_on <= %(today)s""",  # noqa: S608 - constants
}


def _recommendations_source(conn: Connection) -> str | None:
    """Overdue recommendations (geo.meetings: recommendation_overdue()): those the user's agency is
    responsible for (Kesbangpol, the coordinator, and admins: every agency's), within the user's
    regions as the meetings' pages scope them. None before migration 0101 is applied."""
    with transaction(conn) as cur:
        cur.execute("SELECT to_regclass('recommendations') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
    return f"""
SELECT r.id, NULL::bigint AS company_id, NULL::text AS company_name,
       (SELECT min(left(g, 5)) FROM unnest(r.regions) g) AS regency_code, r.due_date AS day,
       r.meeting_id, r.text, r.agency, r.status
  FROM recommendations r
 WHERE recommendation_overdue(r.due_date, r.status, %(today)s)
   AND (%(agency)s::text IS NULL OR r.agency = %(agency)s)
   AND {meetings.REC_IN_SCOPE}
   AND (%(regency)s::text IS NULL OR cardinality(r.regions) = 0
        OR EXISTS (SELECT 1 FROM unnest(r.regions) g WHERE left(g, 5) = %(regency)s))"""  # noqa: S608 - constants


def _params(asker: Asker, today: date, regency: str | None = None) -> dict:
    return {"today": today, "regency": regency,
            "scope": list(asker.regencies) if asker.regencies is not None else None,
            "agency": None if meetings.sees_all(asker) else asker.agency}


def _rows_sql(kind: Kind, rec_source: str | None, personal: bool = False) -> str | None:
    if kind.subject == "recommendations":
        return rec_source
    source = _SOURCES[kind.subject].replace("{personal}", ", w.full_name" if personal else "")
    where = f" WHERE {kind.condition}" if kind.condition else ""
    return f"SELECT * FROM ({source}) x{where}"  # noqa: S608 - constants only


def _discrepancies(conn: Connection, asker: Asker, regency: str | None) -> list[dict]:
    """One row per open discrepancy (a differing field of a company, or a regency's worker count,
    without a resolution note for its current figures), as geo.discrepancies counts them; the
    companies' discrepancies read once (the regions reuse them)."""
    companies = discrepancies.company_discrepancies(conn, asker.regencies)
    regions = discrepancies.region_discrepancies(conn, asker.regencies, companies=companies)
    out = []
    for c in companies:
        if regency is None or c["regency_code"] == regency:
            out += [{"id": c["company_id"], "company_id": c["company_id"], "company_name": c["name"],
                     "regency_code": c["regency_code"], "day": None, "field": i["field"], "figures": i["figures"]}
                    for i in c["items"] if i["open"]]
    for r in regions:
        if regency is None or r["regency_code"] == regency:
            out += [{"id": 0, "company_id": None, "company_name": None, "regency_code": r["regency_code"],
                     "region_name": r["name"], "day": None, "field": i["field"], "figures": i["figures"]}
                    for i in r["items"] if i["open"]]
    return out


# The worker kinds as sums of stats_worker_counts (migration 0090: active workers per company's
# regency; a permit ends on the earlier of its two dates; buckets on the counted day).
_WORKER_SUMS = {
    "permits_expired_active": "k.permits_expired",
    "permits_expiring_30d": "k.permits_30d",
    "permits_expiring_90d": "k.permits_30d + k.permits_31_90d",
}


def _worker_counts_kept(conn: Connection, asker: Asker, today: date, regency: str | None,
                        group: list[Kind]) -> dict[str, int] | None:
    """The worker kinds of `group` from the statistics' kept counts; None when these cannot answer
    for `today` (geo.stats.aggregates.read: not current, or another day)."""
    columns = ", ".join(f"'{k.code}', coalesce(sum({_WORKER_SUMS[k.code]}), 0)" for k in group)
    statement = (f"SELECT json_build_object({columns})::text FROM stats_worker_counts k "  # noqa: S608 - constants
                 "WHERE (%s::text[] IS NULL OR k.regency_code = ANY(%s::text[])) "
                 "AND (%s::text IS NULL OR k.regency_code = %s)")
    scope = list(asker.regencies) if asker.regencies is not None else None
    text = aggregates.read(conn, statement, [scope, scope, regency, regency], today)
    return None if text is None else {code: int(n) for code, n in json.loads(text).items()}


def counts(conn: Connection, asker: Asker, today: date, regency: str | None = None,
           kinds: tuple[Kind, ...] = KINDS, *, kept: bool = True) -> dict[str, int]:
    """The counts of `kinds` in one statement, one pass over each subject's rows (the three worker
    kinds share one scan of the workers, or come from the kept counts unless `kept` is False); the
    discrepancies from geo.discrepancies."""
    rec_source = _recommendations_source(conn)
    out: dict[str, int] = {}
    worker_kinds = [k for k in kinds if k.subject == "workers"]
    if kept and worker_kinds:
        from_kept = _worker_counts_kept(conn, asker, today, regency, worker_kinds)
        if from_kept is not None:
            out.update(from_kept)
            kinds = tuple(k for k in kinds if k.subject != "workers")
    by_subject: dict[str, list[Kind]] = {}
    for kind in kinds:
        if kind.subject != "discrepancies" and (kind.subject != "recommendations" or rec_source):
            by_subject.setdefault(kind.subject, []).append(kind)
    parts = []
    for subject, group in by_subject.items():
        source = rec_source if subject == "recommendations" else _SOURCES[subject].replace("{personal}", "")
        columns = ", ".join(f"count(*) FILTER (WHERE {k.condition or 'TRUE'}) AS {k.code}" for k in group)
        parts.append(f"(SELECT {columns} FROM ({source}) x) {subject}")  # noqa: S608 - constants
    if parts:
        with transaction(conn) as cur:
            cur.execute("SET LOCAL jit = off; SELECT * FROM " + ", ".join(parts),  # noqa: S608 - constants
                        _params(asker, today, regency))
            row = cur.fetchone()
            out.update({d.name: int(n) for d, n in zip(cur.description, row, strict=True)})
    if any(k.subject == "discrepancies" for k in kinds):
        out["open_discrepancies"] = len(_discrepancies(conn, asker, regency))
    return out


def rows(conn: Connection, asker: Asker, kind: str, today: date, *, regency: str | None = None,
         limit: int = PAGE_MAX, personal: bool = False) -> list[dict]:
    """The records of one kind, the most urgent first (earliest date; never-inspected first).
    `personal`: add the worker's full name (only for roles allowed it; the caller audits the read)."""
    k = BY_CODE[kind]
    if k.subject == "discrepancies":
        return _discrepancies(conn, asker, regency)[:limit]
    sql = _rows_sql(k, _recommendations_source(conn), personal and asker.can_see_personal)
    if sql is None:
        return []
    with transaction(conn) as cur:
        cur.execute(f"SET LOCAL jit = off; {sql} ORDER BY day NULLS FIRST, id LIMIT %(limit)s",
                    {**_params(asker, today, regency), "limit": limit})
        names = [d.name for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def available(conn: Connection) -> tuple[Kind, ...]:
    """The kinds this database can answer (recommendations only once migration 0101 is applied)."""
    has_recs = _recommendations_source(conn) is not None
    return tuple(k for k in KINDS if k.subject != "recommendations" or has_recs)


def record_link(kind: Kind, row: dict) -> str:
    if kind.subject == "recommendations":
        return f"/meetings/{row['meeting_id']}/recommendations/{row['id']}"
    if row["company_id"] is None:  # a regency's worker count (discrepancies)
        return f"/discrepancies?regency_code={row['regency_code']}&status=open"
    return f"/companies/{row['company_id']}"


def record_name(kind: Kind, row: dict) -> str:
    """A record's short name without personal data."""
    if kind.subject == "workers":
        return f"{row['position']} ({row['nationality']}) · {row['company_name']}"
    if kind.subject == "recommendations":
        text = " ".join(row["text"].split())
        return text if len(text) <= 80 else text[:79] + "…"
    if kind.subject == "discrepancies":
        return f"{row['company_name'] or row['region_name']}: {row['field']}"
    return row["company_name"]


def attention_items(conn: Connection, asker: Asker, today: date) -> list[AttentionItem]:
    """The attention list of `asker` on `today`, one item per kind this database holds (zeros
    included, in KINDS order). Roles other than viewer get the records of items with at most
    RECORDS_MAX of them."""
    numbers = counts(conn, asker, today)
    items = []
    for kind in available(conn):
        n = numbers.get(kind.code, 0)
        records: tuple[AttentionRecord, ...] = ()
        if asker.role != "viewer" and 0 < n <= RECORDS_MAX:
            records = tuple(AttentionRecord(int(r["id"]), record_name(kind, r), r["day"], record_link(kind, r))
                            for r in rows(conn, asker, kind.code, today, limit=RECORDS_MAX))
        items.append(AttentionItem(kind.code, kind.label, n, f"/attention/{kind.code}", kind.severity, kind.unit,
                                   records))
    return items
