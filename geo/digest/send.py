"""One digest run (`pantau digest send`): who is due, what each gets, one SMTP connection for all.
A user whose message fails is logged (user name and the error's kind, never the address) and counted;
the others are still sent. Each run leaves one audit record with the counts."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import date

from geo.auth import audit
from geo.auth.secrets import signing_keys
from geo.db import Connection
from geo.digest import schedule
from geo.digest.compose import compose
from geo.digest.items import DigestLine, Recipient, digest_lines
from geo.digest.smtp import SmtpUrlError, parse_smtp_url
from geo.digest.tokens import make_token
from geo.settings import Settings

log = logging.getLogger("pantau.digest")

UNSUBSCRIBE_PATH = "/unsubscribe/"


class DigestConfigError(RuntimeError):
    """The settings do not allow sending (PANTAU_PUBLIC_URL missing, a malformed PANTAU_SMTP_URL)."""


@dataclass
class Planned:
    recipient: Recipient
    lines: list[DigestLine]


@dataclass
class RunReport:
    today: date
    dry_run: bool
    not_configured: bool = False
    planned: list[Planned] = field(default_factory=list)  # due, with something to report
    empty: list[str] = field(default_factory=list)  # due, nothing to report: no mail
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # claimed by another run meanwhile


def unsubscribe_url(settings: Settings, user_id: int) -> str:
    return settings.mail.public_url + UNSUBSCRIBE_PATH + make_token(signing_keys(settings), user_id)


def plan(conn: Connection, today: date) -> tuple[list[Planned], list[str]]:
    """The due users with their lines, and the due users with nothing to report."""
    planned, empty = [], []
    for recipient in schedule.due(conn, today):
        lines = digest_lines(conn, recipient, today)
        if lines:
            planned.append(Planned(recipient, lines))
        else:
            empty.append(recipient.username)
    return planned, empty


def run(conn: Connection, settings: Settings, today: date, *, dry_run: bool = False) -> RunReport:
    """Send (or with `dry_run` only plan) the digests due on `today`."""
    mail = settings.mail
    report = RunReport(today, dry_run)
    if not mail.smtp_url and not dry_run:
        report.not_configured = True
        return report
    if not dry_run and not mail.public_url:
        raise DigestConfigError("PANTAU_PUBLIC_URL is not set: the digests' links would lead nowhere "
                                "(set it to the site's address, e.g. https://pantau.kalteng.go.id)")
    try:
        smtp = parse_smtp_url(mail.smtp_url) if mail.smtp_url else None
    except SmtpUrlError as exc:
        raise DigestConfigError(str(exc)) from None
    report.planned, report.empty = plan(conn, today)
    if dry_run or not report.planned:
        return report
    assert smtp is not None  # not a dry run: configured, checked above
    client: smtplib.SMTP | None = None
    unreachable: str | None = None  # the server could not be reached: the rest are not tried
    try:
        for item in report.planned:
            user = item.recipient
            if unreachable is not None:
                report.failed.append(user.username)
                continue
            previous = schedule.claim(conn, user.user_id, today)
            if previous is None:
                report.skipped.append(user.username)
                continue
            message = compose(user, item.lines, today, public_url=mail.public_url, sender=mail.smtp_from,
                              unsubscribe_url=unsubscribe_url(settings, user.user_id))
            try:
                if client is None:  # one connection per run; opened again only after the server dropped it
                    try:
                        client = smtp.connect()
                    except OSError as exc:  # smtplib's errors are OSErrors too
                        unreachable = _reason(exc)
                        raise
                client.send_message(message)
            except OSError as exc:
                if client is not None and _connection_lost(exc):
                    _close(client)
                    client = None
                schedule.give_back(conn, user.user_id, today, previous)
                report.failed.append(user.username)
                log.warning("digest to user %s not sent: %s", user.username, _reason(exc))
            else:
                report.sent.append(user.username)
        if unreachable is not None:
            log.warning("SMTP server %s:%s not reached (%s): %d digest(s) not sent", smtp.host, smtp.port,
                        unreachable, len(report.failed))
    finally:
        if client is not None:
            _close(client)
        audit.record(conn, "digest.send", username="pantau-digest", target=today.isoformat(),
                     outcome="failed" if report.failed else "ok",
                     detail={"sent": len(report.sent), "failed": len(report.failed), "empty": len(report.empty),
                             "skipped": len(report.skipped), "users_sent": report.sent,
                             "users_failed": report.failed})
    return report


def _connection_lost(exc: OSError) -> bool:
    """After this error the connection is of no further use (a refused recipient leaves it usable)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421  # the server is closing the connection
    return not isinstance(exc, smtplib.SMTPException)  # a socket error


def _reason(exc: BaseException) -> str:
    """The kind of failure and the server's code, without the server's text (it may echo the address)."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({c for c, _ in exc.recipients.values()})
        return f"{type(exc).__name__} {codes}"
    return f"{type(exc).__name__}" + (f" {code}" if code else "")


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
