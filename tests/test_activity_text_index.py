# ruff: noqa: S608 - the SQL is built from the module's constants
"""The persons a free text may quote, read to mask it for roles without personal access
(geo.activity_text): found through migrations 0113 and 0114's indexes (the queries' expressions and
the indexes' must stay the same, or every viewer's request reads every person again: seconds at
province scale), and only those the text quotes, by a word of their name or a number, however
the number is spaced; what is read masks the texts as knowing everyone would, also when hundreds of
names share a word, looked up or (many texts) read as a stream."""

from __future__ import annotations

import psycopg2
import pytest

from geo import activity_text, redaction
from geo.activity_text import _COMPACT, _IN_REGENCIES, _NAMED, _match, known_in

# What the masking looks up and the indexes that must answer it: the whole query of named(), and
# each person table's condition of known()/known_in() (on the tests' few rows the planner reaches
# them through their company or stay instead; at province scale through these indexes).
QUERIES = {
    "named": (_NAMED, {"words": ["al", "budi", "santoso"], "short": ["al"], "numbers": ["ab123"],
                       "passports": ["AB123"]},
              ("foreign_nationals_name_words_idx", "foreign_workers_name_words_idx")),
    "foreign_nationals": (f"SELECT 1 FROM foreign_nationals q WHERE {_match('q.full_name', 'q.passport_number')}",
                          {"words": ["al", "budi"], "short": ["al"], "numbers": ["ab123"], "passports": ["AB123"]},
                          ("foreign_nationals_name_words_idx", "foreign_nationals_passport_number_nationality_key")),
    "stays": ("SELECT 1 FROM foreign_national_stays s WHERE "
              f"{_COMPACT.format(c='s.permit_number')} = ANY(%(numbers)s::text[])",
              {"numbers": ["ab123"]}, ("foreign_national_stays_permit_compact_idx",)),
    "foreign_workers": (f"SELECT 1 FROM foreign_workers w WHERE "
                        f"{_match('w.full_name', 'w.passport_number', 'w.itas_number')}",
                        {"words": ["al", "budi"], "short": ["al"], "numbers": ["ab123"], "passports": ["AB123"]},
                        ("foreign_workers_name_words_idx", "foreign_workers_passport_number_nationality_key",
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


# Persons written for the comparison below (rolled back): names sharing a part ("Demo") and a short
# word ("WNA") by the hundred, names of short words only, with a hyphen, with accents; in 62.02 by a
# stay, a lodging stay or a worker record, and one in 62.71 only.
PERSONS = [*((f"Demo WNA {i:06d}", f"DW{i:07d}", "stay") for i in range(400)),
           ("Li Na", "LN0000001", "stay"), ("Wang Li Ming", "WL0000001", "lodging"),
           ("Muhammad Al-Amin", "MA0000001", "stay"), ("José Álvarez", "JA0000001", "lodging"),
           ("Budi Santoso", "BS0000001", "stay"), ("Qoriqa bin Said", "AS0000001", "elsewhere")]
TEXTS = [
    "Bertemu Demo WNA 000123 dan Li Na di lokasi; Wang Li Ming hadir, paspor DW 0000124.",
    "Qoriqa bin Said tidak berada di Kotawaringin Timur.",
    "Muhammad Al-Amin, José Álvarez dan Budi-Santoso diperiksa.",
    "WNA 000124 saja; Li saja; Na saja; Demo saja.",
    "Kim Do Yun datang bersama Zhang Weixianprivate.",
    " ".join(f"kata{i}x" for i in range(300)) + " Budi Santoso.",
    "Sosialisasi kepada WNA di aula.",
]


def visible(text: str) -> list[str]:
    """The words a reader still sees in a masked text."""
    return [w for w in activity_text._WORD.findall(text) if w != "disamarkan"]


@pytest.mark.parametrize("lookup_max", [activity_text.LOOKUP_MAX, 0], ids=["looked-up", "everyone-streamed"])
def test_what_is_read_masks_as_knowing_everyone(db, monkeypatch, lookup_max):
    """The persons and parts read for the texts mask them as Known of everyone on record in the
    regencies would (read here directly): the same words stay visible in each text, whatever the
    persons sharing a word; named() as Known of every person anywhere. Both ways: looked up through
    the indexes, and (texts with more words than LOOKUP_MAX) everyone read as a stream."""
    monkeypatch.setattr(activity_text, "LOOKUP_MAX", lookup_max)
    with db.cursor() as cur:
        cur.execute("INSERT INTO lodgings (name, address, village_code) SELECT 'Hotel Uji Masking', 'Jl. Uji', code "
                    "FROM boundaries WHERE level = 'village' AND code LIKE '62.02.%' ORDER BY code LIMIT 1 "
                    "RETURNING id")
        lodging = cur.fetchone()
        cur.execute("SELECT regency_code FROM lodgings WHERE id = %s", lodging)
        assert cur.fetchone()[0] == "62.02"
        for name, passport, how in PERSONS:
            cur.execute("INSERT INTO foreign_nationals (passport_number, nationality, full_name) VALUES (%s, 'CN', %s) "
                        "RETURNING id", (passport, name))
            pid = cur.fetchone()[0]
            if how == "lodging":
                cur.execute("INSERT INTO lodging_stays (lodging_id, foreign_national_id, check_in, agency) "
                            "VALUES (%s, %s, current_date, 'polda')", (lodging[0], pid))
            else:
                cur.execute("""INSERT INTO foreign_national_stays (foreign_national_id, permit_type, permit_number,
                                   valid_from, valid_until, purpose, village_code, agency, reported_on)
                               SELECT %s, 'itas', %s, current_date - 3, current_date + 100, 'bekerja', code,
                                      'imigrasi', current_date
                                 FROM boundaries WHERE level = 'village' AND code LIKE %s ORDER BY code LIMIT 1""",
                            (pid, "P" + passport, "62.71.%" if how == "elsewhere" else "62.02.%"))
        # Everyone on record in 62.02 (stays, lodging stays, workers) and everyone anywhere.
        cur.execute("""SELECT p.full_name, p.passport_number, s.permit_number FROM foreign_national_stays s
                         JOIN foreign_nationals p ON p.id = s.foreign_national_id WHERE s.regency_code = '62.02'
                       UNION ALL
                       SELECT p.full_name, p.passport_number, NULL FROM lodging_stays ls
                         JOIN lodgings l ON l.id = ls.lodging_id JOIN foreign_nationals p ON p.id = ls.foreign_national_id
                        WHERE l.regency_code = '62.02'
                       UNION ALL
                       SELECT w.full_name, lower(w.passport_number), w.itas_number FROM foreign_workers w
                         JOIN companies c ON c.id = w.company_id WHERE c.regency_code = '62.02'""")
        everyone_there = redaction.Known.of(cur.fetchall())
        cur.execute("""SELECT p.full_name, p.passport_number, s.permit_number FROM foreign_nationals p
                         LEFT JOIN foreign_national_stays s ON s.foreign_national_id = p.id
                       UNION ALL
                       SELECT full_name, passport_number, itas_number FROM foreign_workers""")
        everyone = redaction.Known.of(cur.fetchall())
    try:
        read_there = known_in(db, ["62.02"], TEXTS)
        read_named = activity_text.named(db, TEXTS)
        # What was read is a handful of persons, not the hundreds sharing "Demo" and "WNA".
        assert len(read_there.full_names) < 20 and len(read_named.full_names) < 20
        for text in TEXTS:
            assert visible(redaction.mask(text, read_there)) == visible(redaction.mask(text, everyone_there)), text
            assert visible(redaction.mask(text, read_named)) == visible(redaction.mask(text, everyone)), text
        masked = redaction.mask(TEXTS[0], read_there)
        for word in ("Demo", "000123", "Li", "Na", "Wang", "Ming", "0000124"):
            assert word not in visible(masked), masked
        assert "Qoriqa" in visible(redaction.mask(TEXTS[1], read_there))  # on record in 62.71 only
        assert "Qoriqa" not in visible(redaction.mask(TEXTS[1], read_named))
        assert visible(redaction.mask(TEXTS[3], read_there)) == ["WNA", "saja", "Li", "saja", "Na", "saja", "saja"]
        assert visible(redaction.mask(TEXTS[2], read_there)) == ["dan", "diperiksa"]
    finally:
        db.rollback()


@pytest.mark.parametrize("table", ["foreign_nationals", "foreign_workers"])
def test_passports_are_capitals_and_digits_only(conn, table):
    """_PASSPORT looks a quoted passport up in upper case, not by its letters and digits: the same
    only while both tables hold capitals and digits alone."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
                    (f"{table}_passport_number_check",))
        assert cur.fetchone()[0] == "CHECK ((passport_number ~ '^[A-Z0-9]{5,20}$'::text))"
    conn.rollback()
