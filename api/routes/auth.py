"""POST /api/auth/token: OAuth2 password flow → a short-lived signed access token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.deps import Conn
from api.security import CurrentUser, client_ip
from geo.auth import audit, login_audit, ratelimit
from geo.auth.passwords import verify_password
from geo.auth.secrets import signing_keys
from geo.auth.tokens import issue_access_token
from geo.auth.users import get_user
from geo.db import transaction

router = APIRouter(prefix="/auth", tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    role: str
    agency: str
    regencies: list[str] | None
    can_see_personal: bool
    can_write: bool


def authenticate(request: Request, conn, username: str, password: str):
    """Check a login, rate-limited per address and per address and user name (shared by all worker
    processes: geo/auth/ratelimit.py), every outcome audited (login noise aggregated: geo/auth/login_audit.py)."""
    ip = client_ip(request)
    settings = request.app.state.settings.auth
    login_audit.flush(conn, settings.login_address_window_seconds)
    limits = ratelimit.login_limits(ip, username, settings)
    try:
        attempt = ratelimit.begin(conn, limits)
    except ratelimit.RateLimited as exc:
        known = get_user(conn, username)
        login_audit.record(conn, login_audit.RATE_LIMITED, ip, known.username if known else None)
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, "terlalu banyak percobaan masuk; coba lagi nanti (too many login attempts)",
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    user = get_user(conn, username)
    try:
        valid = (verify_password(password, user.password_hash if user else None, request.app.state.hashing)
                 and not user.disabled)
    except Exception:  # e.g. no capacity to check it now: not a failed attempt
        ratelimit.forget(conn, attempt)
        raise
    if not valid:
        if user is None:
            login_audit.record(conn, login_audit.UNKNOWN_USER, ip)
        else:
            audit.record(conn, "auth.login", username=user.username, client_ip=ip, outcome="failed")
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "nama pengguna atau kata sandi salah (wrong user name or password)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    ratelimit.forget(conn, attempt)
    with transaction(conn) as cur:
        cur.execute("UPDATE users SET last_login_at = now() WHERE id = %s", (user.id,))
        audit.record(cur, "auth.login", username=user.username, role=user.role, agency=user.agency, client_ip=ip)
    return user


@router.post("/token", response_model=TokenResponse, summary="Log in (OAuth2 password flow)")
def token(request: Request, conn: Conn, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenResponse:
    user = authenticate(request, conn, form.username, form.password)
    settings = request.app.state.settings
    ttl = settings.auth.token_ttl_minutes
    # `ver`: a new password or disabling the user increments the user's version and ends the token.
    access = issue_access_token(user.username, signing_keys(settings)[0], ttl, extra={"ver": user.token_version})
    return TokenResponse(access_token=access, expires_in=ttl * 60)


@router.get("/me", response_model=Me, summary="Who the credentials belong to")
def me(principal: CurrentUser) -> Me:
    return Me(
        username=principal.username, role=principal.role, agency=principal.agency,
        regencies=list(principal.regencies) if principal.regencies else None,
        can_see_personal=principal.can_see_personal, can_write=principal.can_write,
    )
