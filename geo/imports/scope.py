"""The regional scope of an import by a user scoped to some regencies.

Rule: a row may only write a record that lies in the user's scope both before and after the write.
A record outside the scope is treated as absent: its employer NIB reads as unknown (the validation
only knows the scope's companies, see `employers`), and a row whose own key (a company's NIB, a
worker's passport + nationality) belongs to a record outside the scope is refused with a neutral
reason that names neither the record nor its regency. That refusal is the one thing a unique key
cannot hide: the key is in use and this user cannot use it. It is only given to rows with no other
problem, so a row the scope or the validation rejects anyway reads the same whether the key
exists elsewhere or not.

A province-wide user (regencies None) never comes here.
"""

from __future__ import annotations

from geo.db import Connection

LOCATION_OUT_OF_SCOPE = "lokasi di luar wilayah kewenangan Anda (location outside your regional scope)"
NIB_UNUSABLE = ("NIB tidak dapat digunakan dalam wilayah kewenangan Anda; hubungi admin tingkat provinsi "
                "(NIB cannot be used within your regional scope; ask a province-wide admin)")
PASSPORT_UNUSABLE = ("nomor paspor dengan kewarganegaraan ini tidak dapat digunakan dalam wilayah kewenangan Anda; "
                     "hubungi admin tingkat provinsi (passport number and nationality cannot be used within your "
                     "regional scope; ask a province-wide admin)")


def params(regencies: tuple[str, ...] | None) -> dict:
    """The `%(scope)s` parameter of the statements here and in `store`: NULL = the whole province."""
    return {"scope": list(regencies) if regencies is not None else None}


def employers(conn: Connection, regencies: tuple[str, ...] | None) -> dict[str, int]:
    """NIB → id of the companies a row may name as employer: those of the scope."""
    with conn.cursor() as cur:
        cur.execute("SELECT nib, id FROM companies "
                    "WHERE %(scope)s::text[] IS NULL OR regency_code = ANY(%(scope)s::text[])", params(regencies))
        return dict(cur.fetchall())


def location(conn: Connection, regencies: tuple[str, ...]) -> list[tuple[int, str]]:
    """(line, 'lat, lon') of company rows whose point lies outside the scope (new or moved there).
    The value is the file's own coordinates: never a regency code."""
    with conn.cursor() as cur:
        cur.execute("SELECT line, concat_ws(', ', lat, lon) FROM import_rows WHERE scope_regency IS NOT NULL "
                    "AND NOT (scope_regency = ANY(%(scope)s::text[])) ORDER BY line", params(regencies))
        return cur.fetchall()


# The in-scope records the rows touch, locked until the import ends: none of them can leave the
# scope (or change its key) between the check below and the write. Rows of records outside the
# scope are not locked: a scoped import never makes another regency's writers wait.
_LOCK = {
    "companies": (
        """SELECT 1 FROM companies c
             WHERE c.nib IN (SELECT nib FROM import_rows) AND c.regency_code = ANY(%(scope)s::text[])
             ORDER BY c.id FOR SHARE""",
    ),
    "workers": (
        """SELECT 1 FROM companies c
             WHERE c.id IN (SELECT company_id FROM import_rows
                            UNION SELECT w.company_id FROM foreign_workers w JOIN import_rows r
                                      ON w.passport_number = r.passport_number AND w.nationality = r.nationality)
               AND c.regency_code = ANY(%(scope)s::text[]) ORDER BY c.id FOR SHARE""",
        """SELECT 1 FROM foreign_workers w JOIN import_rows r
                ON w.passport_number = r.passport_number AND w.nationality = r.nationality
             WHERE w.company_id IN (SELECT id FROM companies WHERE regency_code = ANY(%(scope)s::text[]))
             ORDER BY w.id FOR SHARE OF w""",
    ),
    "inspections": (
        """SELECT 1 FROM companies c
             WHERE c.id IN (SELECT company_id FROM import_rows) AND c.regency_code = ANY(%(scope)s::text[])
             ORDER BY c.id FOR SHARE""",
    ),
}

# (line, column, value, reason key) of rows that would write outside the scope. In READ COMMITTED
# each statement reads what is committed when it starts, so this sees the state the locks froze.
_EMPLOYER_LEFT = """
SELECT r.line, 'nib', r.nib, 'employer' FROM import_rows r JOIN companies e ON e.id = r.company_id
 WHERE NOT (e.regency_code = ANY(%(scope)s::text[]))"""
_CONFLICTS = {
    "companies": """
SELECT r.line, 'nib', r.nib, 'nib' FROM import_rows r JOIN companies c ON c.nib = r.nib
 WHERE NOT (c.regency_code = ANY(%(scope)s::text[])) ORDER BY 1""",
    "workers": _EMPLOYER_LEFT + """
UNION ALL
SELECT r.line, 'nomor_paspor', NULL, 'passport' FROM import_rows r
  JOIN foreign_workers w ON w.passport_number = r.passport_number AND w.nationality = r.nationality
  JOIN companies c ON c.id = w.company_id
 WHERE NOT (c.regency_code = ANY(%(scope)s::text[])) ORDER BY 1""",
    "inspections": _EMPLOYER_LEFT + " ORDER BY 1",
}


def lock(conn: Connection, kind: str, regencies: tuple[str, ...]) -> None:
    with conn.cursor() as cur:
        for sql in _LOCK[kind]:
            cur.execute(sql, params(regencies))


def conflicts(conn: Connection, kind: str, regencies: tuple[str, ...],
              unknown_employer: str) -> list[tuple[int, str, str | None, str]]:
    """(line, column, value, reason) of rows whose key belongs to a record outside the scope, or
    whose employer left the scope since validation (then it reads as unknown, as it would now)."""
    reasons = {"nib": NIB_UNUSABLE, "passport": PASSPORT_UNUSABLE, "employer": unknown_employer}
    with conn.cursor() as cur:
        cur.execute(_CONFLICTS[kind], params(regencies))
        return [(line, column, value, reasons[why]) for line, column, value, why in cur.fetchall()]
