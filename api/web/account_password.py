"""/account/password: every signed-in user changes their own password: the current one, the new one
twice, the password policy (geo/auth/password_policy.py) with its message beside the field.

A wrong current password counts against the login limits exactly as a failed login does (the same
rows in geo/auth/ratelimit.py, keyed by address and user name) and is audited as denied, so the form
is no password oracle without limits. On success, in one transaction: the new hash, every session
and access token of the user ended (as `pantau users password` and the reset link do; API tokens
stay), the audit record `auth.password_change` (never the password). The browser that changed it
then gets a fresh session and stays signed in; every other browser is sent to /login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse

from api.deps import Conn
from api.security import SESSION_COOKIE, Principal, client_ip, forget_principals
from api.web.admin_forms import no_store
from api.web.common import PageUser, render
from api.web.forms import FormUser
from geo.auth import audit, ratelimit
from geo.auth.password_policy import MAX_LENGTH, check_password
from geo.auth.passwords import PasswordCheckBusy, WeakPassword, hash_password, verify_password
from geo.auth.secrets import signing_keys
from geo.auth.sessions import create_session
from geo.auth.tokens import issue_access_token
from geo.auth.users import end_sessions_and_tokens, get_user
from geo.db import transaction

router = APIRouter(include_in_schema=False)

BUSY = "Server sibuk, coba lagi sebentar lagi (server busy, try again)."
WRONG = "Kata sandi saat ini salah (wrong current password)."
LIMITED = "Terlalu banyak percobaan. Coba lagi beberapa saat lagi (too many attempts, try again later)."
MISMATCH = "Kedua kata sandi baru tidak sama (the new passwords differ)."
SAME = "Kata sandi baru harus berbeda dari kata sandi saat ini (the new password must differ from the current one)."


def _page(request: Request, principal: Principal, status_code: int = 200, **ctx) -> HTMLResponse:
    context = {"username": principal.username, "done": False, "errors": {}, **ctx}
    return no_store(render(request, "account_password.html", context, status_code=status_code))


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, principal: PageUser):
    return _page(request, principal, done=request.query_params.get("done") == "1")


def _denied(conn, principal: Principal, reason: str) -> None:
    audit.record(conn, "auth.password_change", **principal.audit_fields(), target=principal.username,
                 outcome="denied", detail={"reason": reason})


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request, conn: Conn, principal: FormUser,
    current: Annotated[str, Form(max_length=MAX_LENGTH)] = "",
    password: Annotated[str, Form(max_length=MAX_LENGTH)] = "",
    password2: Annotated[str, Form(max_length=MAX_LENGTH)] = "",
):
    settings = request.app.state.settings
    ip = client_ip(request)
    user = get_user(conn, principal.username)
    if user is None or user.disabled:  # ended between the session check and now
        return _page(request, principal, 403, errors={"current": WRONG})
    # Counted before the hash is checked, as a login attempt is: a wrong one stays counted.
    try:
        attempt = ratelimit.begin(conn, ratelimit.login_limits(ip, user.username, settings.auth))
    except ratelimit.RateLimited as exc:
        _denied(conn, principal, "rate limited")
        page = _page(request, principal, 429, errors={"current": LIMITED})
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    try:
        valid = bool(current) and verify_password(current, user.password_hash, request.app.state.hashing)
    except PasswordCheckBusy:
        ratelimit.forget(conn, attempt)
        return _page(request, principal, 503, errors={"current": BUSY})
    if not valid:
        _denied(conn, principal, "wrong current password")
        return _page(request, principal, 403, errors={"current": WRONG})
    ratelimit.forget(conn, attempt)
    if password != password2:
        return _page(request, principal, 400, errors={"password2": MISMATCH})
    if password == current:
        return _page(request, principal, 400, errors={"password": SAME})
    try:
        check_password(password, user.username)
        password_hash = hash_password(password, request.app.state.hashing)  # slow: outside the transaction
    except PasswordCheckBusy:
        return _page(request, principal, 503, errors={"password": BUSY})
    except WeakPassword as exc:  # the policy's message never repeats the password
        return _page(request, principal, 400, errors={"password": str(exc)})
    with transaction(conn) as cur:
        cur.execute("UPDATE users SET password_hash = %s, password_changed_at = now() WHERE id = %s",
                    (password_hash, user.id))
        end_sessions_and_tokens(cur, user.username)
        audit.record(cur, "auth.password_change", **principal.audit_fields(), target=user.username)
    forget_principals(request)  # remembered bearer principals would outlive the ended tokens for a while
    # This browser only: a new session, so the user is not thrown out by their own change.
    ttl = settings.auth.session_ttl_minutes
    session_id = create_session(conn, user.id, ttl)
    token = issue_access_token(user.username, signing_keys(settings)[0], ttl, kind="session", extra={"sid": session_id})
    response = no_store(render(request, "account_password.html",
                               {"username": user.username, "done": True, "errors": {}}, status_code=status.HTTP_200_OK))
    response.set_cookie(SESSION_COOKIE, token, max_age=ttl * 60, httponly=True, samesite="lax",
                        secure=settings.auth.cookie_secure, path="/")
    return response
