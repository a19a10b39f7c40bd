"""Web login and logout: a session cookie from a Bahasa Indonesia form, with CSRF protection."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import Conn
from api.routes.auth import authenticate
from api.security import CSRF_COOKIE, SESSION_COOKIE, check_csrf, client_ip
from api.web.common import render, safe_next
from geo.auth import audit
from geo.auth.passwords import PasswordCheckBusy
from geo.auth.secrets import signing_keys
from geo.auth.sessions import create_session, end_session
from geo.auth.tokens import InvalidToken, issue_access_token, read_token_claims
from geo.auth.users import get_user

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", {"next": safe_next(next), "error": None, "username": ""})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, conn: Conn,
    username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/",
):
    target = safe_next(next)
    # Login CSRF: the form must come from our own page (it carries the cookie's token).
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or csrf_token != cookie:
        return render(request, "login.html", {"next": target, "username": username,
                      "error": "Sesi formulir kedaluwarsa. Silakan coba lagi."}, status_code=403)
    try:
        user = authenticate(request, conn, username.strip(), password)
    except HTTPException as exc:
        message = ("Terlalu banyak percobaan masuk. Coba lagi beberapa saat lagi."
                   if exc.status_code == status.HTTP_429_TOO_MANY_REQUESTS
                   else "Nama pengguna atau kata sandi salah.")
        return render(request, "login.html", {"next": target, "username": username, "error": message},
                      status_code=exc.status_code)
    except PasswordCheckBusy as exc:  # too many logins being checked at once: not a wrong password
        page = render(request, "login.html", {"next": target, "username": username,
                      "error": "Server sibuk, coba lagi sebentar lagi (server busy, try again)."}, status_code=503)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    settings = request.app.state.settings
    ttl = settings.auth.session_ttl_minutes
    session_id = create_session(conn, user.id, ttl)  # ended at logout, on disable and on a new password
    token = issue_access_token(user.username, signing_keys(settings)[0], ttl, kind="session", extra={"sid": session_id})
    response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(SESSION_COOKIE, token, max_age=ttl * 60, httponly=True, samesite="lax",
                        secure=settings.auth.cookie_secure, path="/")
    return response


@router.post("/logout")
def logout(request: Request, conn: Conn, csrf_token: Annotated[str, Form()] = ""):
    check_csrf(request, csrf_token)
    try:  # the form's CSRF token was checked above; an expired session has nothing to end or record
        claims = read_token_claims(request.cookies.get(SESSION_COOKIE, ""), signing_keys(request.app.state.settings),
                                   kind="session")
    except InvalidToken:
        claims = {}
    # The session ends on the server: a copy of the cookie (another tab, a stolen one) is dead too.
    ended = bool(claims.get("sid")) and end_session(conn, str(claims["sid"]))
    user = get_user(conn, claims["sub"]) if ended else None
    if user is not None:
        audit.record(conn, "auth.logout", username=user.username, role=user.role, agency=user.agency,
                     client_ip=client_ip(request))
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
