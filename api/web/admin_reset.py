"""/reset/{token}: the one-time link an admin made (geo/auth/password_resets.py). Opened without
logging in; the user sets their password (the policy applies), which ends their sessions and access
tokens, and the link stops working. Unknown, used and expired links get the same answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from api.deps import Conn
from api.security import CSRF_COOKIE, client_ip, forget_principals
from api.web.admin_forms import no_store
from api.web.common import render
from geo.auth.password_resets import LinkInvalid, open_link, use_link
from geo.auth.passwords import PasswordCheckBusy

router = APIRouter(include_in_schema=False)

Token = Annotated[str, Path(max_length=200)]  # any other text is simply no link: the same 404
INVALID = ("Tautan ini tidak berlaku: sudah dipakai, sudah kedaluwarsa, atau diganti tautan yang lebih baru. "
           "Mintalah tautan baru kepada admin (link used, expired or replaced).")


def _page(request: Request, status_code: int = 200, **ctx) -> HTMLResponse:
    return no_store(render(request, "admin_reset.html", {"error": None, "done": False, "link": None, **ctx},
                           status_code=status_code))


@router.get("/reset/{token}", response_class=HTMLResponse)
def reset_form(token: Token, request: Request, conn: Conn):
    try:
        link = open_link(conn, token)
    except LinkInvalid:
        return _page(request, 404, error=INVALID)
    return _page(request, link=link)


@router.post("/reset/{token}", response_class=HTMLResponse)
def reset(token: Token, request: Request, conn: Conn,
          password: Annotated[str, Form(max_length=1024)] = "", password2: Annotated[str, Form(max_length=1024)] = "",
          csrf_token: Annotated[str, Form()] = ""):
    try:
        link = open_link(conn, token)
    except LinkInvalid:
        return _page(request, 404, error=INVALID)
    # No session here: the form must come from our own page, as on /login.
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or csrf_token != cookie:
        return _page(request, 403, link=link, error="Sesi formulir kedaluwarsa. Silakan coba lagi (form expired).")
    if password != password2:
        return _page(request, 400, link=link, error="Kedua kata sandi tidak sama (the passwords differ).")
    try:
        use_link(conn, token, password, client_ip(request), request.app.state.hashing)
    except LinkInvalid:
        return _page(request, 404, error=INVALID)
    except PasswordCheckBusy:
        return _page(request, 503, link=link, error="Server sibuk, coba lagi sebentar lagi (server busy, try again).")
    except ValueError as exc:  # the password policy (WeakPassword): its message never repeats the password
        return _page(request, 400, link=link, error=str(exc))
    forget_principals(request)  # the user's access tokens just ended: none honoured from memory
    return _page(request, done=True)
