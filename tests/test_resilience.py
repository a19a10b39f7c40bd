"""The API through a database outage: 503 with a clear message while it is down, back by itself
within seconds when it returns, no restart. Uses a cluster of its own, so stopping it harms nobody."""

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psycopg2
import pytest

from geo.auth.users import create_user
from geo.boundaries import load_set
from geo.cluster import LocalCluster
from geo.migrate import migrate
from tests.conftest import LiveServer

pytestmark = [pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="needs the embedded cluster"),
              pytest.mark.slow]  # clusters of its own stopped and started under a server


@pytest.fixture
def own_cluster(manifest, kalteng_files):
    home = Path(tempfile.mkdtemp(prefix="pantau-outage-"))
    home.chmod(0o755)
    cluster = LocalCluster(home / "state")
    cluster.start()
    conn = psycopg2.connect(cluster.url)
    try:
        migrate(conn)
        load_set(conn, manifest.layer_set("kalteng"), kalteng_files, "test")
        create_user(conn, "petugas.uji", "kata-sandi-uji-panjang", "viewer", "kesbangpol", None)
    finally:
        conn.close()
    yield cluster
    cluster.stop()
    shutil.rmtree(home, ignore_errors=True)


def test_outage_gives_503_and_recovers_without_restart(own_cluster):
    server = LiveServer(own_cluster.url)
    try:
        client = httpx.Client(base_url=server.base, timeout=30)
        token = client.post("/api/auth/token", data={"username": "petugas.uji", "password": "kata-sandi-uji-panjang"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert client.get("/api/ready").status_code == 200
        # A request that reads the database every time (the principal itself is cached briefly).
        probe = "/api/collections/regencies/items?limit=1"
        assert client.get(probe, headers=headers).status_code == 200

        # Requests keep coming while the database goes down and comes back.
        statuses: list[int] = []
        stop = threading.Event()

        def hammer():
            with httpx.Client(base_url=server.base, timeout=30) as c:
                while not stop.is_set():
                    statuses.append(c.get(probe, headers=headers).status_code)
                    time.sleep(0.02)

        worker = threading.Thread(target=hammer)
        worker.start()
        time.sleep(0.5)
        own_cluster.stop()
        time.sleep(1.0)

        down = client.get(probe, headers=headers)
        assert down.status_code == 503
        assert "Basis data" in down.json()["description"] and down.headers["retry-after"] == "5"
        assert client.get("/api/ready").status_code == 503
        health = client.get("/api/health")
        assert health.status_code == 200 and health.json()["status"] == "degraded"

        own_cluster.start()
        deadline = time.monotonic() + 10
        while client.get("/api/ready").status_code != 200:
            assert time.monotonic() < deadline, "API did not recover within 10 s"
            time.sleep(0.2)
        assert client.get(probe, headers=headers).status_code == 200
        time.sleep(0.5)
        stop.set()
        worker.join()
        # Only answers a client can act on: served, or 503 "retry"; never a 500 or a dropped connection.
        assert set(statuses) <= {200, 503}, sorted(set(statuses))
        assert 503 in statuses and statuses[-1] == 200
    finally:
        server.stop()


def test_a_cancelled_query_is_not_mistaken_for_an_outage(db_url):
    """statement_timeout raises an OperationalError subclass on a healthy connection: the pool
    must hand back a clean connection, not report the database down."""
    import psycopg2.errors

    from geo.db import Pool

    pool = Pool(db_url, 1, statement_timeout_ms=100)
    with pytest.raises(psycopg2.errors.QueryCanceled), pool.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_sleep(2)")
    with pool.connection() as conn, conn.cursor() as cur:  # the same (only) connection, usable
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    pool.close()
