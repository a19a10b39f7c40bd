"""What a digest holds: the user's attention list (geo.attention) as counts and links only.

Mail leaves the system (other servers, forwarded messages, phones), so no digest names anyone or
anything, whatever the role: no worker, no company, no recommendation text; only each kind's label,
its count and the link to the page that lists the records (where the site checks who may see what).
Kinds with nothing to report are left out; a list with nothing left sends no mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from geo.attention import attention_items
from geo.db import Connection


@dataclass(frozen=True)
class Recipient:
    """A user a digest may go to (what geo.attention asks of a principal, and where the mail goes)."""

    user_id: int
    username: str
    role: str
    agency: str
    regencies: tuple[str, ...] | None
    email: str
    frequency: str
    weekday: int

    @property
    def can_see_personal(self) -> bool:
        return self.role in ("admin", "editor", "analyst")  # as api.security.Principal


@dataclass(frozen=True)
class DigestLine:
    kind: str
    label: str  # the kind's label (Bahasa Indonesia), never a record's name
    count: int
    unit: str
    severity: str
    link: str  # a path on the site: /attention/<kind>


def digest_lines(conn: Connection, asker, today: date) -> list[DigestLine]:
    """The user's attention list on `today`, counts and links only, the kinds with something to report."""
    return [DigestLine(item.kind, item.label, int(item.count), item.unit, item.severity, item.link)
            for item in attention_items(conn, asker, today) if item.count]
