"""Web pages over plain HTTP: login, session cookie, CSRF, redirects, map pages, 404/403/400."""

from __future__ import annotations

import re

import httpx
import psycopg2
import pytest

from tests.browser import fixtures
from tests.browser.data import COMPANIES, count
from tests.browser.fixtures import PASSWORD

maps_db, maps_server = fixtures.maps_db, fixtures.maps_server  # module-scoped fixtures

pytestmark = [pytest.mark.usefixtures("maps_server"), pytest.mark.slow]  # a dataset and a server of its own


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(base: str, username: str, next_path: str = "/") -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_of(form.text), "next": next_path})
    assert response.status_code == 303, response.text
    return client


@pytest.fixture(scope="module")
def admin(maps_server):
    client = login(maps_server.base, "admin-peta")
    yield client
    client.close()


def test_pages_redirect_to_login_keeping_the_path(maps_server):
    r = httpx.get(f"{maps_server.base}/maps/regency/62.71?sector=energi")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fmaps%2Fregency%2F62.71%3Fsector%3Denergi"
    assert httpx.get(f"{maps_server.base}/maps/data/companies.json").status_code == 401


def test_login_sets_session_and_csrf_cookies(maps_server):
    client = httpx.Client(base_url=maps_server.base)
    form = client.get("/login")
    assert "Masuk ke Pantau" in form.text
    csrf_cookie = form.headers["set-cookie"]
    assert csrf_cookie.startswith("pantau_csrf=") and "httponly" not in csrf_cookie.lower()
    r = client.post("/login", data={"username": "admin-peta", "password": PASSWORD,
                                    "csrf_token": csrf_of(form.text), "next": "/maps/province"})
    assert r.status_code == 303 and r.headers["location"] == "/maps/province"
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("pantau_session=")
    for part in ("httponly", "samesite=lax", "path=/"):
        assert part in cookie
    assert "secure" not in cookie  # PANTAU_COOKIE_SECURE is off in tests
    assert client.get("/maps/province").status_code == 200


def test_wrong_password_and_missing_csrf_are_refused(maps_server):
    client = httpx.Client(base_url=maps_server.base)
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "admin-peta", "password": "salah", "csrf_token": token})
    assert r.status_code == 401 and "Nama pengguna atau kata sandi salah" in r.text
    r = client.post("/login", data={"username": "admin-peta", "password": PASSWORD, "csrf_token": "lain"})
    assert r.status_code == 403 and "pantau_session" not in r.headers.get("set-cookie", "")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_no_open_redirect(maps_server, target):
    client = httpx.Client(base_url=maps_server.base)
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "admin-peta", "password": PASSWORD, "csrf_token": token, "next": target})
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_cookie_authenticated_unsafe_requests_need_the_csrf_token(admin):
    # A cookie-authenticated POST to the API without the header: refused before anything happens.
    r = admin.post("/api/auth/api-tokens", json={"name": "uji"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = admin.post("/api/auth/api-tokens", json={"name": "uji"}, headers={"X-CSRF-Token": "salah"})
    assert r.status_code == 403
    # With the cookie's value in the header the same request gets past the CSRF check.
    r = admin.post("/api/auth/api-tokens", json={"name": "uji"}, headers={"X-CSRF-Token": admin.cookies["pantau_csrf"]})
    assert r.status_code != 403
    # GET needs no token.
    assert admin.get("/api/auth/me").json()["username"] == "admin-peta"


def test_logout_needs_csrf_ends_the_session_and_is_audited(maps_server, maps_db):
    def logouts() -> int:
        conn = psycopg2.connect(maps_db[0])
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM audit_log WHERE action = 'auth.logout' AND username = 'viewer-peta'")
                return cur.fetchone()[0]
        finally:
            conn.close()

    before = logouts()
    client = login(maps_server.base, "viewer-peta")
    assert client.post("/logout", data={"csrf_token": "salah"}).status_code == 403
    assert logouts() == before
    r = client.post("/logout", data={"csrf_token": client.cookies["pantau_csrf"]})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert logouts() == before + 1
    assert client.get("/maps/province").status_code == 303


def test_province_page_is_small_local_and_complete(admin):
    r = admin.get("/maps/province")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert len(r.content) < 1_000_000
    assert "(14 wilayah)" in html and "/maps/data/regions.json?level=regency" in html
    # The numbers are not in the page (they are fetched at run time): the legend waits for them.
    assert "Kelas:" not in html and "Memuat statistik" in html
    # Every script and stylesheet comes from this server.
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not re.match(r"^(https?:)?//", url), url
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html
    # No company is embedded: names appear only at run time from the API.
    for name, *_ in COMPANIES:
        assert name not in html


def test_company_points_follow_the_shared_filters(admin):
    everything = admin.get("/maps/data/companies.json").json()
    assert everything["count"] == len(COMPANIES) == len(everything["points"])
    sawit = admin.get("/maps/data/companies.json", params={"sector": "perkebunan_sawit"}).json()
    assert sawit["count"] == count(sector="perkebunan_sawit")
    in_regency = admin.get("/maps/data/companies.json", params={"regency_code": "62.71"}).json()
    assert in_regency["count"] == count(regency="62.71")
    statuses = [everything["status"][p[3]] for p in everything["points"]]
    from tests.browser.data import permit
    assert sorted(statuses) == sorted(permit(c[4], None) for c in COMPANIES)
    bad = admin.get("/maps/data/companies.json", params={"sector": "tidak_ada"})
    assert bad.status_code == 400 and "tidak_ada" in bad.text


def test_region_numbers_classes_and_legend(admin):
    r = admin.get("/maps/data/regions.json", params={"level": "regency"})
    assert r.status_code == 200 and r.headers["ETag"]
    data = r.json()
    assert len(data["regions"]) == 14 and data["measure"] == "foreign_workers"
    workers = {}
    for _, _, regency, _, _, ws, _ in COMPANIES:
        workers[regency] = workers.get(regency, 0) + sum(n for _, n in ws)
    for code, region in data["regions"].items():
        assert region["values"]["foreign_workers"] == workers.get(code, 0), code
        assert re.fullmatch(r"#[0-9a-f]{6}", region["fill"])
    assert "Kelas:" in data["legend"] and data["method"] in data["legend"]
    # Regions with no workers share the grey class; the busiest one gets the darkest colour used.
    fills = {code: region["fill"] for code, region in data["regions"].items()}
    assert len({fills[c] for c in data["regions"] if c not in workers}) == 1
    busiest = max(workers, key=workers.get)
    assert fills[busiest] not in {fills[c] for c in data["regions"] if c not in workers}
    # Cached by data version: the same request answers 304 to its ETag.
    again = admin.get("/maps/data/regions.json", params={"level": "regency"},
                      headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
    companies = admin.get("/maps/data/regions.json", params={"level": "district", "parent": "62.71",
                                                              "measure": "companies", "sector": "energi"}).json()
    assert sum(v["values"]["companies"] for v in companies["regions"].values()) == count(sector="energi", regency="62.71")
    assert "Energi" in companies["legend"] or "energi" in companies["legend"]
    assert admin.get("/maps/data/regions.json", params={"level": "regency", "measure": "gaji"}).status_code == 400
    assert admin.get("/maps/data/regions.json", params={"level": "planet"}).status_code == 404


@pytest.mark.parametrize(("path", "status", "text"), [
    ("/maps/regency/99.99", 404, "99.99"),
    ("/maps/regency/62.71.01", 404, "62.71.01"),
    ("/maps/district/62.71", 404, "62.71"),
    ("/maps/province?sector=bukan_sektor", 400, "bukan_sektor"),
    ("/maps/province?measure=gaji", 400, "measure"),
    ("/maps/province?permit_status=basi", 400, "permit_status"),
])
def test_bad_pages(admin, path, status, text):
    r = admin.get(path)
    assert r.status_code == status
    assert text in r.text and "text/html" in r.headers["content-type"]


def test_regional_scope(maps_server):
    client = login(maps_server.base, "analis-kotim")
    assert client.get("/maps/regency/62.71").status_code == 403
    assert client.get("/maps/district/62.71.01").status_code == 403
    own = client.get("/maps/regency/62.02")
    assert own.status_code == 200
    province = client.get("/maps/province")
    assert "(1 wilayah)" in province.text
    points = client.get("/maps/data/companies.json").json()
    assert points["count"] == count(regency="62.02")
    assert list(client.get("/maps/data/regions.json", params={"level": "regency"}).json()["regions"]) == ["62.02"]


def test_static_vendor_assets_are_served(maps_server):
    for path in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/supercluster/supercluster.min.js",
                 "/static/js/pantau-map.js", "/static/vendor/fontawesome/webfonts/fa-solid-900.woff2"):
        assert httpx.get(maps_server.base + path).status_code == 200, path
    assert httpx.get(maps_server.base + "/static/../pyproject.toml").status_code == 404
