"""Graceful shutdown: SIGTERM while a slow request is in flight. The request still completes with
200 and its whole body, the listener closes at once (new connections are refused while the old
request finishes), and the process ends cleanly within the graceful timeout: exit status 0, or
terminated by the re-raised SIGTERM after uvicorn finished its graceful shutdown (uvicorn >= 0.29
does that on purpose; systemd and Kubernetes treat it as a clean stop).

A database of its own with 20,000 companies (SQL generate_series + ST_GeneratePoints on the
district polygons) makes `items?limit=10000` take long enough to be caught in flight.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import psycopg2
import pytest

from bench.sqlfill import fill
from geo.auth.users import create_user
from geo.settings import PROJECT_ROOT
from tests.conftest import LiveServer, free_port
from tests.dbutil import create_database, dbname_of, drop_database

pytestmark = pytest.mark.slow  # servers stopped in the middle of requests

USER, PASSWORD = "petugas.shutdown", "kata-sandi-shutdown-panjang"
SLOW = "/api/collections/companies/items?limit=10000"
GRACEFUL_S = 20  # `pantau serve` passes timeout_graceful_shutdown=20 (docs/scaling.md)


@pytest.fixture(scope="module")
def big_db_url(server_url, template_db):
    url = create_database(server_url, template=template_db)
    counts = fill(url, companies=20_000, workers=20_000)
    assert counts["companies"] == 20_000
    conn = psycopg2.connect(url)
    try:
        create_user(conn, USER, PASSWORD, "viewer", "kesbangpol", None)
    finally:
        conn.close()
    yield url
    drop_database(server_url, dbname_of(url))


def _headers(base: str) -> dict:
    token = httpx.post(f"{base}/api/auth/token", data={"username": USER, "password": PASSWORD}, timeout=30)
    token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _wait_in_flight(db_url: str, timeout: float = 30) -> None:
    """Until the API has the slow query running in PostgreSQL: then the request is surely in flight."""
    conn = psycopg2.connect(db_url)
    conn.autocommit = True
    try:
        deadline = time.monotonic() + timeout
        with conn.cursor() as cur:
            while time.monotonic() < deadline:
                cur.execute("""SELECT count(*) FROM pg_stat_activity
                                WHERE datname = current_database() AND application_name = 'pantau-api'
                                  AND state = 'active' AND query ILIKE '%%companies%%'""")
                if cur.fetchone()[0]:
                    return
                time.sleep(0.02)
    finally:
        conn.close()
    pytest.fail("the slow request never showed up as an active query")


def _refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


def _shutdown_while_in_flight(proc: subprocess.Popen, base: str, port: int, db_url: str) -> None:
    headers = _headers(base)
    result: dict = {}

    def slow_request():
        try:
            with httpx.Client(timeout=120) as client:
                r = client.get(f"{base}{SLOW}", headers=headers)
                result["status"], result["body"] = r.status_code, r.content
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            result["error"] = repr(exc)

    thread = threading.Thread(target=slow_request)
    thread.start()
    _wait_in_flight(db_url)
    assert thread.is_alive(), "request finished before SIGTERM could be sent"
    signalled = time.monotonic()
    proc.send_signal(signal.SIGTERM)

    # The listener closes at once, while the old request is still being served.
    refused_while_running = False
    while proc.poll() is None and time.monotonic() - signalled < 5:
        if _refused(port):
            refused_while_running = proc.poll() is None
            break
        time.sleep(0.05)
    assert refused_while_running, "new connections were still accepted after SIGTERM"

    thread.join(timeout=GRACEFUL_S + 10)
    assert not thread.is_alive(), "in-flight request never completed"
    assert "error" not in result, result.get("error")
    assert result["status"] == 200
    body = httpx.Response(200, content=result["body"]).json()
    assert body["numberReturned"] == 10_000 and len(body["features"]) == 10_000

    code = proc.wait(timeout=GRACEFUL_S + 10)
    elapsed = time.monotonic() - signalled
    # Exit 0, or (uvicorn >= 0.29) the SIGTERM re-raised once the shutdown finished, so that process
    # managers see why it ended; systemd and Kubernetes count that as a clean exit.
    assert code in (0, -signal.SIGTERM), f"exit status {code}"
    assert elapsed < GRACEFUL_S + 5, f"took {elapsed:.1f} s to exit"
    assert _refused(port)


def test_sigterm_finishes_request_in_flight(big_db_url):
    server = LiveServer(big_db_url)
    try:
        _shutdown_while_in_flight(server.proc, server.base, server.port, big_db_url)
    finally:
        server.stop()


def test_sigterm_with_two_workers_via_pantau_serve(big_db_url):
    """The deployment command: `pantau serve --workers 2` (uvicorn supervisor + two worker processes)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": big_db_url, "PORT": str(port)}
    proc = subprocess.Popen([sys.executable, "-m", "geo.cli", "serve", "--workers", "2"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Generous: on a busy machine uvicorn's supervisor may restart a child that is slow to import.
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, f"pantau serve exited with {proc.returncode}"
            assert time.monotonic() < deadline, "pantau serve did not start within 180 s"
            try:
                if httpx.get(f"{base}/api/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        _shutdown_while_in_flight(proc, base, port, big_db_url)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
