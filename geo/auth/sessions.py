"""Web sessions kept on the server: the signed session cookie carries a random id, the database only
its SHA-256. Logout, disabling the user and a new password end a session at once; a copied cookie
is worth nothing after that."""

from __future__ import annotations

import hashlib
import secrets

from geo.auth.users import COLUMNS_OF_U, User, row_to_user
from geo.db import Connection, transaction


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def create_session(conn: Connection, user_id: int, ttl_minutes: int) -> str:
    """A new session; its id (to put in the signed cookie) is returned, never stored."""
    session_id = secrets.token_urlsafe(32)
    with transaction(conn) as cur:
        cur.execute("DELETE FROM sessions WHERE expires_at < now() - interval '1 day'")  # long dead: nothing to keep
        cur.execute("""INSERT INTO sessions (id_hash, user_id, expires_at)
                       VALUES (%s, %s, now() + make_interval(mins => %s))""", (_hash(session_id), user_id, ttl_minutes))
    return session_id


def session_user(conn: Connection, session_id: str) -> User | None:
    """The user of a live session (not ended, not expired); None otherwise."""
    if not session_id:
        return None
    with transaction(conn) as cur:
        cur.execute(
            f"""SELECT {COLUMNS_OF_U} FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.id_hash = %s AND s.revoked_at IS NULL AND s.expires_at > now()""",  # noqa: S608 - fixed columns
            (_hash(session_id),),
        )
        row = cur.fetchone()
    return row_to_user(row) if row else None


def end_session(conn: Connection, session_id: str) -> bool:
    with transaction(conn) as cur:
        cur.execute("UPDATE sessions SET revoked_at = now() WHERE id_hash = %s AND revoked_at IS NULL",
                    (_hash(session_id),))
        return cur.rowcount == 1
