"""User accounts: create, list, disable, look up. Roles and regional scope live here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.auth.passwords import hash_password
from geo.db import Connection, transaction

ROLES = ("admin", "editor", "analyst", "viewer")
_REGENCY = re.compile(r"^\d{2}\.\d{2}$")


class UserError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    agency: str
    regencies: tuple[str, ...] | None
    disabled: bool
    password_hash: str


_COLUMNS = "id, username, role, agency, regencies, disabled, password_hash"


def _row(row) -> User:
    id_, username, role, agency, regencies, disabled, password_hash = row
    return User(id_, username, role, agency, tuple(regencies) if regencies else None, disabled, password_hash)


def get_user(conn: Connection, username: str) -> User | None:
    with transaction(conn) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM users WHERE username = %s", (username,))  # noqa: S608
        row = cur.fetchone()
    return _row(row) if row else None


def list_users(conn: Connection) -> list[User]:
    with transaction(conn) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM users ORDER BY username")  # noqa: S608
        return [_row(r) for r in cur.fetchall()]


def create_user(
    conn: Connection, username: str, password: str, role: str, agency: str, regencies: list[str] | None
) -> User:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    regencies = sorted(set(regencies)) if regencies else None
    with transaction(conn) as cur:
        cur.execute("SELECT 1 FROM agencies WHERE code = %s", (agency,))
        if cur.fetchone() is None:
            cur.execute("SELECT string_agg(code, ', ' ORDER BY code) FROM agencies")
            raise UserError(f"unknown agency {agency!r}; known: {cur.fetchone()[0]}")
        for code in regencies or ():
            cur.execute("SELECT 1 FROM boundaries WHERE code = %s AND level = 'regency'", (code,))
            if not _REGENCY.match(code) or cur.fetchone() is None:
                raise UserError(f"unknown regency code {code!r}")
        cur.execute("SELECT 1 FROM users WHERE username = %s", (username,))
        if cur.fetchone():
            raise UserError(f"user {username!r} already exists")
        cur.execute(
            f"""INSERT INTO users (username, password_hash, role, agency, regencies)
                VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}""",  # noqa: S608
            (username, hash_password(password), role, agency, regencies),
        )
        return _row(cur.fetchone())


def set_disabled(conn: Connection, username: str, disabled: bool = True) -> None:
    with transaction(conn) as cur:
        cur.execute("UPDATE users SET disabled = %s WHERE username = %s", (disabled, username))
        if cur.rowcount == 0:
            raise UserError(f"no user {username!r}")
        if disabled:
            # A disabled user's API tokens stop working at once.
            cur.execute(
                """UPDATE api_tokens SET revoked_at = now()
                    WHERE revoked_at IS NULL AND user_id = (SELECT id FROM users WHERE username = %s)""",
                (username,),
            )
