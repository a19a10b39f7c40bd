"""Domain exceptions and their HTTP status, in one place."""

from __future__ import annotations

import logging

import psycopg2.errors
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.input_guard import NUL_TEXT
from geo.auth.passwords import PasswordCheckBusy
from geo.db import UNAVAILABLE_ERRORS, DatabaseUnavailable, PoolBusy

log = logging.getLogger("pantau.api")
NUL_PARAMETER = "A string literal cannot contain NUL (0x00) characters."  # psycopg2's ValueError


class PantauError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(PantauError):
    status_code = 400


class NotFound(PantauError):
    status_code = 404


class Conflict(PantauError):
    status_code = 409


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(PantauError)
    async def _domain_error(request: Request, exc: PantauError) -> JSONResponse:
        return JSONResponse({"code": type(exc).__name__, "description": exc.message}, status_code=exc.status_code)

    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        # The pool reconnects by itself on a later request; tell clients to retry shortly.
        log.warning("database unavailable (%s) on %s", type(exc).__name__, request.url.path)
        return JSONResponse(
            {
                "code": "DatabaseUnavailable",
                "description": "Basis data sedang tidak dapat dihubungi; coba lagi sebentar lagi "
                "(the database is unavailable; retry shortly)",
            },
            status_code=503,
            headers={"Retry-After": "5"},
        )

    for exc_type in (DatabaseUnavailable, *UNAVAILABLE_ERRORS):
        app.add_exception_handler(exc_type, _database_down)

    async def _busy(request: Request, exc: Exception) -> JSONResponse:
        # Overloaded, not broken: the request waited its (bounded) turn for a connection or a
        # password-hashing thread and did not get one.
        return JSONResponse({"code": "ServerBusy", "description": "server sibuk, coba lagi (server busy, try again)"},
                            status_code=503, headers={"Retry-After": str(exc.retry_after)})

    for exc_type in (PoolBusy, PasswordCheckBusy):
        app.add_exception_handler(exc_type, _busy)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Routing's bare "Not Found" says nothing; name what was asked for (paths carry no personal data).
        detail = exc.detail
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"tidak ada sumber daya di {request.url.path} (no resource at {request.url.path})"
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(ValueError)
    async def _nul_in_text(request: Request, exc: ValueError) -> JSONResponse:
        # psycopg2 refuses str parameters holding NUL; api/input_guard.py stops them in paths, queries,
        # forms and JSON, this catches the rest (text fields of multipart forms). Other ValueErrors are bugs.
        if str(exc) != NUL_PARAMETER:
            raise exc
        return JSONResponse({"code": "InvalidParameter", "description": f"input: {NUL_TEXT}"}, status_code=400)

    @app.exception_handler(psycopg2.errors.QueryCanceled)
    async def _too_slow(request: Request, exc: Exception) -> JSONResponse:
        # statement_timeout fired: the request asked for more than the server will compute at once.
        log.warning("query cancelled by statement_timeout on %s", request.url.path)
        return JSONResponse(
            {
                "code": "QueryTimeout",
                "description": "Permintaan terlalu berat; persempit wilayah, filter atau limit "
                "(query took too long: narrow the area, filters or limit)",
            },
            status_code=503,
            headers={"Retry-After": "10"},
        )
