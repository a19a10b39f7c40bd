# ruff: noqa: S608 - the SQL is built from the module's constants
"""The persons a free text may quote, read to mask it for roles without personal access
(geo.activity_text): found through migrations 0113 and 0114's indexes (the queries' expressions and
the indexes' must stay the same, or every viewer's request reads every person again: seconds at
province scale), and only those the text quotes, by a word of their name or a number, however
the number is spaced."""

from __future__ import annotations

import psycopg2
import pytest

from geo import activity_text, redaction
from geo.activity_text import _COMPACT, _IN_REGENCIES, _NAMED, _match, known_in

# What the masking looks up and the indexes that must answer it: the whole query of named(), and
# each person table's condition of known()/known_in() (on the tests' few rows the planner reaches
# them through their company or stay instead; at province scale through these indexes).
QUERIES = {
    "named": (_NAMED, {"words": ["budi", "santoso"]},
              ("foreign_nationals_name_words_idx", "foreign_workers_name_words_idx")),
    "foreign_nationals": (f"SELECT 1 FROM foreign_nationals q WHERE {_match('q.full_name', 'q.passport_number')}",
                          {"words": ["budi"], "numbers": ["ab123"]},
                          ("foreign_nationals_name_words_idx", "foreign_nationals_passport_compact_idx")),
    "stays": ("SELECT 1 FROM foreign_national_stays s WHERE "
              f"{_COMPACT.format(c='s.permit_number')} = ANY(%(numbers)s::text[])",
              {"numbers": ["ab123"]}, ("foreign_national_stays_permit_compact_idx",)),
    "foreign_workers": (f"SELECT 1 FROM foreign_workers w WHERE "
                        f"{_match('w.full_name', 'w.passport_number', 'w.itas_number')}",
                        {"words": ["budi"], "numbers": ["ab123"]},
                        ("foreign_workers_name_words_idx", "foreign_workers_passport_compact_idx",
                         "foreign_workers_itas_compact_idx")),
}
# The query known_in() runs holds exactly these conditions.
assert all(q in _IN_REGENCIES for q in (_match("q.full_name", "q.passport_number"),
                                        _match("w.full_name", "w.passport_number", "w.itas_number")))


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_the_persons_are_found_through_the_indexes(conn, query):
    sql, params, indexes = QUERIES[query]
    with conn.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    conn.rollback()
    for index in indexes:
        assert index in plan, plan


@pytest.fixture
def db(seeded):
    c = psycopg2.connect(seeded.url)
    yield c
    c.close()


def test_a_text_quoting_a_worker_masks_the_name_and_the_spaced_number(db):
    # Seeded: ZHANG WEIXIANPRIVATE, passport EZ9911001, ITASQ9911001, in 62.02; KIM JISOOPRIVATE in 62.71.
    text = "Bertemu Zhang Weixianprivate, paspor EZ 991 1001; Kim Jisooprivate tidak hadir."
    who = known_in(db, ["62.02"], [text])
    masked = redaction.mask(text, who)
    assert "Weixianprivate" not in masked and "Zhang" not in masked
    assert "991" not in masked and "1001" not in masked
    # On record only in 62.71: not among 62.02's persons (named() finds those).
    assert "Jisooprivate" in masked
    assert "Jisooprivate" not in redaction.mask(text, known_in(db, ["62.02", "62.71"], [text]))


def test_a_text_quoting_nobody_reads_nobody(db):
    assert known_in(db, ["62.02"], ["Sosialisasi peraturan di aula."]).cues == frozenset()
    assert known_in(db, ["62.02"], []) is redaction.NOBODY
    assert known_in(db, [], ["Zhang"]) is redaction.NOBODY


def test_number_pieces():
    assert activity_text._numbers(["EZ 991-1001", "no 12"]) == sorted(
        {"ez991", "ez9911001", "991", "9911001", "1001", "no12"})
    assert activity_text._numbers(["tanpa angka"]) == []


def test_the_database_splits_names_into_the_words_python_finds(conn):
    """Names are looked up by the words the database splits them into and texts by the words Python
    finds: both must agree for non-ASCII names too (the cluster's ctype is C.UTF-8), or a José named
    in a text would not be found, so not masked."""
    from geo.activity_text import _NAME_WORDS, _WORD

    for name in ("José Álvarez", "MÜLLER-Lüdenscheidt", "王伟", "Łukasz O'Brien", "Nguyễn Văn An", "ЛЕВ ТОЛСТОЙ"):
        with conn.cursor() as cur:
            cur.execute("SELECT " + _NAME_WORDS.format(c="%s"), (name,))
            words = set(cur.fetchone()[0]) - {""}
        assert words == set(_WORD.findall(name.lower())), name
    conn.rollback()


def test_a_long_text_reads_everyone_and_masks_the_same(db):
    """Texts with more words than LOOKUP_MAX (a report's, a map's year of activities) read everyone on
    record in the regencies once rather than looking each word up: the same persons are masked."""
    filler = " ".join(f"kata{i}x" for i in range(activity_text.LOOKUP_MAX + 10))
    text = f"{filler} Bertemu Zhang Weixianprivate, paspor EZ 991 1001; Kim Jisooprivate tidak hadir."
    masked = redaction.mask(text, known_in(db, ["62.02"], [text]))
    assert "Weixianprivate" not in masked and "1001" not in masked and "Jisooprivate" in masked
