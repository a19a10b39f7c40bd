"""Who gets a digest on a day: daily users on every run, weekly users on their weekday, nobody twice
for the same day (the province's day, geo/clock.py). A run claims a user's day before sending, so two
runs at once never both send, and gives it back when the sending failed (the next run tries again)."""

from __future__ import annotations

from datetime import date, datetime

from geo.db import Connection, transaction
from geo.digest.items import Recipient


def due(conn: Connection, today: date) -> list[Recipient]:
    """Active users with an address whose digest is due on `today` and not sent for it yet."""
    with transaction(conn) as cur:
        cur.execute(
            """SELECT id, username, role, agency, regencies, email, digest_frequency, digest_weekday
                 FROM users
                WHERE NOT disabled AND email IS NOT NULL
                  AND (digest_frequency = 'daily' OR (digest_frequency = 'weekly' AND digest_weekday = %(dow)s))
                  AND (digest_sent_on IS NULL OR digest_sent_on < %(today)s)
                ORDER BY username""",
            {"today": today, "dow": today.isoweekday()})
        return [Recipient(uid, name, role, agency, tuple(regs) if regs else None, email, freq, day)
                for uid, name, role, agency, regs, email, freq, day in cur.fetchall()]


Claim = tuple[date | None, datetime | None]


def claim(conn: Connection, user_id: int, today: date) -> Claim | None:
    """Mark `today` as sent for the user; the previous marks (to give back), or None when another
    run got there first (or the user turned digests off meanwhile)."""
    with transaction(conn) as cur:
        cur.execute(
            """UPDATE users u SET digest_sent_on = %(today)s, digest_sent_at = now()
                 FROM users before
                WHERE u.id = %(id)s AND before.id = u.id AND u.digest_frequency <> 'off' AND NOT u.disabled
                  AND (u.digest_sent_on IS NULL OR u.digest_sent_on < %(today)s)
            RETURNING before.digest_sent_on, before.digest_sent_at""",
            {"id": user_id, "today": today})
        row = cur.fetchone()
    return (row[0], row[1]) if row else None


def give_back(conn: Connection, user_id: int, today: date, previous: Claim) -> None:
    """Undo a claim whose message was not sent."""
    with transaction(conn) as cur:
        cur.execute("""UPDATE users SET digest_sent_on = %s, digest_sent_at = %s
                        WHERE id = %s AND digest_sent_on = %s""", (*previous, user_id, today))
