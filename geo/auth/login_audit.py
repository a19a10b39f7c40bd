"""Audit rows for login noise: failed logins with a user name that is no account, and attempts refused
by the rate limits. One address can send thousands a minute; each kind (per address, and per
existing user name for refusals) gets one row at its first occurrence in a window and one row with
the count of the rest when the window ends. Failures for an existing account keep a row each (the
limits bound them). A user name that is no account is never recorded: it may be a password typed
into the wrong field.

The audit trail is append-only, so the count waits in login_audit_windows until the window ends; it
is written by the next login attempt or by the next read of the trail (`flush`)."""

from __future__ import annotations

from geo.auth import audit
from geo.db import Connection, transaction

UNKNOWN_USER = "unknown_user"
RATE_LIMITED = "rate_limited"
_OUTCOME = {UNKNOWN_USER: "failed", RATE_LIMITED: "denied"}


def flush(conn: Connection, window_seconds: int) -> None:
    """Write the count rows of windows that have ended."""
    with transaction(conn) as cur:
        cur.execute(
            """WITH ended AS (
                   DELETE FROM login_audit_windows
                    WHERE opened_at <= clock_timestamp() - make_interval(secs => %(window)s)
                   RETURNING address, reason, username, opened_at, last_at, repeats)
               INSERT INTO audit_log (username, client_ip, action, outcome, detail)
               SELECT NULLIF(username, ''), NULLIF(address, '')::inet, 'auth.login',
                      CASE reason WHEN 'rate_limited' THEN 'denied' ELSE 'failed' END,
                      jsonb_build_object('reason', reason, 'count', repeats, 'first_at', opened_at,
                                         'last_at', last_at, 'window_seconds', %(window)s)
                 FROM ended WHERE repeats > 0""",
            {"window": window_seconds},
        )


def record(conn: Connection, reason: str, address: str | None, username: str | None = None) -> None:
    """One occurrence of `reason` from `address` (`username`: an existing account's name, or None)."""
    key = (address or "", reason, username or "")
    with transaction(conn) as cur:
        for _ in range(2):  # a window ended (flushed) between the two statements: open a new one
            cur.execute("""INSERT INTO login_audit_windows (address, reason, username) VALUES (%s, %s, %s)
                           ON CONFLICT DO NOTHING RETURNING 1""", key)
            if cur.fetchone() is not None:
                audit.record(cur, "auth.login", username=username, client_ip=address, outcome=_OUTCOME[reason],
                             detail={"reason": reason})
                return
            cur.execute("""UPDATE login_audit_windows SET repeats = repeats + 1, last_at = clock_timestamp()
                            WHERE address = %s AND reason = %s AND username = %s""", key)
            if cur.rowcount == 1:
                return
