"""User accounts: create, list, disable, look up. Roles and regional scope live here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.auth.password_policy import check_password
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
    token_version: int = 0  # in every access token; a new password or disabling increments it


_COLUMNS = "id, username, role, agency, regencies, disabled, password_hash, token_version"
# The same columns of `users u` joined to another table.
COLUMNS_OF_U = ", ".join(f"u.{c.strip()}" for c in _COLUMNS.split(","))


def row_to_user(row) -> User:
    id_, username, role, agency, regencies, disabled, password_hash, token_version = row
    return User(id_, username, role, agency, tuple(regencies) if regencies else None, disabled, password_hash,
                token_version)



def get_user(conn: Connection, username: str) -> User | None:
    with transaction(conn) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM users WHERE username = %s", (username,))  # noqa: S608
        row = cur.fetchone()
    return row_to_user(row) if row else None


def list_users(conn: Connection) -> list[User]:
    with transaction(conn) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM users ORDER BY username")  # noqa: S608
        return [row_to_user(r) for r in cur.fetchall()]


def create_user(
    conn: Connection, username: str, password: str, role: str, agency: str, regencies: list[str] | None
) -> User:
    check_password(password, username)
    password_hash = hash_password(password)
    with transaction(conn) as cur:
        return insert_user(cur, username, password_hash, role, agency, regencies)


def check_fields(cur, role: str, agency: str, regencies: list[str] | None) -> list[str] | None:
    """Role, agency and regencies checked against what exists; the regencies sorted, None = province."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    regencies = sorted(set(regencies)) if regencies else None
    cur.execute("SELECT 1 FROM agencies WHERE code = %s", (agency,))
    if cur.fetchone() is None:
        cur.execute("SELECT string_agg(code, ', ' ORDER BY code) FROM agencies")
        raise UserError(f"unknown agency {agency!r}; known: {cur.fetchone()[0]}")
    for code in regencies or ():
        cur.execute("SELECT 1 FROM boundaries WHERE code = %s AND level = 'regency'", (code,))
        if not _REGENCY.match(code) or cur.fetchone() is None:
            raise UserError(f"unknown regency code {code!r}")
    return regencies


def insert_user(cur, username: str, password_hash: str, role: str, agency: str, regencies: list[str] | None) -> User:
    """The INSERT of create_user, in the caller's transaction (a web page adds its audit record to it)."""
    regencies = check_fields(cur, role, agency, regencies)
    cur.execute("SELECT 1 FROM users WHERE username = %s", (username,))
    if cur.fetchone():
        raise UserError(f"user {username!r} already exists")
    cur.execute(
        f"""INSERT INTO users (username, password_hash, role, agency, regencies)
            VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}""",  # noqa: S608
        (username, password_hash, role, agency, regencies),
    )
    return row_to_user(cur.fetchone())


def update_user(cur, username: str, role: str, agency: str, regencies: list[str] | None) -> User:
    """New role, agency and regencies, in the caller's transaction. They apply from the next request
    (every request reads the users row)."""
    regencies = check_fields(cur, role, agency, regencies)
    cur.execute(f"""UPDATE users SET role = %s, agency = %s, regencies = %s WHERE username = %s
                    RETURNING {_COLUMNS}""", (role, agency, regencies, username))  # noqa: S608
    row = cur.fetchone()
    if row is None:
        raise UserError(f"no user {username!r}")
    return row_to_user(row)


def set_disabled(conn: Connection, username: str, disabled: bool = True) -> None:
    with transaction(conn) as cur:
        set_disabled_in(cur, username, disabled)


def set_disabled_in(cur, username: str, disabled: bool = True) -> None:
    """set_disabled in the caller's transaction."""
    cur.execute("UPDATE users SET disabled = %s WHERE username = %s", (disabled, username))
    if cur.rowcount == 0:
        raise UserError(f"no user {username!r}")
    if disabled:
        # A disabled user's API tokens, web sessions and access tokens stop working at once (and
        # stay dead if the account is enabled again).
        cur.execute(
            """UPDATE api_tokens SET revoked_at = now()
                WHERE revoked_at IS NULL AND user_id = (SELECT id FROM users WHERE username = %s)""",
            (username,),
        )
        end_sessions_and_tokens(cur, username)


def set_password(conn: Connection, username: str, password: str) -> None:
    """A new password (checked against the policy); every web session and access token of the user
    ends. API tokens stay: they belong to a system, not to the password."""
    check_password(password, username)
    password_hash = hash_password(password)
    with transaction(conn) as cur:
        cur.execute("UPDATE users SET password_hash = %s, password_changed_at = now() WHERE username = %s",
                    (password_hash, username))
        if cur.rowcount == 0:
            raise UserError(f"no user {username!r}")
        end_sessions_and_tokens(cur, username)


def end_sessions_and_tokens(cur, username: str) -> None:
    """Every web session and access token of the user ends (in the caller's transaction)."""
    cur.execute("UPDATE users SET token_version = token_version + 1 WHERE username = %s", (username,))
    cur.execute(
        """UPDATE sessions SET revoked_at = now()
            WHERE revoked_at IS NULL AND user_id = (SELECT id FROM users WHERE username = %s)""",
        (username,),
    )
