"""Fixtures: a real PostGIS (the embedded cluster or DATABASE_URL), throwaway databases with the
schema and the real Kalimantan Tengah boundaries, and a real HTTP server on a free port."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import psycopg2
import pytest

from geo.boundaries import Manifest, fetch_set, load_set
from geo.db import ensure_server
from geo.migrate import migrate
from geo.settings import PROJECT_ROOT, Settings
from tests.dbutil import create_database, dbname_of, drop_database, kept_template
from tests.seed import TOKEN_REUSE_S

SETTINGS = Settings()
# A module marked slow as a whole: `pytestmark = pytest.mark.slow`, or a list of marks holding it.
_SLOW_MODULE = re.compile(r"^pytestmark = (?:\[[^\]]*)?pytest\.mark\.slow\b", re.M)


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    """With `-m "not slow"` (make check), a module marked slow as a whole is not even imported: its
    imports (Playwright, schemathesis, reportlab) would cost the fast tier seconds for nothing."""
    if (config.getoption("markexpr") == "not slow" and collection_path.suffix == ".py"
            and collection_path.name.startswith("test_")
            and _SLOW_MODULE.search(collection_path.read_text(encoding="utf-8"))):
        return True
    return None


@pytest.fixture(scope="session")
def server_url() -> str:
    """URL of the PostgreSQL server (any database on it) the suite uses."""
    return ensure_server(SETTINGS.database)


@pytest.fixture(scope="session")
def manifest() -> Manifest:
    return Manifest.read(SETTINGS.boundaries.manifest)


@pytest.fixture(scope="session")
def kalteng_files(manifest) -> dict[str, Path]:
    _, files = fetch_set(manifest, manifest.layer_set("kalteng"), SETTINGS.database.home / "boundaries", SETTINGS.boundaries.source)
    return files


def _template_key(manifest_path: Path) -> str:
    """Changes with whatever the template holds: the migrations, the boundary manifest and the code
    that applies and loads them."""
    digest = hashlib.sha256()
    geo_dir = PROJECT_ROOT / "geo"
    for path in sorted([*(geo_dir / "migrations").glob("*.sql"), *(geo_dir / "boundaries").glob("*.py"),
                        geo_dir / "migrate.py", manifest_path]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def template_db(server_url, manifest, kalteng_files):
    """A database with the schema and the Kalimantan Tengah boundaries; cloned, never used directly.
    Kept between sessions (tests/dbutil.py kept_template), rebuilt when a migration or the boundary
    manifest changes: building it is a good part of a short session."""
    def build(url: str) -> None:
        conn = psycopg2.connect(url)
        try:
            migrate(conn)
            load_set(conn, manifest.layer_set("kalteng"), kalteng_files, "test mirror")
        finally:
            conn.close()

    return kept_template(server_url, f"pantau_template_{_template_key(SETTINGS.boundaries.manifest)}", build)


@pytest.fixture(scope="session")
def db_url(server_url, template_db):
    """A database shared by the read-only tests of the session."""
    url = create_database(server_url, template=template_db)
    yield url
    drop_database(server_url, dbname_of(url))


@pytest.fixture
def fresh_db_url(server_url, template_db):
    """A database of its own for a test that writes."""
    url = create_database(server_url, template=template_db)
    yield url
    drop_database(server_url, dbname_of(url))


@pytest.fixture
def empty_db_url(server_url):
    """A database with nothing in it (no schema)."""
    url = create_database(server_url)
    yield url
    drop_database(server_url, dbname_of(url))


@pytest.fixture
def conn(db_url):
    connection = psycopg2.connect(db_url)
    yield connection
    connection.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`pantau serve` in a subprocess against a given database."""

    def __init__(self, database_url: str, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # Every test logs in from 127.0.0.1 and several fail on purpose; the failures are counted in
        # the database, which many servers share (`seeded`): a suite would use up the per-address
        # budget. The tests of that limit set it themselves (test_trust_auth).
        env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(self.port),
               "PANTAU_LOGIN_FAILURES_PER_ADDRESS": "1000000", **(extra_env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:app_from_env", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            cwd=PROJECT_ROOT, env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.base}/api/health", timeout=2).status_code in (200, 503):
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="session")
def live_server(db_url):
    server = LiveServer(db_url)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def http(live_server):
    with httpx.Client(base_url=live_server.base, timeout=60) as client:
        yield client


# --- users and tokens ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def make_user(db_url):
    """Create a user in the session database; returns (username, password)."""
    import uuid

    from geo.auth.users import create_user

    def make(role: str = "admin", regencies: list[str] | None = None, agency: str = "kesbangpol"):
        username = f"{role}-{uuid.uuid4().hex[:8]}"
        password = f"pw-{uuid.uuid4().hex}"
        conn = psycopg2.connect(db_url)
        try:
            create_user(conn, username, password, role, agency, regencies)
        finally:
            conn.close()
        return username, password

    return make


@pytest.fixture(scope="session")
def auth_headers(live_server, make_user):
    """Bearer headers for a user of the given role and scope, logged in through /api/auth/token."""
    cache: dict = {}

    def headers(role: str = "admin", regencies: list[str] | None = None, agency: str = "kesbangpol") -> dict:
        key = (role, tuple(regencies or ()), agency)
        # Tokens live PANTAU_TOKEN_TTL_MINUTES (30): a suite on a busy machine outlasts one.
        if key not in cache or time.monotonic() - cache[key][1] > TOKEN_REUSE_S:
            username, password = make_user(role, regencies, agency)
            response = httpx.post(
                f"{live_server.base}/api/auth/token", data={"username": username, "password": password}, timeout=30
            )
            response.raise_for_status()
            cache[key] = ({"Authorization": f"Bearer {response.json()['access_token']}"}, time.monotonic())
        return dict(cache[key][0])

    return headers


# --- the default demo (read-only checks of tests/test_demo*.py) -------------------------------------
DEMO_TODAY = date(2026, 5, 9)


@pytest.fixture(scope="session")
def demo_url(server_url, template_db):
    """One database with the default `pantau demo` made on DEMO_TODAY, shared read-only."""
    from geo.demo import load_demo

    url = create_database(server_url, template=template_db)
    conn = psycopg2.connect(url)
    try:
        load_demo(conn, today=DEMO_TODAY)
    finally:
        conn.close()
    yield url
    drop_database(server_url, dbname_of(url))


# --- known monitoring data (access, edit and hostile-input tests) ---------------------------------
@pytest.fixture(scope="session")
def seeded(server_url, template_db):
    """Its own database with known companies, workers (recognisable personal data) and inspections
    in 62.02 and 62.71, a server on it, and `.headers(role, regencies)` for users of every role."""
    from tests.seed import seed

    data = seed(server_url, template_db)
    yield data
    data.close()


@pytest.fixture(scope="session")
def app_client(server_url, template_db):
    """The known data of `seeded` in a database of its own, served in-process: `create_app(settings)`
    through Starlette's TestClient (no HTTP server, no subprocess). `.client` is the TestClient;
    `.headers(role, regencies)` log in through it."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from tests.seed import seed

    data = seed(server_url, template_db, serve=False)
    try:
        with pytest.MonkeyPatch.context() as env:  # settings come from the environment, as in `pantau serve`
            env.setenv("DATABASE_URL", data.url)
            settings = Settings()
        # A client address as a socket gives one (the audit trail stores it as an inet).
        with TestClient(create_app(settings), client=("127.0.0.1", 50000)) as client:
            data.client = client
            yield data
    finally:
        data.close()
