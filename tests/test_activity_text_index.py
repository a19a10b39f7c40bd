"""The names read to mask free text (geo.activity_text.named) are found through migration 0113's word
indexes: the query's name expression and the indexes' must stay the same, or every viewer's meeting
page and report splits every name again (seconds at province scale)."""

from __future__ import annotations

from geo.activity_text import _NAMED


def test_named_persons_are_found_through_the_word_indexes(conn):
    with conn.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + _NAMED, {"words": ["budi", "santoso"]})
        plan = "\n".join(r[0] for r in cur.fetchall())
    conn.rollback()
    assert "foreign_nationals_name_words_idx" in plan, plan
    assert "foreign_workers_name_words_idx" in plan, plan
