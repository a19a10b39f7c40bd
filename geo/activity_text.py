"""Free text of monitoring activities (targets, findings, follow-up) for roles without personal access.

Targets name persons as well as companies, so the texts are personal data (UU 27/2022) unless the
audience may see it. For everyone else the names, passport and permit numbers of the foreign
nationals on record in the activities' regencies (their stays, lodging stays and worker records,
former ones too) are masked as geo.redaction masks inspection notes, and so is every
passport/permit-shaped number. A person named in a text but on record only elsewhere keeps their
name unless it has a number's shape: the lists of who is where are the only source of names.
Only what the texts may quote is read, through the indexes of migrations 0113 and 0114, however
many texts (a report's, a map's year of activities) and however many persons share a word: the
texts' words that are a part of someone's name (each masked on its own), the persons whose whole
name the texts may hold beyond its parts (a short word of it among the texts' words, and all its
words), and the persons whose numbers they quote. The mask is the one geo.redaction.Known would make
knowing everyone on record there.

The one place that masks these texts: the OGC collections, exports and reports (`mask_rows`,
`mask_features`), the maps (`known_in` with geo.redaction.mask) and the import's warnings to writers (`named`).
Known weakness: names' parts of 4+ letters are masked everywhere, so a person named "Orang" would
mask "orang asing".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import psycopg2.extensions

from geo import redaction
from geo.db import Connection, single_read

FREE_TEXT = ("targets", "findings", "follow_up")

# A name's words and an identity number's letters and digits, as SQL expressions on column {c}: the
# expressions of migrations 0113 and 0114's indexes (keep them identical, or every read splits every
# name again: tests/test_activity_text_index.py).
_NAME_WORDS = "regexp_split_to_array(lower({c}), '[^[:alnum:]_]+')"
_COMPACT = "regexp_replace(lower({c}), '[^a-z0-9]', '', 'g')"
# A passport number is capital letters and digits only (both person tables CHECK it), so its letters
# and digits in lower case are its own lower case: looked up in upper case (%(passports)s, the texts'
# numbers) through the index of the (passport_number, nationality) key, which every write keeps anyway.
_PASSPORT = "{c} = ANY(%(passports)s::text[])"


def _whole_name(c: str) -> str:
    """A person row (name column `c`) whose whole name the texts may hold where its parts alone would
    not mask it: a word of the name that is no part (shorter than MIN_NAME_PART or not letters only)
    is among the texts' `short` words, and every word of it among their `words`. Found through the
    name words' index by the short word, so a part that thousands of names share ("Demo", "Wang")
    never selects them all."""
    name_words = _NAME_WORDS.format(c=c)
    # Constants only: the expressions above.
    return (f"({name_words} && %(short)s::text[] AND NOT EXISTS (SELECT 1 FROM unnest({name_words}) x "  # noqa: S608
            f"WHERE x <> '' AND x <> ALL(%(words)s::text[])))")


def _match(name: str, passport: str, *numbers: str) -> str:
    """A person row whose whole name the texts may hold, or one of whose numbers they quote."""
    conds = [_whole_name(name), _PASSPORT.format(c=passport)]
    conds += [f"{_COMPACT.format(c=n)} = ANY(%(numbers)s::text[])" for n in numbers]
    return "(" + " OR ".join(conds) + ")"


# The persons on record in a set of regencies (the CTE `r`): their stays, lodging stays and worker
# records, former ones too; only those the texts may quote (_match), found through the indexes.
_PERSON = _match("q.full_name", "q.passport_number")
_PERMIT = _COMPACT.format(c="s.permit_number")
_IN_REGENCIES = f"""
SELECT p.full_name, p.passport_number, s.permit_number
  FROM foreign_national_stays s JOIN foreign_nationals p ON p.id = s.foreign_national_id
 WHERE s.regency_code IN (SELECT regency_code FROM r) AND p.id IN (SELECT q.id FROM foreign_nationals q WHERE {_PERSON})
UNION
SELECT p.full_name, p.passport_number, s.permit_number
  FROM foreign_national_stays s JOIN foreign_nationals p ON p.id = s.foreign_national_id
 WHERE s.regency_code IN (SELECT regency_code FROM r) AND {_PERMIT} = ANY(%(numbers)s::text[])
UNION
SELECT p.full_name, p.passport_number, NULL
  FROM lodging_stays ls JOIN lodgings l ON l.id = ls.lodging_id JOIN foreign_nationals p ON p.id = ls.foreign_national_id
 WHERE l.regency_code IN (SELECT regency_code FROM r) AND {_match("p.full_name", "p.passport_number")}
UNION
SELECT w.full_name, w.passport_number, w.itas_number
  FROM foreign_workers w JOIN companies c ON c.id = w.company_id
 WHERE c.regency_code IN (SELECT regency_code FROM r) AND {_match("w.full_name", "w.passport_number", "w.itas_number")}
"""  # noqa: S608 - constants

# Whether a word (%(w)s) is a part of the name of someone on record in the regencies (%(regencies)s),
# and of anyone's anywhere: one statement per word, joined by UNION ALL into one round trip. The
# persons with the word come from the name words' index (a MATERIALIZED CTE is planned for all its
# rows; under EXISTS alone the planner expects the first of many at once and reads the table), and
# the first of them on record there is enough.
_WITH_WORD = f"""WITH q AS MATERIALIZED (
        SELECT q.id FROM foreign_nationals q WHERE {_NAME_WORDS.format(c="q.full_name")} @> ARRAY[%(w)s::text]),
     w AS MATERIALIZED (
        SELECT w.company_id FROM foreign_workers w WHERE {_NAME_WORDS.format(c="w.full_name")} @> ARRAY[%(w)s::text])"""  # noqa: S608
_PART_IN_REGENCIES = f"""
SELECT %(w)s::text WHERE EXISTS ({_WITH_WORD}
    SELECT 1 FROM q JOIN foreign_national_stays s ON s.foreign_national_id = q.id
     WHERE s.regency_code = ANY(%(regencies)s::text[])
    UNION ALL
    SELECT 1 FROM q JOIN lodging_stays ls ON ls.foreign_national_id = q.id JOIN lodgings l ON l.id = ls.lodging_id
     WHERE l.regency_code = ANY(%(regencies)s::text[])
    UNION ALL
    SELECT 1 FROM w JOIN companies c ON c.id = w.company_id WHERE c.regency_code = ANY(%(regencies)s::text[]))
"""  # noqa: S608 - constants
_PART_NAMED = f"""
SELECT %(w)s::text WHERE EXISTS ({_WITH_WORD} SELECT 1 FROM q UNION ALL SELECT 1 FROM w)
"""  # noqa: S608 - constants


# Everyone on record in the regencies (CTE `r`), for texts with more words and numbers than
# LOOKUP_MAX (a report's, a map's year of activities), where looking each one up costs more than
# reading everyone once and keeping, as they stream by, only what the texts may quote.
_ALL_IN_REGENCIES = """
SELECT p.full_name, p.passport_number, s.permit_number
  FROM foreign_national_stays s JOIN foreign_nationals p ON p.id = s.foreign_national_id
 WHERE s.regency_code IN (SELECT regency_code FROM r)
UNION ALL
SELECT p.full_name, p.passport_number, NULL
  FROM lodging_stays ls JOIN lodgings l ON l.id = ls.lodging_id JOIN foreign_nationals p ON p.id = ls.foreign_national_id
 WHERE l.regency_code IN (SELECT regency_code FROM r)
UNION ALL
SELECT w.full_name, w.passport_number, w.itas_number
  FROM foreign_workers w JOIN companies c ON c.id = w.company_id
 WHERE c.regency_code IN (SELECT regency_code FROM r)
"""
# Prefixed to the lookups (same round trip): they are many small index reads, and compiling their
# plan (one subquery per word) takes longer than running it (bench/RESULTS-reports.md).
NO_JIT = "SET LOCAL jit = off; "
LOOKUP_MAX = 2_000  # words and numbers of the texts looked up through the indexes; more: everyone read
_OF_REGENCIES = "WITH r AS (SELECT unnest(%(regencies)s::text[]) AS regency_code)"

# Any foreign national or worker, wherever on record, whose whole name the texts may hold (with their
# numbers), or one of whose numbers they quote with a word of the name; and the texts' words that
# are a part of anyone's name.
_NAMED = f"""
SELECT p.full_name, p.passport_number, s.permit_number
  FROM foreign_nationals p LEFT JOIN foreign_national_stays s ON s.foreign_national_id = p.id
 WHERE {_whole_name("p.full_name")}
    OR ({_PASSPORT.format(c="p.passport_number")}
        AND {_NAME_WORDS.format(c="p.full_name")} && %(words)s::text[])
UNION ALL
SELECT p.full_name, p.passport_number, s.permit_number
  FROM foreign_national_stays s JOIN foreign_nationals p ON p.id = s.foreign_national_id
 WHERE {_PERMIT} = ANY(%(numbers)s::text[]) AND {_NAME_WORDS.format(c="p.full_name")} && %(words)s::text[]
UNION ALL
SELECT w.full_name, w.passport_number, w.itas_number FROM foreign_workers w
 WHERE {_whole_name("w.full_name")}
    OR (({_PASSPORT.format(c="w.passport_number")}
         OR {_COMPACT.format(c="w.itas_number")} = ANY(%(numbers)s::text[]))
        AND {_NAME_WORDS.format(c="w.full_name")} && %(words)s::text[])
"""  # noqa: S608 - constants
_EVERYONE = """
SELECT p.full_name, p.passport_number, s.permit_number
  FROM foreign_nationals p LEFT JOIN foreign_national_stays s ON s.foreign_national_id = p.id
UNION ALL
SELECT full_name, passport_number, itas_number FROM foreign_workers
"""
_WORD = re.compile(r"\w+")  # words as geo.redaction finds names
_ALNUM_RUN = re.compile(r"[a-z0-9]+")
_NUMBER_CHARS = re.compile(r"[^a-z0-9]")  # what _COMPACT removes
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


def _read(conn: Connection, of: str, persons: str, part: str, params: dict) -> redaction.Known:
    """The Known of the persons' rows (`persons` after the CTE `of`) and of the texts' words that are
    parts (`part`, one statement per word)."""
    words = {f"w{i}": w for i, w in enumerate(params["parts"])}
    with single_read(conn) as cur:  # inside the caller's transaction when one is open (an import's)
        cur.execute(NO_JIT + of + persons, params)
        rows = cur.fetchall()
        found = []
        if words:
            cur.execute(NO_JIT + " UNION ALL ".join(part.replace("%(w)s", f"%({k})s") for k in words),
                        {**params, **words})
            found = [r[0] for r in cur.fetchall()]
        return redaction.Known.of(rows, parts=found)


def _quoted(texts: Iterable[str | None]) -> dict | None:
    """What `texts` may quote a person by, None when nothing: their words (`words`), split into the
    words a name's part may be (`parts`: redaction.MIN_NAME_PART letters or more) and the others
    (`short`), and their numbers (`numbers`; in upper case `passports`, see _PASSPORT)."""
    texts = list(texts)
    words, numbers = _words(texts), _numbers(texts)
    if not (words or numbers):
        return None
    parts = [w for w in words if redaction.is_part(w)]
    short = [w for w in words if not redaction.is_part(w)]
    return {"words": words, "parts": parts, "short": short, "numbers": numbers,
            "passports": [n.upper() for n in numbers]}


def _read_everyone(conn: Connection, sql: str, quoted: dict, params: dict) -> redaction.Known:
    """The Known of everyone `sql` reads (_ALL_IN_REGENCIES after its CTE, or _EVERYONE) that the
    texts may quote: read as a stream, keeping the rows whose name has only words of the texts or whose number they quote,
    and the name words that are parts among the texts' (the rest could mask nothing in them)."""
    words, parts, numbers = set(quoted["words"]), set(quoted["parts"]), set(quoted["numbers"])
    kept, found = [], set()
    own = conn.status == psycopg2.extensions.STATUS_READY and not conn.autocommit
    try:
        # Inside the caller's transaction when one is open (an import's); WITH HOLD when autocommit.
        with conn.cursor(name="activity_text_everyone", withhold=conn.autocommit) as cur:
            cur.itersize = 20_000
            cur.execute(sql, params)
            for row in cur:
                name_words = _WORD.findall(row[0].lower()) if row[0] else []
                found.update(parts.intersection(name_words))
                if (name_words and words.issuperset(name_words)) or any(
                        v and _NUMBER_CHARS.sub("", v.lower()) in numbers for v in row[1:]):
                    kept.append(row)
    finally:
        if own and not conn.closed:
            conn.rollback()  # it only read
    return redaction.Known.of(kept, parts=found)


def known(conn: Connection, activity_ids: Iterable[int], texts: Iterable[str | None]) -> redaction.Known:
    """The persons on record in the regencies of these activities whom `texts` may quote."""
    ids = sorted({int(i) for i in activity_ids})
    quoted = _quoted(texts)
    if not ids or quoted is None:
        return redaction.NOBODY
    with single_read(conn) as cur:
        cur.execute("SELECT DISTINCT regency_code FROM monitoring_activities WHERE id = ANY(%s)", (ids,))
        regencies = [r[0] for r in cur.fetchall()]
    return _known_in(conn, regencies, quoted)


def known_in(conn: Connection, regencies: Iterable[str], texts: Iterable[str | None]) -> redaction.Known:
    """The persons on record in these regencies (codes 62.xx) whom `texts` may quote."""
    quoted = _quoted(texts)
    return redaction.NOBODY if quoted is None else _known_in(conn, regencies, quoted)


def _known_in(conn: Connection, regencies: Iterable[str], quoted: dict) -> redaction.Known:
    codes = sorted(set(regencies))
    if not codes:
        return redaction.NOBODY
    params = {"regencies": codes, **quoted}
    if len(quoted["words"]) + len(quoted["numbers"]) > LOOKUP_MAX:
        return _read_everyone(conn, _OF_REGENCIES + _ALL_IN_REGENCIES, quoted, params)
    return _read(conn, _OF_REGENCIES, _IN_REGENCIES, _PART_IN_REGENCIES, params)


def named(conn: Connection, texts: Iterable[str | None]) -> redaction.Known:
    """The persons a text may name, for warning its writer: any foreign national's or worker's,
    wherever on record, whom one of `texts` may name (with the numbers of those sharing a word of
    it with a text)."""
    quoted = _quoted(texts)
    if quoted is None or not quoted["words"]:
        return redaction.NOBODY
    if len(quoted["words"]) + len(quoted["numbers"]) > LOOKUP_MAX:
        return _read_everyone(conn, _EVERYONE, quoted, {})
    return _read(conn, "", _NAMED, _PART_NAMED, quoted)


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
