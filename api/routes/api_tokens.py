"""API tokens over HTTP, for other agencies' systems: create (the clear token is shown once), list
your own (never a hash), revoke. Admins may act for any user."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import Conn
from api.errors import BadRequest, NotFound
from api.security import CurrentUser, Principal, authenticated_by_cookie, forget_principals
from geo.auth import api_tokens, audit
from geo.auth.accounts import may_manage
from geo.auth.passwords import verify_password
from geo.auth.tokens import InvalidToken, create_api_token, revoke_api_token
from geo.auth.users import get_user

router = APIRouter(prefix="/auth/api-tokens", tags=["auth"])

MAX_DAYS = 365

Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,62}$")]


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="what the token is for, e.g. 'sinkronisasi SIMKIM'")
    # Always an expiry over HTTP: a token that a hijacked browser session could mint must not live
    # forever (operators may still create longer-lived ones with `pantau tokens create`).
    days: int = Field(default=90, ge=1, le=MAX_DAYS, description=f"valid for this many days (at most {MAX_DAYS})")
    username: Username | None = Field(default=None, description="admins only: create the token for this user")
    password: str | None = Field(default=None, max_length=1024,
                                 description="your own password; required when signed in with the web session cookie")


class TokenInfo(BaseModel):
    id: int
    username: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    active: bool


class NewToken(TokenInfo):
    token: str = Field(description="the clear token: shown this once, store it safely")


def _owner(principal: Principal, username: str | None) -> str:
    if username is None or username == principal.username:
        return principal.username
    if not may_manage(principal):
        # A regency admin minting a token for a province-wide user would step out of its regencies:
        # other users' tokens are for province-wide admins only, as user management is.
        raise NotFound(f"username: {username!r} not found")  # no hint that other users exist
    return username


def _confirm_password(request: Request, conn, principal: Principal, password: str | None) -> None:
    """A script that runs in a signed-in browser (stored XSS) holds the session cookie and can read the
    CSRF cookie, but not the password: asking for it again keeps such a script from minting a
    long-lived credential. Bearer callers already proved a credential the browser never holds."""
    if not authenticated_by_cookie(request):
        return
    if not password:
        raise BadRequest("password: kata sandi Anda diperlukan untuk membuat token API "
                         "(your password is required to create an API token)")
    user = get_user(conn, principal.username)
    if user is None or not verify_password(password, user.password_hash, request.app.state.hashing):
        audit.record(conn, "api_token.create", **principal.audit_fields(), outcome="denied",
                     detail={"reason": "wrong password"})
        raise HTTPException(status.HTTP_403_FORBIDDEN, "kata sandi salah (wrong password)")


@router.post("", status_code=201, response_model=NewToken, summary="Create an API token (shown once)")
def create(body: TokenRequest, request: Request, conn: Conn, principal: CurrentUser) -> NewToken:
    _confirm_password(request, conn, principal, body.password)
    owner = _owner(principal, body.username)
    user = get_user(conn, owner)
    if user is None or user.disabled:
        raise BadRequest(f"username: no active user {owner!r}")
    try:
        token = create_api_token(conn, owner, body.name, body.days)
    except InvalidToken as exc:
        raise BadRequest(f"username: {exc}") from exc
    row = api_tokens.token_by_secret(conn, token)
    audit.record(conn, "api_token.create", **principal.audit_fields(), target=f"api_token:{row['id']}",
                 detail={"owner": owner, "name": body.name, "days": body.days})
    return NewToken(**row, token=token)


@router.get("", response_model=list[TokenInfo], summary="Your API tokens (admins: any user's)")
def list_tokens(conn: Conn, principal: CurrentUser,
                username: Annotated[Username | None, Query(description="admins only: another user's tokens")] = None):
    return api_tokens.list_tokens(conn, _owner(principal, username))


@router.delete("/{token_id}", status_code=204, summary="Revoke an API token (at once)")
def revoke(token_id: Annotated[int, Path(ge=1, le=2**63 - 1)], request: Request, conn: Conn,
           principal: CurrentUser) -> Response:
    row = api_tokens.token_by_id(conn, token_id)
    if row is None or (row["username"] != principal.username and not may_manage(principal)):
        raise NotFound(f"token_id: API token {token_id} not found")
    revoke_api_token(conn, token_id)
    forget_principals(request)
    audit.record(conn, "api_token.revoke", **principal.audit_fields(), target=f"api_token:{token_id}",
                 detail={"owner": row["username"], "was_active": row["active"]})
    return Response(status_code=204)
