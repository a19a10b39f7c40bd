"""Short-lived signed access tokens (JWT, HS256) and revocable API tokens (random, stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import jwt

from geo.db import Connection, transaction

ALGORITHM = "HS256"
API_TOKEN_PREFIX = "pt_"


class InvalidToken(Exception):
    pass


def issue_access_token(username: str, key: str, ttl_minutes: int, kind: str = "access",
                       extra: dict | None = None) -> str:
    """A signed token; `extra` adds claims: `ver` (the user's token version, access tokens) or `sid`
    (the server-side session, session cookies)."""
    now = datetime.now(UTC)
    claims = {"sub": username, "iat": now, "exp": now + timedelta(minutes=ttl_minutes), "jti": uuid.uuid4().hex, "typ": kind}
    return jwt.encode({**(extra or {}), **claims}, key, algorithm=ALGORITHM)


def read_access_token(token: str, keys: list[str], kind: str = "access") -> str:
    """The username in a valid token."""
    return read_token_claims(token, keys, kind)["sub"]


def read_token_claims(token: str, keys: list[str], kind: str = "access") -> dict:
    """The claims of a valid token; tries each key so a rotation does not log everyone out."""
    for key in keys:
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if claims.get("typ") != kind:
            raise InvalidToken("wrong token type")
        return claims
    raise InvalidToken("signature not valid")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(conn: Connection, username: str, name: str, days: int | None = None) -> str:
    """Create a token for another system; the clear token is returned once and never stored."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction(conn) as cur:
        cur.execute(
            """INSERT INTO api_tokens (user_id, name, token_hash, expires_at)
               SELECT id, %s, %s, CASE WHEN %s::int IS NULL THEN NULL ELSE now() + make_interval(days => %s::int) END
                 FROM users WHERE username = %s AND NOT disabled""",
            (name, _hash(token), days, days, username),
        )
        if cur.rowcount != 1:
            raise InvalidToken(f"no active user {username!r}")
    return token


def resolve_api_token(conn: Connection, token: str) -> str:
    # last_used_at is written at most once a minute per token: a system polling the API many times a
    # second must not turn every read into a write (and a WAL flush).
    with transaction(conn) as cur:
        cur.execute(
            """WITH found AS (
                   SELECT t.id, t.last_used_at, u.username FROM api_tokens t JOIN users u ON u.id = t.user_id
                    WHERE t.token_hash = %s AND t.revoked_at IS NULL
                      AND (t.expires_at IS NULL OR t.expires_at > now()) AND NOT u.disabled),
               touched AS (
                   UPDATE api_tokens t SET last_used_at = now() FROM found f
                    WHERE t.id = f.id AND (f.last_used_at IS NULL OR f.last_used_at < now() - interval '1 minute'))
               SELECT username FROM found""",
            (_hash(token),),
        )
        row = cur.fetchone()
    if row is None:
        raise InvalidToken("API token unknown, expired or revoked")
    return row[0]


def revoke_api_token(conn: Connection, token_id: int) -> bool:
    with transaction(conn) as cur:
        cur.execute("UPDATE api_tokens SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL", (token_id,))
        return cur.rowcount == 1
