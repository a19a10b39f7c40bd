"""`pantau users ...` and `pantau tokens ...`: accounts and API tokens for other systems."""

from __future__ import annotations

import sys

import typer

from geo import db as dbmod
from geo.auth import audit
from geo.auth.tokens import InvalidToken, create_api_token, revoke_api_token
from geo.auth.users import UserError, create_user, list_users, set_disabled, set_password
from geo.commands import settings as get_settings

users_app = typer.Typer(help="User accounts (roles: admin, editor, analyst, viewer).", no_args_is_help=True)
tokens_app = typer.Typer(help="Revocable API tokens for other agencies' systems.", no_args_is_help=True)


def _conn():
    return dbmod.connection(dbmod.ensure_server(get_settings().database))


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(1)


@users_app.command("add")
def add(
    name: str,
    role: str = typer.Option(..., "--role", help="admin | editor | analyst | viewer"),
    agency: str = typer.Option(..., "--agency", help="kesbangpol, imigrasi, polda, disnakertrans, kemendagri, pemkab"),
    regency: list[str] = typer.Option(None, "--regency", help="regency code of the user's scope; repeat; none = province"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from standard input"),
) -> None:
    """Create a user. The password is read from stdin (never from the command line)."""
    if not password_stdin:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        with _conn() as conn:
            user = create_user(conn, name, password, role, agency, regency or None)
            audit.record(conn, "user.create", username="cli", target=user.username,
                         detail={"role": role, "agency": agency, "regencies": regency or None})
    except ValueError as exc:  # UserError, WeakPassword
        _fail(str(exc))
    scope = ", ".join(user.regencies) if user.regencies else "seluruh provinsi"
    typer.echo(f"user {user.username} created: {user.role}, {user.agency}, scope {scope}")


@users_app.command("password")
def password(
    name: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from standard input"),
) -> None:
    """Set a new password. The user's web sessions and access tokens end at once; API tokens stay
    (list and revoke them with the API if the account was compromised)."""
    if not password_stdin:
        new = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        new = sys.stdin.readline().rstrip("\n")
    try:
        with _conn() as conn:
            set_password(conn, name, new)
            audit.record(conn, "user.password", username="cli", target=name)
    except ValueError as exc:  # UserError, WeakPassword
        _fail(str(exc))
    typer.echo(f"password of {name} changed; its sessions and access tokens have ended")


@users_app.command("list")
def list_() -> None:
    """List users with role, agency, scope and state."""
    with _conn() as conn:
        for u in list_users(conn):
            scope = ",".join(u.regencies) if u.regencies else "province"
            state = "disabled" if u.disabled else "active"
            typer.echo(f"{u.username:20s} {u.role:8s} {u.agency:14s} {scope:20s} {state}")


@users_app.command("disable")
def disable(name: str) -> None:
    """Disable a user; their API tokens, web sessions and access tokens end at once."""
    try:
        with _conn() as conn:
            set_disabled(conn, name, True)
            audit.record(conn, "user.disable", username="cli", target=name)
    except UserError as exc:
        _fail(str(exc))
    typer.echo(f"user {name} disabled")


@tokens_app.command("create")
def token_create(
    user: str, name: str = typer.Option(..., "--name", help="what system uses it"),
    days: int = typer.Option(None, "--days", help="expiry in days (default: until revoked)"),
) -> None:
    """Create an API token for USER; it is printed once and stored only as a hash."""
    try:
        with _conn() as conn:
            token = create_api_token(conn, user, name, days)
            audit.record(conn, "token.create", username="cli", target=user, detail={"name": name})
    except InvalidToken as exc:
        _fail(str(exc))
    typer.echo(token)


@tokens_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke an API token by id."""
    with _conn() as conn:
        if not revoke_api_token(conn, token_id):
            _fail(f"no active token with id {token_id}")
        audit.record(conn, "token.revoke", username="cli", target=str(token_id))
    typer.echo(f"token {token_id} revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
