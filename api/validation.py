"""Invalid parameters and bodies answer 400 with a message naming the parameter and the value it
got; personal fields are named but their values never echoed (UU 27/2022). Input no route should
see (NUL bytes, JSON nested too deep) is refused before routing (api/input_guard.py)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.input_guard import InputGuardMiddleware
from geo.records import PERSONAL_FIELDS

_HIDDEN = set(PERSONAL_FIELDS) | {"password", "token"}


def _describe(error: dict) -> str:
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header", "cookie")]
    name = ".".join(loc) or "body"
    message = error.get("msg", "invalid")
    if "input" not in error or error.get("type") == "missing" or _HIDDEN & set(loc):
        return f"{name}: {message}"
    shown = repr(error["input"])
    return f"{name}: {message} (got {shown[:80] + '…' if len(shown) > 80 else shown})"


def install_validation_handler(app: FastAPI) -> None:
    # Added before the body limit, so inside it: the guard buffers only bodies the limit allowed.
    app.add_middleware(InputGuardMiddleware)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        return JSONResponse(
            {"code": "InvalidParameter", "description": "; ".join(_describe(e) for e in errors[:5]),
             "errors": [{"parameter": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
                        for e in errors[:20]]},
            status_code=400,
        )
