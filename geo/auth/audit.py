"""Writing the audit trail. Never put personal data (worker names, passport/ITAS numbers) in it."""

from __future__ import annotations

import json
from typing import Any

from geo.db import Connection


def record(
    cur_or_conn,
    action: str,
    *,
    username: str | None,
    role: str | None = None,
    agency: str | None = None,
    client_ip: str | None = None,
    target: str | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit record. Given a cursor, it joins that transaction (the write and its record
    commit together); given a connection, it commits on its own."""
    sql = """INSERT INTO audit_log (username, role, agency, client_ip, action, target, outcome, detail)
             VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"""
    params = (username, role, agency, client_ip, action, target, outcome, json.dumps(detail or {}, default=str))
    if isinstance(cur_or_conn, Connection):
        with cur_or_conn.cursor() as cur:
            cur.execute(sql, params)
        cur_or_conn.commit()
    else:
        cur_or_conn.execute(sql, params)
