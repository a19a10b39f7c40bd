"""Foreign nationals in the statistics (issue 17 items 3 and 4): GET /api/stats/{level} and the
quarterly series against an independent geopandas/pandas count of the same files
(tests/stats_foreign_data.py), at every level, with purpose and nationality filters, on another
`date`, within a regency scope."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
import psycopg2
import pytest

from geo import clock
from geo.stats.foreign import FIELDS, PERMIT_TYPES, PURPOSES, UNKNOWN
from tests import stats_foreign_data as data
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database

pytestmark = pytest.mark.slow  # a dataset and a server of its own

TODAY = clock.today()


@pytest.fixture(scope="module")
def files(tmp_path_factory, kalteng_files):
    return data.make_files(tmp_path_factory.mktemp("orang_asing"), kalteng_files, TODAY)


@pytest.fixture(scope="module")
def foreign_db(server_url, template_db, files):
    url = create_database(server_url, template=template_db)
    data.load(url, files)
    yield url
    drop_database(server_url, dbname_of(url))


@pytest.fixture(scope="module")
def expected(files, kalteng_files):
    return data.Expected(files, kalteng_files)


@pytest.fixture(scope="module")
def client(foreign_db):
    server = LiveServer(foreign_db)
    with httpx.Client(base_url=server.base, timeout=60) as c:
        yield c
    server.stop()


@pytest.fixture(scope="module")
def login(foreign_db, client):
    from geo.auth.users import create_user

    made: dict = {}

    def headers(role: str = "viewer", regencies: list[str] | None = None) -> dict:
        key = (role, tuple(regencies or ()))
        if key not in made:
            username, password = f"{role}-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
            conn = psycopg2.connect(foreign_db)
            try:
                create_user(conn, username, password, role, "kesbangpol", regencies)
            finally:
                conn.close()
            r = client.post("/api/auth/token", data={"username": username, "password": password})
            r.raise_for_status()
            made[key] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return made[key]

    return headers


def foreign_part(rows: list[dict]) -> dict[str, dict]:
    return {r["code"]: {k: r[k] for k in FIELDS} for r in rows}


def stats(client, headers, level: str, **params) -> dict:
    r = client.get(f"/api/stats/{level}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_controlled_lists_are_the_tables(foreign_db):
    conn = psycopg2.connect(foreign_db)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT code FROM stay_purposes")
            assert {c for (c,) in cur.fetchall()} == set(PURPOSES)
            cur.execute("SELECT code FROM permit_types")
            assert {c for (c,) in cur.fetchall()} == set(PERMIT_TYPES)
    finally:
        conn.close()


def test_dataset_spreads(expected):
    present = expected.present(TODAY)
    assert len(present) > 60
    assert present["regency"].nunique() >= 3 and present["village"].nunique() >= 20
    assert set(present["purpose"]) >= {"bekerja", UNKNOWN} and len(set(present["purpose"])) >= 8
    assert {1, 2, 3} <= set(present["rank"])  # stays, workers and lodging-only guests


# (level, parent) of every level; villages of a city and of a district elsewhere.
LEVELS = [("province", None), ("regency", None), ("district", None), ("village", "62.71"), ("village", "62.02")]
FILTERS = [
    {},
    {"purpose": ("bekerja", "studi", "keluarga")},
    {"purpose": (UNKNOWN,)},
    {"nationality": ("CN", "AU")},
]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: ",".join(f"{k}={'+'.join(v)}" for k, v in f.items()) or "none")
@pytest.mark.parametrize(("level", "parent"), LEVELS, ids=[f"{lv}-{p}" for lv, p in LEVELS])
def test_counts_per_region_equal_geopandas(client, login, expected, level, parent, flt):
    params = {k: ",".join(v) for k, v in flt.items()}
    if parent:
        params["parent"] = parent
    body = stats(client, login("analyst"), level, **params)
    assert body["today"] == TODAY.isoformat()
    got = foreign_part(body["regions"])
    want = expected.stats(level, TODAY, parent=parent, **flt)
    assert list(got) == list(want)  # every region, zeros included, by code
    assert got == want
    if level != "village" or not flt:
        assert sum(r["foreign_nationals"] for r in want.values()) > 0
    for row in got.values():
        for key in ("foreign_nationals_by_purpose", "foreign_nationals_by_permit", "foreign_nationals_by_nationality"):
            assert sum(row[key].values()) == row["foreign_nationals"], key
            counts = list(row[key].items())
            assert counts == sorted(counts, key=lambda kv: (-kv[1], kv[0])), key  # largest first


def test_purpose_filter_leaves_the_workers_alone(client, login):
    headers = login("analyst")
    plain = stats(client, headers, "regency")["regions"]
    filtered = stats(client, headers, "regency", purpose="wisata", permit_type="voa")
    assert filtered["filter"] == {"purpose": "wisata", "permit_type": "voa"}
    for a, b in zip(plain, filtered["regions"], strict=True):
        assert {k: v for k, v in a.items() if k not in FIELDS} == {k: v for k, v in b.items() if k not in FIELDS}
        assert set(b["foreign_nationals_by_purpose"]) <= {"wisata"}
        assert set(b["foreign_nationals_by_permit"]) <= {"voa"}
    assert sum(r["foreign_nationals"] for r in filtered["regions"]) < sum(r["foreign_nationals"] for r in plain)


def test_geojson_carries_the_counts(client, login, expected):
    r = client.get("/api/stats/district", params={"f": "geojson", "parent": "62.02", "purpose": "bekerja"},
                   headers=login("analyst"))
    assert r.status_code == 200
    got = {f["id"]: {k: f["properties"][k] for k in FIELDS} for f in r.json()["features"]}
    assert got == expected.stats("district", TODAY, parent="62.02", purpose=("bekerja",))


@pytest.mark.parametrize("days_ago", [45, 400])
def test_date_parameter(client, login, expected, days_ago):
    headers = login("analyst")
    day = TODAY - timedelta(days=days_ago)
    body = stats(client, headers, "district", date=day.isoformat())
    assert body["today"] == day.isoformat()
    assert foreign_part(body["regions"]) == expected.stats("district", day)
    now = foreign_part(stats(client, headers, "district")["regions"])
    assert foreign_part(body["regions"]) != now
    assert now == expected.stats("district", TODAY)


@pytest.mark.parametrize("value", ["2026-13-01", "kemarin", "1999-12-31"])
def test_bad_date_and_purpose_name_the_value(client, login, value):
    r = client.get("/api/stats/regency", params={"date": value}, headers=login("viewer"))
    assert r.status_code == 400 and value in r.json()["description"]
    r = client.get("/api/stats/regency", params={"purpose": "berdagang"}, headers=login("viewer"))
    assert r.status_code == 400 and "berdagang" in r.json()["description"]
    r = client.get("/api/stats/timeseries", params={"permit_type": "kitas"}, headers=login("viewer"))
    assert r.status_code == 400 and "kitas" in r.json()["description"]


def test_scope_leaves_other_regencies_out(client, login, expected):
    headers = login("analyst", ["62.71"])
    scope = ("62.71",)
    assert [r["code"] for r in stats(client, headers, "regency")["regions"]] == ["62.71"]
    for level in ("province", "regency", "district"):
        got = foreign_part(stats(client, headers, level)["regions"])
        assert got == expected.stats(level, TODAY, scope=scope), level
    province = stats(client, headers, "province")["regions"][0]
    everyone = stats(client, login("analyst"), "province")["regions"][0]
    only_palangka_raya = expected.stats("regency", TODAY)["62.71"]
    assert province["foreign_nationals"] == only_palangka_raya["foreign_nationals"] < everyone["foreign_nationals"]
    assert province["lodging_guests_30d"] == only_palangka_raya["lodging_guests_30d"]
    assert province["activities_12m"] == only_palangka_raya["activities_12m"]
    # Another regency's regions, asked for by name, are absent: not even zeros.
    assert stats(client, headers, "village", parent="62.02")["regions"] == []
    rows = stats(client, headers, "district", regency_code="62.02")["regions"]
    assert rows and all(r["code"].startswith("62.71.") for r in rows)
    assert all(r["foreign_nationals"] == r["lodging_guests_30d"] == r["activities_12m"] == 0 for r in rows)
    r = client.get("/api/stats/timeseries", params={"level": "regency"}, headers=headers)
    assert {q["code"] for q in r.json()["quarters"]} == {"62.71"}
    r = client.get("/api/stats/timeseries", params={"code": "62.02"}, headers=headers)
    assert r.status_code == 200 and r.json()["quarters"] == []
    # The province's series of a 62.71 user is Palangka Raya's.
    r = client.get("/api/stats/timeseries", params={"code": "62"}, headers=headers)
    keys = ("foreign_nationals", "lodging_guests", "activities")
    assert [{k: q[k] for k in keys} for q in r.json()["quarters"]] == [
        {k: q[k] for k in keys} for q in expected.series("62.71", _quarters(), TODAY)]


def _quarters(n: int = 8) -> list[tuple[date, date]]:
    out = []
    for k in range(n - 1, -1, -1):
        months = TODAY.year * 12 + (TODAY.month - 1) // 3 * 3 - 3 * k
        q0 = date(months // 12, months % 12 + 1, 1)
        end = q0.year * 12 + q0.month - 1 + 3
        out.append((q0, date(end // 12, end % 12 + 1, 1) - timedelta(days=1)))
    return out


@pytest.mark.parametrize("code", ["62", "62.71", "62.02", "village"])
def test_series_equals_geopandas(client, login, expected, code):
    if code == "village":  # the village with the most persons present today
        code = expected.present(TODAY)["village"].value_counts().index[0]
    r = client.get("/api/stats/timeseries", params={"code": code}, headers=login("analyst"))
    assert r.status_code == 200, r.text
    keys = ("foreign_nationals", "foreign_nationals_by_purpose", "foreign_nationals_by_permit", "lodging_guests",
            "activities")
    got = [{k: q[k] for k in keys} for q in r.json()["quarters"]]
    want = expected.series(code, _quarters(), TODAY)
    assert got == want
    assert sum(q["foreign_nationals"] for q in want) > 0
    assert len(code) > 8 or (sum(q["lodging_guests"] for q in want) > 0 and sum(q["activities"] for q in want) > 0)
    assert [q["quarter"] for q in r.json()["quarters"]] == [f"{q0.year}-Q{(q0.month - 1) // 3 + 1}"
                                                            for q0, _ in _quarters()]
