"""Hostile HTTP: body limits (Content-Length and streamed), security headers, closed CORS, request
ids, logs without query strings, a generic 500, and no start in production without a secret."""

import logging
import os
import subprocess
import sys
import time

import httpx
import pytest

from geo.settings import PROJECT_ROOT, AuthSettings, Settings
from tests.conftest import LiveServer, free_port

pytestmark = pytest.mark.slow  # servers of its own, one per setting


def test_security_headers_and_request_id(http):
    r = http.get("/api/health")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    assert "camera=()" in r.headers["permissions-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert len(r.headers["x-request-id"]) >= 16
    assert http.get("/api/health").headers["x-request-id"] != r.headers["x-request-id"]
    mine = http.get("/api/health", headers={"X-Request-ID": "rakor-2025-0001"})
    assert mine.headers["x-request-id"] == "rakor-2025-0001"
    evil = http.get("/api/health", headers={"X-Request-ID": "x<script>alert(1)</script>"})
    assert "<" not in evil.headers["x-request-id"]
    docs = http.get("/api/docs")
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
    assert http.get("/api/auth/me").headers["x-frame-options"] == "DENY"  # on errors too


def test_cors_is_closed_by_default(http):
    pre = http.options("/api/health", headers={"Origin": "https://evil.example",
                                                 "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in pre.headers
    got = http.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in got.headers


@pytest.fixture(scope="module")
def tight_server(db_url):
    server = LiveServer(db_url, {"PANTAU_CORS_ORIGINS": "https://sipora.kalteng.go.id",
                                 "PANTAU_MAX_UPLOAD_MB": "1", "PANTAU_MAX_JSON_KB": "16"})
    yield server
    server.stop()


def test_cors_allows_only_configured_origins(tight_server):
    ok = httpx.options(f"{tight_server.base}/api/health",
                       headers={"Origin": "https://sipora.kalteng.go.id", "Access-Control-Request-Method": "GET"})
    assert ok.headers["access-control-allow-origin"] == "https://sipora.kalteng.go.id"
    other = httpx.get(f"{tight_server.base}/api/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_bodies_beyond_the_limits_are_413(tight_server):
    base = tight_server.base
    big_json = b'{"name": "' + b"x" * 20_000 + b'"}'
    r = httpx.patch(f"{base}/api/companies/1", content=big_json, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "body" in r.json()["description"]

    def chunks():  # streamed, no Content-Length: counted as it arrives
        for _ in range(40):
            yield b"x" * 1000

    streamed = httpx.patch(f"{base}/api/companies/1", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    upload = httpx.post(f"{base}/api/auth/api-tokens", files={"file": ("besar.csv", b"a,b\n" * 400_000, "text/csv")})
    assert upload.status_code == 413
    small_upload = httpx.post(f"{base}/api/auth/api-tokens", files={"file": ("kecil.csv", b"a,b\n" * 100, "text/csv")})
    assert small_upload.status_code != 413


def test_logs_have_path_status_and_request_id_but_never_the_query(db_url, tmp_path):
    port = free_port()
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:app_from_env", "--factory", "--port", str(port), "--log-level", "info"],
            cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": db_url}, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    httpx.get(f"{base}/api/health", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            r = httpx.get(f"{base}/api/companies/1/workers", params={"full_name": "ZHANG WEIXIANPRIVATE", "passport": "EZ9911001"},
                          headers={"X-Request-ID": "cek-log-0001"})
            assert r.status_code == 401
            time.sleep(0.5)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    text = log_path.read_text()
    assert "/api/companies/1/workers 401" in text and "cek-log-0001" in text
    assert "ZHANG" not in text and "EZ9911001" not in text and "full_name=" not in text


def test_unhandled_error_is_a_generic_500_logged_with_request_id(caplog):
    from fastapi.testclient import TestClient

    from api.main import create_app

    app = create_app(Settings())

    class Leaky(Exception):
        pass

    @app.get("/api/_boom_for_test")
    def boom():
        passport = "EZ99" + "11001"  # built at run time: the traceback's source line must not hold it
        raise Leaky(f"Key (passport_number)=({passport}) already exists")

    error_log = logging.getLogger("pantau.error")  # does not propagate: listen on it directly
    error_log.addHandler(caplog.handler)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            r = client.get("/api/_boom_for_test", headers={"X-Request-ID": "cek-500-0001"})
    finally:
        error_log.removeHandler(caplog.handler)
    assert r.status_code == 500
    assert r.json() == {"code": "InternalError", "description": "terjadi kesalahan pada server (internal server error)",
                        "request_id": "cek-500-0001"}
    assert r.headers["x-content-type-options"] == "nosniff"
    logged = caplog.text
    assert "cek-500-0001" in logged and "Leaky" in logged and "EZ9911001" not in logged


def test_production_refuses_to_start_without_secret_key(db_url):
    from api.main import create_app
    from geo.auth.secrets import MissingSecret

    with pytest.raises(MissingSecret, match="PANTAU_SECRET_KEY"):
        create_app(Settings(auth=AuthSettings(env="production", secret_key=None)))
    env = {k: v for k, v in os.environ.items() if k not in ("PANTAU_SECRET_KEY",)}
    with pytest.raises(RuntimeError, match="exited"):
        LiveServer(db_url, {**env, "PANTAU_ENV": "production", "PANTAU_SECRET_KEY": ""})
    server = LiveServer(db_url, {"PANTAU_ENV": "production", "PANTAU_SECRET_KEY": "k" * 40})
    try:
        r = httpx.get(f"{server.base}/api/health")
        assert r.status_code == 200
    finally:
        server.stop()


def test_invalid_parameters_are_400_naming_parameter_and_value(http, auth_headers):
    r = http.get("/api/audit?limit=-5", headers=auth_headers("admin"))
    assert r.status_code == 400
    assert "limit" in r.text and "-5" in r.text


def test_a_non_numeric_id_is_404_naming_the_path(http, auth_headers):
    # Record routes match integer ids only (so /api/companies/search etc. never collide with them).
    r = http.get("/api/companies/abc", headers=auth_headers("admin"))
    assert r.status_code == 404
    assert "/api/companies/abc" in r.json()["detail"]
