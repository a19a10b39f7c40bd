"""OGC API – Features on a known dataset: documents, exact bbox/paging/filters, CQL2, errors, access."""

from __future__ import annotations

from datetime import date

import httpx
import psycopg2
import pytest
from shapely.geometry import box, shape

from tests.test_features_data import companies_frame, site  # noqa: F401 - the module fixture

pytestmark = pytest.mark.slow  # a dataset and a server of its own


@pytest.fixture(scope="module")
def api(site):  # noqa: F811
    with httpx.Client(base_url=site.base + "/api", timeout=60, headers=site.headers("admin")) as client:
        yield client


@pytest.fixture(scope="module")
def frame(site):  # noqa: F811
    return companies_frame(site.url)


def all_features(client: httpx.Client, url: str, params: dict | None = None) -> list[dict]:
    """Follow next links to the end; every page checked for numberReturned."""
    out, response = [], client.get(url, params=params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["numberReturned"] == len(body["features"])
        out += body["features"]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if not nxt:
            return out
        response = client.get(nxt[0])


def test_landing_and_conformance_are_public(site):  # noqa: F811
    landing = httpx.get(site.base + "/api", follow_redirects=True).json()
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert httpx.get(rels["service-desc"]).json()["openapi"].startswith("3.")
    classes = httpx.get(rels["conformance"]).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in classes


def test_collections_need_a_login(site):  # noqa: F811
    assert httpx.get(site.base + "/api/collections").status_code == 401
    assert httpx.get(site.base + "/api/collections/companies/items").status_code == 401


def test_collections_list_all(api):
    ids = [c["id"] for c in api.get("/collections").json()["collections"]]
    assert ids == ["companies", "inspections", "provinces", "regencies", "districts", "villages", "lodgings",
                   "activities", "foreign_nationals"]
    doc = api.get("/collections/companies").json()
    assert {link["rel"] for link in doc["links"]} >= {"self", "items"}
    q = api.get("/collections/companies/queryables").json()
    assert "name" in q["properties"] and "workers_by_nationality" not in q["properties"]


def test_bbox_matches_shapely(api, frame):
    bbox = (113.85, -2.3, 114.0, -2.15)
    expected = sorted(frame[frame.geometry.intersects(box(*bbox))].id)
    assert expected, "the bbox must hit some of the dataset"
    got = all_features(api, "/collections/companies/items", {"bbox": ",".join(map(str, bbox)), "limit": 3})
    assert sorted(f["id"] for f in got) == expected
    first = api.get("/collections/companies/items", params={"bbox": ",".join(map(str, bbox))}).json()
    assert first["numberMatched"] == len(expected) and first["numberMatchedExact"] is True


def test_paging_visits_every_feature_once(api, frame):
    got = all_features(api, "/collections/companies/items", {"limit": 7, "sortby": "-name"})
    ids = [f["id"] for f in got]
    assert len(ids) == len(set(ids)) == len(frame)
    names = [f["properties"]["name"] for f in got]
    assert names == sorted(names, reverse=True)
    # prev of the second page is the first page
    second = api.get("/collections/companies/items", params={"limit": 7, "offset": 7}).json()
    prev = next(link["href"] for link in second["links"] if link["rel"] == "prev")
    assert [f["id"] for f in api.get(prev).json()["features"]] == sorted(frame.id)[:7]


def test_property_filters_and_datetime(api, frame):
    sector = frame.sector.iloc[0]
    got = all_features(api, "/collections/companies/items", {"sector": sector, "regency_code": "62.71", "limit": 100})
    expected = frame[(frame.sector == sector) & (frame.regency_code == "62.71")]
    assert sorted(f["id"] for f in got) == sorted(expected.id)
    start, end = date.today().isoformat(), "2100-01-01"
    got = all_features(api, "/collections/companies/items", {"datetime": f"{start}/{end}"})
    valid = frame[frame.rptka_valid_until.notna()]
    expected = valid[valid.rptka_valid_until.map(lambda d: d >= date.today())]
    assert sorted(f["id"] for f in got) == sorted(expected.id)


def test_properties_choose_columns_and_feature_by_id(api, frame):
    body = api.get("/collections/companies/items", params={"properties": "name,workers", "limit": 1}).json()
    assert set(body["features"][0]["properties"]) == {"name", "workers"}
    cid = int(frame.id.iloc[3])
    one = api.get(f"/collections/companies/items/{cid}").json()
    assert one["id"] == cid and one["properties"]["nib"] == frame.nib.iloc[3]
    assert one["geometry"]["type"] == "Point"


def test_a_feature_links_to_itself_and_to_its_collection(api, site, frame):  # noqa: F811
    cid = int(frame.id.iloc[3])
    one = api.get(f"/collections/companies/items/{cid}", params={"f": "json"})
    links = {link["rel"]: link for link in one.json()["links"]}
    assert links["self"] == {"rel": "self", "type": "application/geo+json", "href": str(one.url)}
    assert links["collection"] == {"rel": "collection", "type": "application/json",
                                   "href": f"{site.base}/api/collections/companies"}
    assert api.get(links["collection"]["href"]).json()["id"] == "companies"


def test_worker_counts(api, site):  # noqa: F811
    import psycopg2

    conn = psycopg2.connect(site.url)
    with conn.cursor() as cur:
        cur.execute("SELECT company_id, nationality, count(*) FROM foreign_workers WHERE status = 'active' GROUP BY 1, 2")
        rows = cur.fetchall()
    conn.close()
    expected: dict[int, dict[str, int]] = {}
    for cid, nat, n in rows:
        expected.setdefault(cid, {})[nat] = n
    for f in all_features(api, "/collections/companies/items", {"limit": 1000}):
        assert f["properties"]["workers_by_nationality"] == expected.get(f["id"], {})
        assert f["properties"]["workers"] == sum(expected.get(f["id"], {}).values())


@pytest.mark.parametrize("cql, check", [
    ("sector = 'energi' AND workers >= 1", lambda r: r.sector == "energi" and r.workers >= 1),
    ("sector IN ('jasa', 'konstruksi') OR NOT regency_code = '62.71'",
     lambda r: r.sector in ("jasa", "konstruksi") or r.regency_code != "62.71"),
    ("workers BETWEEN 1 AND 2", lambda r: 1 <= r.workers <= 2),
    ("name LIKE 'PT Sawit%'", lambda r: r.name.startswith("PT Sawit")),
    ("rptka_valid_until IS NULL", lambda r: r.rptka_valid_until is None),
    ("S_INTERSECTS(geometry, POLYGON((113.85 -2.3, 114.0 -2.3, 114.0 -2.15, 113.85 -2.15, 113.85 -2.3)))",
     lambda r: box(113.85, -2.3, 114.0, -2.15).intersects(r.geom)),
    ("S_WITHIN(geometry, POLYGON((113.85 -2.3, 114.0 -2.3, 114.0 -2.15, 113.85 -2.15, 113.85 -2.3)))",
     lambda r: box(113.85, -2.3, 114.0, -2.15).contains(r.geom)),
])
def test_cql2(api, frame, cql, check):
    rows = {f["id"]: f for f in all_features(api, "/collections/companies/items", {"limit": 1000})}

    class Row:
        def __init__(self, f):
            self.__dict__.update(f["properties"])
            self.geom = shape(f["geometry"])

    expected = sorted(i for i, f in rows.items() if check(Row(f)))
    got = all_features(api, "/collections/companies/items", {"filter": cql, "filter-lang": "cql2-text"})
    assert sorted(f["id"] for f in got) == expected
    assert 0 < len(expected) < len(rows) or "IS NULL" in cql


def test_cql2_dwithin_is_geodesic(api, frame):
    from pyproj import Geod

    lon, lat, metres = 113.92, -2.21, 6000
    geod = Geod(ellps="WGS84")
    expected = sorted(int(r.id) for r in frame.itertuples()
                      if geod.inv(lon, lat, r.geom.x, r.geom.y)[2] <= metres)
    got = all_features(api, "/collections/companies/items",
                       {"filter": f"S_DWITHIN(geometry, POINT({lon} {lat}), {metres})"})
    assert sorted(f["id"] for f in got) == expected and expected


def test_inspections_and_boundaries(api, site):  # noqa: F811
    import psycopg2

    conn = psycopg2.connect(site.url)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM inspections")
        n_insp = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM boundaries WHERE level = 'district' AND parent_code = '62.71'")
        n_dist = cur.fetchone()[0]
    conn.close()
    got = all_features(api, "/collections/inspections/items", {"limit": 10})
    assert len(got) == n_insp
    assert not {"notes", "follow_up"} & set(got[0]["properties"])
    d = api.get("/collections/districts/items", params={"regency_code": "62.71"}).json()
    assert d["numberMatched"] == n_dist and all(f["id"].startswith("62.71.") for f in d["features"])


def test_csv_and_html(api, frame):
    text = api.get("/collections/companies/items", params={"f": "csv", "limit": 1000}).text
    lines = text.strip().splitlines()
    assert lines[0].startswith("id,nib,name") and len(lines) == len(frame) + 1
    html = api.get("/collections/companies/items", headers={"Accept": "text/html"}).text
    assert "<table>" in html and frame.name.iloc[0] in html


@pytest.mark.parametrize("path, status, names", [
    ("/collections/nope/items", 404, "'nope'"),
    ("/collections/companies/items?limit=0", 400, "limit"),
    ("/collections/companies/items?limit=10001", 400, "limit"),
    ("/collections/companies/items?limit=abc", 400, "'abc'"),
    ("/collections/companies/items?offset=-1", 400, "offset"),
    ("/collections/companies/items?bbox=1,2,3", 400, "'1,2,3'"),
    ("/collections/companies/items?bbox=a,b,c,d", 400, "bbox"),
    ("/collections/companies/items?bbox=1,2,3,999", 400, "bbox"),
    ("/collections/companies/items?sortby=-password", 400, "'password'"),
    ("/collections/companies/items?properties=passport_number", 400, "'passport_number'"),
    ("/collections/companies/items?filter=name%20%3D", 400, "filter"),
    ("/collections/companies/items?filter=passport_number%20%3D%20'x'", 400, "'passport_number'"),
    ("/collections/companies/items?filter=workers%20%3D%20'x'", 400, "'x'"),
    ("/collections/companies/items?filter-lang=cql2-json&filter=x%3D1", 400, "cql2-json"),
    ("/collections/companies/items?sector=nope", 400, "'nope'"),
    ("/collections/companies/items?permit_status=soon", 400, "'soon'"),
    ("/collections/companies/items?regency_code=62.99", 400, "'62.99'"),
    ("/collections/companies/items?datetime=yesterday", 400, "'yesterday'"),
    ("/collections/companies/items?sectr=energi", 400, "sectr"),
    ("/collections/districts/items?sector=energi", 400, "sector"),
    ("/collections/companies/items?f=xml", 400, "'xml'"),
    ("/collections/companies/items/abc", 404, "'abc'"),
    ("/collections/companies/items/99999999", 404, "'99999999'"),
    ("/collections/districts/items/99.99.99", 404, "'99.99.99'"),
])
def test_errors_name_the_bad_value(api, path, status, names):
    response = api.get(path)
    assert response.status_code == status, response.text
    assert names in response.json()["description"]


@pytest.mark.parametrize("param, value", [
    ("sector", "energi' OR '1'='1"), ("regency_code", "62.71; DROP TABLE companies"),
    ("sortby", "name; DROP TABLE companies"), ("properties", "name,(SELECT 1)"),
    ("filter", "name = 'x'' OR 1=1 --'"), ("filter", "name = 'a' OR 1 = 1"),
    ("bbox", "1,2,3,4); DROP TABLE companies; --"), ("datetime", "2020-01-01'--"),
    ("limit", "1; DROP TABLE companies"), ("nationality", "CN') OR ('1'='1"),
])
def test_injection_is_harmless(api, frame, param, value):
    response = api.get("/collections/companies/items", params={param: value})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert response.json()["numberMatched"] in (0, len(frame))
    assert api.get("/collections/companies/items").json()["numberMatched"] == len(frame)


def test_viewer_never_gets_personal_data(site):  # noqa: F811
    headers = site.headers("viewer")
    for coll in ("companies", "inspections"):
        for f in ("json", "csv", "html"):
            text = httpx.get(f"{site.base}/api/collections/{coll}/items", params={"f": f, "limit": 1000},
                             headers=headers).text
            assert "Nama Rahasia" not in text and "ITAS0" not in text and "Catatan rahasia" not in text
            assert "P000" not in text


def test_scoped_user_sees_only_their_regencies(site, frame):  # noqa: F811
    h = site.headers("analyst", ["62.02"])
    got = all_features(httpx.Client(base_url=site.base + "/api", headers=h), "/collections/companies/items")
    assert sorted(f["id"] for f in got) == sorted(frame[frame.regency_code == "62.02"].id)
    c = httpx.Client(base_url=site.base + "/api", headers=h)
    other = int(frame[frame.regency_code == "62.71"].id.iloc[0])
    assert c.get(f"/collections/companies/items/{other}").status_code == 404
    assert c.get("/collections/companies/items", params={"regency_code": "62.71"}).json()["numberMatched"] == 0
    assert c.get("/collections/provinces/items").json()["numberMatched"] == 0
    regs = c.get("/collections/regencies/items").json()
    assert [f["id"] for f in regs["features"]] == ["62.02"]
    villages = all_features(c, "/collections/villages/items", {"limit": 1000, "properties": "code"})
    assert villages and all(f["id"].startswith("62.02.") for f in villages)
    insp = all_features(c, "/collections/inspections/items", {"limit": 1000})
    assert all(f["properties"]["regency_code"] == "62.02" for f in insp)


def test_page_cache_follows_writes_scope_and_etag(site, api):  # noqa: F811
    """Runs last in this module: it renames a company and adds a worker, then undoes both."""
    params = {"bbox": "113.8,-2.3,114.0,-2.1", "limit": 5, "properties": "name,workers"}
    first = api.get("/collections/companies/items", params=params)
    again = api.get("/collections/companies/items", params=params)
    assert first.headers["x-features-cache"] in ("hit", "miss")
    assert again.headers["x-features-cache"] == "hit" and again.content == first.content
    etag = first.headers["etag"]
    assert api.get("/collections/companies/items", params=params, headers={"If-None-Match": etag}).status_code == 304
    # Another format of the same URL is a different entry.
    csv = api.get("/collections/companies/items", params={**params, "f": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.splitlines()[0].startswith("id")

    feature = first.json()["features"][0]
    conn = psycopg2.connect(site.url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE companies SET name = 'PT Nama Baru Cache' WHERE id = %s", (feature["id"],))
        renamed = api.get("/collections/companies/items", params=params, headers={"If-None-Match": etag})
        assert renamed.status_code == 200 and renamed.headers["x-features-cache"] == "miss"
        assert renamed.json()["features"][0]["properties"]["name"] == "PT Nama Baru Cache"
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, position, "
                        "position_level) VALUES (%s, 'Baru', 'XCACHE001', 'JP', 'Staf', 'manajer')", (feature["id"],))
        added = api.get("/collections/companies/items", params=params).json()["features"][0]
        assert added["properties"]["workers"] == feature["properties"]["workers"] + 1
    finally:
        with conn, conn.cursor() as cur:
            cur.execute("DELETE FROM foreign_workers WHERE passport_number = 'XCACHE001'")
            cur.execute("UPDATE companies SET name = %s WHERE id = %s", (feature["properties"]["name"], feature["id"]))
        conn.close()
    restored = api.get("/collections/companies/items", params=params).json()
    # The rebuilt page has its own timeStamp (a second may have ticked over); the rest is as before.
    assert {**restored, "timeStamp": None} == {**first.json(), "timeStamp": None}

    # A regency-scoped user asking the very same URL gets their own page, not the cached one.
    scoped = httpx.get(f"{site.base}/api/collections/companies/items", params={"limit": 1000},
                       headers=site.headers("viewer", ["62.02"])).json()
    everyone = api.get("/collections/companies/items", params={"limit": 1000}).json()
    assert {f["properties"]["regency_code"] for f in scoped["features"]} == {"62.02"}
    assert everyone["numberMatched"] > scoped["numberMatched"]


def test_a_large_match_gets_the_planners_estimate(api, site):  # noqa: F811
    """Counting stops at offset + limit + 100 rows; beyond that numberMatched is PostgreSQL's
    estimate, computed in the same statement (plan_row_estimate), and says it is not exact."""
    with psycopg2.connect(site.url) as conn, conn.cursor() as cur:
        cur.execute("ANALYZE boundaries")
        cur.execute("SELECT count(*) FROM boundaries WHERE level = 'village'")
        villages = cur.fetchone()[0]
    assert villages > 10 + 100
    body = api.get("/collections/villages/items", params={"limit": 10}).json()
    assert body["numberReturned"] == 10 and body["numberMatchedExact"] is False
    assert 0.5 * villages <= body["numberMatched"] <= 2 * villages
    # Near the end of the list the page proves the count again.
    last = api.get("/collections/villages/items", params={"limit": 10, "offset": villages - 5}).json()
    assert last["numberReturned"] == 5 and last["numberMatched"] == villages and last["numberMatchedExact"] is True
