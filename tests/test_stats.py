"""Statistics by region, summary and quarterly series against an independent count."""

from __future__ import annotations

from datetime import date

import httpx
import psycopg2
import pytest
import shapely.geometry

from geo.filters import FilterError, MonitoringFilter
from geo.stats import quarterly_series, region_stats, summary
from tests import test_stats_data as data
from tests.test_stats_data import TODAY, expected_series, expected_stats, filtered

pytestmark = pytest.mark.slow  # a dataset and a server of its own

# The module-scoped dataset, server and logins (fixtures shared with the tile tests).
stats_db, raw, stats_server, login = data.stats_db, data.raw, data.stats_server, data.login

FILTERS = [
    {},
    {"sector": ("perkebunan_sawit", "konstruksi")},
    {"nationality": ("CN",)},
    {"permit_status": "expired"},
    {"regency_code": "62.71"},
]


@pytest.fixture(scope="module")
def conn(stats_db):
    connection = psycopg2.connect(stats_db)
    yield connection
    connection.close()


def _parent_with_villages(raw, regency: str) -> str:
    return sorted(c["district"] for c in raw.companies if c["regency"] == regency)[0]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: ",".join(f) or "none")
@pytest.mark.parametrize("level", ["province", "regency", "district", "village"])
def test_region_stats_equal_independent_count(conn, raw, level, flt):
    parent = _parent_with_villages(raw, "62.71") if level == "village" else None
    got = region_stats(conn, level, MonitoringFilter(**flt), parent=parent, today=TODAY)
    want = expected_stats(raw, level, TODAY, parent=parent, **flt)
    assert [r["code"] for r in got] == sorted(want)
    assert data.by_code(got) == want
    if not flt:
        assert sum(r["companies"] for r in got) > 0


def test_villages_of_a_regency_and_zero_rows(conn, raw):
    got = region_stats(conn, "village", MonitoringFilter(), parent="62.02", today=TODAY)
    want = expected_stats(raw, "village", TODAY, parent="62.02")
    assert data.by_code(got) == want
    assert sum(r["companies"] for r in got) == sum(1 for c in raw.companies if c["regency"] == "62.02")
    districts = region_stats(conn, "district", MonitoringFilter(), today=TODAY)
    assert len(districts) == sum(1 for r in raw.regions.values() if r["level"] == "district")
    empty = [r for r in districts if r["companies"] == 0]
    assert empty and all(r["foreign_workers"] == 0 and r["by_nationality"] == {} for r in empty)


def test_scoped_filter_leaves_other_regions_out(conn, raw):
    scope = ("62.71", "62.10")
    flt = MonitoringFilter(scope=scope)
    for level in ("regency", "district"):
        got = region_stats(conn, level, flt, today=TODAY)
        assert {r["code"][:5] for r in got} == set(scope)
        assert data.by_code(got) == expected_stats(raw, level, TODAY, scope=scope)
    province = region_stats(conn, "province", flt, today=TODAY)
    assert province[0]["companies"] == len(filtered(raw, TODAY, scope=scope))


def test_bad_level_and_parent(conn):
    with pytest.raises(FilterError, match="'county'"):
        region_stats(conn, "county", MonitoringFilter())
    with pytest.raises(FilterError, match="parent: required"):
        region_stats(conn, "village", MonitoringFilter())
    with pytest.raises(FilterError, match="'62.99'"):
        region_stats(conn, "district", MonitoringFilter(), parent="62.99")
    with pytest.raises(FilterError, match="'62.71.01'"):
        region_stats(conn, "district", MonitoringFilter(), parent="62.71.01")


def test_summary_equals_independent_totals(conn, raw):
    got = summary(conn, MonitoringFilter(nationality=("CN", "MY")), today=TODAY)
    rows = expected_stats(raw, "province", TODAY, nationality=("CN", "MY"))["62"]
    for key in ("companies", "foreign_workers", "by_nationality", "permits_expired", "permits_expiring_30d",
                "permits_expiring_90d", "rptka_expired", "rptka_expiring_90d", "not_inspected_12m"):
        assert got[key] == rows[key], key
    q0 = date(TODAY.year, 3 * ((TODAY.month - 1) // 3) + 1, 1)
    ids = {c["id"] for c in filtered(raw, TODAY, nationality=("CN", "MY"))}
    in_quarter = [i for i in raw.inspections if i["company"] in ids and i["on"] >= q0 and
                  (i["on"].year, (i["on"].month - 1) // 3) == (q0.year, (q0.month - 1) // 3)]
    assert got["inspections_quarter"] == len(in_quarter)
    assert sum(got["findings_quarter"].values()) == len(in_quarter)


def _quarters(n: int) -> list[date]:
    q0 = date(TODAY.year, 3 * ((TODAY.month - 1) // 3) + 1, 1)
    out = []
    for k in range(n - 1, -1, -1):
        months = q0.year * 12 + q0.month - 1 - 3 * k
        out.append(date(months // 12, months % 12 + 1, 1))
    return out


@pytest.mark.parametrize("code", [None, "62.71", "62.02"])
def test_quarterly_series_equals_independent_count(conn, raw, code):
    got = quarterly_series(conn, MonitoringFilter(), code=code, today=TODAY)
    want = expected_series(raw, _quarters(8), TODAY, code)
    assert [{k: r[k] for k in ("quarter", "active_workers", "inspections", "findings")} for r in got] == want
    assert sum(r["inspections"] for r in want) > 0 and sum(r["active_workers"] for r in want) > 0


def test_quarterly_series_of_a_village(conn, raw):
    from tests.test_stats_data import region_of

    village = region_of(raw, next(c for c in raw.companies if c["regency"] == "62.71"), "village")
    got = quarterly_series(conn, MonitoringFilter(), code=village, today=TODAY)
    want = expected_series(raw, _quarters(8), TODAY, village)
    assert [{k: r[k] for k in ("quarter", "active_workers", "inspections", "findings")} for r in got] == want
    assert sum(r["inspections"] + r["active_workers"] for r in want) > 0


def test_quarterly_series_per_region_and_bad_quarters(conn, raw):
    got = quarterly_series(conn, MonitoringFilter(), level="regency", start="2025-Q1", end="2025-Q4", today=TODAY)
    assert len(got) == 4 * 14
    assert {r["quarter"] for r in got} == {"2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"}
    with pytest.raises(FilterError, match="'2025-Q5'"):
        quarterly_series(conn, MonitoringFilter(), start="2025-Q5")
    with pytest.raises(FilterError, match="start"):
        quarterly_series(conn, MonitoringFilter(), start="2026-Q1", end="2025-Q1")


# --- HTTP ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(stats_server):
    with httpx.Client(base_url=stats_server.base, timeout=60) as c:
        yield c


def test_http_stats_by_district_for_a_viewer(client, login, raw):
    r = client.get("/api/stats/district", params={"sector": "perkebunan_sawit"}, headers=login("viewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["level"] == "district" and body["filter"] == {"sector": "perkebunan_sawit"}
    today = date.fromisoformat(body["today"])
    assert data.by_code(body["regions"]) == expected_stats(
        raw, "district", today, sector=("perkebunan_sawit",))
    assert "Pekerja Rahasia" not in r.text


def test_http_requires_login(client):
    assert client.get("/api/stats/regency").status_code == 401


def test_http_scoped_user_sees_only_own_regions(client, login, raw):
    r = client.get("/api/stats/district", headers=login("analyst", ["62.02"]))
    assert r.status_code == 200
    codes = [row["code"] for row in r.json()["regions"]]
    assert codes and all(code.startswith("62.02.") for code in codes)
    r = client.get("/api/stats/regency", headers=login("analyst", ["62.02"]))
    assert [row["code"] for row in r.json()["regions"]] == ["62.02"]


def test_http_geojson_has_region_polygons(client, login, raw):
    headers = login("viewer")
    r = client.get("/api/stats/regency", params={"f": "geojson", "nationality": "MY"}, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 14
    want = expected_stats(raw, "regency", date.today(), nationality=("MY",))
    for feature in fc["features"]:
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.geom_type in ("Polygon", "MultiPolygon") and shape.area > 0.01
        assert shape.buffer(0.01).contains(shapely.Point(feature["properties"]["label_point"]))
        props = {k: v for k, v in feature["properties"].items() if k != "label_point"}
        assert data.by_code([props])[feature["id"]] == want[feature["id"]]


def test_http_villages_summary_timeseries(client, login, raw):
    headers = login("viewer")
    district = _parent_with_villages(raw, "62.10")
    r = client.get("/api/stats/village", params={"parent": district}, headers=headers)
    assert r.status_code == 200
    assert data.by_code(r.json()["regions"]) == expected_stats(
        raw, "village", date.today(), parent=district)
    r = client.get("/api/stats/summary", headers=headers)
    assert r.status_code == 200 and r.json()["companies"] == len(raw.companies)
    r = client.get("/api/stats/timeseries", params={"code": "62.71"}, headers=headers)
    assert r.status_code == 200
    got = [{k: q[k] for k in ("quarter", "active_workers", "inspections", "findings")} for q in r.json()["quarters"]]
    assert got == expected_series(raw, _quarters(8), date.today(), "62.71")


@pytest.mark.parametrize(("path", "params", "status", "named"), [
    ("/api/stats/county", {}, 404, "'county'"),
    ("/api/stats/village", {}, 400, "parent"),
    ("/api/stats/district", {"parent": "62.99"}, 400, "'62.99'"),
    ("/api/stats/district", {"f": "xml"}, 400, "'xml'"),
    ("/api/stats/district", {"sector": "kopi"}, 400, "'kopi'"),
    ("/api/stats/timeseries", {"start": "2025Q1"}, 400, "'2025Q1'"),
    ("/api/stats/timeseries", {"code": "62.99.99"}, 400, "'62.99.99'"),
    ("/api/stats/timeseries", {"level": "planet"}, 400, "'planet'"),
])
def test_http_bad_input_names_the_value(client, login, path, params, status, named):
    r = client.get(path, params=params, headers=login("viewer"))
    assert r.status_code == status, r.text
    assert named in r.json()["description"]


def test_http_cache_follows_edits_and_etag(client, login, stats_db, raw):
    """Runs last: it adds a worker, then removes it again."""
    headers = login("viewer")
    district = next(c for c in raw.companies if c["regency"] == "62.10")
    first = client.get("/api/stats/district", headers=headers)
    again = client.get("/api/stats/district", headers=headers)
    assert again.headers["x-stats-cache"] == "hit" and again.content == first.content
    assert client.get("/api/stats/district", headers={**headers, "If-None-Match": first.headers["etag"]}).status_code == 304

    def workers_in(response) -> int:
        return next(r["foreign_workers"] for r in response.json()["regions"] if r["code"] == district["district"])

    conn = psycopg2.connect(stats_db)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, position, "
                        "position_level) VALUES (%s, 'Baru', 'XNEW00001', 'JP', 'Staf', 'manajer') RETURNING id",
                        (district["id"],))
            worker_id = cur.fetchone()[0]
        after = client.get("/api/stats/district", headers={**headers, "If-None-Match": first.headers["etag"]})
        assert after.status_code == 200 and after.headers["x-stats-cache"] == "miss"
        assert workers_in(after) == workers_in(first) + 1
    finally:
        with conn, conn.cursor() as cur:
            cur.execute("DELETE FROM foreign_workers WHERE passport_number = 'XNEW00001'")
        conn.close()
    assert workers_in(client.get("/api/stats/district", headers=headers)) == workers_in(first)
    assert worker_id
