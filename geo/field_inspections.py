"""A new inspection recorded from the web form: the inspection, its point and its photos in one
transaction with its audit record; the company must be within the user's scope (else it is absent).
"""

from __future__ import annotations

from typing import Any

import psycopg2.errors

from geo import photos as photo_store
from geo.auth import audit
from geo.db import Connection, transaction
from geo.edits import INSPECTION, DuplicateRecord, InvalidEdit, RecordNotFound, masked

_SCOPE = "(%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))"


def create(
    conn: Connection,
    company_id: int,
    values: dict[str, Any],
    location: dict[str, float] | None,
    photos: list[photo_store.Photo],
    *,
    regencies,
    actor: dict[str, Any],
) -> int:
    """Insert the inspection (`values`: inspected_on, team, finding, notes, follow_up, status, already
    validated) and its photos; returns its id. RecordNotFound for a company outside the scope,
    DuplicateRecord when the same team already has an inspection of that company on that day."""
    try:
        with transaction(conn) as cur:
            # The company stays where it is (in scope) until this commits.
            cur.execute(f"SELECT 1 FROM companies c WHERE c.id = %(id)s AND {_SCOPE} FOR SHARE",  # noqa: S608
                        {"id": company_id, "scope": list(regencies) if regencies is not None else None})
            if cur.fetchone() is None:
                raise RecordNotFound(f"company {company_id} not found")
            cur.execute(
                """INSERT INTO inspections (company_id, inspected_on, team, finding, notes, follow_up, status, location)
                   VALUES (%(company_id)s, %(inspected_on)s, %(team)s, %(finding)s, %(notes)s, %(follow_up)s,
                           %(status)s,
                           CASE WHEN %(lon)s::float8 IS NULL THEN NULL
                                ELSE ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) END)
                   RETURNING id""",
                {**values, "company_id": company_id,
                 "lon": location["lon"] if location else None, "lat": location["lat"] if location else None},
            )
            inspection_id = cur.fetchone()[0]
            photo_ids = photo_store.store(cur, inspection_id, photos, actor["username"])
            audit.record(
                cur, "inspection.create", **actor, target=f"inspection:{inspection_id}",
                detail={"method": "POST", "company_id": company_id,
                        "values": masked(INSPECTION, dict(values)),
                        "location": location is not None, "photos": len(photo_ids)},
            )
            return inspection_id
    except psycopg2.errors.UniqueViolation as exc:
        raise DuplicateRecord("an inspection of this company by this team on this day exists", "inspected_on") from exc
    except (psycopg2.errors.CheckViolation, psycopg2.errors.ForeignKeyViolation,
            psycopg2.errors.NotNullViolation) as exc:
        raise InvalidEdit(f"invalid value: {exc.diag.message_primary}", exc.diag.constraint_name) from exc


def point_of_company(conn: Connection, company_id: int) -> dict[str, float] | None:
    with transaction(conn) as cur:
        cur.execute("SELECT ST_X(geom), ST_Y(geom) FROM companies WHERE id = %s", (company_id,))
        row = cur.fetchone()
    return {"lon": row[0], "lat": row[1]} if row and row[0] is not None else None
