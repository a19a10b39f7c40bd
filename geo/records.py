"""Single records as the API and pages show them: a company with its context, its workers (with or
without personal data), its inspections, one worker, one inspection.

Scope: a record belongs to the regency of its company (`companies.regency_code`, computed from the
location). Functions taking `regencies` return None for records outside it, exactly as for absent
ones, so a scoped user cannot even learn that a record exists elsewhere.
"""

from __future__ import annotations

from typing import Any

from geo import clock, redaction
from geo.db import Connection, transaction

# Worker fields that are personal data (UU 27/2022); only for roles that may see them.
PERSONAL_FIELDS = ("full_name", "passport_number", "itas_number")

_SCOPE = "(%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))"


def _rows(cur) -> list[dict[str, Any]]:
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _one(cur) -> dict[str, Any] | None:
    rows = _rows(cur)
    return rows[0] if rows else None


def _scope(regencies) -> list[str] | None:
    return list(regencies) if regencies is not None else None


def company_regency(conn: Connection, company_id: int) -> str | None:
    """The regency a company lies in (None when it does not exist): the basis of every scope check."""
    with transaction(conn) as cur:
        cur.execute("SELECT regency_code FROM companies WHERE id = %s", (company_id,))
        row = cur.fetchone()
    return row[0] if row else None


_COMPANY_SQL = """
SELECT c.id, c.nib, c.name, c.sector, s.label AS sector_label, s.kemnaker_group,
       c.kbli, c.address, c.status,
       ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
       c.regency_code, r.name AS regency_name, c.district_code, d.name AS district_name,
       c.location_method, c.location_distance_m,
       c.declared_regency, c.declared_district, c.location_mismatch,
       c.rptka_valid_until, permit_status(c.rptka_valid_until, %(today)s) AS permit_status,
       c.created_at, c.updated_at, c.version,
       COALESCE((SELECT jsonb_object_agg(n.nationality, n.workers ORDER BY n.nationality)
                   FROM (SELECT w.nationality, count(*) AS workers FROM foreign_workers w
                          WHERE w.company_id = c.id AND w.status = 'active'
                          GROUP BY w.nationality) n), '{}'::jsonb) AS workers_by_nationality
  FROM companies c
  JOIN sectors s ON s.code = c.sector
  LEFT JOIN boundaries r ON r.code = c.regency_code
  LEFT JOIN boundaries d ON d.code = c.district_code
 WHERE c.id = %(id)s
   AND (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
"""


def company_detail(conn: Connection, company_id: int, regencies) -> dict[str, Any] | None:
    """A company with sector label, region names, declared vs computed location, RPTKA permit
    status and active workers by nationality; None when absent or outside `regencies`."""
    with transaction(conn) as cur:
        cur.execute(_COMPANY_SQL, {"id": company_id, "scope": _scope(regencies), "today": clock.today()})
        row = _one(cur)
    if row is None:
        return None
    by_nat = row.pop("workers_by_nationality")
    return {
        "id": row["id"], "nib": row["nib"], "name": row["name"],
        "sector": row["sector"], "sector_label": row["sector_label"], "kemnaker_group": row["kemnaker_group"],
        "kbli": row["kbli"], "address": row["address"], "status": row["status"],
        "location": {"lon": row["lon"], "lat": row["lat"]},
        "regency_code": row["regency_code"], "regency_name": row["regency_name"],
        "district_code": row["district_code"], "district_name": row["district_name"],
        "computed_location": {
            "regency_code": row["regency_code"], "district_code": row["district_code"],
            "method": row["location_method"], "distance_m": row["location_distance_m"],
        },
        "declared_location": {"regency": row["declared_regency"], "district": row["declared_district"]},
        "location_mismatch": row["location_mismatch"],
        "rptka_valid_until": row["rptka_valid_until"], "permit_status": row["permit_status"],
        "workers_active": sum(by_nat.values()), "workers_by_nationality": by_nat,
        "created_at": row["created_at"], "updated_at": row["updated_at"], "version": row["version"],
    }


def _worker_columns(include_personal: bool) -> str:
    personal = "w.full_name, w.passport_number, w.itas_number, " if include_personal else ""
    return (
        "w.id, w.company_id, " + personal + "w.nationality, w.sex, w.position, w.position_level, "
        "w.rptka_number, w.permit_valid_until, permit_status(w.permit_valid_until, %(today)s) AS permit_status, "
        "w.itas_valid_until, permit_status(w.itas_valid_until, %(today)s) AS itas_status, "
        "w.work_site_district_code, sd.name AS work_site_district_name, "
        "ST_X(w.work_site) AS work_site_lon, ST_Y(w.work_site) AS work_site_lat, "
        "w.status, w.updated_at, w.version"
    )


def company_workers(conn: Connection, company_id: int, include_personal: bool) -> list[dict[str, Any]]:
    """The company's workers. Without `include_personal` no name, passport or ITAS number is even
    selected. The caller checks the company's scope first (company_detail / company_regency)."""
    sql = (
        f"SELECT {_worker_columns(include_personal)} FROM foreign_workers w "  # noqa: S608 - fixed columns
        "LEFT JOIN boundaries sd ON sd.code = w.work_site_district_code "
        "WHERE w.company_id = %(id)s ORDER BY w.id"
    )
    with transaction(conn) as cur:
        cur.execute(sql, {"id": company_id, "today": clock.today()})
        return _rows(cur)


def worker_detail(conn: Connection, worker_id: int, regencies, include_personal: bool) -> dict[str, Any] | None:
    sql = (
        f"SELECT {_worker_columns(include_personal)}, c.name AS company_name, c.regency_code "  # noqa: S608
        "FROM foreign_workers w JOIN companies c ON c.id = w.company_id "
        "LEFT JOIN boundaries sd ON sd.code = w.work_site_district_code "
        f"WHERE w.id = %(id)s AND {_SCOPE}"
    )
    with transaction(conn) as cur:
        cur.execute(sql, {"id": worker_id, "scope": _scope(regencies), "today": clock.today()})
        return _one(cur)


_INSPECTION_COLUMNS = (
    "i.id, i.company_id, i.inspected_on, i.team, i.finding, i.notes, i.follow_up, i.status, "
    "i.created_at, i.updated_at, i.version"
)


def company_inspections(conn: Connection, company_id: int, include_personal: bool = False) -> list[dict[str, Any]]:
    """The company's field inspections, newest first. The caller checks the company's scope.
    Without `include_personal` the free text is masked (geo.redaction): it may name workers."""
    with transaction(conn) as cur:
        cur.execute(
            f"SELECT {_INSPECTION_COLUMNS} FROM inspections i "  # noqa: S608 - fixed columns
            "WHERE i.company_id = %s ORDER BY i.inspected_on DESC, i.id DESC",
            (company_id,),
        )
        rows = _rows(cur)
    return rows if include_personal else redaction.mask_rows(conn, rows)


def inspection_detail(conn: Connection, inspection_id: int, regencies,
                      include_personal: bool = False) -> dict[str, Any] | None:
    """One inspection; free text masked without `include_personal` (as company_inspections)."""
    with transaction(conn) as cur:
        cur.execute(
            f"SELECT {_INSPECTION_COLUMNS}, c.name AS company_name, c.regency_code "  # noqa: S608
            "FROM inspections i JOIN companies c ON c.id = i.company_id "
            f"WHERE i.id = %(id)s AND {_SCOPE}",
            {"id": inspection_id, "scope": _scope(regencies)},
        )
        row = _one(cur)
    if row is None or include_personal:
        return row
    return redaction.mask_rows(conn, [row])[0]
