"""Monitoring queries vs an independent geopandas/shapely/pyproj computation on the same data."""

from __future__ import annotations

import httpx
import pytest
from pyproj import Geod
from shapely.geometry import Polygon, mapping

from tests.test_features_data import boundaries_frame, companies_frame, site  # noqa: F401

pytestmark = pytest.mark.slow  # a dataset and a server of its own

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def api(site):  # noqa: F811
    with httpx.Client(base_url=site.base + "/api", timeout=60, headers=site.headers("admin")) as client:
        yield client


@pytest.fixture(scope="module")
def frame(site):  # noqa: F811
    return companies_frame(site.url)


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "FeatureCollection"
    return [f["id"] for f in body["features"]]


def geodesic_km(frame, lon, lat):
    return {int(r.id): GEOD.inv(lon, lat, r.geom.x, r.geom.y)[2] / 1000 for r in frame.itertuples()}


@pytest.mark.parametrize("level", ["regency", "district"])
def test_region_matches_spatial_join(api, frame, site, level):  # noqa: F811
    import geopandas as gpd

    districts = boundaries_frame(site.url, "district")
    joined = gpd.sjoin(frame, districts, predicate="covered_by")
    # The rule the location trigger applies: the covering district with the smallest code.
    owner = joined.groupby("id")["code"].min()
    if level == "regency":
        owner = owner.str[:5]
    code = owner.value_counts().index[0]
    expected = sorted(int(i) for i, c in owner.items() if c == code)
    got = ids(api.get(f"/regions/{code}/companies", params={"limit": 1000}))
    assert sorted(got) == expected


def test_region_province_and_village(api, frame, site):  # noqa: F811
    import geopandas as gpd

    assert len(ids(api.get("/regions/62/companies", params={"limit": 1000}))) == len(frame)
    villages = boundaries_frame(site.url, "village")
    joined = gpd.sjoin(frame, villages, predicate="covered_by")
    code = joined.code.value_counts().index[0]
    expected = sorted(int(i) for i in joined[joined.code == code].id)
    got = sorted(ids(api.get(f"/regions/{code}/companies", params={"limit": 1000})))
    assert got == expected


def test_radius_matches_pyproj(api, frame):
    lon, lat = 113.92, -2.21
    dist = geodesic_km(frame, lon, lat)
    radius = 7.0
    assert all(abs(d - radius) > 0.01 for d in dist.values())
    expected = sorted((d, i) for i, d in dist.items() if d <= radius)
    body = api.get("/companies/within", params={"lon": lon, "lat": lat, "radius_km": radius, "limit": 1000}).json()
    assert [f["id"] for f in body["features"]] == [i for _, i in expected]
    for f, (d, _) in zip(body["features"], expected, strict=True):
        assert f["properties"]["distance_km"] == pytest.approx(d, abs=0.002)
    assert body["numberMatched"] == len(expected) > 0


def test_nearest_matches_pyproj(api, frame):
    lon, lat = 113.5, -2.5
    ranked = sorted((d, i) for i, d in geodesic_km(frame, lon, lat).items())
    k = next(k for k in range(3, 20) if ranked[k][0] - ranked[k - 1][0] > 0.05)  # a clear cut
    got = ids(api.get("/companies/nearest", params={"lon": lon, "lat": lat, "k": k}))
    assert sorted(got) == sorted(i for _, i in ranked[:k])


def test_polygon_matches_shapely(api, frame):
    poly = Polygon([(113.85, -2.3), (114.0, -2.28), (113.98, -2.12), (113.87, -2.16), (113.85, -2.3)])
    expected = sorted(int(r.id) for r in frame.itertuples() if poly.covers(r.geom))
    assert expected
    got = ids(api.post("/companies/within-polygon", params={"limit": 1000}, json=mapping(poly)))
    assert sorted(got) == expected
    feature = {"type": "Feature", "properties": {}, "geometry": mapping(poly)}
    assert sorted(ids(api.post("/companies/within-polygon", json=feature))) == expected


@pytest.mark.parametrize("body, message", [
    ({"type": "Polygon", "coordinates": [[[113.8, -2.3], [114, -2.1], [114, -2.3], [113.8, -2.1], [113.8, -2.3]]]},
     "Self-intersection"),
    ({"type": "Point", "coordinates": [113.8, -2.3]}, "'Point'"),
    ({"type": "Polygon", "coordinates": [[[113.8]]]}, "geometry"),
    ({"type": "Polygon", "coordinates": "nope"}, "geometry"),
    ([1, 2], "'list'"),
])
def test_polygon_errors(api, body, message):
    response = api.post("/companies/within-polygon", json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["description"]


def test_polygon_not_json(api):
    response = api.post("/companies/within-polygon", content=b"{nope")
    assert response.status_code == 400 and "body" in response.json()["description"]


def test_search(api, frame):
    expected = sorted(int(r.id) for r in frame.itertuples() if "energi" in r.name.lower())
    got = ids(api.get("/companies/search", params={"q": "Energi", "limit": 1000}))
    assert set(expected) <= set(got)
    assert got[: len(expected)] and all(
        "energi" in frame.set_index("id").loc[i, "name"].lower() for i in got[: len(expected)])
    assert ids(api.get("/companies/search", params={"q": "100%_"})) == []


def test_filters_apply_to_queries(api, frame):
    sector = "energi"
    expected = sorted(int(r.id) for r in frame.itertuples() if r.sector == sector and r.regency_code == "62.71")
    got = ids(api.get("/regions/62.71/companies", params={"sector": sector, "limit": 1000}))
    assert sorted(got) == expected


@pytest.mark.parametrize("path, status, names", [
    ("/regions/99/companies", 404, "'99'"),
    ("/regions/62.7x/companies", 400, "'62.7x'"),
    ("/regions/62.71/companies?limit=0", 400, "limit"),
    ("/companies/within?lon=200&lat=0&radius_km=1", 400, "lon"),
    ("/companies/within?lon=113&lat=-2", 400, "radius_km"),
    ("/companies/within?lon=113&lat=-2&radius_km=-1", 400, "'-1'"),
    ("/companies/within?lon=113&lat=nan&radius_km=1", 400, "lat"),
    ("/companies/nearest?lon=113&lat=-2&k=0", 400, "k"),
    ("/companies/nearest?lon=113&lat=-2&k=x", 400, "'x'"),
    ("/companies/search?q=a", 400, "'a'"),
    ("/companies/search", 400, "q"),
])
def test_query_errors(api, path, status, names):
    response = api.get(path)
    assert response.status_code == status, response.text
    assert names in response.json()["description"]


def test_scope_applies_to_queries(site, frame):  # noqa: F811
    c = httpx.Client(base_url=site.base + "/api", headers=site.headers("viewer", ["62.02"]))
    assert ids(c.get("/regions/62.71/companies")) == []
    in_62_02 = set(int(i) for i in frame[frame.regency_code == "62.02"].id)
    for got in (
        ids(c.get("/companies/within", params={"lon": 113.92, "lat": -2.21, "radius_km": 500, "limit": 1000})),
        ids(c.get("/companies/nearest", params={"lon": 113.92, "lat": -2.21, "k": 1000})),
        ids(c.get("/companies/search", params={"q": "Kalimantan", "limit": 1000})),
        ids(c.get("/regions/62/companies", params={"limit": 1000})),
    ):
        assert set(got) == in_62_02
    text = c.get("/regions/62/companies", params={"limit": 1000}).text
    assert "Nama Rahasia" not in text and "P000" not in text
