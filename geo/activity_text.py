"""Free text of monitoring activities (targets, findings, follow-up) for roles without personal access.

Targets name persons as well as companies, so the texts are personal data (UU 27/2022) unless the
audience may see it. For everyone else the names, passport and permit numbers of the foreign
nationals on record in the activities' regencies (their stays, lodging stays and worker records,
former ones too) are masked as geo.redaction masks inspection notes, and so is every
passport/permit-shaped number. A person named in a text but on record only elsewhere keeps their
name unless it has a number's shape: the lists of who is where are the only source of names.

The one place that masks these texts: the OGC collections, exports and reports (`mask_rows`,
`mask_features`), the maps (`known_in` with geo.redaction.mask) and the import's warnings to writers (`named`).
Known weakness: names' parts of 4+ letters are masked everywhere, so a person named "Orang" would
mask "orang asing".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from geo import redaction
from geo.db import Connection, single_read

FREE_TEXT = ("targets", "findings", "follow_up")

# The persons on record in a set of regencies (the CTE `r`): their stays, lodging stays and worker
# records, former ones too.
_IN_REGENCIES = """
SELECT p.full_name, p.passport_number, s.permit_number
  FROM foreign_national_stays s JOIN foreign_nationals p ON p.id = s.foreign_national_id
 WHERE s.regency_code IN (SELECT regency_code FROM r)
UNION
SELECT p.full_name, p.passport_number, NULL
  FROM lodging_stays ls JOIN lodgings l ON l.id = ls.lodging_id JOIN foreign_nationals p ON p.id = ls.foreign_national_id
 WHERE l.regency_code IN (SELECT regency_code FROM r)
UNION
SELECT w.full_name, w.passport_number, w.itas_number
  FROM foreign_workers w JOIN companies c ON c.id = w.company_id
 WHERE c.regency_code IN (SELECT regency_code FROM r)
"""
_OF_ACTIVITIES = "WITH r AS (SELECT DISTINCT regency_code FROM monitoring_activities WHERE id = ANY(%s))"
_OF_REGENCIES = "WITH r AS (SELECT unnest(%s::text[]) AS regency_code)"

# Any foreign national or worker, wherever on record, with a word of their name among `words`.
# The name expressions are those of migration 0113's indexes (keep them identical).
_NAMED = """
SELECT p.full_name, p.passport_number, s.permit_number
  FROM foreign_nationals p LEFT JOIN foreign_national_stays s ON s.foreign_national_id = p.id
 WHERE regexp_split_to_array(lower(p.full_name), '[^[:alnum:]_]+') && %(words)s::text[]
UNION ALL
SELECT w.full_name, w.passport_number, w.itas_number FROM foreign_workers w
 WHERE regexp_split_to_array(lower(w.full_name), '[^[:alnum:]_]+') && %(words)s::text[]
"""
_WORD = re.compile(r"\w+")  # words as geo.redaction finds names


def _read(conn: Connection, sql: str, params) -> redaction.Known:
    with single_read(conn) as cur:  # inside the caller's transaction when one is open (an import's)
        cur.execute(sql, params)
        return redaction.Known.of(cur.fetchall())


def known(conn: Connection, activity_ids: Iterable[int]) -> redaction.Known:
    """The persons on record in the regencies of these activities."""
    ids = sorted({int(i) for i in activity_ids})
    return _read(conn, f"{_OF_ACTIVITIES}{_IN_REGENCIES}", (ids,)) if ids else redaction.NOBODY


def known_in(conn: Connection, regencies: Iterable[str]) -> redaction.Known:
    """The persons on record in these regencies (codes 62.xx)."""
    codes = sorted(set(regencies))
    return _read(conn, f"{_OF_REGENCIES}{_IN_REGENCIES}", (codes,)) if codes else redaction.NOBODY


def named(conn: Connection, texts: Iterable[str | None]) -> redaction.Known:
    """The persons a text may name, for warning its writer: any foreign national's or worker's,
    wherever on record, with a word of their name in one of `texts`."""
    words = sorted({w for t in texts if t for w in _WORD.findall(t.lower())})
    return _read(conn, _NAMED, {"words": words}) if words else redaction.NOBODY


def mask_rows(conn: Connection, rows: list[dict], ids: list[int], fields: Iterable[str] = FREE_TEXT) -> list[dict]:
    """Mask `fields` of `rows` (in place), rows aligned with their activity `ids`."""
    who = known(conn, ids)
    for row in rows:
        for name in fields:
            if isinstance(row.get(name), str):
                row[name] = redaction.mask(row[name], who)
    return rows


def mask_features(conn: Connection, features: str, fields: Iterable[str] = FREE_TEXT) -> str:
    """A JSON array of activity features (GeoJSON or the WKT variant: id and properties) with the
    free text of their properties masked."""
    items = json.loads(features)
    if not items:
        return features
    mask_rows(conn, [item["properties"] for item in items], [item["id"] for item in items], fields)
    return json.dumps(items, ensure_ascii=False)
