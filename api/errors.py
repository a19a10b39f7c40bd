"""Domain exceptions and their HTTP status, in one place."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

log = logging.getLogger("pantau.api")


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
