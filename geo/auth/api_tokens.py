"""API tokens as their owners see them: list (never the hash), look up and revoke by id."""

from __future__ import annotations

from typing import Any

from geo.auth.tokens import _hash
from geo.db import Connection, transaction

_COLUMNS = """t.id, u.username, t.name, t.created_at, t.expires_at, t.revoked_at, t.last_used_at,
              (t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())) AS active"""


def _rows(cur) -> list[dict[str, Any]]:
    names = [d.name for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def list_tokens(conn: Connection, username: str) -> list[dict[str, Any]]:
    with transaction(conn) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id "  # noqa: S608 - fixed columns
            "WHERE u.username = %s ORDER BY t.id",
            (username,),
        )
        return _rows(cur)


def token_by_id(conn: Connection, token_id: int) -> dict[str, Any] | None:
    with transaction(conn) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = %s",  # noqa: S608
                    (token_id,))
        rows = _rows(cur)
    return rows[0] if rows else None


def token_by_secret(conn: Connection, token: str) -> dict[str, Any] | None:
    """The row of a token just created (found by its hash; the clear token is not stored)."""
    with transaction(conn) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = %s",  # noqa: S608
                    (_hash(token),))
        rows = _rows(cur)
    return rows[0] if rows else None
