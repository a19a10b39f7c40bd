"""Free text of monitoring activities (targets, findings, follow-up) for roles without personal access.

Targets name persons as well as companies, so the texts are personal data (UU 27/2022) unless the
audience may see it. For everyone else the names, passport and permit numbers of the foreign
nationals on record in the activities' regencies (their stays, lodging stays and worker records,
former ones too) are masked as geo.redaction masks inspection notes, and so is every
passport/permit-shaped number. A person named in a text but on record only elsewhere keeps their
name unless it has a number's shape: the lists of who is where are the only source of names.
For texts with few words (LOOKUP_MAX), only the persons they may quote are read (a word of their
name, or a number), through the indexes of migrations 0113 and 0114; longer ones (a report's, a map's
year of activities) read everyone on record in the regencies once.

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

# A name's words and an identity number's letters and digits, as SQL expressions on column {c}: the
# expressions of migrations 0113 and 0114's indexes (keep them identical, or every read splits every
# name again: tests/test_activity_text_index.py).
_NAME_WORDS = "regexp_split_to_array(lower({c}), '[^[:alnum:]_]+')"
_COMPACT = "regexp_replace(lower({c}), '[^a-z0-9]', '', 'g')"


def _match(name: str, *numbers: str) -> str:
    """A person row whose name has a word of the texts, or one of whose numbers the texts quote."""
    conds = [f"{_NAME_WORDS.format(c=name)} && %(words)s::text[]"]
    conds += [f"{_COMPACT.format(c=n)} = ANY(%(numbers)s::text[])" for n in numbers]
    return "(" + " OR ".join(conds) + ")"


def _in_regencies(lookup: bool) -> str:
    """The persons on record in a set of regencies (the CTE `r`): their stays, lodging stays and
    worker records, former ones too. `lookup`: only those the texts may quote (_match), found through
    the indexes; else everyone, for texts with more words and numbers than LOOKUP_MAX, where comparing
    each indexed person's name words with a long list costs more than reading everyone once."""
    def only(cond: str) -> str:
        return f" AND {cond}" if lookup else ""

    person = _match("q.full_name", "q.passport_number")
    permit = _COMPACT.format(c="s.permit_number")
    quoted_stay = (f"(p.id IN (SELECT q.id FROM foreign_nationals q WHERE {person})"  # noqa: S608
                   f" OR {permit} = ANY(%(numbers)s::text[]))")
    # Constants only: the conditions above and the statement's text.
    return f"""
SELECT p.full_name, p.passport_number, s.permit_number
  FROM foreign_national_stays s JOIN foreign_nationals p ON p.id = s.foreign_national_id
 WHERE s.regency_code IN (SELECT regency_code FROM r){only(quoted_stay)}
UNION
SELECT p.full_name, p.passport_number, NULL
  FROM lodging_stays ls JOIN lodgings l ON l.id = ls.lodging_id JOIN foreign_nationals p ON p.id = ls.foreign_national_id
 WHERE l.regency_code IN (SELECT regency_code FROM r){only(_match("p.full_name", "p.passport_number"))}
UNION
SELECT w.full_name, w.passport_number, w.itas_number
  FROM foreign_workers w JOIN companies c ON c.id = w.company_id
 WHERE c.regency_code IN (SELECT regency_code FROM r){only(_match("w.full_name", "w.passport_number", "w.itas_number"))}
"""  # noqa: S608


_IN_REGENCIES, _ALL_IN_REGENCIES = _in_regencies(True), _in_regencies(False)
LOOKUP_MAX = 100  # words and numbers of the texts looked up through the indexes; more: everyone read
_OF_ACTIVITIES = "WITH r AS (SELECT DISTINCT regency_code FROM monitoring_activities WHERE id = ANY(%(ids)s))"
_OF_REGENCIES = "WITH r AS (SELECT unnest(%(regencies)s::text[]) AS regency_code)"

# Any foreign national or worker, wherever on record, with a word of their name among `words`.
_NAMED = f"""
SELECT p.full_name, p.passport_number, s.permit_number
  FROM foreign_nationals p LEFT JOIN foreign_national_stays s ON s.foreign_national_id = p.id
 WHERE {_NAME_WORDS.format(c="p.full_name")} && %(words)s::text[]
UNION ALL
SELECT w.full_name, w.passport_number, w.itas_number FROM foreign_workers w
 WHERE {_NAME_WORDS.format(c="w.full_name")} && %(words)s::text[]
"""  # noqa: S608 - constants
_WORD = re.compile(r"\w+")  # words as geo.redaction finds names
_ALNUM_RUN = re.compile(r"[a-z0-9]+")
NUMBER_PIECES = 4  # a number quoted in up to this many pieces ("AB 123 456") is still found


def _words(texts: Iterable[str | None]) -> list[str]:
    return sorted({w for t in texts if t for w in _WORD.findall(t.lower())})


def _numbers(texts: Iterable[str | None]) -> list[str]:
    """What the texts may quote as a number: each run of letters and digits, joined with up to
    NUMBER_PIECES - 1 following ones, 3 characters or more with a digit (geo.redaction.Known's
    numbers). A number hidden inside a longer word is not looked up: such a word of 5+ characters
    with a digit is masked by its shape anyway."""
    out = set()
    for text in texts:
        runs = _ALNUM_RUN.findall((text or "").lower())
        for i in range(len(runs)):
            joined = ""
            for run in runs[i:i + NUMBER_PIECES]:
                joined += run
                if len(joined) >= 3 and any(ch.isdigit() for ch in joined):
                    out.add(joined)
    return sorted(out)


def _read(conn: Connection, sql: str, params) -> redaction.Known:
    with single_read(conn) as cur:  # inside the caller's transaction when one is open (an import's)
        cur.execute(sql, params)
        return redaction.Known.of(cur.fetchall())


def _quoted(texts: Iterable[str | None]) -> dict | None:
    """The words and numbers `texts` may quote a person by; None when they have none."""
    texts = list(texts)
    words, numbers = _words(texts), _numbers(texts)
    return {"words": words, "numbers": numbers} if words or numbers else None


def _persons(quoted: dict) -> str:
    """The persons' statement for what the texts quote: looked up, or everyone (LOOKUP_MAX)."""
    return _IN_REGENCIES if len(quoted["words"]) + len(quoted["numbers"]) <= LOOKUP_MAX else _ALL_IN_REGENCIES


def known(conn: Connection, activity_ids: Iterable[int], texts: Iterable[str | None]) -> redaction.Known:
    """The persons on record in the regencies of these activities whom `texts` may quote."""
    ids = sorted({int(i) for i in activity_ids})
    quoted = _quoted(texts)
    if not ids or quoted is None:
        return redaction.NOBODY
    return _read(conn, f"{_OF_ACTIVITIES}{_persons(quoted)}", {"ids": ids, **quoted})


def known_in(conn: Connection, regencies: Iterable[str], texts: Iterable[str | None]) -> redaction.Known:
    """The persons on record in these regencies (codes 62.xx) whom `texts` may quote."""
    codes = sorted(set(regencies))
    quoted = _quoted(texts)
    if not codes or quoted is None:
        return redaction.NOBODY
    return _read(conn, f"{_OF_REGENCIES}{_persons(quoted)}", {"regencies": codes, **quoted})


def named(conn: Connection, texts: Iterable[str | None]) -> redaction.Known:
    """The persons a text may name, for warning its writer: any foreign national's or worker's,
    wherever on record, with a word of their name in one of `texts`."""
    words = _words(texts)
    return _read(conn, _NAMED, {"words": words}) if words else redaction.NOBODY


def mask_rows(conn: Connection, rows: list[dict], ids: list[int], fields: Iterable[str] = FREE_TEXT) -> list[dict]:
    """Mask `fields` of `rows` (in place), rows aligned with their activity `ids`."""
    fields = tuple(fields)
    who = known(conn, ids, [row.get(name) for row in rows for name in fields if isinstance(row.get(name), str)])
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
