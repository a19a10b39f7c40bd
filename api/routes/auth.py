"""POST /api/auth/token: OAuth2 password flow → a short-lived signed access token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.deps import Conn
from api.security import CurrentUser, client_ip
from geo.auth import audit
from geo.auth.passwords import verify_password
from geo.auth.ratelimit import SlidingWindowLimiter
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


def _limiter(request: Request) -> SlidingWindowLimiter:
    state = request.app.state
    if not hasattr(state, "login_limiter"):
        state.login_limiter = SlidingWindowLimiter(state.settings.auth.login_attempts_per_minute)
    return state.login_limiter


def authenticate(request: Request, conn, username: str, password: str):
    """Check a login, rate-limited per client and user name, every outcome audited."""
    ip = client_ip(request)
    key = f"{ip}|{username.lower()}"
    limiter = _limiter(request)
    if not limiter.allow(key):
        audit.record(conn, "auth.login", username=username, client_ip=ip, outcome="denied", detail={"reason": "rate_limited"})
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, "terlalu banyak percobaan masuk; coba lagi nanti (too many login attempts)",
            headers={"Retry-After": str(limiter.retry_after(key))},
        )
    user = get_user(conn, username)
    if not verify_password(password, user.password_hash if user else None) or user.disabled:
        audit.record(conn, "auth.login", username=username, client_ip=ip, outcome="failed")
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "nama pengguna atau kata sandi salah (wrong user name or password)",
            headers={"WWW-Authenticate": "Bearer"},
        )
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
