"""Staging by COPY (geo.imports.copying): every value arrives as it was, a missing one as NULL."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd

from geo.imports.copying import ROWS_PER_READ, copy_frame

COLUMNS = ("line", "company_id", "name", "note", "day", "lat", "team")


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "line": [2, 3, 4, 5],
        "company_id": pd.array([17, None, 2**40, 1], dtype="Int64"),
        "name": ["Wang, Li", 'Ahmad "Budi"', "baris\nkedua", "Ñoño Çelik"],
        "note": ["", None, "  spasi  ", "\\N"],
        "day": [date(2026, 12, 7), None, date(1999, 1, 31), date(2026, 2, 28)],
        "lat": [-2.2136489, np.nan, 0.1, -1e-05],
        "team": ["{Imigrasi,Polda}", "{}", None, '{"Tim, A"}'],
        "unused": ["x", "y", "z", "w"],
    })


def test_values_arrive_as_they_were(conn):
    frame = _frame()
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE copied (line int, company_id bigint, name text, note text, day date, "
                    "lat float8, team text[])")
        copy_frame(cur, "copied", frame, COLUMNS)
        cur.execute("SELECT * FROM copied ORDER BY line")
        rows = cur.fetchall()
    conn.rollback()
    assert rows == [
        (2, 17, "Wang, Li", None, date(2026, 12, 7), -2.2136489, ["Imigrasi", "Polda"]),  # '' is NULL, as before
        (3, None, 'Ahmad "Budi"', None, None, None, []),
        (4, 2**40, "baris\nkedua", "  spasi  ", date(1999, 1, 31), 0.1, None),
        (5, 1, "Ñoño Çelik", "\\N", date(2026, 2, 28), -1e-05, ["Tim, A"]),
    ]


def test_same_text_as_pandas():
    """What the importer staged before (pandas' to_csv), byte for byte: a re-import compares equal."""
    frame = _frame()
    expected = io.StringIO()
    frame.loc[:, list(COLUMNS)].to_csv(expected, index=False, header=False)
    sent = []

    class Recording:
        def copy_expert(self, sql, buf):
            sent.append("".join(iter(lambda: buf.read(8192), "")))

    copy_frame(Recording(), "copied", frame, COLUMNS)
    assert sent == [expected.getvalue()]


def test_no_rows(conn):
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE copied (line int, company_id bigint, name text, note text, day date, "
                    "lat float8, team text[])")
        copy_frame(cur, "copied", _frame().iloc[0:0], COLUMNS)
        cur.execute("SELECT count(*) FROM copied")
        assert cur.fetchone() == (0,)
    conn.rollback()


def test_a_frame_longer_than_one_read_arrives_whole_and_in_order(conn):
    """The COPY stream formats ROWS_PER_READ rows per read: rows on both sides of each boundary arrive."""
    n = 2 * ROWS_PER_READ + 7
    frame = pd.DataFrame({"line": range(2, n + 2), "name": [f"baris {i}" if i % 7 else None for i in range(n)]})
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE copied (line int, name text)")
        copy_frame(cur, "copied", frame, ("line", "name"))
        cur.execute("SELECT count(*), min(line), max(line), count(name), "
                    "bool_and(name IS NOT DISTINCT FROM CASE WHEN (line - 2) % 7 <> 0 THEN 'baris ' || (line - 2) END) "
                    "FROM copied")
        assert cur.fetchone() == (n, 2, n + 1, n - len(range(0, n, 7)), True)
    conn.rollback()
