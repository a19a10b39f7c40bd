"""#14 items 9 and 10, against real servers: a forged access-log line through control characters in
the URL path, and a client address chosen by the client through X-Forwarded-For."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg2
import pytest

from geo.settings import PROJECT_ROOT
from tests.conftest import LiveServer, free_port

pytestmark = pytest.mark.slow  # servers of its own, and `pantau` in subprocesses


class ServeProcess:
    """`pantau serve`, the way operators start Pantau, with its output in a file."""

    def __init__(self, database_url: str, log_path: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {**os.environ, "DATABASE_URL": database_url, **(extra_env or {})}
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "geo.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=PROJECT_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/api/health", timeout=2).status_code in (200, 503):
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start within 60 s")

    def stop(self) -> str:
        """Stop the server; its whole output (the batched log is written at shutdown)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()
        return self.log_path.read_text()


# --- item 9: control characters in the path -------------------------------------------------------
FORGED = "2030-01-01 00:00:00,000 INFO pantau.access GET /api/audit 200 1.0ms request_id=forged0001"


def test_control_characters_in_the_path_cannot_forge_a_log_line(db_url, tmp_path):
    server = ServeProcess(db_url, tmp_path / "server.log")
    try:
        # LF, CR LF, CR, the C1 next-line, Unicode line and paragraph separators, and a terminal escape
        for i, breaker in enumerate(("%0a", "%0d%0a", "%0d", "%c2%85", "%e2%80%a8", "%e2%80%a9", "%1b[2K%0d")):
            r = httpx.get(f"{server.base}/api/nothing-{i}{breaker}{quote(FORGED)}", headers={"X-Request-ID": f"probe-{i:04d}"})
            assert r.status_code == 404
    finally:
        text = server.stop()
    lines = text.splitlines()  # splits on every separator above, as a log viewer might
    assert not [line for line in lines if line.startswith("2030-01-01")], text[-3000:]
    for i in range(7):  # each request is still logged, on one line of its own, with its request id
        mine = [line for line in lines if f"request_id=probe-{i:04d}" in line]
        assert len(mine) == 1 and f"/api/nothing-{i}" in mine[0] and " 404 " in mine[0], mine
    assert "\x1b" not in text


# --- item 10: X-Forwarded-For from a client that is not a configured proxy ---------------------------
SPOOFED = [f"203.0.113.{i}" for i in range(1, 9)]


def _make_user(url: str, username: str, password: str) -> None:
    from geo.auth.users import create_user

    conn = psycopg2.connect(url)
    try:
        create_user(conn, username, password, "viewer", "kesbangpol", None)
    finally:
        conn.close()


def _login_addresses(url: str, username: str) -> list[tuple[str, str | None]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT outcome, host(client_ip) FROM audit_log WHERE action = 'auth.login' AND username = %s "
                    "ORDER BY id", (username,))
        rows = cur.fetchall()
    conn.close()
    return rows


def _spoofing_attack(base: str, username: str, password: str) -> list[int]:
    """Eight wrong passwords, each claiming another address, then the right one."""
    codes = [httpx.post(f"{base}/api/auth/token", data={"username": username, "password": "bukan-kata-sandinya"},
                        headers={"X-Forwarded-For": ip}, timeout=30).status_code for ip in SPOOFED]
    ok = httpx.post(f"{base}/api/auth/token", data={"username": username, "password": password},
                    headers={"X-Forwarded-For": "198.51.100.77"}, timeout=30)
    return [*codes, ok.status_code]


@pytest.mark.parametrize("started_by", ["pantau serve", "uvicorn"])
def test_a_direct_client_cannot_choose_its_address(started_by, fresh_db_url, tmp_path):
    """Without PANTAU_TRUSTED_PROXIES no client is a proxy, the loopback included: uvicorn on its
    own believes X-Forwarded-For from 127.0.0.1, where these tests (and a local reverse proxy) connect."""
    username, password = "petugas.spoof", "kata-sandi-spoof-panjang"
    _make_user(fresh_db_url, username, password)
    server = (ServeProcess(fresh_db_url, tmp_path / "server.log") if started_by == "pantau serve"
              else LiveServer(fresh_db_url))
    try:
        codes = _spoofing_attack(server.base, username, password)
        landing = httpx.get(f"{server.base}/api/", headers={"X-Forwarded-Proto": "https"}, timeout=30).json()
    finally:
        server.stop()
    if started_by == "pantau serve":  # (uvicorn on its own believes the scheme from 127.0.0.1 too)
        assert landing["links"][0]["href"].startswith("http://127.0.0.1:")
    # the per-address-and-user limit (5 a minute) holds whatever address the client claims
    assert codes[:5] == [401] * 5 and codes[5:8] == [429] * 3, codes
    addresses = _login_addresses(fresh_db_url, username)
    assert addresses and not {ip for _, ip in addresses} & {*SPOOFED, "198.51.100.77"}, addresses


def test_a_configured_proxy_is_believed_for_the_hop_it_saw(fresh_db_url, tmp_path):
    """The positive case (so the test above can tell the difference): behind a configured proxy the
    address is the one the proxy appended, not what the client put in front of it."""
    username, password = "petugas.proxy", "kata-sandi-proxy-panjang"
    _make_user(fresh_db_url, username, password)
    server = ServeProcess(fresh_db_url, tmp_path / "server.log", {"PANTAU_TRUSTED_PROXIES": "127.0.0.0/8, ::1"})
    try:
        ok = httpx.post(f"{server.base}/api/auth/token", data={"username": username, "password": password},
                        headers={"X-Forwarded-For": "192.0.2.66, 198.51.100.7"}, timeout=30)
        assert ok.status_code == 200
        bad = httpx.post(f"{server.base}/api/auth/token", data={"username": username, "password": "bukan-kata-sandinya"},
                         headers={"X-Forwarded-For": "198.51.100.8, bukan-alamat"}, timeout=30)
        assert bad.status_code == 401
        landing = httpx.get(f"{server.base}/api/", headers={"X-Forwarded-Proto": "https"}, timeout=30).json()
        assert landing["links"][0]["href"].startswith("https://127.0.0.1:")  # links as the proxy's clients see them
    finally:
        server.stop()
    # a hop that is not an address breaks the chain: the proxy's own address is used
    assert _login_addresses(fresh_db_url, username) == [("ok", "198.51.100.7"), ("failed", "127.0.0.1")]


def test_trusted_proxies_setting_must_be_addresses(db_url, tmp_path):
    with pytest.raises(RuntimeError, match="exited"):
        ServeProcess(db_url, tmp_path / "server.log", {"PANTAU_TRUSTED_PROXIES": "proxy.example"})
    assert "PANTAU_TRUSTED_PROXIES" in (tmp_path / "server.log").read_text()
