"""How requests use the database, against a real server (#16 item 1).

- A request whose client goes away has its query cancelled on the server within a second, whatever
  runs it (an async route, its blocking work in a thread, a `def` route), and its connection comes
  back to the pool (PostgreSQL would otherwise run it until statement_timeout). The query is made
  slow by a table lock held by the test.
- Opening a connection never blocks the event loop: with a database host name that takes 1.5 s to
  resolve (getaddrinfo slowed by an LD_PRELOAD shim), a request that needs no database is answered
  at once while other requests open their connections.
- One worker never holds more server connections than its budget, PANTAU_POOL_MAX, under concurrent
  load of every kind of route (counted in pg_stat_activity).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import psycopg2
import pytest

from geo.auth.users import create_user
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database
from tests.http_load import Request, run_load
from tests.seed import fill
from tests.test_trust_logging import ServeProcess

pytestmark = pytest.mark.slow  # servers of its own

USER, PASSWORD = "petugas.koneksi", "kata-sandi-koneksi-yang-panjang"
POOL_MAX = 3


class Monitor:
    """The test's own view of pg_stat_activity for the server's connections (application_name
    pantau-api) in one database."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg2.connect(url, application_name="pantau-test-monitor")
        self.conn.autocommit = True

    def count(self, condition: str = "true") -> int:
        with self.conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "  # noqa: S608
                        f"AND application_name = 'pantau-api' AND {condition}")
            return cur.fetchone()[0]

    def until(self, condition: str, expected: int, timeout: float) -> float | None:
        """Seconds until count(condition) == expected, or None if it never got there."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.count(condition) == expected:
                return time.monotonic() - started
            time.sleep(0.01)
        return None

    def close(self) -> None:
        self.conn.close()


@pytest.fixture(scope="module")
def own_db(server_url, template_db):
    url = create_database(server_url, template=template_db)
    company_ids, _, _ = fill(url)
    conn = psycopg2.connect(url)
    try:
        create_user(conn, USER, PASSWORD, "viewer", "kesbangpol", None)
    finally:
        conn.close()
    yield url, company_ids
    drop_database(server_url, dbname_of(url))


def _headers(base: str) -> dict:
    token = httpx.post(f"{base}/api/auth/token", data={"username": USER, "password": PASSWORD}, timeout=30)
    token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@pytest.fixture(scope="module")
def server(own_db):
    url, _ = own_db
    live = LiveServer(url, {"PANTAU_POOL_MAX": str(POOL_MAX), "PANTAU_POOL_WAIT_S": "3"})
    yield live
    live.stop()


# --- a client that goes away ---------------------------------------------------------------------
ABANDONED = [
    pytest.param("/api/collections/companies/items/{id}", id="one feature"),
    pytest.param("/api/collections/companies/items?limit=5", id="GeoJSON page"),
    pytest.param("/api/collections/companies/items?limit=5&f=csv", id="CSV page"),
    pytest.param("/api/collections/companies", id="collection document, a def route"),
    pytest.param("/api/stats/summary", id="statistics"),
]


def _send(base: str, path: str, headers: dict) -> socket.socket:
    """A request on a raw socket, so the test decides when the client goes away."""
    port = int(base.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    return sock


@pytest.mark.parametrize("path", ABANDONED)
def test_a_client_that_goes_away_has_its_query_cancelled_within_a_second(own_db, server, path):
    url, company_ids = own_db
    path = path.format(id=company_ids[0])
    headers = _headers(server.base)
    monitor = Monitor(url)
    locker = psycopg2.connect(url, application_name="pantau-test-locker")
    try:
        with locker.cursor() as cur:
            cur.execute("LOCK TABLE companies IN ACCESS EXCLUSIVE MODE")
        sock = _send(server.base, path, headers)
        try:
            # The route's statement now waits for the lock: a query that would run for 30 s.
            assert monitor.until("wait_event_type = 'Lock'", 1, 10) is not None, "the request never reached its query"
        finally:
            sock.close()  # the client goes away
        took = monitor.until("state = 'active'", 0, 1.0)
        assert took is not None, "the abandoned request's query still runs on the server after 1 s"
        locker.rollback()
        # Its connection came back: POOL_MAX sequential requests more than the pool holds all succeed.
        with httpx.Client(base_url=server.base, headers=headers, timeout=10) as client:
            for _ in range(POOL_MAX + 1):
                assert client.get(path).status_code == 200
    finally:
        locker.close()
        monitor.close()


def test_an_abandoned_request_is_logged_as_499_not_as_a_server_error(own_db, tmp_path):
    url, company_ids = own_db
    path = f"/api/collections/companies/items/{company_ids[0]}"
    served = ServeProcess(url, tmp_path / "serve.log", {"PANTAU_POOL_MAX": str(POOL_MAX)})
    monitor = Monitor(url)
    locker = psycopg2.connect(url, application_name="pantau-test-locker")
    try:
        headers = _headers(served.base)
        with locker.cursor() as cur:
            cur.execute("LOCK TABLE companies IN ACCESS EXCLUSIVE MODE")
        sock = _send(served.base, path, headers)
        try:
            assert monitor.until("wait_event_type = 'Lock'", 1, 10) is not None, "the request never reached its query"
        finally:
            sock.close()
        assert monitor.until("state = 'active'", 0, 1.0) is not None
    finally:
        locker.close()
        monitor.close()
        log = served.stop()  # the access log is written in batches, at the latest at shutdown
    lines = [line for line in log.splitlines() if "pantau.access" in line and path in line]
    assert len(lines) == 1, log[-2000:]
    assert f"GET {path} 499 " in lines[0]
    assert "unhandled error" not in log


# --- the connection budget -----------------------------------------------------------------------
def _mixed(company_ids: list[int], headers: dict):
    def make(n: int) -> Request:
        x = 112.0 + (n % 40) * 0.05
        paths = (
            f"/api/collections/companies/items/{company_ids[n % len(company_ids)]}",
            f"/api/collections/companies/items?bbox={x:.2f},-3.0,{x + 1:.2f},-1.5&limit=5",
            f"/api/collections/companies/items?bbox={x:.2f},-3.0,{x + 1:.2f},-1.5&limit=5&f=csv",
            "/api/collections/companies",
            f"/api/stats/summary?datetime=2020-01-{1 + n % 28:02d}/..",
            "/api/health",
        )
        return Request("GET", paths[n % len(paths)], headers)

    return make


def test_one_worker_never_holds_more_connections_than_its_budget(own_db, server):
    url, company_ids = own_db
    headers = _headers(server.base)
    monitor = Monitor(url)
    peak, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], monitor.count())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        load = asyncio.run(run_load(server.base, 24, 4, _mixed(company_ids, headers)))
    finally:
        stop.set()
        sampler.join()
        monitor.close()
    assert not load.errors, load.errors
    assert set(load.statuses) == {200}, load.statuses
    assert 0 < peak[0] <= POOL_MAX + 1, f"{peak[0]} connections open at once (budget: PANTAU_POOL_MAX={POOL_MAX} + 1)"


# --- connecting never blocks the event loop ------------------------------------------------------
SLOW_HOST = "slow-dns.pantau.test"
SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>
#include <unistd.h>

typedef int (*gai)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
    gai real = (gai)dlsym(RTLD_NEXT, "getaddrinfo");
    if (node && strcmp(node, "SLOW_HOST") == 0) {
        usleep(1500000);
        node = "127.0.0.1";
    }
    return real(node, service, hints, res);
}
""".replace("SLOW_HOST", SLOW_HOST)


@pytest.fixture(scope="module")
def slow_dns_shim(tmp_path_factory) -> Path:
    """A shared library making getaddrinfo of SLOW_HOST take 1.5 s (then 127.0.0.1)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build the slow-DNS shim")
    folder = tmp_path_factory.mktemp("shim")
    (folder / "shim.c").write_text(SHIM)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(folder / "shim.so"), str(folder / "shim.c"), "-ldl"], check=True)
    return folder / "shim.so"


class Forwarder:
    """127.0.0.1:<port> -> the database server (its Unix socket or TCP address), so a client can
    reach the test database through a host name."""

    def __init__(self, target) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            family = socket.AF_UNIX if isinstance(self.target, str) else socket.AF_INET
            upstream = socket.socket(family, socket.SOCK_STREAM)
            upstream.connect(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()
        for s in self.sockets:
            s.close()


def test_opening_connections_never_blocks_the_event_loop(own_db, slow_dns_shim):
    url, company_ids = own_db
    dsn = psycopg2.extensions.parse_dsn(url)
    host, port = dsn.get("host", "localhost"), int(dsn.get("port", 5432))
    forwarder = Forwarder(f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, port))
    slow_url = psycopg2.extensions.make_dsn(url, host=SLOW_HOST, port=forwarder.port)
    live = LiveServer(slow_url, {"LD_PRELOAD": str(slow_dns_shim), "PANTAU_POOL_MAX": "4"})
    try:
        headers = _headers(live.base)
        assert httpx.get(live.base + "/api/openapi.json", timeout=10).status_code == 200
        paths = [f"/api/collections/companies/items/{company_ids[0]}", "/api/collections/companies/items?limit=5",
                 "/api/collections/companies/items?limit=5&f=csv", "/api/stats/summary"]
        statuses: list[int] = []
        # Each of these needs connections the pool does not have yet: each opening resolves the name.
        requests = [threading.Thread(target=lambda p=p: statuses.append(
            httpx.get(live.base + p, headers=headers, timeout=30).status_code)) for p in paths]
        for t in requests:
            t.start()
        slowest = 0.0
        with httpx.Client(base_url=live.base, timeout=30) as probe:
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:
                started = time.monotonic()
                assert probe.get("/api/openapi.json").status_code == 200  # needs no database
                slowest = max(slowest, time.monotonic() - started)
                time.sleep(0.05)
        for t in requests:
            t.join(30)
        assert statuses == [200] * len(paths), statuses
        assert slowest < 0.5, f"a request needing no database waited {slowest:.2f} s: the event loop was blocked"
    finally:
        live.stop()
        forwarder.close()
