"""A user's digest preferences: e-mail address, frequency, weekday. Every change is one transaction
with its audit record; the address itself never goes into the audit trail or a log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email

from geo.auth import audit
from geo.db import Connection, transaction

FREQUENCIES = {"off": "Tidak dikirim", "daily": "Harian", "weekly": "Mingguan"}
WEEKDAYS = {1: "Senin", 2: "Selasa", 3: "Rabu", 4: "Kamis", 5: "Jumat", 6: "Sabtu", 7: "Minggu"}


class PreferenceError(ValueError):
    """A value a user gave that cannot be kept; the message is for the user (Bahasa Indonesia)."""


@dataclass(frozen=True)
class Preferences:
    user_id: int
    username: str
    email: str | None
    frequency: str
    weekday: int
    sent_on: date | None
    sent_at: datetime | None


_COLUMNS = "id, username, email, digest_frequency, digest_weekday, digest_sent_on, digest_sent_at"


def get_preferences(conn: Connection, username: str) -> Preferences | None:
    with transaction(conn) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM users WHERE username = %s", (username,))  # noqa: S608
        row = cur.fetchone()
    return Preferences(*row) if row else None


def normalize_email(text: str | None) -> str | None:
    """The address as it will be used, or None for an empty field. No DNS look-up: the server may
    have no resolver, and a typo shows as a failed delivery in the digest run's count."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > 254:
        raise PreferenceError("alamat e-mail terlalu panjang (e-mail address too long)")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise PreferenceError("alamat e-mail tidak sah (invalid e-mail address)") from None


def check(email: str | None, frequency: str, weekday: int | str) -> tuple[str | None, str, int]:
    """The three values as stored, or PreferenceError."""
    address = normalize_email(email)
    if frequency not in FREQUENCIES:
        raise PreferenceError("frekuensi tidak dikenal (unknown frequency)")
    try:
        day = int(weekday)
    except (TypeError, ValueError):
        day = 0
    if day not in WEEKDAYS:
        raise PreferenceError("hari pengiriman tidak dikenal (unknown weekday)")
    if frequency != "off" and address is None:
        raise PreferenceError("isi alamat e-mail untuk menerima ringkasan (an e-mail address is needed)")
    return address, frequency, day


def save_preferences(conn: Connection, actor: dict, email: str | None, frequency: str,
                     weekday: int | str) -> Preferences:
    """Store the user's own preferences (actor: Principal.audit_fields(), the user themselves)."""
    address, frequency, day = check(email, frequency, weekday)
    with transaction(conn) as cur:
        cur.execute("SELECT email FROM users WHERE username = %s FOR UPDATE", (actor["username"],))
        row = cur.fetchone()
        if row is None:
            raise PreferenceError("pengguna tidak ditemukan (unknown user)")
        cur.execute(
            f"""UPDATE users SET email = %s, digest_frequency = %s, digest_weekday = %s
                WHERE username = %s RETURNING {_COLUMNS}""",  # noqa: S608
            (address, frequency, day, actor["username"]))
        saved = Preferences(*cur.fetchone())
        audit.record(cur, "digest.preferences", **actor, target=actor["username"],
                     detail={"frequency": frequency, "weekday": day, "email_set": address is not None,
                             "email_changed": row[0] != address})
    return saved


def unsubscribe(conn: Connection, user_id: int, client_ip: str | None) -> str | None:
    """Turn the user's digests off (the unsubscribe link); their user name, or None if no such user."""
    with transaction(conn) as cur:
        cur.execute("""UPDATE users u SET digest_frequency = 'off' FROM users before
                       WHERE u.id = %s AND before.id = u.id
                       RETURNING u.username, u.role, u.agency, before.digest_frequency""", (user_id,))
        row = cur.fetchone()
        if row is None:
            return None
        username, role, agency, previous = row
        audit.record(cur, "digest.unsubscribe", username=username, role=role, agency=agency, client_ip=client_ip,
                     target=username, detail={"was": previous, "via": "link"})
    return username
