"""Run-time data of the foreign nationals' map pages (geo.maps.foreign): numbers per region, lodgings,
activities, and residence points for roles allowed personal data only. Everything follows the
user's regencies; the role's access to personal data is part of every cache key."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from api.blocking import blocking
from api.cache import cached
from api.deps import Conn
from api.errors import BadRequest, NotFound
from api.security import CurrentUser, Principal
from geo import clock
from geo.auth import audit
from geo.filters import FilterError
from geo.maps import foreign

router = APIRouter(tags=["maps"])
REGION_LEVELS = ("regency", "district", "village")
# The data versions the layers depend on (caches key on them).
TABLES = ("boundaries", "companies", "foreign_workers", "foreign_nationals", "foreign_national_stays", "lodgings",
          "lodging_stays", "monitoring_activities")


def parse_codes(conn, purpose: str | None, permit_type: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The purpose and permit-type filters (comma-separated codes), checked against their tables."""
    names = foreign.lookups(conn)
    out = []
    for field, text, known in (("purpose", purpose, names["purposes"]), ("permit_type", permit_type, names["permits"])):
        codes = tuple(sorted({c.strip() for c in (text or "").split(",") if c.strip()}))
        bad = [c for c in codes if c not in known]
        if bad:
            raise BadRequest(f"{field}: kode tidak dikenal (unknown code) {bad[0][:40]!r}")
        out.append(codes)
    return out[0], out[1]


def checked_region(conn, principal: Principal, region: str | None) -> str | None:
    """A regency or district code the user may see (else 404, as if absent), or None."""
    if region is None:
        return None
    with conn.cursor() as cur:
        cur.execute("SELECT level FROM boundaries WHERE code = %s", (region,))
        row = cur.fetchone()
    conn.commit()
    if row is None or row[0] not in ("regency", "district") or not principal.allows_regency(region):
        raise NotFound(f"region: tidak ada wilayah {region!r} (no such region)")
    return region


def _json(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


PurposeQ = Annotated[str | None, Query(description="stay purposes, comma-separated codes (stay_purposes)")]
PermitQ = Annotated[str | None, Query(description="permit types, comma-separated codes (permit_types)")]
RegionQ = Annotated[str | None, Query(description="only this regency or district")]


@router.get("/maps/data/foreign/regions.json", summary="Foreign nationals present per region, colours and legend")
async def foreign_regions(request: Request, conn: Conn, principal: CurrentUser,
                          level: Annotated[str, Query(description="regency | district | village")],
                          parent: Annotated[str | None, Query(description="only regions under this code")] = None,
                          purpose: PurposeQ = None, permit_type: PermitQ = None) -> Response:
    if level not in REGION_LEVELS:
        raise NotFound(f"level: {level!r} is not one of {', '.join(REGION_LEVELS)}")
    if parent is not None and parent.count(".") >= 1 and not principal.allows_regency(parent):
        raise NotFound(f"parent: tidak ada wilayah {parent!r} (no such region)")
    purposes, permits = await blocking(parse_codes, conn, purpose, permit_type)
    personal = principal.can_see_personal

    def produce(today: date) -> bytes:
        try:
            body = foreign.region_numbers(conn, level, parent, principal.regencies, today, purposes, permits, personal)
        except FilterError as exc:
            raise BadRequest(str(exc)) from exc
        return _json(body)

    return await cached(request, "stats", ("foreign-regions", level, parent, purposes, permits, personal),
                        scope=principal.regencies, tables=TABLES, produce=produce)


@router.get("/maps/data/foreign/lodgings.json", summary="Lodgings with their guest counts (no guest)")
async def foreign_lodgings(request: Request, conn: Conn, principal: CurrentUser, region: RegionQ = None) -> Response:
    region = await blocking(checked_region, conn, principal, region)
    personal = principal.can_see_personal

    def produce(today: date) -> bytes:
        return _json(foreign.lodging_points(conn, region, principal.regencies, today, personal))

    return await cached(request, "stats", ("foreign-lodgings", region, personal), scope=principal.regencies,
                        tables=TABLES, produce=produce)


@router.get("/maps/data/foreign/activities.json", summary="Monitoring activities of the last 12 months per district")
async def foreign_activities(request: Request, conn: Conn, principal: CurrentUser, region: RegionQ = None) -> Response:
    region = await blocking(checked_region, conn, principal, region)
    personal = principal.can_see_personal

    def produce(today: date) -> bytes:
        return _json(foreign.activity_points(conn, region, principal.regencies, today, personal))

    return await cached(request, "stats", ("foreign-activities", region, personal), scope=principal.regencies,
                        tables=TABLES, produce=produce)


@router.get("/maps/data/foreign/residences.json", summary="Residence points (personal data: admin, editor, analyst)")
async def foreign_residences(request: Request, conn: Conn, principal: CurrentUser, region: RegionQ = None,
                             purpose: PurposeQ = None, permit_type: PermitQ = None) -> Response:
    if not principal.can_see_personal:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "tempat tinggal orang asing adalah data pribadi (residences are personal data)")
    region = await blocking(checked_region, conn, principal, region)
    purposes, permits = await blocking(parse_codes, conn, purpose, permit_type)

    def read() -> dict:
        body = foreign.residence_points(conn, region, principal.regencies, clock.today(), purposes, permits)
        # Each read of personal data is recorded: how many, never whose.
        audit.record(conn, "personal.read", **principal.audit_fields(), target="map:foreign_residences",
                     detail={"foreign_nationals": body["count"]})
        return body

    return Response(_json(await blocking(read)), media_type="application/json", headers={"Cache-Control": "no-store"})
