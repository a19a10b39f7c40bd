"""The user of a form POST, for every page with a form: the CSRF token checked first, then the session.
Not a router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request, status
from starlette.requests import Request as StarletteRequest

from api.deps import Conn
from api.security import CSRF_HEADER, Principal, check_csrf, current_user
from api.web.common import login_redirect


def form_user(request: Request, conn: Conn, csrf_token: Annotated[str, Form()] = "") -> Principal:
    """The form's CSRF token (or the X-CSRF-Token header a page's script sends) must match the
    cookie's (else 403); then the session is checked as for any request (without one: to the login
    page). current_user looks for the token in the header, so it reads a copy of the request that
    carries the token just checked."""
    token = request.headers.get(CSRF_HEADER) or csrf_token
    check_csrf(request, token)
    request.scope.setdefault("state", {})  # shared with the copy: render() finds the principal there
    scope = dict(request.scope)
    scope["headers"] = [*request.scope["headers"], (CSRF_HEADER.lower().encode(), token.encode())]
    try:
        return current_user(StarletteRequest(scope), conn)
    except HTTPException as exc:
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            raise HTTPException(status.HTTP_303_SEE_OTHER, "perlu masuk",
                                headers={"Location": login_redirect(request)}) from exc
        raise


FormUser = Annotated[Principal, Depends(form_user)]
