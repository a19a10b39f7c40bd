"""GET /api/stats with foreign nationals, in process (make check): the known people of
tests/seed_foreign.py (present today: 4 in Palangka Raya 62.71, 5 in Kotawaringin Timur 62.02),
the fields, a 62.02 user getting nothing of 62.71, bad values named. Exact counts as an analyst
(viewers' small counts are hidden: tests/test_stats_foreign_suppression.py). The counts against an
independent computation: tests/test_stats_foreign.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from geo import clock
from geo.stats.foreign import FIELDS, UNKNOWN


@pytest.fixture(scope="module")
def api(app_client):
    return app_client


def regions(api, level: str, role: str = "analyst", regencies=None, **params) -> dict[str, dict]:
    r = api.client.get(f"/api/stats/{level}", params=params, headers=api.headers(role, regencies))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return {row["code"]: row for row in r.json()["regions"]}


def test_seeded_people_counted_where_they_are(api):
    rows = regions(api, "regency")
    assert set(FIELDS) <= set(rows["62.71"])
    assert rows["62.71"]["foreign_nationals"] == 4 and rows["62.02"]["foreign_nationals"] == 5
    # TAN is known only from the hotel's report: no purpose, no permit type.
    assert rows["62.71"]["foreign_nationals_by_purpose"][UNKNOWN] == 1
    assert rows["62.71"]["lodging_guests_30d"] == 2  # JOHN and TAN; LIM left 55 days ago
    assert rows["62.71"]["activities_12m"] == 1 and rows["62.02"]["activities_12m"] == 1
    assert regions(api, "province")["62"]["foreign_nationals"] == 9
    assert regions(api, "regency", purpose="bekerja")["62.02"]["foreign_nationals"] == 3  # ZHANG, AHMAD, LI
    # 200 days ago: no hotel guest yet, OLIVIA's stay not begun; JOHN's ITAP (900 days) was there.
    earlier = regions(api, "regency", date=(clock.today() - timedelta(days=200)).isoformat())
    assert earlier["62.71"]["lodging_guests_30d"] == 0
    assert earlier["62.71"]["foreign_nationals_by_purpose"].get("keagamaan") == 1
    assert "studi" not in earlier["62.71"]["foreign_nationals_by_purpose"]


def test_a_regency_user_gets_nothing_of_another(api):
    rows = regions(api, "regency", "analyst", ["62.02"])
    assert list(rows) == ["62.02"]
    assert regions(api, "province", "analyst", ["62.02"])["62"]["foreign_nationals"] == 5
    assert regions(api, "district", "viewer", ["62.02"], regency_code="62.71")  # rows of 62.02, counts of nothing
    assert all(r["foreign_nationals"] == 0 for r in regions(api, "district", "viewer", ["62.02"],
                                                              regency_code="62.71").values())
    r = api.client.get("/api/stats/timeseries", params={"level": "regency"}, headers=api.headers("viewer", ["62.02"]))
    assert {q["code"] for q in r.json()["quarters"]} == {"62.02"}
    assert r.json()["quarters"][-1]["foreign_nationals"] == 5


@pytest.mark.parametrize(("params", "named"), [
    ({"purpose": "berdagang"}, "berdagang"),
    ({"permit_type": "kitas"}, "kitas"),
    ({"date": "06-12-2026"}, "06-12-2026"),
])
def test_bad_values_named(api, params, named):
    r = api.client.get("/api/stats/regency", params=params, headers=api.headers("viewer"))
    assert r.status_code == 400 and named in r.json()["description"]
