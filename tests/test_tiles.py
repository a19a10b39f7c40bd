"""Vector tiles: decoded contents against an independent point-in-tile computation, filters and
scope, no personal data, cache invalidation by edits, ETag/304, bad addresses."""

from __future__ import annotations

import math
from datetime import timedelta

import httpx
import mapbox_vector_tile
import psycopg2
import pytest
import shapely.geometry
import shapely.wkb

from tests import test_stats_data as data

pytestmark = pytest.mark.slow  # a dataset and a server of its own

stats_db, raw, stats_server, login = data.stats_db, data.raw, data.stats_server, data.login

R = 6378137.0
HALF = math.pi * R


def _merc(lon: float, lat: float) -> tuple[float, float]:
    return R * math.radians(lon), R * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    mx, my = _merc(lon, lat)
    size = 2 * HALF / 2**z
    return int((mx + HALF) // size), int((HALF - my) // size)


def _tile_box(z: int, x: int, y: int, buffer: float = 0.0) -> tuple[float, float, float, float]:
    size = 2 * HALF / 2**z
    b = size * buffer
    return -HALF + x * size - b, HALF - (y + 1) * size - b, -HALF + (x + 1) * size + b, HALF - y * size + b


def _in_box(c: dict, box) -> bool:
    mx, my = _merc(c["lon"], c["lat"])
    return box[0] <= mx <= box[2] and box[1] <= my <= box[3]


def _lonlat_box(z, x, y) -> shapely.geometry.Polygon:
    minx, miny, maxx, maxy = _tile_box(z, x, y)

    def inv(mx, my):
        return math.degrees(mx / R), math.degrees(2 * math.atan(math.exp(my / R)) - math.pi / 2)

    (w, s), (e, n) = inv(minx, miny), inv(maxx, maxy)
    return shapely.geometry.box(w, s, e, n)


@pytest.fixture(scope="module")
def client(stats_server):
    with httpx.Client(base_url=stats_server.base, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def city_tile(raw):
    c = next(c for c in sorted(raw.companies, key=lambda c: c["id"]) if c["regency"] == "62.71")
    return (10, *_tile_of(c["lon"], c["lat"], 10))


def _decode(r: httpx.Response) -> dict:
    return mapbox_vector_tile.decode(r.content) if r.status_code == 200 else {}


def test_company_tile_has_exactly_the_companies_in_it(client, login, raw, city_tile):
    r = client.get("/api/tiles/companies/{}/{}/{}.mvt".format(*city_tile), headers=login("admin"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    features = _decode(r)["companies"]["features"]
    box = _tile_box(*city_tile, buffer=64 / 4096)
    want = {c["id"]: c for c in raw.companies if _in_box(c, box)}
    assert want and {f["properties"]["id"] for f in features} == set(want)
    active = {}
    for w in raw.workers:
        active[w["company"]] = active.get(w["company"], 0) + (w["status"] == "active")
    for f in features:
        p = f["properties"]
        assert set(p) == {"id", "nib", "name", "sector", "permit_status", "workers"}
        assert f["id"] == p["id"] and p["nib"] == want[p["id"]]["nib"]
        assert p["workers"] == active.get(p["id"], 0)
    # Personal data never reaches a tile, whatever the role.
    assert b"Pekerja Rahasia" not in r.content and b"XP0" not in r.content


def test_company_tile_honours_filters_and_scope(client, login, raw, city_tile):
    url = "/api/tiles/companies/{}/{}/{}.mvt".format(*city_tile)
    box = _tile_box(*city_tile, buffer=64 / 4096)
    r = client.get(url, params={"nationality": "CN"}, headers=login("viewer"))
    got = {f["properties"]["id"] for f in _decode(r).get("companies", {}).get("features", [])}
    want = {c["id"] for c in data.filtered(raw, data.TODAY, nationality=("CN",)) if _in_box(c, box)}
    assert got == want and r.status_code == (200 if want else 204)
    workers_cn = {f["properties"]["id"]: f["properties"]["workers"] for f in _decode(r).get("companies", {}).get("features", [])}
    for cid, n in workers_cn.items():
        assert n == sum(1 for w in raw.workers if w["company"] == cid and w["status"] == "active" and w["nat"] == "CN")
    r = client.get(url, headers=login("viewer", ["62.02"]))
    assert r.status_code == 204 and r.content == b""


def test_inspection_tile_with_period(client, login, raw, city_tile):
    box = _tile_box(*city_tile, buffer=64 / 4096)
    inside = {c["id"] for c in raw.companies if _in_box(c, box)}
    start = data.TODAY - timedelta(days=400)
    r = client.get("/api/tiles/inspections/{}/{}/{}.mvt".format(*city_tile),
                   params={"datetime": f"{start.isoformat()}/.."}, headers=login("viewer"))
    want = {(i["company"], i["on"].isoformat(), i["finding"]) for i in raw.inspections
            if i["company"] in inside and i["on"] >= start}
    features = _decode(r).get("inspections", {}).get("features", [])
    got = {(f["properties"]["company_id"], f["properties"]["inspected_on"], f["properties"]["finding"])
           for f in features}
    assert want and got == want and r.status_code == 200
    assert all(set(f["properties"]) == {"id", "company_id", "inspected_on", "finding", "status"} for f in features)


def test_district_tile_has_the_districts_it_touches(client, login, stats_db, city_tile):
    z, x, y = 8, city_tile[1] >> 2, city_tile[2] >> 2
    r = client.get(f"/api/tiles/districts/{z}/{x}/{y}.mvt", headers=login("viewer"))
    assert r.status_code == 200
    got = {f["properties"]["code"] for f in _decode(r)["districts"]["features"]}
    conn = psycopg2.connect(stats_db)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT code, ST_AsBinary(geom) FROM boundaries WHERE level = 'district'")
        polygons = {code: shapely.wkb.loads(bytes(wkb)) for code, wkb in cur.fetchall()}
    conn.close()
    inner, outer = _lonlat_box(z, x, y), _lonlat_box(z, x, y).buffer(0.1)
    surely = {code for code, p in polygons.items() if p.intersection(inner).area > 1e-4}
    maybe = {code for code, p in polygons.items() if p.intersects(outer)}
    assert surely and surely <= got <= maybe
    assert all(f["type"] == "Feature" for f in _decode(r)["districts"]["features"])


def test_edit_invalidates_cache_and_etag(client, login, stats_db, city_tile):
    headers = login("editor")
    url = "/api/tiles/companies/{}/{}/{}.mvt".format(*city_tile)
    first = client.get(url, headers=headers)
    again = client.get(url, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["x-tile-cache"] == "hit" and again.headers["etag"] == first.headers["etag"]
    assert again.content == first.content
    assert again.headers["cache-control"].startswith("private, max-age=")
    not_modified = client.get(url, headers={**headers, "If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""

    # An edit straight in the database, as an import would make it: the very next request sees it.
    minx, miny, maxx, maxy = _lonlat_box(*city_tile).bounds
    conn = psycopg2.connect(stats_db)
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO companies (nib, name, sector, geom) VALUES ('9199999999999', 'PT Baru Sekali', 'jasa', "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326)) RETURNING id",
            ((minx + maxx) / 2, (miny + maxy) / 2),
        )
        new_id = cur.fetchone()[0]
    conn.close()
    after = client.get(url, headers={**headers, "If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]
    assert after.headers["x-tile-cache"] == "miss"
    assert new_id in {f["properties"]["id"] for f in _decode(after)["companies"]["features"]}
    # Boundary tiles do not depend on companies: their ETag stays.
    b_url = "/api/tiles/regencies/{}/{}/{}.mvt".format(*city_tile)
    assert client.get(b_url, headers=headers).headers["etag"] == client.get(b_url, headers=headers).headers["etag"]


def test_empty_tile_is_204(client, login):
    r = client.get("/api/tiles/companies/10/0/0.mvt", headers=login("viewer"))
    assert r.status_code == 204 and r.content == b"" and r.headers["etag"]


def test_tiles_need_login(client, city_tile):
    assert client.get("/api/tiles/companies/{}/{}/{}.mvt".format(*city_tile)).status_code == 401


@pytest.mark.parametrize(("path", "status", "named"), [
    ("/api/tiles/companies/23/0/0.mvt", 400, "z: 23"),
    ("/api/tiles/companies/10/1024/0.mvt", 400, "x: 1024"),
    ("/api/tiles/companies/10/0/-1.mvt", 400, "y: -1"),
    ("/api/tiles/companies/ten/0/0.mvt", 400, "'ten'"),
    ("/api/tiles/workers/1/0/0.mvt", 404, "'workers'"),
    ("/api/tiles/workers.json", 404, "'workers'"),
])
def test_bad_tile_addresses_name_the_value(client, login, path, status, named):
    r = client.get(path, headers=login("viewer"))
    assert r.status_code == status, r.text
    assert named in r.json()["description"]


def test_tilejson_document(client, login, stats_server):
    r = client.get("/api/tiles/companies.json", params={"sector": "jasa", "nationality": "CN"},
                   headers=login("viewer", ["62.71"]))
    assert r.status_code == 200
    doc = r.json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == [f"{stats_server.base}/api/tiles/companies/{{z}}/{{x}}/{{y}}.mvt?sector=jasa&nationality=CN"]
    layer = doc["vector_layers"][0]
    assert layer["id"] == "companies" and set(layer["fields"]) == {"id", "nib", "name", "sector", "permit_status", "workers"}
    west, south, east, north = doc["bounds"]
    # Palangka Raya only (the user's scope), around 113.6..114.1 E, 1.6..2.5 S.
    assert 113.3 < west < east < 114.4 and -2.7 < south < north < -1.3
    assert 0 <= doc["minzoom"] < doc["maxzoom"]
    whole = client.get("/api/tiles/villages.json", headers=login("viewer")).json()
    assert whole["minzoom"] == 8 and whole["bounds"][0] < 111.5 and whole["bounds"][2] > 115
