"""The importer's value parsers and look-ups, value by value."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.imports import parsing
from geo.imports.countries import to_iso2
from geo.imports.places import Places
from geo.imports.positions import position_level
from geo.imports.reading import read_table


@pytest.mark.parametrize(("text", "iso2"), [
    ("CN", "CN"), ("cn", "CN"), ("CHN", "CN"), ("China", "CN"), ("Tiongkok", "CN"), ("RRT", "CN"),
    ("Korea Selatan", "KR"), ("South Korea", "KR"), ("Inggris", "GB"), ("United Kingdom", "GB"),
    ("Amerika Serikat", "US"), ("United States", "US"), ("Jepang", "JP"), ("Filipina", "PH"),
    ("  malaysia ", "MY"), ("Jerman", "DE"), ("Narnia", None), ("", None), ("XX", None),
])
def test_nationality(text, iso2):
    assert to_iso2(text) == iso2


@pytest.mark.parametrize(("title", "level"), [
    ("Direktur", "direktur"), ("Presiden Direktur", "direktur"), ("Presiden Komisaris", "komisaris"),
    ("Direktur Keuangan", "direktur"), ("Manajer Teknik", "manajer"), ("General Manager", "manajer"),
    ("Konsultan", "konsultan"), ("Technical Advisor", "konsultan"), ("Ahli Geologi", "profesional"),
    ("Supervisor Produksi", "profesional"),
])
def test_position_level(title, level):
    assert position_level(title) == level


def test_nib_restored_from_excel_numbers():
    parsed = parsing.parse_nib(pd.Series(["2090697104809", "2090697104809.0", "2.090697104809E+12", "12345", "",
                                          "220000123456.0", "209069710480x"], dtype=object))
    assert parsed.values.tolist() == ["2090697104809"] * 3 + [None, None, "0220000123456", None]
    assert parsed.empty.tolist() == [False] * 4 + [True, False, False]
    assert parsed.invalid.tolist() == [False, False, False, True, False, False, True]


def test_dates():
    parsed = parsing.parse_date(pd.Series(["2026-08-21", "31/05/2027", "31/02/2025", "kemarin", "", "1.3.2025"],
                                          dtype=object))
    assert parsed.values.tolist() == ["2026-08-21", "2027-05-31", None, None, None, "2025-03-01"]
    assert parsed.impossible.tolist() == [False, False, True, False, False, False]
    assert parsed.invalid.tolist() == [False, False, False, True, False, False]


def test_decimal_comma():
    parsed = parsing.parse_number(pd.Series(["-1,822396", "113.5", "abc", ""], dtype=object))
    assert parsed.values.tolist()[:2] == [-1.822396, 113.5]
    assert parsed.invalid.tolist() == [False, False, True, False]


def test_reader_handles_bom_semicolon_cp1252_and_multiline_cells():
    table = read_table("\ufeff NIB ; Nama Perusahaan \r\n1;\"PT A\nlantai 2\"\r\n\r\n2;PT Ç\r\n".encode(), "x.csv")
    assert list(table.frame.columns) == ["nib", "nama_perusahaan"]
    assert table.frame["nama_perusahaan"].tolist() == ["PT A\nlantai 2", "PT Ç"]
    assert table.lines.tolist() == [2, 5]  # the quoted cell spans lines 2-3, line 4 is blank
    table = read_table("nib;nama\n1;PT Ç\n".encode("cp1252"), "x.csv")
    assert table.frame["nama"].tolist() == ["PT Ç"]


def test_places_by_code_and_name(conn):
    places = Places.load(conn)
    assert places.regency("62.71") == places.regency("6271") == "62.71"
    assert places.regency("Kota Palangka Raya") == places.regency("PALANGKARAYA") == "62.71"
    assert places.regency("Kab. Kotawaringin Timur") == places.regency("kotawaringin timur") == "62.02"
    assert places.regency("Kabupaten Banjar") is None
    assert places.district("Kota Besi", "62.02") == "62.02.01"
    assert places.district("Kec. Kota Besi", "62.02") == "62.02.01"
    assert places.district("Kota Besi", "62.71") is None  # not in that regency


@pytest.mark.parametrize(("data", "words"), [
    (b"\xd0\xcf\x11\xe0legacy", ".xls lama"), (b"nib\n\x81\x8d\n", "bukan teks"), (b"PK\x03\x04junk", "XLSX"),
    (b"  \n", "kosong"),
])
def test_unreadable_files_are_one_clear_error(data, words):
    from geo.imports.reading import ReadError

    with pytest.raises(ReadError, match=words):
        read_table(data, "x.csv")
