"""Input no route should ever see, refused with a 400 before routing: NUL bytes in the path, a query
parameter, a form field or a JSON string, and JSON nested deeper than MAX_JSON_DEPTH.

PostgreSQL text cannot hold NUL (psycopg2 raises ValueError, which was a 500 wherever a parameter
reached a query), and Python's JSON parser and encoder recurse once per level (RecursionError,
another 500). One check here covers every route, present and future. Multipart bodies (uploads)
pass untouched: files may contain NUL bytes; their text fields are caught by the handler in
api/errors.py.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

import numpy as np
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_DEPTH = 32  # a GeoJSON MultiPolygon Feature is 6 deep
NUL_TEXT = "mengandung karakter NUL (contains a NUL byte)"

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
# \u0000 preceded by an even number of backslashes (an odd number escapes the backslash itself)
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.I)
_OPEN, _CLOSE = np.frombuffer(b"[{", np.uint8), np.frombuffer(b"]}", np.uint8)


def json_depth(body: bytes) -> int:
    """Deepest nesting of arrays and objects, brackets inside strings not counted (vectorised:
    bodies may be up to PANTAU_MAX_JSON_KB)."""
    if b"[" not in body and b"{" not in body:
        return 0
    skeleton = np.frombuffer(_JSON_STRING.sub(b'""', body), np.uint8)
    steps = np.isin(skeleton, _OPEN).astype(np.int32) - np.isin(skeleton, _CLOSE).astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


def nul_field(pairs: list[tuple[str, str]]) -> str | None:
    """The name of the first field whose name or value holds a NUL, shown without its value."""
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "\\x00")[:40] or "?"
    return None


def _form_nul(raw: bytes) -> str | None:
    if b"\x00" not in raw and b"%00" not in raw:
        return None
    return nul_field(parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                               errors="replace")) or "body"


def _media_type(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


def _is_json(media_type: str) -> bool:
    return not media_type or media_type == "application/json" or media_type.endswith("+json")


def _problem(media_type: str, body: bytes) -> str | None:
    """What is wrong with a buffered form or JSON body, or None."""
    if media_type == "application/x-www-form-urlencoded":
        field = _form_nul(body)
        return f"{field}: {NUL_TEXT}" if field else None
    if b"\x00" in body or _JSON_NUL.search(body):
        return f"body: {NUL_TEXT}"
    depth = json_depth(body)
    if depth > MAX_JSON_DEPTH:
        return (f"body: JSON bertingkat lebih dari {MAX_JSON_DEPTH} (JSON nested {depth} levels deep, "
                f"more than {MAX_JSON_DEPTH})")
    return None


class InputGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", ""):
            await _reply(send, 400, f"path: {NUL_TEXT}")
            return
        field = _form_nul(scope.get("query_string", b""))
        if field:
            await _reply(send, 400, f"{field}: {NUL_TEXT}")
            return
        media_type = _media_type(scope)
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") or not (
                _is_json(media_type) or media_type == "application/x-www-form-urlencoded"):
            await self.app(scope, receive, send)
            return
        # Small bodies only (the body limit middleware outside caps them at PANTAU_MAX_JSON_KB).
        chunks, more = [], True
        try:
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return  # client gone
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
        except HTTPException as exc:  # too large, raised by the body limit while counting
            await _reply(send, exc.status_code, str(exc.detail))
            return
        body = b"".join(chunks)
        problem = _problem(media_type, body)
        if problem:
            await _reply(send, 400, problem)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _reply(send: Send, status: int, description: str) -> None:
    payload = json.dumps({"code": "InvalidParameter" if status == 400 else "PayloadTooLarge",
                          "description": description}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
