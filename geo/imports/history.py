"""Import batches as people read them: an agency's history, its latest report per kind, and the
rejected rows of a batch (the report kept in import_batches.report). No personal data: a
rejection never quotes a personal field (geo/imports/problems.py)."""

from __future__ import annotations

import csv
import io

from geo.db import Connection
from geo.formulas import LINE_END, csv_value

_COLUMNS = ("id", "kind", "agency", "file_name", "sha256", "imported_by", "mode", "finished_at", "rows_total",
            "imported", "updated", "unchanged", "rejected")


def batches(conn: Connection, agency: str | None, limit: int = 200) -> list[dict]:
    """The newest batches of `agency` (None: all agencies)."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join(_COLUMNS)} FROM import_batches "  # noqa: S608 - fixed column names
                    "WHERE (%(agency)s::text IS NULL OR agency = %(agency)s) ORDER BY finished_at DESC, id DESC "
                    "LIMIT %(limit)s", {"agency": agency, "limit": limit})
        rows = [dict(zip(_COLUMNS, row, strict=True)) for row in cur.fetchall()]
    conn.rollback()
    return rows


def latest_per_kind(conn: Connection, agency: str) -> list[dict]:
    """The agency's last batch of each kind it ever sent, with how many batches of that kind."""
    with conn.cursor() as cur:
        cur.execute(f"""SELECT DISTINCT ON (kind) {', '.join(_COLUMNS)},
                               count(*) OVER (PARTITION BY kind) AS batches
                          FROM import_batches WHERE agency = %s
                         ORDER BY kind, finished_at DESC, id DESC""", (agency,))  # noqa: S608 - fixed columns
        rows = [dict(zip((*_COLUMNS, "batches"), row, strict=True)) for row in cur.fetchall()]
    conn.rollback()
    return rows


def batch(conn: Connection, batch_id: int) -> tuple[dict, list[dict]] | None:
    """A batch and its rejected rows, or None."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join(_COLUMNS)}, coalesce(report->'rejected', '[]'::jsonb) "  # noqa: S608
                    "FROM import_batches WHERE id = %s", (batch_id,))
        row = cur.fetchone()
    conn.rollback()
    if row is None:
        return None
    return dict(zip(_COLUMNS, row[:-1], strict=True)), row[-1]


def rejected_csv(rejected: list[dict]) -> bytes:
    """baris, kolom, nilai, alasan: one line per rejection, formula-safe (geo/formulas.py)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=LINE_END)
    writer.writerow(["baris", "kolom", "nilai", "alasan"])
    for r in rejected:
        writer.writerow([r["line"], csv_value(r["column"]), csv_value(r["value"] or ""), csv_value(r["reason"])])
    return ("\ufeff" + out.getvalue()).encode()  # the BOM: Excel then reads UTF-8


def agency_name(conn: Connection, code: str) -> str | None:
    with conn.cursor() as cur:
        cur.execute("SELECT name FROM agencies WHERE code = %s", (code,))
        row = cur.fetchone()
    conn.rollback()
    return row[0] if row else None
