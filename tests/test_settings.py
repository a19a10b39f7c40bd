"""One Settings (geo/settings.py) decides how an app behaves: two apps made in one process with
different settings behave differently, whatever the environment says once they are made; every
knob keeps its variable name and is in the README's table."""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx
import psycopg2
import pytest

from api.main import create_app
from geo.settings import PROJECT_ROOT, Settings, markdown_table


def _user(url: str) -> tuple[str, str]:
    from geo.auth.users import create_user

    username, password = f"viewer-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    conn = psycopg2.connect(url)
    try:
        create_user(conn, username, password, "viewer", "kesbangpol", None)
    finally:
        conn.close()
    return username, password


async def _session(settings: Settings, username: str, password: str) -> dict:
    """Through the app in this process (httpx's ASGI transport, the app's own start-up and shut-down):
    what its feature cache and its login limit do."""
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://pantau.test") as client:
        token = (await client.post("/api/auth/token", data={"username": username, "password": password})).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        pages = [await client.get("/api/collections/companies/items", params={"limit": 3}, headers=headers)
                 for _ in range(2)]
        wrong = [(await client.post("/api/auth/token", data={"username": username, "password": "salah-" * 3})).status_code
                 for _ in range(2)]
    assert all(p.status_code == 200 for p in pages) and pages[0].content == pages[1].content
    return {"cache": [p.headers["x-features-cache"] for p in pages], "wrong": wrong}


def test_two_apps_in_one_process_follow_their_own_settings(fresh_db_url, monkeypatch):
    # The environment says otherwise, and changes after the settings were read: it must not matter.
    monkeypatch.setenv("DATABASE_URL", fresh_db_url)
    monkeypatch.setenv("PANTAU_FEATURES_CACHE_MB", "32")
    strict = Settings(database={"url": fresh_db_url}, cache={"features_cache_mb": 0},
                      auth={"login_failures_per_address": 1})
    monkeypatch.setenv("PANTAU_FEATURES_CACHE_MB", "0")
    monkeypatch.setenv("PANTAU_LOGIN_FAILURES_PER_ADDRESS", "1")
    default = Settings(database={"url": fresh_db_url}, cache={"features_cache_mb": 32},
                       auth={"login_failures_per_address": 20})
    monkeypatch.setenv("PANTAU_FEATURES_CACHE_MB", "32")
    monkeypatch.setenv("PANTAU_LOGIN_FAILURES_PER_ADDRESS", "1000")
    assert asyncio.run(_session(strict, *_user(fresh_db_url))) == {"cache": ["miss", "miss"], "wrong": [401, 429]}
    assert asyncio.run(_session(default, *_user(fresh_db_url))) == {"cache": ["miss", "hit"], "wrong": [401, 401]}


def test_knobs_keep_their_variable_names(monkeypatch):
    for name, value in {"DATABASE_URL": "postgresql://x@/y", "PANTAU_HOME": "/srv/pantau", "HOST": "0.0.0.0",
                        "PANTAU_PROVINCE": "63", "PANTAU_HASH_WORKERS": "3", "PANTAU_LOGIN_FAILURES_PER_ADDRESS": "7",
                        "PANTAU_TILES_CACHE_MB": "0", "PANTAU_BASEMAP_URL": "/ubin/{z}/{x}/{y}.png",
                        "PANTAU_IMPORT_MAX_COLUMNS": "9", "PANTAU_REPORT_QUEUE": "0", "PANTAU_MAX_JSON_KB": "8"}.items():
        monkeypatch.setenv(name, value)
    s = Settings(cache={"stats_cache_mb": 1})  # given in code: the rest still comes from the environment
    assert (s.database.url, str(s.database.home), s.server.host, s.boundaries.home_province) == (
        "postgresql://x@/y", "/srv/pantau", "0.0.0.0", "63")
    assert (s.auth.hash_workers, s.auth.login_failures_per_address, s.cache.tiles_cache_mb, s.cache.stats_cache_mb,
            s.maps.basemap_tiles_url, s.imports.max_columns, s.reports.queue, s.http.max_json_kb) == (
        3, 7, 0, 1, "/ubin/{z}/{x}/{y}.png", 9, 0, 8)
    monkeypatch.setenv("PANTAU_POOL_MAX", "nol")
    with pytest.raises(ValueError, match="pool_max"):
        Settings()


def test_the_readme_lists_every_knob():
    """The table between the markers is `python -m geo.settings`: regenerate it when a knob changes."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = re.search(r"<!-- settings -->\n(.*?)\n<!-- /settings -->", readme, re.S)
    assert table and table.group(1) == markdown_table()
    # The production table names only real knobs.
    production = readme.split("### Production settings", 1)[1].split("\n\n", 2)[1]
    named = set(re.findall(r"^\| `([A-Z_]+)`", production, re.M))
    assert named and named <= set(re.findall(r"^\| `([A-Z_]+)`", table.group(1), re.M))


def test_the_readme_layout_names_every_package():
    readme = (PROJECT_ROOT / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("\n\n", 2)[1]
    named = set(re.findall(r"^\| `([a-z_/]+)/`", layout, re.M))
    packages = {str(p.parent.relative_to(PROJECT_ROOT)) for root in ("geo", "api")
                for p in (PROJECT_ROOT / root).glob("*/__init__.py")}
    assert packages | {"geo", "api"} <= named
