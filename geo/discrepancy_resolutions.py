"""Resolution notes on agency discrepancies: which figure holds, by whom, when and why.

A discrepancy is one field of one target (a company, or a region's worker count) on which agencies'
figures differ. A note records the figures as they were when it was written (`figures`), so the
discrepancy counts as resolved only while they are still the same; when an agency reports another
figure it is open again and the note stays, shown as history. Notes are never changed (migration
0105 refuses UPDATE): a new note supersedes the last one.

The note is free text and may name a person: roles without personal access read it masked
(geo.redaction), and it never goes into the audit trail (only that a note was written).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geo import activity_text, redaction
from geo.auth import audit
from geo.db import Connection

WORKER_COUNT = "jumlah_tka"  # the field name of a worker-count discrepancy (as in the export templates)
KINDS = ("company", "region")
NOTE_MIN, NOTE_MAX, VALUE_MAX = 3, 2000, 200
# Who may write a note: those who may edit data, and Kesbangpol's analysts, who coordinate the agencies.
RESOLVER_ROLES = ("admin", "editor")


def may_resolve(principal) -> bool:
    return principal.role in RESOLVER_ROLES or (principal.role == "analyst" and principal.agency == "kesbangpol")


class ResolutionError(ValueError):
    """A note that cannot be recorded; the message is for the user (Indonesian, English in brackets)."""

    def __init__(self, message: str, field: str | None = None, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.conflict = conflict


@dataclass(frozen=True)
class Resolution:
    id: int
    target_kind: str
    key: str  # company id (as text) or regency code
    field: str
    figures: dict[str, Any]
    chosen_agency: str | None
    chosen_value: str | None
    note: str
    username: str
    agency: str
    resolved_at: datetime
    company_id: int | None = None
    regency_code: str | None = None

    def as_dict(self) -> dict:
        return {"id": self.id, "figures": self.figures, "chosen_agency": self.chosen_agency,
                "chosen_value": self.chosen_value, "note": self.note, "username": self.username,
                "agency": self.agency, "resolved_at": self.resolved_at.isoformat()}


def canonical(figures: dict) -> dict:
    """Figures as they are stored and compared: agency codes sorted, values as JSON keeps them."""
    return json.loads(json.dumps(figures, sort_keys=True, default=str))


def figures_token(figures: dict) -> str:
    """What a form sends back: the figures the user saw (stale if they changed since)."""
    return json.dumps(canonical(figures), sort_keys=True, separators=(",", ":"))


_COLUMNS = ("id, target_kind, coalesce(company_id::text, regency_code), field, figures, chosen_agency, "
            "chosen_value, note, username, agency, resolved_at, company_id, regency_code")


def history(conn: Connection, kind: str, keys: Iterable) -> dict[tuple[str, str], list[Resolution]]:
    """Every note on these targets, newest first, by (key, field)."""
    keys = sorted({str(k) for k in keys})
    found: dict[tuple[str, str], list[Resolution]] = defaultdict(list)
    if not keys:
        return found
    where = "company_id = ANY(%s::bigint[])" if kind == "company" else "target_kind = 'region' AND regency_code = ANY(%s)"
    with conn.cursor() as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM discrepancy_resolutions WHERE {where} "  # noqa: S608 - fixed text
                    "ORDER BY resolved_at DESC, id DESC", (keys,))
        for row in cur.fetchall():
            res = Resolution(*row)
            found[(res.key, res.field)].append(res)
    return found


def status(figures: dict, notes: list[Resolution]) -> dict:
    """Open or resolved, the note in force (the newest, while the figures are the ones it saw) and
    the older notes (history)."""
    current = notes[0] if notes and notes[0].figures == canonical(figures) else None
    return {"open": current is None, "resolution": current,
            "history": notes[1:] if current else list(notes)}


def mask_notes(conn: Connection, entries: list[Resolution]) -> dict[int, str]:
    """Note texts for an audience without personal access: {resolution id: masked text}."""
    masked = redaction.mask_columns(conn, [r.company_id for r in entries], [[r.note for r in entries]])[0]
    # A regency's note has no company, and a company's may name someone on record elsewhere.
    named = activity_text.named(conn, masked) if any(masked) else redaction.NOBODY
    return {r.id: redaction.mask(text, named) for r, text in zip(entries, masked, strict=True)}


def note_warnings(conn: Connection, company_id: int | None, note: str) -> list[str]:
    """What personal data the note seems to hold, as warnings (the values never)."""
    known = redaction.load(conn, [company_id]).known(company_id) if company_id else redaction.NOBODY
    kinds = redaction.findings(note, known)
    return [redaction.caution(kinds)] if kinds else []


def validate(figures: dict, chosen_agency: str | None, chosen_value: str | None, note: str | None) -> tuple:
    chosen_agency = (chosen_agency or "").strip() or None
    chosen_value = (chosen_value or "").strip() or None
    note = (note or "").strip()
    if chosen_agency is None and chosen_value is None:
        raise ResolutionError("pilih angka instansi yang benar atau isi nilai yang benar "
                              "(choose the agency whose figure holds, or give the value)", "chosen_agency")
    if chosen_agency is not None and chosen_agency not in figures:
        raise ResolutionError("instansi itu tidak melaporkan angka ini (that agency reported no figure here)",
                              "chosen_agency")
    if chosen_value is not None and len(chosen_value) > VALUE_MAX:
        raise ResolutionError(f"nilai paling panjang {VALUE_MAX} karakter (value too long)", "chosen_value")
    if chosen_value is not None and any(ord(ch) < 32 for ch in chosen_value):
        raise ResolutionError("nilai memuat karakter kendali (control characters in the value)", "chosen_value")
    if not NOTE_MIN <= len(note) <= NOTE_MAX:
        raise ResolutionError(f"alasan wajib diisi, {NOTE_MIN}-{NOTE_MAX} karakter "
                              f"(a reason of {NOTE_MIN}-{NOTE_MAX} characters is required)", "note")
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in note):
        raise ResolutionError("alasan memuat karakter kendali (control characters in the reason)", "note")
    return chosen_agency, chosen_value, note


def record(conn: Connection, principal, *, kind: str, key: str, regency_code: str, field: str, figures: dict,
           seen: str | None, chosen_agency: str | None, chosen_value: str | None, note: str | None,
           lock_sql: str, lock_params: tuple) -> int:
    """Write one note and its audit record in one transaction. `figures` are the figures now (read
    by the caller within the user's scope); `seen` the figures the user saw (figures_token): if they
    differ, nothing is written (conflict). `lock_sql` locks the target's row so two notes on the
    same discrepancy are written one after the other."""
    chosen_agency, chosen_value, note = validate(figures, chosen_agency, chosen_value, note)
    if seen is not None and seen != figures_token(figures):
        raise ResolutionError("angka instansi berubah sejak halaman dibuka; muat ulang dan periksa lagi "
                              "(the figures changed since the page was opened: reload)", conflict=True)
    with conn.cursor() as cur:
        cur.execute(lock_sql, lock_params)
        cur.execute(
            """INSERT INTO discrepancy_resolutions (target_kind, company_id, regency_code, field, figures,
                                                    chosen_agency, chosen_value, note, username, agency)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (kind, int(key) if kind == "company" else None, regency_code, field, json.dumps(canonical(figures)),
             chosen_agency, chosen_value, note, principal.username, principal.agency))
        rid = cur.fetchone()[0]
        # The note itself may name a person: the audit keeps only what was decided.
        audit.record(cur, "discrepancy.resolve", **principal.audit_fields(), target=f"{kind}:{key}",
                     detail={"resolution_id": rid, "field": field, "figures": canonical(figures),
                             "chosen_agency": chosen_agency, "chosen_value": chosen_value is not None})
    conn.commit()
    return rid


def made_between(conn: Connection, regencies: tuple[str, ...] | None, start, end) -> list[Resolution]:
    """Notes written from `start` to before `end` (timestamps) in these regencies (None = all), oldest first."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM discrepancy_resolutions "  # noqa: S608 - fixed text
                    "WHERE resolved_at >= %s AND resolved_at < %s "
                    "AND (%s::text[] IS NULL OR regency_code = ANY(%s::text[])) ORDER BY resolved_at, id",
                    (start, end, list(regencies) if regencies is not None else None,
                     list(regencies) if regencies is not None else None))
        rows = [Resolution(*row) for row in cur.fetchall()]
    conn.rollback()
    return rows
