"""Login limits, kept in the database so that every worker process (and every host) shares them and a
restart does not reset them:

- per address: PANTAU_LOGIN_FAILURES_PER_ADDRESS (20) failed attempts in
  PANTAU_LOGIN_ADDRESS_WINDOW_SECONDS (900), whatever the user names (password spraying);
- per address and user name: PANTAU_LOGIN_ATTEMPTS_PER_MINUTE (5) failed attempts a minute.

An attempt is counted before its password is checked (a committed row per limit), so concurrent
attempts cannot all slip under a limit; its rows are removed when it succeeds or is refused, so what
stays counted are failures. A refused attempt costs a few small statements and no password hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from geo.db import Connection, transaction
from geo.settings import AuthSettings


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int
    window_seconds: int


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"login attempts used up; retry after {retry_after} s")
        self.retry_after = retry_after


def login_limits(address: str | None, username: str, settings: AuthSettings) -> tuple[Limit, ...]:
    # The user name is hashed: a mistyped one may be a password.
    user_key = hashlib.sha256(f"{address or ''}|{username.lower()}".encode()).hexdigest()
    return (Limit(f"a:{address or ''}", settings.login_failures_per_address, settings.login_address_window_seconds),
            Limit(f"u:{user_key}", settings.login_attempts_per_minute, 60))


def begin(conn: Connection, limits: tuple[Limit, ...]) -> list[int]:
    """Count an attempt against every limit; its row ids (for `succeeded`). RateLimited, with nothing
    left counted, when one of the limits is used up."""
    keys = [limit.key for limit in limits]
    longest = max(limit.window_seconds for limit in limits)
    with transaction(conn) as cur:
        cur.execute("DELETE FROM login_attempts WHERE at < now() - make_interval(secs => %s)", (longest,))
        cur.execute("INSERT INTO login_attempts (key) SELECT unnest(%s::text[]) RETURNING id", (keys,))
        ids = [row[0] for row in cur.fetchall()]
    # Committed: concurrent attempts now count this one, and this count sees theirs.
    with transaction(conn) as cur:
        cur.execute(
            """SELECT l.key, count(a.id),
                      ceil(extract(epoch FROM min(a.at) + make_interval(secs => l.window_s) - clock_timestamp()))
                 FROM unnest(%s::text[], %s::int[]) AS l(key, window_s)
                 LEFT JOIN login_attempts a ON a.key = l.key AND a.at > clock_timestamp() - make_interval(secs => l.window_s)
                GROUP BY l.key, l.window_s""",
            (keys, [limit.window_seconds for limit in limits]),
        )
        counts = {key: (count, wait) for key, count, wait in cur.fetchall()}
    exceeded = [counts[limit.key][1] for limit in limits if counts[limit.key][0] > limit.limit]
    if exceeded:
        forget(conn, ids)
        raise RateLimited(max(1, int(max(w or 1 for w in exceeded))))
    return ids


def forget(conn: Connection, ids: list[int]) -> None:
    """The attempt succeeded, was refused, or never got its password checked: it does not count."""
    with transaction(conn) as cur:
        cur.execute("DELETE FROM login_attempts WHERE id = ANY(%s)", (ids,))
