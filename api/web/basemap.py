"""/maps/basemap.pmtiles: the local vector basemap (PANTAU_BASEMAP_PMTILES), read by the map pages
in pieces with HTTP Range requests (Starlette's FileResponse answers them with 206). Public map data,
no scope to apply, but only for signed-in users, like the map pages. The file's path comes from the
settings only, never from the request."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from api.errors import NotFound
from api.security import CurrentUser
from geo.maps.basemap import PMTILES_URL, pmtiles_info

router = APIRouter(include_in_schema=False)


@router.get(PMTILES_URL)
async def basemap_file(request: Request, principal: CurrentUser) -> FileResponse:
    path = request.app.state.settings.maps.basemap_pmtiles
    # Only a vector PMTiles file: a setting pointing at any other file must not publish it.
    if path is None or not path.is_file() or pmtiles_info(path) is None:
        raise NotFound("peta dasar lokal tidak dikonfigurasi (no local basemap file configured)")
    # Browsers keep the pieces they read for an hour (private: never a shared cache); the ETag
    # changes with the file, and the reader then starts over.
    return FileResponse(path, media_type="application/vnd.pmtiles",
                        headers={"Cache-Control": "private, max-age=3600"})
