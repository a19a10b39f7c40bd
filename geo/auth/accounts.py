"""What an admin does to accounts from the web (/admin/users): create, change, disable, enable,
make a password link, issue and revoke a user's API tokens. Each is one transaction with its audit
record, and each keeps the rules that stop an admin escalating or locking everyone out:

- only province-wide admins manage users (an admin scoped to regencies could otherwise create a
  province-wide account or widen their own scope);
- nobody disables themselves or changes their own role or scope;
- the last enabled province-wide admin is never disabled, demoted or narrowed to regencies.

`actor` is the acting principal (api.security.Principal: `username`, `role`, `regencies`,
`audit_fields()`). Messages are Indonesian with English in brackets."""

from __future__ import annotations

import re
import secrets
from typing import Any

from geo.auth import audit, password_resets
from geo.auth.passwords import hash_password
from geo.auth.tokens import API_TOKEN_PREFIX, _hash
from geo.auth.users import UserError, insert_user, set_disabled_in, update_user
from geo.db import Connection, transaction

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MAX_TOKEN_DAYS = 365


class AccountError(ValueError):
    """A refused change; the message is shown to the admin."""


def may_manage(actor) -> bool:
    return actor.role == "admin" and actor.regencies is None


_ACCOUNT_COLUMNS = """u.id, u.username, u.role, u.agency, u.regencies, u.disabled, u.created_at, u.last_login_at,
    u.password_changed_at,
    EXISTS (SELECT 1 FROM password_resets r WHERE r.user_id = u.id AND r.used_at IS NULL
                AND r.revoked_at IS NULL AND r.expires_at > now()) AS open_link,
    (SELECT count(*) FROM api_tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL
                AND (t.expires_at IS NULL OR t.expires_at > now())) AS active_tokens"""


def _dicts(cur) -> list[dict[str, Any]]:
    names = [d.name for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def list_accounts(conn: Connection) -> list[dict[str, Any]]:
    with transaction(conn) as cur:
        cur.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM users u ORDER BY u.username")  # noqa: S608 - fixed columns
        return _dicts(cur)


def account(conn: Connection, user_id: int) -> dict[str, Any] | None:
    with transaction(conn) as cur:
        cur.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM users u WHERE u.id = %s", (user_id,))  # noqa: S608
        rows = _dicts(cur)
    return rows[0] if rows else None


def _require_manager(actor) -> None:
    if not may_manage(actor):
        raise PermissionError("hanya admin tingkat provinsi yang mengelola pengguna (province-wide admins only)")


def _target(cur, user_id: int) -> tuple[str, str, str, list[str] | None, bool]:
    cur.execute("SELECT username, role, agency, regencies, disabled FROM users WHERE id = %s FOR UPDATE", (user_id,))
    row = cur.fetchone()
    if row is None:
        raise LookupError(user_id)
    return row


def _keep_a_province_admin(cur, username: str) -> None:
    """Refuse when `username` is the only enabled province-wide admin (the rows are locked, so two
    admins demoting each other at once cannot both succeed)."""
    cur.execute("""SELECT username FROM users WHERE role = 'admin' AND regencies IS NULL AND NOT disabled
                    ORDER BY id FOR UPDATE""")
    admins = [r[0] for r in cur.fetchall()]
    if admins == [username]:
        raise AccountError("admin tingkat provinsi terakhir tidak boleh dinonaktifkan atau diturunkan "
                           "(the last province-wide admin must stay)")


def _user_error(exc: UserError) -> AccountError:
    return AccountError(f"data pengguna tidak valid ({exc})")


def create(conn: Connection, actor, username: str, role: str, agency: str,
           regencies: list[str] | None) -> tuple[dict[str, Any], str]:
    """A new user without a usable password, and the one-time link that sets their first one
    (returned once). The admin never types, sees or passes on the user's password."""
    _require_manager(actor)
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError("nama pengguna: 2-63 huruf kecil, angka, titik, garis bawah atau tanda hubung, "
                           "diawali huruf atau angka (user name: 2-63 of a-z 0-9 . _ -)")
    unusable = hash_password(secrets.token_urlsafe(32))  # nobody knows it: the link sets the real one
    with transaction(conn) as cur:
        try:
            user = insert_user(cur, username, unusable, role, agency, regencies)
        except UserError as exc:
            if "already exists" in str(exc):
                raise AccountError("nama pengguna sudah dipakai (user name already taken)") from None
            raise _user_error(exc) from None
        token = password_resets.create_link(cur, username, "first", actor.username)
        audit.record(cur, "user.create", **actor.audit_fields(), target=username,
                     detail={"role": user.role, "agency": user.agency, "regencies": user.regencies})
    return account(conn, user.id), token


def change(conn: Connection, actor, user_id: int, role: str, agency: str, regencies: list[str] | None) -> None:
    _require_manager(actor)
    with transaction(conn) as cur:
        username, old_role, old_agency, old_regencies, _ = _target(cur, user_id)
        new_regencies = sorted(set(regencies)) if regencies else None
        scope_change = role != old_role or new_regencies != (sorted(old_regencies) if old_regencies else None)
        if username == actor.username and scope_change:
            raise AccountError("Anda tidak boleh mengubah peran atau wilayah Anda sendiri (you may not change your own role or scope)")
        if old_role == "admin" and old_regencies is None and (role != "admin" or new_regencies is not None):
            _keep_a_province_admin(cur, username)
        try:
            user = update_user(cur, username, role, agency, new_regencies)
        except UserError as exc:
            raise _user_error(exc) from None
        before = {"role": old_role, "agency": old_agency, "regencies": list(old_regencies) if old_regencies else None}
        after = {"role": user.role, "agency": user.agency, "regencies": list(user.regencies) if user.regencies else None}
        audit.record(cur, "user.update", **actor.audit_fields(), target=username,
                     detail={"before": {k: v for k, v in before.items() if v != after[k]},
                             "after": {k: v for k, v in after.items() if v != before[k]}})


def set_enabled(conn: Connection, actor, user_id: int, enabled: bool) -> str:
    """Disable (ends the user's sessions, access tokens and API tokens at once) or enable again."""
    _require_manager(actor)
    with transaction(conn) as cur:
        username, role, _, regencies, disabled = _target(cur, user_id)
        if not enabled:
            if username == actor.username:
                raise AccountError("Anda tidak boleh menonaktifkan akun Anda sendiri (you may not disable yourself)")
            if role == "admin" and regencies is None and not disabled:
                _keep_a_province_admin(cur, username)
        set_disabled_in(cur, username, not enabled)
        audit.record(cur, "user.enable" if enabled else "user.disable", **actor.audit_fields(), target=username,
                     detail={"was_disabled": disabled})
    return username


def reset_link(conn: Connection, actor, user_id: int) -> tuple[str, str]:
    """A one-time link to set a new password (the user's older links end); (username, token)."""
    _require_manager(actor)
    with transaction(conn) as cur:
        username, _, _, _, disabled = _target(cur, user_id)
        if disabled:
            raise AccountError("akun nonaktif: aktifkan dahulu (account disabled: enable it first)")
        token = password_resets.create_link(cur, username, "reset", actor.username)
        audit.record(cur, "user.reset_link", **actor.audit_fields(), target=username,
                     detail={"valid_hours": password_resets.VALID_HOURS})
    return username, token


def issue_token(conn: Connection, actor, owner: str, name: str, days: int) -> tuple[int, str]:
    """An API token of `owner` (an enabled user); (id, the clear token, returned once). The caller
    checks that `actor` may act for `owner`."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AccountError("nama token: 1-100 karakter (token name: 1-100 characters)")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise AccountError(f"masa berlaku: 1-{MAX_TOKEN_DAYS} hari (valid for 1-{MAX_TOKEN_DAYS} days)")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction(conn) as cur:
        cur.execute("""INSERT INTO api_tokens (user_id, name, token_hash, expires_at)
                       SELECT id, %s, %s, now() + make_interval(days => %s) FROM users
                        WHERE username = %s AND NOT disabled RETURNING id""", (name, _hash(token), days, owner))
        row = cur.fetchone()
        if row is None:
            raise AccountError("akun nonaktif (account disabled)")
        audit.record(cur, "api_token.create", **actor.audit_fields(), target=f"api_token:{row[0]}",
                     detail={"owner": owner, "name": name, "days": days})
    return row[0], token


def revoke_token(conn: Connection, actor, token_id: int, owner: str | None) -> bool:
    """Revoke a token; `owner` None = any user's (the caller checked that actor may). False when
    there is no such token (of that owner)."""
    with transaction(conn) as cur:
        cur.execute("""SELECT t.id, u.username, t.revoked_at IS NULL FROM api_tokens t JOIN users u ON u.id = t.user_id
                        WHERE t.id = %s AND (%s::text IS NULL OR u.username = %s) FOR UPDATE OF t""",
                    (token_id, owner, owner))
        row = cur.fetchone()
        if row is None:
            return False
        cur.execute("UPDATE api_tokens SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL", (token_id,))
        audit.record(cur, "api_token.revoke", **actor.audit_fields(), target=f"api_token:{token_id}",
                     detail={"owner": row[1], "was_active": row[2]})
    return True
