"""One-time links to set a password: made by an admin for a new user (the first password) or a user
who forgot theirs, opened by that user without logging in. The random token is shown once; only
its SHA-256 is stored. A link works once and until it expires; a newer one for the same user ends
the older. Setting the password ends the user's web sessions and access tokens (as `users password`)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from geo.auth import audit
from geo.auth.password_policy import check_password
from geo.auth.passwords import hash_password
from geo.auth.users import end_sessions_and_tokens
from geo.db import Connection, transaction

VALID_HOURS = 24
PURPOSES = ("first", "reset")


class LinkInvalid(LookupError):
    """Unknown, used, ended or expired: the same answer for each (no hint which)."""


@dataclass(frozen=True)
class OpenLink:
    username: str
    purpose: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(cur, username: str, purpose: str, created_by: str, hours: int = VALID_HOURS) -> str:
    """A new link's token (returned once, never stored), in the caller's transaction; the user's
    older open links end."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose {purpose!r}")
    token = secrets.token_urlsafe(32)
    cur.execute("SELECT id FROM users WHERE username = %s", (username,))
    row = cur.fetchone()
    if row is None:
        raise LookupError(f"no user {username!r}")
    cur.execute("""UPDATE password_resets SET revoked_at = now()
                    WHERE user_id = %s AND used_at IS NULL AND revoked_at IS NULL""", (row[0],))
    cur.execute("""INSERT INTO password_resets (user_id, token_hash, purpose, created_by, expires_at)
                   VALUES (%s, %s, %s, %s, now() + make_interval(hours => %s))""",
                (row[0], _hash(token), purpose, created_by, hours))
    return token


_OPEN = """SELECT r.id, u.username, r.purpose FROM password_resets r JOIN users u ON u.id = r.user_id
            WHERE r.token_hash = %s AND r.used_at IS NULL AND r.revoked_at IS NULL AND r.expires_at > now()
              AND NOT u.disabled"""


def open_link(conn: Connection, token: str) -> OpenLink:
    """Who a link is for, while it works; LinkInvalid otherwise."""
    with transaction(conn) as cur:
        cur.execute(_OPEN, (_hash(token),))
        row = cur.fetchone()
    if row is None:
        raise LinkInvalid
    return OpenLink(row[1], row[2])


def use_link(conn: Connection, token: str, password: str, client_ip: str | None = None, hashing=None) -> str:
    """Set the password through the link: one transaction marks it used, sets the password, ends the
    user's sessions and access tokens and writes the audit record. Returns the user name.
    LinkInvalid when the link does not work (also when another request used it a moment before);
    WeakPassword (ValueError) when the password breaks the policy (the link then still works)."""
    link = open_link(conn, token)
    check_password(password, link.username)
    password_hash = hash_password(password, hashing)  # slow: outside the transaction
    with transaction(conn) as cur:
        cur.execute(_OPEN + " FOR UPDATE OF r", (_hash(token),))
        row = cur.fetchone()
        if row is None or row[1] != link.username:
            raise LinkInvalid
        cur.execute("UPDATE password_resets SET used_at = now() WHERE id = %s", (row[0],))
        cur.execute("UPDATE users SET password_hash = %s, password_changed_at = now() WHERE username = %s",
                    (password_hash, link.username))
        end_sessions_and_tokens(cur, link.username)
        cur.execute("SELECT role, agency FROM users WHERE username = %s", (link.username,))
        role, agency = cur.fetchone()
        audit.record(cur, "user.password_link", username=link.username, role=role, agency=agency,
                     client_ip=client_ip, target=link.username, detail={"purpose": link.purpose, "link": row[0]})
    return link.username
