"""`pantau backup FILE` and `pantau restore FILE`."""

from __future__ import annotations

from pathlib import Path

import typer

from geo import db as dbmod
from geo.backup import BackupError, backup, restore
from geo.commands import settings as get_settings


def register(app: typer.Typer) -> None:
    @app.command("backup")
    def backup_cmd(file: Path = typer.Argument(..., help="where to write the dump (pg_dump custom format)")) -> None:
        """Back up all data (schema, boundaries, records, users, audit log) to FILE."""
        url = dbmod.ensure_server(get_settings().database)
        try:
            size = backup(url, file)
        except BackupError as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"backup written: {file} ({size / 1e6:.1f} MB)")

    @app.command("restore")
    def restore_cmd(
        file: Path = typer.Argument(..., help="a file written by `pantau backup`"),
        yes: bool = typer.Option(False, "--yes", help="do not ask for confirmation"),
    ) -> None:
        """Replace ALL current data with the backup in FILE (one transaction)."""
        if not yes:
            typer.confirm("Replace all current data with this backup?", abort=True)
        url = dbmod.ensure_server(get_settings().database)
        try:
            restore(url, file)
        except BackupError as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"restored from {file}")
