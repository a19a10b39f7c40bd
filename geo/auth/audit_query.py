"""Reading the audit trail with filters: the query of GET /api/audit and of the /audit page and
its exports (one query, so the page, the API and the files agree)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from geo import formulas
from geo.db import Connection, transaction

COLUMNS = ("id", "at", "username", "role", "agency", "client_ip", "action", "target", "outcome", "detail")
# Column titles of the exports (Bahasa Indonesia), in COLUMNS' order.
TITLES = ("id", "waktu", "pengguna", "peran", "instansi", "alamat IP", "tindakan", "sasaran", "hasil", "rincian")


@dataclass(frozen=True)
class AuditFilter:
    user: str | None = None
    action: str | None = None  # a trailing '.' matches a family: 'company.'
    target: str | None = None  # the target, or its beginning: 'api_token:' matches every token
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive

    def as_detail(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(self).items() if v is not None}


def search(conn: Connection, flt: AuditFilter, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    """Matching rows, newest first."""
    family = flt.action is not None and flt.action.endswith(".")
    with transaction(conn) as cur:
        cur.execute(
            """SELECT id, at, username, role, agency, host(client_ip) AS client_ip, action, target, outcome, detail
                 FROM audit_log
                WHERE (%(user)s::text IS NULL OR username = %(user)s)
                  AND (%(action)s::text IS NULL OR action = %(action)s OR (%(family)s AND starts_with(action, %(action)s)))
                  AND (%(target)s::text IS NULL OR starts_with(target, %(target)s))
                  AND (%(outcome)s::text IS NULL OR outcome = %(outcome)s)
                  AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)
                  AND (%(until)s::timestamptz IS NULL OR at < %(until)s)
                ORDER BY at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s""",
            {**asdict(flt), "family": family, "limit": limit, "offset": offset},
        )
        names = [d.name for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _cells(row: dict[str, Any]) -> list:
    values = dict(row)
    values["at"] = row["at"].isoformat(timespec="seconds")
    values["detail"] = json.dumps(row["detail"], ensure_ascii=False, sort_keys=True)
    return [values[c] for c in COLUMNS]


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a BOM (Excel reads the accents), every text cell formula-safe (geo/formulas.py)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=formulas.LINE_END)
    writer.writerow(TITLES)
    for row in rows:
        writer.writerow([formulas.csv_value(v) for v in _cells(row)])
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(rows: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Jejak audit")
    sheet.append(list(TITLES))
    for row in rows:
        sheet.append([formulas.xlsx_value(sheet, v) for v in _cells(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
