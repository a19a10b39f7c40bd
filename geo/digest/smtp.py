"""The SMTP server of the digests, from PANTAU_SMTP_URL: one connection per run (smtplib)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SmtpUrlError(ValueError):
    """A PANTAU_SMTP_URL that is not one; the message never repeats the password."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: bool  # smtps://: TLS from the first byte
    starttls: bool  # smtp://...?starttls=true: upgraded before logging in
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = 30.0

    def connect(self) -> smtplib.SMTP:
        """An open, logged-in connection (the caller quits it)."""
        context = ssl.create_default_context()
        if self.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        try:
            client.ehlo()
            if self.starttls:
                client.starttls(context=context)
                client.ehlo()
            if self.username:
                client.login(self.username, self.password or "")
        except BaseException:
            client.close()
            raise
        return client


def parse_smtp_url(url: str) -> SmtpConfig:
    """`smtp://[user:password@]host[:port][?starttls=true&timeout=30]` or `smtps://...`.
    Default ports: 25 (smtp), 587 (smtp with starttls), 465 (smtps). User and password are
    percent-decoded (a '@' in a password is written %40)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise SmtpUrlError("PANTAU_SMTP_URL: starts with smtp:// or smtps://")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise SmtpUrlError("PANTAU_SMTP_URL: the port is not a number from 1 to 65535") from None
    if not host:
        raise SmtpUrlError("PANTAU_SMTP_URL: names no host")
    query = {k.lower(): v[-1].strip().lower() for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "timeout"}
    if unknown:
        raise SmtpUrlError(f"PANTAU_SMTP_URL: unknown option(s) {', '.join(sorted(unknown))} (starttls, timeout)")
    starttls_text = query.get("starttls", "false")
    if starttls_text not in _TRUE | _FALSE:
        raise SmtpUrlError("PANTAU_SMTP_URL: starttls is true or false")
    tls = parts.scheme == "smtps"
    starttls = starttls_text in _TRUE
    if tls and starttls:
        raise SmtpUrlError("PANTAU_SMTP_URL: smtps:// is TLS already; starttls is for smtp://")
    try:
        timeout = float(query.get("timeout", "30"))
    except ValueError:
        raise SmtpUrlError("PANTAU_SMTP_URL: timeout is a number of seconds") from None
    if not 1 <= timeout <= 600:
        raise SmtpUrlError("PANTAU_SMTP_URL: timeout between 1 and 600 seconds")
    default_port = 465 if tls else 587 if starttls else 25
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpConfig(host, port or default_port, tls, starttls, username, password, timeout)
