"""`pantau digest send [--dry-run]`: the e-mail digests due today, for a scheduler (docs/digest.md)."""

from __future__ import annotations

from datetime import date, datetime

import typer

from geo import clock
from geo import db as dbmod
from geo.commands import settings as get_settings
from geo.digest.prefs import WEEKDAYS
from geo.digest.send import DigestConfigError, run

digest_app = typer.Typer(help="E-mail digests of each user's 'Perlu perhatian' list.", no_args_is_help=True)


def _day(value: str | None) -> date:
    if not value:
        return clock.today()
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {value}") from None


@digest_app.command("send")
def send(
    dry_run: bool = typer.Option(False, "--dry-run", help="print who would get what; send nothing, change nothing"),
    today: str = typer.Option(None, "--today", help="the day to send for, YYYY-MM-DD (default: today in the "
                              "province); a day already sent for sends nothing again"),
) -> None:
    """Send the digests due today: daily ones, and weekly ones whose day it is; never twice a day.
    Without PANTAU_SMTP_URL nothing is sent (exit 0). Exit 1 when a message could not be sent."""
    settings = get_settings()
    day = _day(today)
    if not settings.mail.smtp_url and not dry_run:
        typer.echo("PANTAU_SMTP_URL is not set: no digest sent (docs/digest.md).")
        return
    url = dbmod.ensure_server(settings.database)
    try:
        with dbmod.connection(url) as conn:
            report = run(conn, settings, day, dry_run=dry_run)
    except DigestConfigError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    when = f"{day.isoformat()} ({WEEKDAYS[day.isoweekday()]})"
    if dry_run:
        typer.echo(f"dry run for {when}: {len(report.planned)} digest(s) would be sent, nothing sent")
        for item in report.planned:
            user = item.recipient
            typer.echo(f"  {user.username} ({user.role}, {user.agency}, {user.frequency}): "
                       f"{len(item.lines)} item(s), {sum(ln.count for ln in item.lines)} record(s)")
            for line in item.lines:
                typer.echo(f"    {line.kind}: {line.count}")
    else:
        typer.echo(f"digests for {when}: {len(report.sent)} sent, {len(report.failed)} failed, "
                   f"{len(report.skipped)} already sent by another run")
        for name in report.failed:
            typer.echo(f"  not sent: {name}")
    if report.empty:
        typer.echo(f"  nothing to report, no mail: {', '.join(report.empty)}")
    if report.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(digest_app, name="digest")
