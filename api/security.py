"""Who is asking: credentials → Principal, and what the Principal may see and do.

Credentials, in order: `Authorization: Bearer <access token or API token>`, then the web session
cookie. Every non-public route depends on `CurrentUser` (401 without credentials), or calls
`authenticated` itself (one feature by id, api/routes/features.py).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace
from typing import Annotated, NamedTuple

import jwt
from fastapi import Depends, HTTPException, Request, status

from api.blocking import blocking
from api.deps import Conn
from geo.auth.secrets import signing_keys
from geo.auth.sessions import session_user
from geo.auth.tokens import API_TOKEN_PREFIX, InvalidToken, read_token_claims, resolve_api_token
from geo.auth.users import get_user

SESSION_COOKIE = "pantau_session"
CSRF_COOKIE = "pantau_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Principal:
    username: str
    role: str  # admin | editor | analyst | viewer
    agency: str
    regencies: tuple[str, ...] | None  # None = the whole province
    client_ip: str | None = None

    @property
    def can_see_personal(self) -> bool:
        """Worker names, passport and ITAS numbers (UU 27/2022): never for viewers."""
        return self.role in ("admin", "editor", "analyst")

    @property
    def can_write(self) -> bool:
        return self.role in ("admin", "editor")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def allows_regency(self, code: str | None) -> bool:
        if self.regencies is None:
            return True
        return code is not None and code[:5] in self.regencies

    def audit_fields(self) -> dict:
        return {"username": self.username, "role": self.role, "agency": self.agency, "client_ip": self.client_ip}


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def client_ip(request: Request) -> str | None:
    """The address the request came from (api/client_address.py: X-Forwarded-For only from a configured proxy)."""
    return request.client.host if request.client else None


class Credential(NamedTuple):
    username: str
    version: int | None = None  # access tokens: the user's token version when it was issued
    session: str | None = None  # session cookies: the server-side session id


def _credential_from(request: Request, conn) -> Credential:
    keys = signing_keys(request.app.state.settings)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    try:
        if scheme.lower() == "bearer" and token:
            if token.startswith(API_TOKEN_PREFIX):
                return Credential(resolve_api_token(conn, token))
            claims = read_token_claims(token, keys)
            return Credential(claims["sub"], version=int(claims.get("ver", 0)))
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            claims = read_token_claims(cookie, keys, kind="session")
            check_csrf(request)
            return Credential(claims["sub"], session=str(claims.get("sid") or ""))
    except (InvalidToken, TypeError, ValueError) as exc:
        raise _unauthorized(f"kredensial tidak sah (invalid credentials: {exc})") from exc
    raise _unauthorized("perlu masuk (authentication required)")


def check_csrf(request: Request, form_token: str | None = None) -> None:
    """A browser sends the session cookie on any request, even one another site triggers; so an
    unsafe method authenticated by the cookie must also prove it read our CSRF cookie
    (double-submit: header, or the form field a page route passes in)."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.cookies.get(CSRF_COOKIE)
    given = request.headers.get(CSRF_HEADER) or form_token
    if not expected or not given or not secrets.compare_digest(expected.encode(), given.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "token CSRF tidak ada atau salah (CSRF token missing or wrong)")


# A bearer access token (JWT) whose signature and claims were checked is remembered (per app,
# keyed by the token, never beyond its own expiry) with its credential: the next requests skip the
# signing-key file read and the JWT check. The users lookup still runs on every request, so a
# disabled user, a changed role or regencies and a database outage show on the next request.
# API tokens (revocable, `pt_...`) and session cookies (CSRF check) are resolved every time.
TOKEN_TTL = 60.0
_TOKEN_CACHE_MAX = 4096


def _bearer(request: Request) -> str | None:
    """Any bearer token (JWT or API token): the key of the remembered principal."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticated_by_cookie(request: Request) -> bool:
    """The request's credentials are the web session cookie (no bearer token comes first)."""
    return _bearer(request) is None


def _bearer_jwt(request: Request) -> str | None:
    token = _bearer(request)
    return token if token and not token.startswith(API_TOKEN_PREFIX) else None


def _token_cache(request: Request) -> dict:
    state = request.app.state
    cache = getattr(state, "token_cache", None)
    if cache is None:
        cache = state.token_cache = {}
    return cache


def _verified_credential(request: Request, conn) -> Credential:
    token = _bearer_jwt(request)
    if token is None:
        return _credential_from(request, conn)
    cache = _token_cache(request)
    entry = cache.get(token)
    if entry is not None and entry[0] > time.time():
        return entry[1]
    credential = _credential_from(request, conn)
    try:  # verified just above; only its expiry is read here
        exp = float(jwt.decode(token, options={"verify_signature": False})["exp"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return credential
    if len(cache) >= _TOKEN_CACHE_MAX:
        cache.clear()
    cache[token] = (min(exp, time.time() + TOKEN_TTL), credential)
    return credential


# The principal of a bearer token (JWT or API token; the users row) is also remembered, for
# PRINCIPAL_TTL only: under load that saves a users (or api_tokens) lookup and a thread-pool round
# trip per request (what it buys: bench/RESULTS-features.md), while a disabled user, a changed role, a
# revoked API token and a database outage still show within half a second.
PRINCIPAL_TTL = 0.5


def forget_principals(request: Request) -> None:
    """After a revocation: this process stops honouring remembered principals at once (others
    within PRINCIPAL_TTL)."""
    request.app.state.principal_cache = {}


def _cached_principal(request: Request) -> Principal | None:
    token = _bearer(request)
    if token is None:
        return None
    entry = getattr(request.app.state, "principal_cache", {}).get(token)
    if entry is None or entry[0] < time.monotonic():
        return None
    principal = replace(entry[1], client_ip=client_ip(request))
    request.state.principal = principal
    return principal


def _remember_principal(request: Request, principal: Principal) -> None:
    token = _bearer(request)
    if token is None:
        return
    state = request.app.state
    cache = getattr(state, "principal_cache", None)
    if cache is None or len(cache) >= _TOKEN_CACHE_MAX:
        cache = state.principal_cache = {}
    cache[token] = (time.monotonic() + PRINCIPAL_TTL, replace(principal, client_ip=None))


def current_user(request: Request, conn: Conn) -> Principal:
    """The principal of the request (blocking: may read the database)."""
    cached = _cached_principal(request)
    if cached is not None:
        return cached
    credential = _verified_credential(request, conn)
    # A session cookie is good only while its server-side session lives (one query finds both the
    # session and the user); an access token only while the user's token version is the one it
    # carries (a new password or disabling increments it).
    if credential.session is not None:
        user = session_user(conn, credential.session)
        if user is None or user.username != credential.username:
            raise _unauthorized("sesi telah berakhir, silakan masuk lagi (session ended: log in again)")
    else:
        user = get_user(conn, credential.username)
    if user is None or user.disabled:
        raise _unauthorized("akun tidak aktif (account disabled or unknown)")
    if credential.version is not None and credential.version != user.token_version:
        raise _unauthorized("token sudah tidak berlaku, silakan masuk lagi (token revoked: log in again)")
    principal = Principal(user.username, user.role, user.agency, user.regencies, client_ip(request))
    request.state.principal = principal
    _remember_principal(request, principal)
    return principal


async def authenticated(request: Request, conn: Conn) -> Principal:
    """`current_user` as a dependency: a remembered principal is returned on the event loop;
    otherwise the lookup runs in the thread pool."""
    cached = _cached_principal(request)
    if cached is not None:
        return cached
    return await blocking(current_user, request, conn)


CurrentUser = Annotated[Principal, Depends(authenticated)]


async def require_writer(principal: CurrentUser) -> Principal:
    if not principal.can_write:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "peran Anda tidak boleh mengubah data (role may not write)")
    return principal


async def require_admin(principal: CurrentUser) -> Principal:
    if not principal.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "hanya admin (admins only)")
    return principal


Writer = Annotated[Principal, Depends(require_writer)]
Admin = Annotated[Principal, Depends(require_admin)]
