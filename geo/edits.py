"""Edits of companies, workers and inspections with optimistic locking, scope checks and an audit
record in the same transaction.

One function, `update_record`, for all three kinds: lock the row, check scope and version, update
only allow-listed columns, check the scope again (a move may leave it), write the audit record with
before/after (personal values masked), commit — or roll back everything.

Scope: a record outside the user's regencies is absent (404, the same answer as for an id that does
not exist, and without locking it), and so is a company outside them named as a worker's or an
inspection's new `company_id` (400, as for a company that does not exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg2.errors

from geo.auth import audit
from geo.db import Connection, transaction
from geo.records import PERSONAL_FIELDS
from geo.redaction import FREE_TEXT

MASK = "***"


class EditError(Exception):
    """Base of the edit outcomes that are the client's doing; `field` names the bad input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RecordNotFound(EditError):
    pass


class StaleVersion(EditError):
    def __init__(self, message: str, current: int) -> None:
        super().__init__(message, "version")
        self.current = current


class OutOfScope(EditError):
    pass


class InvalidEdit(EditError):
    pass


class DuplicateRecord(EditError):
    pass


@dataclass(frozen=True)
class Kind:
    name: str  # company | worker | inspection
    table: str
    columns: tuple[str, ...]  # editable plain columns (the allow-list for SET)
    snapshot_sql: str  # current editable values, version, regency; locks the row (and its company)


COMPANY = Kind(
    "company", "companies",
    ("nib", "name", "sector", "kbli", "address", "declared_regency", "declared_district", "rptka_valid_until", "status"),
    """SELECT c.nib, c.name, c.sector, c.kbli, c.address, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
              c.declared_regency, c.declared_district, c.rptka_valid_until, c.status, c.version, c.regency_code
         FROM companies c WHERE c.id = %(id)s AND {scope} FOR UPDATE""",
)
WORKER = Kind(
    "worker", "foreign_workers",
    ("company_id", "full_name", "passport_number", "nationality", "sex", "position", "position_level",
     "rptka_number", "permit_valid_until", "itas_number", "itas_valid_until", "status"),
    """SELECT w.company_id, w.full_name, w.passport_number, w.nationality, w.sex, w.position, w.position_level,
              w.rptka_number, w.permit_valid_until, w.itas_number, w.itas_valid_until,
              ST_X(w.work_site) AS lon, ST_Y(w.work_site) AS lat, w.status, w.version, c.regency_code
         FROM foreign_workers w JOIN companies c ON c.id = w.company_id
        WHERE w.id = %(id)s AND {scope} FOR UPDATE OF w FOR SHARE OF c""",
)
INSPECTION = Kind(
    "inspection", "inspections",
    ("company_id", "inspected_on", "team", "finding", "notes", "follow_up", "status"),
    """SELECT i.company_id, i.inspected_on, i.team, i.finding, i.notes, i.follow_up, i.status, i.version,
              c.regency_code
         FROM inspections i JOIN companies c ON c.id = i.company_id
        WHERE i.id = %(id)s AND {scope} FOR UPDATE OF i FOR SHARE OF c""",
)
KINDS = {k.name: k for k in (COMPANY, WORKER, INSPECTION)}
# The point column of each kind, edited as {"lon": .., "lat": ..} under this key.
_POINT = {"company": ("location", "geom"), "worker": ("work_site", "work_site")}


# Rows outside the scope are never even locked: a scoped user cannot make anyone wait on them.
_SCOPE = "(%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))"


def _snapshot(cur, kind: Kind, record_id: int, regencies) -> dict[str, Any] | None:
    """The record as it is (None when absent or outside `regencies`), locked with its company: the
    company cannot leave the scope while the edit runs."""
    scope = list(regencies) if regencies is not None else None
    cur.execute(kind.snapshot_sql.format(scope=_SCOPE), {"id": record_id, "scope": scope})
    row = cur.fetchone()
    if row is None:
        return None
    snap = dict(zip([d.name for d in cur.description], row, strict=True))
    if kind.name in _POINT:
        lon, lat = snap.pop("lon"), snap.pop("lat")
        snap[_POINT[kind.name][0]] = None if lon is None else {"lon": lon, "lat": lat}
    return snap


def _allowed(regencies, code: str | None) -> bool:
    return regencies is None or (code is not None and code in regencies)


def _check_target_company(cur, company_id: int, regencies) -> None:
    """A company outside the scope does not exist for this user; one inside is kept there until
    the edit commits."""
    cur.execute(f"SELECT 1 FROM companies c WHERE c.id = %(id)s AND {_SCOPE} FOR SHARE",  # noqa: S608 - fixed text
                {"id": company_id, "scope": list(regencies) if regencies is not None else None})
    if cur.fetchone() is None:
        raise InvalidEdit(f"company_id: company {company_id} does not exist", "company_id")


def masked(kind: Kind, values: dict[str, Any]) -> dict[str, Any]:
    """Values fit for the audit log: personal fields replaced by a mask (UU 27/2022), and so is an
    inspection's free text, which may name workers (geo.redaction)."""
    hidden = {"worker": PERSONAL_FIELDS, "inspection": FREE_TEXT}.get(kind.name, ())
    return {k: (MASK if k in hidden and v is not None else v) for k, v in values.items()}


def update_record(
    conn: Connection,
    kind: Kind,
    record_id: int,
    changes: dict[str, Any],
    expected_version: int,
    *,
    regencies,
    actor: dict[str, Any],
    method: str = "PATCH",
) -> int:
    """Apply `changes` (already validated field values) if the row is still at `expected_version`.
    Returns the new version. Raises an EditError subclass; then nothing is changed."""
    unknown = set(changes) - set(kind.columns) - {_POINT.get(kind.name, ("",))[0]}
    if unknown:
        raise InvalidEdit(f"{sorted(unknown)[0]}: not an editable field of a {kind.name}", sorted(unknown)[0])
    try:
        with transaction(conn) as cur:
            before = _snapshot(cur, kind, record_id, regencies)
            if before is None or not _allowed(regencies, before["regency_code"]):
                raise RecordNotFound(f"{kind.name} {record_id} not found")
            if before["version"] != expected_version:
                raise StaleVersion(
                    f"version: {kind.name} {record_id} is at version {before['version']}, not {expected_version}; "
                    "reload it and apply your change again",
                    before["version"],
                )
            if "company_id" in changes and changes["company_id"] != before["company_id"]:
                _check_target_company(cur, changes["company_id"], regencies)
            changed = sorted(k for k, v in changes.items() if before.get(k) != v)
            if changed:
                _update(cur, kind, record_id, {k: changes[k] for k in changed})
            after = _snapshot(cur, kind, record_id, None)
            if not _allowed(regencies, after["regency_code"]):
                raise OutOfScope(
                    f"location: the change would move {kind.name} {record_id} to regency "
                    f"{after['regency_code']}, outside your regional scope", _POINT.get(kind.name, ("location",))[0],
                )
            audit.record(
                cur, f"{kind.name}.update", **actor, target=f"{kind.name}:{record_id}",
                detail={
                    "method": method, "changed": changed,
                    "version": [before["version"], after["version"]],
                    "before": masked(kind, {k: before.get(k) for k in changed}),
                    "after": masked(kind, {k: after.get(k) for k in changed}),
                },
            )
            return after["version"]
    except psycopg2.errors.UniqueViolation as exc:
        raise DuplicateRecord(f"another {kind.name} already has these values ({exc.diag.constraint_name})") from exc
    except (psycopg2.errors.CheckViolation, psycopg2.errors.ForeignKeyViolation,
            psycopg2.errors.NotNullViolation) as exc:
        # Only the primary message: the DETAIL line would echo the whole row, personal data included.
        raise InvalidEdit(f"invalid value: {exc.diag.message_primary}", exc.diag.constraint_name) from exc


def _update(cur, kind: Kind, record_id: int, values: dict[str, Any]) -> None:
    sets: list[str] = []
    params: list[Any] = []
    for key, value in values.items():
        if kind.name in _POINT and key == _POINT[kind.name][0]:
            column = _POINT[kind.name][1]
            if value is None:
                sets.append(f"{column} = NULL")
            else:
                sets.append(f"{column} = ST_SetSRID(ST_MakePoint(%s, %s), 4326)")
                params += [value["lon"], value["lat"]]
        elif key in kind.columns:  # identifiers only from the allow-list
            sets.append(f"{key} = %s")
            params.append(value)
    params.append(record_id)
    cur.execute(f"UPDATE {kind.table} SET {', '.join(sets)} WHERE id = %s", params)  # noqa: S608 - allow-listed
