"""/static: Pantau's CSS/JS and the vendored Leaflet/plugin files (static/vendor, made at set-up)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from geo.maps.assets import STATIC_DIR

router = APIRouter()
router.mount("/static", StaticFiles(directory=str(STATIC_DIR), check_dir=False), name="static")
