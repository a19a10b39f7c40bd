"""Defences every request passes through: request id, access log without query strings, a generic
500, security headers, closed-by-default CORS and request body limits.

Pure ASGI middleware (not BaseHTTPMiddleware) so streamed request bodies can be counted as they
arrive and streamed responses pass untouched.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
import traceback
import uuid

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.client_address import ClientAddressMiddleware, parse_networks
from api.disconnect import ABANDONED
from api.log_batching import BatchedStreamHandler
from api.log_format import LineSafeFormatter, loggable_path, printable
from api.validation import install_validation_handler
from geo import clock
from geo.auth.secrets import signing_keys
from geo.settings import Settings

access_log = logging.getLogger("pantau.access")
error_log = logging.getLogger("pantau.error")

REQUEST_ID_HEADER = "X-Request-ID"
_INCOMING_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
# Request ids need to be unique, not secret: a random per-process prefix and a counter (uuid4 reads
# the OS random source on every request, a measurable cost at hundreds of requests per second).
_ID_PREFIX = uuid.uuid4().hex[:16]
_ID_COUNTER = itertools.count(1)


def _new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER):08x}"


# --- security headers -----------------------------------------------------------------------------
# HTML pages: scripts only from this server, plus the inline blocks a page lists by sha256 (each
# map's Folium set-up; api.web.common sends that page's own header). No 'unsafe-inline' for
# scripts, so markup smuggled in through data (an onerror attribute, a <script>) cannot run. Styles
# keep 'unsafe-inline': Folium writes <style> blocks and the legend's colours are style attributes.
# Images only from this server, plus a base-map tile server when one is configured
# (Settings.maps: its origin, validated so it cannot add directives). Nothing may frame us.
def html_csp(tile_origins: list[str], script_hashes: tuple[str, ...] | list[str] = ()) -> str:
    scripts = " ".join(["'self'", *script_hashes])
    images = " ".join(["'self'", "data:", "blob:", *tile_origins])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        f"img-src {images}; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


# Swagger UI (/api/docs): the vendored bundle and its set-up, both files under /static.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Data (JSON, CSV, tiles, PDF): nothing to run, nothing to frame.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"

STATIC_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def _csp(path: str, content_type: str, html: str) -> str:
    if path.startswith("/api/docs"):
        return DOCS_CSP
    if content_type.startswith("text/html"):
        return html
    return DATA_CSP


def _security_headers(scope: Scope, message: Message, request_id: str, hsts: bool, html: str) -> None:
    headers = list(message.get("headers", []))
    present = {k.lower() for k, _ in headers}
    content_type = next((v.decode("latin-1") for k, v in headers if k.lower() == b"content-type"), "")
    extra = [(k, v) for k, v in STATIC_HEADERS if k not in present]
    if b"content-security-policy" not in present:
        extra.append((b"content-security-policy", _csp(scope.get("path", ""), content_type, html).encode()))
    if scope.get("path", "").startswith("/api/") and b"cache-control" not in present:
        extra.append((b"cache-control", b"no-store"))  # responses may hold personal data: no shared caches
    if scope.get("path", "").startswith("/api/") and b"x-data-as-of" not in present:
        # When the answer was made, in the province's time (geo.clock): the moment its figures hold for.
        extra.append((b"x-data-as-of", clock.header_now()))
    if hsts:
        extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    extra.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
    message["headers"] = headers + extra


# --- request id, access log, generic 500 ------------------------------------------------------------
def _json(status: int, body: dict) -> tuple[Message, Message]:
    payload = json.dumps(body).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]}
    return start, {"type": "http.response.body", "body": payload}


def _safe_error(exc: BaseException) -> str:
    """Exception type and stack, not its message: a database error's message can quote row values
    (personal data) and must not reach the log."""
    primary = getattr(getattr(exc, "diag", None), "message_primary", None)
    primary = printable(primary) if primary else primary
    stack = "".join(traceback.format_tb(exc.__traceback__))
    return f"{type(exc).__module__}.{type(exc).__name__}" + (f" ({primary})" if primary else "") + "\n" + stack


class RequestContextMiddleware:
    """Outermost layer: gives each request an id, logs path + status + duration + id (never the
    query string), adds the security headers, and turns any unhandled exception into a generic 500."""

    def __init__(self, app: ASGIApp, html_csp: str, hsts: bool = False) -> None:
        self.app = app
        self.html_csp = html_csp  # HTML pages without a policy of their own
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = incoming if _INCOMING_ID.match(incoming) else _new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 500, "sent": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
                _security_headers(scope, message, request_id, self.hsts, self.html_csp)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:  # the last line of defence: log it safely, reveal nothing
            error_log.error("unhandled error request_id=%s %s %s: %s", request_id, printable(scope.get("method", "")),
                            loggable_path(scope.get("path", "")), _safe_error(exc))
            if not status["sent"]:
                start, body = _json(500, {
                    "code": "InternalError",
                    "description": "terjadi kesalahan pada server (internal server error)",
                    "request_id": request_id,
                })
                await send_wrapper(start)
                await send(body)
            status["code"] = 500
        finally:
            if not status["sent"] and scope.get(ABANDONED):
                status["code"] = 499  # the client went away before the answer (nginx's code), not a server error
            # The path is percent-decoded (%0a is a line feed): escaped, so it cannot forge a line.
            access_log.info("%s %s %s %.1fms request_id=%s", printable(scope.get("method", "")),
                            loggable_path(scope.get("path", "")), status["code"], (time.perf_counter() - started) * 1000,
                            request_id)


# --- body size limits -------------------------------------------------------------------------------
_SMALL_TYPES = ("application/json", "application/x-www-form-urlencoded", "application/merge-patch+json", "text/plain")


class BodyLimitMiddleware:
    """413 for bodies beyond the limit: uploads (multipart, files) up to max_upload_mb, everything
    else (JSON, forms) up to a small limit. Checked on Content-Length and again while streaming,
    so a missing or lying Content-Length does not get past it."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int, max_small_bytes: int) -> None:
        self.app = app
        self.max_upload = max_upload_bytes
        self.max_small = max_small_bytes

    def _limit(self, content_type: str) -> int:
        kind = content_type.split(";")[0].strip().lower()
        return self.max_small if kind in _SMALL_TYPES or not kind else self.max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        limit = self._limit(headers.get(b"content-type", b"").decode("latin-1"))
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await self._reply(send, 400, f"Content-Length: {declared[:20].decode('latin-1')!r} is not a number")
                return
            if length > limit:
                await self._reply(send, 413, self._too_large(limit))
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route's body reading: FastAPI passes HTTPException through.
                    raise HTTPException(413, self._too_large(limit))
            return message

        await self.app(scope, limited_receive, send)

    @staticmethod
    def _too_large(limit: int) -> str:
        return f"body: request body larger than {limit // 1024} KB (terlalu besar)"

    @staticmethod
    async def _reply(send: Send, status: int, description: str) -> None:
        start, body = _json(status, {"code": "PayloadTooLarge" if status == 413 else "BadRequest",
                                     "description": description})
        await send(start)
        await send(body)


def flush_logs() -> None:
    """Write the batched log lines now. Called at application shutdown: uvicorn ends a SIGTERM by
    raising the signal again, which skips Python's exit hooks (and logging's own flush)."""
    for logger in (access_log, error_log):
        for handler in logger.handlers:
            handler.flush()


# --- assembly -----------------------------------------------------------------------------------------
def _log_handler() -> logging.Handler:
    handler = BatchedStreamHandler()
    handler.setFormatter(LineSafeFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    return handler


def check_production(settings: Settings) -> None:
    """Refuse to start in production without a real signing key (raises MissingSecret)."""
    if settings.auth.env == "production":
        signing_keys(settings)


def install(app: FastAPI, settings: Settings) -> None:
    http = settings.http
    check_production(settings)
    trusted_proxies = parse_networks(http.trusted_proxies)  # a malformed entry refuses to start
    install_validation_handler(app)
    # Uvicorn's own access log prints query strings (which may hold names); ours prints paths only.
    logging.getLogger("uvicorn.access").disabled = True
    for logger in (access_log, error_log):
        if not logger.handlers:
            logger.addHandler(_log_handler())
            # Follow the server's --log-level (uvicorn sets it on its error logger); INFO otherwise.
            logger.setLevel(logging.getLogger("uvicorn.error").level or logging.INFO)
            logger.propagate = False
    # Other pantau.* loggers (pantau.api's warnings quote URL paths) write in the same line-safe
    # format, not through Python's bare last-resort handler.
    parent = logging.getLogger("pantau")
    if not parent.handlers:
        parent.addHandler(_log_handler())
    app.add_middleware(BodyLimitMiddleware, max_upload_bytes=settings.auth.max_upload_mb * 1024 * 1024,
                       max_small_bytes=http.max_json_kb * 1024)
    if http.origins:  # no origins configured = no CORS headers at all = other sites cannot read responses
        app.add_middleware(
            CORSMiddleware, allow_origins=http.origins, allow_credentials=False,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match", REQUEST_ID_HEADER],
            expose_headers=["ETag", REQUEST_ID_HEADER], max_age=600,
        )
    app.add_middleware(RequestContextMiddleware, html_csp=html_csp(settings.maps.tile_origins()),
                       hsts=settings.auth.env == "production" and settings.auth.cookie_secure)
    # Outermost: everything inside (rate limits, audit) sees the address the request really came from.
    app.add_middleware(ClientAddressMiddleware, trusted=trusted_proxies)
