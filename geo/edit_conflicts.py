"""Who changed a record since a given version, from the audit trail: what an edit form shows when
its save meets a newer version (optimistic locking). The audit's before/after values are already
masked where personal (geo.edits.masked), so they can be shown as they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geo.db import Connection, transaction


@dataclass(frozen=True)
class Change:
    username: str
    at: datetime
    fields: list[tuple[str, Any, Any]]  # (field, before, after)


def changes_since(conn: Connection, kind: str, record_id: int, version: int, limit: int = 20) -> list[Change]:
    """The successful edits of the record that produced a version after `version`, oldest first.
    The caller has checked that the user may see the record."""
    with transaction(conn) as cur:
        cur.execute(
            """SELECT username, at, detail FROM audit_log
                WHERE action = %s AND target = %s AND outcome = 'ok'
                  AND jsonb_typeof(detail -> 'version') = 'array'
                  AND (detail -> 'version' ->> 1)::int > %s
                ORDER BY at, id LIMIT %s""",
            (f"{kind}.update", f"{kind}:{record_id}", version, limit),
        )
        rows = cur.fetchall()
    out = []
    for username, at, detail in rows:
        before, after = detail.get("before") or {}, detail.get("after") or {}
        out.append(Change(username or "?", at, [(name, before.get(name), after.get(name))
                                                 for name in detail.get("changed") or []]))
    return out
