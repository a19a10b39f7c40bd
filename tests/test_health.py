import pytest

pytestmark = pytest.mark.slow  # the session's server


def test_health_details_report_database_postgis_and_boundaries_to_admins(http, auth_headers):
    # anonymous callers get liveness only (tests/test_trust_auth.py)
    response = http.get("/api/health/details", headers=auth_headers("admin"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["reachable"] is True
    assert body["database"]["postgis"].startswith("3.")
    assert body["boundaries"] == {"province": 1, "regency": 14, "district": 136, "village": 1571}
    assert {r["code"] for r in body["boundary_repairs"]} >= {"62.02", "62.06", "62.07.03"}


def test_openapi_page_is_served(http):
    assert http.get("/api/docs").status_code == 200
    assert http.get("/api/openapi.json").json()["info"]["title"] == "Pantau API"
