"""The monitoring filters as a FastAPI dependency: documented query parameters, 400 on bad values."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from api.blocking import blocking
from api.deps import Conn
from api.errors import BadRequest
from api.security import CurrentUser
from geo.filters import FilterError, MonitoringFilter, from_params


async def monitoring_filter(
    principal: CurrentUser,
    conn: Conn,
    sector: Annotated[str | None, Query(description="sector code(s), comma-separated, e.g. perkebunan_sawit")] = None,
    nationality: Annotated[str | None, Query(description="country code(s) (ISO 3166-1) or name(s), comma-separated, e.g. CN,MY or Tiongkok")] = None,
    permit_status: Annotated[str | None, Query(description="company RPTKA: valid | expiring (within 90 days) | expired")] = None,
    regency_code: Annotated[str | None, Query(description="regency (kabupaten/kota) code, e.g. 62.71")] = None,
    district_code: Annotated[str | None, Query(description="district (kecamatan) code, e.g. 62.71.01")] = None,
    datetime: Annotated[str | None, Query(description="date or interval start/end ('..' = open)")] = None,
) -> MonitoringFilter:
    try:
        flt = from_params(sector, nationality, permit_status, regency_code, district_code, datetime)
        # Async, so the common case (no codes to look up) costs no thread-pool round trip.
        if flt.validation_reads_database(conn):
            await blocking(flt.validate_against, conn)
        else:
            flt.validate_against(conn)
    except FilterError as exc:
        raise BadRequest(str(exc)) from exc
    return flt.scoped(principal.regencies)


Filters = Annotated[MonitoringFilter, Depends(monitoring_filter)]
