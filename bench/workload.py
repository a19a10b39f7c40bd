"""The fixed workload: queries (a)-(f) of issue 4, the province map page, a report. URLs come from
the routes as they exist now; a route not (yet) in the app is reported as not available."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import httpx
import psycopg2

PALANGKA_RAYA = (113.92, -2.21)
TILE_Z = 10


@dataclass(frozen=True)
class Query:
    key: str
    label: str
    path: str
    route: str | None  # OpenAPI path template that must exist, None = probe the URL
    target_rps: float | None  # from the issues
    target_note: str
    floor: bool = True  # replay its SQL with pgbench


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def sample_ids(url: str) -> dict:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM companies ORDER BY id OFFSET (SELECT count(*) / 2 FROM companies) LIMIT 1")
        row = cur.fetchone()
        cur.execute("SELECT sector FROM companies GROUP BY sector ORDER BY count(*) DESC LIMIT 1")
        sector = cur.fetchone()
    return {"company_id": row[0] if row else 1, "sector": sector[0] if sector else "jasa"}


def queries(ids: dict) -> list[Query]:
    x, y = tile_xy(*PALANGKA_RAYA, TILE_Z)
    items = "/api/collections/companies/items"
    return [
        Query("a", "(a) items in a city bbox, limit=100", f"{items}?bbox=113.8,-2.3,114.0,-2.1&limit=100",
              "/api/collections/{collection_id}/items", 450, "10x tipg (45 req/s)"),
        Query("b", "(b) whole province, limit=1000", f"{items}?limit=1000",
              "/api/collections/{collection_id}/items", 60, "10x tipg (6 req/s)"),
        Query("c", f"(c) property filter sector={ids['sector']}, limit=100", f"{items}?sector={ids['sector']}&limit=100",
              "/api/collections/{collection_id}/items", 780, "10x tipg (78 req/s)"),
        Query("d", "(d) one feature by id", f"{items}/{ids['company_id']}",
              "/api/collections/{collection_id}/items/{feature_id}", 866, "2x tipg (433 req/s)"),
        Query("e", "(e) stats by district", "/api/stats/district", "/api/stats/{level}", None,
              "no number in issue 4; most time in PostgreSQL"),
        Query("f", f"(f) tile z{TILE_Z}/{x}/{y} over Palangka Raya", f"/api/tiles/companies/{TILE_Z}/{x}/{y}.mvt",
              "/api/tiles/{collection}/{z}/{x}/{y}.mvt", 15, "at least tipg (15 req/s), uncached"),
        Query("map", "province map page (HTML)", "/maps/province", None, None, "page < 1 MB; usable < 3 s", False),
    ]


def availability(base: str, auth: str, qs: list[Query]) -> dict[str, str]:
    """'ok', or why a query cannot run: the route is missing or the request does not answer 200."""
    paths = set(httpx.get(f"{base}/api/openapi.json", timeout=60).json().get("paths", {}))
    out = {}
    with httpx.Client(base_url=base, headers={"Authorization": auth}, timeout=120) as client:
        for q in qs:
            if q.route and q.route not in paths:
                out[q.key] = f"not available: route {q.route} not in the app yet"
                continue
            r = client.get(q.path)
            if r.status_code == 404 and q.route is None:
                out[q.key] = f"not available: {q.path} answers 404"
            elif r.status_code not in (200, 204):
                out[q.key] = f"not available: {q.path} answers {r.status_code}"
            else:
                out[q.key] = "ok"
    return out
