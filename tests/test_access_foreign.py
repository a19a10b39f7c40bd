"""A viewer never sees a name, passport or permit number, address or residence point of a foreign
national (issue 17), in any route, tile, export or report; a regency-scoped user sees nothing of the
foreign nationals, lodgings and activities of another regency; the access matrix of the new routes.

Routes are discovered (the OpenAPI document, and the HTML pages' routes in api/web/), so routes
added later are probed too; every choice a query parameter documents is tried (formats, levels),
tiles at every layer around the seeded points, and item ids of every collection."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import httpx
import mapbox_vector_tile
import pytest

from geo import clock
from geo.tiles.layers import LAYERS
from tests.access_probe import PUBLIC, _choices, current_quarter, operations, readable, tile_of

pytestmark = pytest.mark.slow  # every route against the seeded server, reports built for real

WEB = Path(__file__).resolve().parent.parent / "api" / "web"
REGION_PARAMS = ("code", "parent", "region", "regency_code", "district_code")
SEARCH_TERMS = ("PRIVATE", "JOHN", "Kahayan", "FN55")


@pytest.fixture(scope="module")
def client(seeded):
    with httpx.Client(base_url=seeded.server.base, timeout=300) as c:
        yield c


@pytest.fixture(scope="module")
def spec(client):
    return client.get("/api/openapi.json").json()


@pytest.fixture(scope="module")
def facts(seeded):
    """Ids, codes and the seeded residence point (the stay of FN5500102 has a reported point)."""
    def ids(sql):
        return [str(r[0]) for r in seeded.query(sql)]

    (x, y, village), = seeded.query(
        "SELECT ST_X(s.geom), ST_Y(s.geom), s.village_code FROM foreign_national_stays s JOIN foreign_nationals p "
        "ON p.id = s.foreign_national_id WHERE p.passport_number = 'FN5500102' AND s.location_source = 'reported'")
    lodgings = seeded.query("SELECT ST_X(geom), ST_Y(geom) FROM lodgings")
    return {
        "residence": (x, y), "village": village,
        "points": [(112.95, -2.54), (113.92, -2.21), (x, y), *lodgings],
        "feature_ids": sorted({*map(str, seeded.company_ids + seeded.inspection_ids), *ids("SELECT id FROM lodgings"),
                               *ids("SELECT id FROM monitoring_activities"), *ids("SELECT id FROM foreign_nationals")}),
    }


def _coordinate_texts(x: float, y: float) -> tuple[str, str]:
    """The point's coordinates cut to 4 decimals (about 11 m): any longer rendering starts with them;
    the village's own label point lies 0.001° away and does not."""
    def cut(v):
        return f"{int(v * 10_000) / 10_000:.4f}"

    return cut(x), cut(y)


def path_values(name: str, seeded, facts, collections, layers) -> list[str]:
    values = {
        "company_id": [str(i) for i in seeded.company_ids],
        "worker_id": [str(i) for i in seeded.worker_ids],
        "inspection_id": [str(i) for i in seeded.inspection_ids],
        "collection_id": collections,
        "feature_id": facts["feature_ids"],
        "level": ["province", "regency", "district", "village"],
        "code": ["62", "62.02", "62.71", "62.71.01", facts["village"]],
    }
    if name == "collection":
        return layers
    return values.get(name, [])


def _variants(params: list[dict], facts) -> list[dict]:
    """Query parameter sets: every documented choice of format and level-like parameters, each
    region parameter with a regency, a district and a village, search terms, the personal flag."""
    base: dict = {}
    choice_sets = []
    for p in params:
        if p["in"] != "query":
            continue
        name = p["name"]
        if name == "period":
            base["period"] = current_quarter()
        elif name == "personal":
            base["personal"] = "true"
        elif name == "q":
            base["q"] = SEARCH_TERMS[0]
        elif name in ("lon", "lat"):
            base[name] = "113.95" if name == "lon" else "-2.2"  # near the residence, not at it (echoed)
        elif (options := _choices(p)) and name not in REGION_PARAMS:
            choice_sets.append([(name, o) for o in options])
        elif p.get("required"):
            base[name] = "1"
    out = [{**base, **dict(combo)} for combo in itertools.product(*choice_sets)] if choice_sets else [base]
    names = {p["name"] for p in params if p["in"] == "query"}
    for name in REGION_PARAMS:
        if name in names:
            for code in ("62.71", "62.71.01", facts["village"]):
                out.append({**out[0], name: code})
    if "q" in names:
        out += [{**out[0], "q": term} for term in SEARCH_TERMS[1:]]
    if "personal" in names:
        out.append({k: v for k, v in out[0].items() if k != "personal"})
    return out


def requests_to_probe(spec, seeded, facts, collections, layers) -> list[tuple[str, dict]]:
    out = []
    for method, path, op in operations(spec):
        if method != "GET" or path in PUBLIC or path == "/api/audit":
            continue
        params = op.get("parameters", [])
        names = [p["name"] for p in params if p["in"] == "path"]
        if "z" in names:
            combos = [{"collection": layer, "z": str(z), "x": str(x), "y": str(y)}
                      for layer in layers for lon, lat in facts["points"] for z, x, y in
                      (tile_of(lon, lat, zoom) for zoom in (0, 6, 10, 14))]
        else:
            values = [path_values(p["name"], seeded, facts, collections, layers) or _choices(p)
                      for p in params if p["in"] == "path"]
            if any(not v for v in values):  # e.g. a report job's id: none exists
                continue
            combos = [dict(zip(names, c, strict=True)) for c in itertools.product(*values)]
        for combo in combos:
            url = path
            for key, value in combo.items():
                url = url.replace("{" + key + "}", value)
            out += [(url, q) for q in _variants(params, facts)]
    # The HTML pages (outside the OpenAPI document), found in their modules.
    for source in sorted(WEB.glob("*.py")):
        for page in re.findall(r'@router\.get\(\s*"(/[^"]*)"', source.read_text(encoding="utf-8")):
            if page.startswith("/api") or page == "/login":
                continue
            pages = [page]
            for name, vals in (("{code}", ["62.02", "62.71", "62.71.01"]), ("{company_id}", seeded.company_ids)):
                pages = [p.replace(name, str(v)) for p in pages for v in vals] if name in page else pages
            out += [(p, {}) for p in pages]
    return out


def _enum(spec, path: str, name: str) -> list[str]:
    for p in spec["paths"].get(path, {}).get("get", {}).get("parameters", []):
        if p["name"] == name:
            return [str(v) for v in (p["schema"].get("enum") or [])]
    return []


def _tile_points(body: bytes, z: int, x: int, y: int) -> list[tuple[float, float]]:
    """The point features of a vector tile, in longitude/latitude."""
    import math

    out = []
    for layer in mapbox_vector_tile.decode(body).values():
        extent = layer.get("extent", 4096)
        for feature in layer["features"]:
            geom = feature["geometry"]
            coords = [geom["coordinates"]] if geom["type"] == "Point" else (
                geom["coordinates"] if geom["type"] == "MultiPoint" else [])
            for px, py in coords:
                n = 2 ** z
                lon = (x + px / extent) / n * 360 - 180
                # mapbox_vector_tile flips y by default: py counts from the bottom.
                lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 1 - py / extent) / n))))
                out.append((lon, lat))
    return out


def _probe(client, headers, requests):
    for url, params in requests:
        r = client.get(url, params=params, headers=headers)
        assert r.status_code < 500, f"{url} {params} -> {r.status_code}: {r.text[:300]}"
        yield url, params, r


@pytest.fixture(scope="module")
def discovered(client, seeded, spec, facts):
    collections = [c["id"] for c in client.get("/api/collections", headers=seeded.headers("admin")).json()["collections"]]
    # Every tile layer the server has (geo/tiles/layers.py), and the collections' names besides.
    layers = sorted({*LAYERS, *_enum(spec, "/api/tiles/{collection}/{z}/{x}/{y}.mvt", "collection"), *collections})
    return requests_to_probe(spec, seeded, facts, collections, layers)


def test_viewer_never_receives_a_foreign_nationals_personal_data(client, seeded, facts, discovered):
    assert len(discovered) > 200
    lon, lat = _coordinate_texts(*facts["residence"])
    leaks, ok, tiles, seen = [], 0, 0, {}
    for url, params, r in _probe(client, seeded.headers("viewer"), discovered):
        ok += r.status_code == 200
        seen.setdefault(url, set()).add(r.status_code)
        text = readable(r.content)
        leaks += [f"{url} {params}: {s}" for s in seeded.secrets if s in text]
        if lon in text and lat in text:
            leaks.append(f"{url} {params}: the residence point {lon},{lat}")
        if url.endswith(".mvt") and r.status_code == 200:
            z, x, y = (int(v) for v in re.search(r"/(\d+)/(\d+)/(\d+)\.mvt$", url).groups())
            tiles += 1
            if z >= 10:  # finer than the 145 m between the residence and its village's label point
                near = [p for p in _tile_points(r.content, z, x, y)
                        if abs(p[0] - facts["residence"][0]) < 3e-4 and abs(p[1] - facts["residence"][1]) < 3e-4]
                leaks += [f"{url}: a point at the residence {p}" for p in near]
    assert ok > 100 and tiles > 10
    # Reports, exports, search, maps and the new collections were really answered.
    for url in ("/api/reports", "/api/exports/lodgings", "/api/exports/activities", "/api/search",
                "/api/collections/lodgings/items", "/api/collections/activities/items", "/maps/province"):
        assert 200 in seen.get(url, ()), (url, seen.get(url))
    assert leaks == []


def test_the_probe_can_fail(client, seeded, facts):
    """The same checks find the secrets and the residence point in an analyst's answers."""
    r = client.get("/api/collections/foreign_nationals/items", headers=seeded.headers("analyst"))
    text = readable(r.content)
    lon, lat = _coordinate_texts(*facts["residence"])
    assert "JOHN PRIVATESMITH" in text and lon in text and lat in text
    csv = client.get("/api/exports/foreign_nationals", params={"format": "xlsx"}, headers=seeded.headers("analyst"))
    assert "FN5500102" in readable(csv.content)


OUTSIDE = ("OLIVIA PRIVATEWALKER", "FN5500101", "JOHN PRIVATESMITH", "FN5500102", "TAN PRIVATEGUEST", "FN5500106",
           "LIM PRIVATEOLD", "SATO PRIVATEKEN", "KIM JISOOPRIVATE", "MK6611004", "Hotel Kahayan Seed",
           "PRIVATJALAN Satu", "ITAPF5500102")


def test_scoped_user_gets_no_foreign_data_of_another_regency(client, seeded, discovered):
    leaks = []
    for url, params, r in _probe(client, seeded.headers("analyst", ["62.02"]), discovered):
        text = readable(r.content)
        leaks += [f"{url} {params}: {s}" for s in OUTSIDE if s in text]
    assert leaks == []
    # and the province's analyst does get them (the check can fail)
    r = client.get("/api/collections/foreign_nationals/items", headers=seeded.headers("analyst"))
    assert all(s in r.text for s in ("JOHN PRIVATESMITH", "OLIVIA PRIVATEWALKER"))


# (role, regencies) → expected status of each new route
MATRIX = {
    "/api/collections/foreign_nationals/items": {"viewer": 404, "analyst": 200, "editor": 200, "admin": 200,
                                                 "viewer-62.02": 404, "analyst-62.02": 200},
    "/api/collections/foreign_nationals/queryables": {"viewer": 404, "analyst": 200, "editor": 200, "admin": 200,
                                                      "viewer-62.02": 404, "analyst-62.02": 200},
    "/api/exports/foreign_nationals?format=csv": {"viewer": 403, "analyst": 200, "editor": 200, "admin": 200,
                                                  "viewer-62.02": 403, "analyst-62.02": 200},
    "/api/collections/lodgings/items": dict.fromkeys(
        ("viewer", "analyst", "editor", "admin", "viewer-62.02", "analyst-62.02"), 200),
    "/api/collections/activities/items?f=csv": dict.fromkeys(
        ("viewer", "analyst", "editor", "admin", "viewer-62.02", "analyst-62.02"), 200),
    "/api/exports/lodgings?format=xlsx": dict.fromkeys(
        ("viewer", "analyst", "editor", "admin", "viewer-62.02", "analyst-62.02"), 200),
    "/api/exports/activities?format=geojson": dict.fromkeys(
        ("viewer", "analyst", "editor", "admin", "viewer-62.02", "analyst-62.02"), 200),
}


@pytest.mark.parametrize("route", list(MATRIX))
def test_access_matrix_of_the_new_routes(client, seeded, route):
    for who, expected in MATRIX[route].items():
        role, _, regency = who.partition("-")
        r = client.get(route, headers=seeded.headers(role, [regency] if regency else None))
        assert r.status_code == expected, f"{who} {route} -> {r.status_code}"
        if regency and r.status_code == 200:
            assert not any(s in readable(r.content) for s in OUTSIDE), f"{who} {route}"
    assert client.get(route).status_code == 401


def test_scoped_user_gets_404_for_outside_items(client, seeded):
    headers = seeded.headers("analyst", ["62.02"])
    for collection, sql in (("lodgings", "SELECT id FROM lodgings WHERE regency_code = '62.71'"),
                            ("activities", "SELECT id FROM monitoring_activities WHERE regency_code = '62.71'"),
                            ("foreign_nationals", "SELECT foreign_national_id FROM foreign_nationals_present(%s) "
                                                  "WHERE regency_code = '62.71'")):
        for (fid,) in seeded.query(sql, (clock.today(),)):
            mine = client.get(f"/api/collections/{collection}/items/{fid}", headers=headers)
            absent = client.get(f"/api/collections/{collection}/items/987654321", headers=headers)
            assert mine.status_code == absent.status_code == 404
            assert mine.json()["code"] == absent.json()["code"]
