"""Access across the whole API, discovered from the OpenAPI document: 401 without credentials; no
personal data for viewers in any format; nothing of 62.71 for a user scoped to 62.02."""

import httpx
import pytest

from tests.access_probe import HTML_PAGES, PUBLIC, get_requests, operations, readable

pytestmark = pytest.mark.slow  # every operation against the seeded server, reports built for real


@pytest.fixture(scope="module")
def client(seeded):
    with httpx.Client(base_url=seeded.server.base, timeout=180) as c:
        yield c


@pytest.fixture(scope="module")
def spec(client):
    return client.get("/api/openapi.json").json()


@pytest.fixture(scope="module")
def collections(client, seeded):
    body = client.get("/api/collections", headers=seeded.headers("admin")).json()
    return [c["id"] for c in body.get("collections", [])]


def _fill(path: str) -> str:
    for name, value in (("{company_id}", "1"), ("{worker_id}", "1"), ("{inspection_id}", "1"), ("{token_id}", "1"),
                        ("{kind}", "companies"), ("{collection_id}", "companies"), ("{collection}", "companies"),
                        ("{feature_id}", "1"), ("{level}", "regency"), ("{code}", "62"), ("{z}", "0"), ("{x}", "0"),
                        ("{y}", "0")):
        path = path.replace(name, value)
    return path


def test_every_non_public_endpoint_needs_credentials(client, spec):
    checked, wrong = 0, []
    for method, path, _ in operations(spec):
        if path in PUBLIC:
            continue
        r = client.request(method, _fill(path), follow_redirects=False)
        checked += 1
        if r.status_code != 401:
            wrong.append(f"{method} {path} -> {r.status_code}")
    for page in HTML_PAGES:
        r = client.get(page, follow_redirects=False)
        checked += 1
        if not (r.status_code == 401 or (r.status_code in (302, 303, 307) and "/login" in r.headers["location"])):
            wrong.append(f"GET {page} -> {r.status_code}")
    assert checked > 30
    assert wrong == []


def test_public_endpoints_stay_public(client):
    for path in ("/api/health", "/api/conformance", "/api/openapi.json", "/api/docs", "/login"):
        assert client.get(path).status_code == 200, path


def _bodies(client, headers, requests):
    for url, params in requests:
        r = client.get(url, params=params, headers=headers)
        assert r.status_code < 500, f"{url} {params} -> {r.status_code}: {r.text[:300]}"
        yield url, params, r


def test_viewer_never_receives_personal_data(client, seeded, spec, collections):
    requests = get_requests(spec, seeded, collections)
    assert len(requests) > 40
    leaks, ok = [], 0
    for url, params, r in _bodies(client, seeded.headers("viewer"), requests):
        text = readable(r.content)
        ok += r.status_code == 200
        leaks += [f"{url} {params}: {s}" for s in seeded.secrets if s in text]
    for page in ("/maps/province", "/maps/regency/62.02"):
        r = client.get(page, headers=seeded.headers("viewer"))
        leaks += [f"{page}: {s}" for s in seeded.secrets if s in r.text]
    assert ok > 20
    assert leaks == []


def test_analyst_does_receive_them_so_the_viewer_check_can_fail(client, seeded):
    r = client.get("/api/exports/workers", params={"format": "csv"}, headers=seeded.headers("analyst"))
    assert r.status_code == 200 and "EZ9911001" in r.text


def test_scoped_user_gets_nothing_of_another_regency(client, seeded, spec, collections):
    outside = ["PT Jasa Palangka Raya", "6271000000001", "KIM JISOOPRIVATE", "MK6611004"]
    requests = get_requests(spec, seeded, collections)
    leaks = []
    headers = seeded.headers("analyst", ["62.02"])
    for url, params, r in _bodies(client, headers, requests):
        text = readable(r.content)
        leaks += [f"{url} {params}: {s}" for s in outside if s in text]
        if url.startswith("/api/stats/") and r.status_code == 200 and "json" in r.headers.get("content-type", ""):
            assert '"62.71"' not in r.text, f"{url} {params} lists 62.71 for a 62.02 user"
    for page in ("/maps/province", "/maps/regency/62.02", "/maps/regency/62.71", "/maps/data/companies.json"):
        r = client.get(page, headers=headers)
        assert r.status_code < 500
        leaks += [f"{page}: {s}" for s in outside if s in r.text]
    assert leaks == []
    # and the same requests as a provincial user do show 62.71 (the check above can fail)
    r = client.get("/api/exports/companies", params={"format": "csv"}, headers=seeded.headers("analyst"))
    assert "PT Jasa Palangka Raya" in r.text
