"""What the admin and account pages share: the user of a form POST (its CSRF token checked from the
form field), the choices of the user form, and answers never stored by a browser or proxy (they
show one-time links and tokens). Not a router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse
from starlette.requests import Request as StarletteRequest

from api.deps import Conn
from api.security import CSRF_HEADER, Principal, check_csrf, current_user
from api.web.common import ROLE_LABEL, TEMPLATES, error_page, login_redirect
from geo import clock
from geo.auth.accounts import may_manage
from geo.db import transaction

# When a user last logged in, a token was made or last used: '5 Desember 2026 14:07 WIB'.
TEMPLATES.env.filters.setdefault("stamp", clock.stamp)
TEMPLATES.env.filters.setdefault("role_label", lambda role: ROLE_LABEL.get(role, role))


def form_user(request: Request, conn: Conn, csrf_token: Annotated[str, Form()] = "") -> Principal:
    """The user of a form POST: the form's CSRF token must match the cookie's (else 403), then the
    session is checked as for any request (without one: to the login page)."""
    check_csrf(request, csrf_token)
    # current_user checks the CSRF header of a cookie-authenticated POST; the form carries the
    # token instead, just checked above: the principal is read from a copy of the request with it.
    request.scope.setdefault("state", {})  # shared with the copy: render() finds the principal there
    scope = dict(request.scope)
    scope["headers"] = [*request.scope["headers"], (CSRF_HEADER.lower().encode(), csrf_token.encode())]
    try:
        return current_user(StarletteRequest(scope), conn)
    except HTTPException as exc:
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            raise HTTPException(status.HTTP_303_SEE_OTHER, "perlu masuk",
                                headers={"Location": login_redirect(request)}) from exc
        raise


FormUser = Annotated[Principal, Depends(form_user)]


def no_store(response: HTMLResponse) -> HTMLResponse:
    """A page holding a one-time link or a token: kept by no cache, and no back button shows it again."""
    response.headers["Cache-Control"] = "no-store"
    return response


def refuse_non_manager(request: Request, principal: Principal) -> HTMLResponse | None:
    """403 for anyone but a province-wide admin (accounts.may_manage), with the reason."""
    if principal.role != "admin":
        return error_page(request, 403, "Akses ditolak", "Halaman ini hanya untuk admin (admins only).")
    if not may_manage(principal):
        return error_page(request, 403, "Akses ditolak",
                          "Pengguna hanya dikelola oleh admin tingkat provinsi (province-wide admins only).")
    return None


def choices(conn) -> dict:
    """The agencies and the province's regencies, for the user form."""
    with transaction(conn) as cur:
        cur.execute("SELECT code, name FROM agencies ORDER BY code")
        agencies = cur.fetchall()
        cur.execute("SELECT code, name FROM boundaries WHERE level = 'regency' AND parent_code = %s ORDER BY code",
                    (clock.province(),))
        regencies = cur.fetchall()
    return {"agencies": agencies, "regencies": regencies, "regency_names": dict(regencies)}
